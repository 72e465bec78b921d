// One MSNP connection over a WebSocket: lines and payloads framed as over
// TCP, commands numbered, each answer handed to whoever sent the command.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/// Commands whose last word is the length of a payload that follows.
const PAYLOAD = new Set(["MSG", "UBX", "UUX", "NOT", "UBN", "GCF", "IPG", "UUN", "ADL", "RML", "FQY", "UUM", "241", "509"]);

export const isError = (frame: Frame) => /^\d{3}$/.test(frame.words[0]);

export interface Frame {
  words: string[];
  payload?: string;
}

/// One MSNP connection over a WebSocket: frames in, frames out, numbered.
export class Line {
  private socket: WebSocket;
  private buffer = new Uint8Array(0);
  private trid = 1;
  /// The commands awaiting an answer: what answers them, and who waits.
  private waiting = new Map<number, { answers: string[]; resolve: (frame: Frame) => void }>();
  onFrame: (frame: Frame) => void = () => {};
  onClose: () => void = () => {};

  constructor(path: string) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.socket = new WebSocket(`${scheme}//${location.host}${path}`);
    this.socket.binaryType = "arraybuffer";
    this.socket.onmessage = (event) => {
      const bytes =
        typeof event.data === "string" ? encoder.encode(event.data) : new Uint8Array(event.data as ArrayBuffer);
      this.take(bytes);
    };
    this.socket.onclose = () => {
      // Whoever waits for an answer gets none: a closed line answers them all.
      for (const waiter of this.waiting.values()) waiter.resolve({ words: ["CLOSED"] });
      this.waiting.clear();
      this.onClose();
    };
  }

  opened(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.addEventListener("open", () => resolve(), { once: true });
      this.socket.addEventListener("error", () => reject(new Error("cannot reach the server")), { once: true });
    });
  }

  private take(bytes: Uint8Array) {
    const joined = new Uint8Array(this.buffer.length + bytes.length);
    joined.set(this.buffer);
    joined.set(bytes, this.buffer.length);
    this.buffer = joined;
    for (;;) {
      let end = -1;
      for (let i = 0; i + 1 < this.buffer.length; i++) {
        if (this.buffer[i] === 13 && this.buffer[i + 1] === 10) {
          end = i;
          break;
        }
      }
      if (end < 0) return;
      const words = decoder.decode(this.buffer.subarray(0, end)).split(" ");
      let length = 0;
      if (PAYLOAD.has(words[0])) length = Number(words[words.length - 1]) || 0;
      if (this.buffer.length < end + 2 + length) return;
      const frame: Frame = { words };
      if (PAYLOAD.has(words[0])) frame.payload = decoder.decode(this.buffer.subarray(end + 2, end + 2 + length));
      this.buffer = this.buffer.slice(end + 2 + length);
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Frame) {
    // Only the answer itself (or an error) ends the wait: `IRO` and `ILN`
    // carry the number of the command they come before.
    const id = Number(frame.words[1]);
    const waiter = Number.isInteger(id) ? this.waiting.get(id) : undefined;
    if (waiter && (waiter.answers.includes(frame.words[0]) || isError(frame))) {
      this.waiting.delete(id);
      waiter.resolve(frame);
    } else {
      this.onFrame(frame);
    }
  }

  /// Sends `COMMAND trid params…` (with a payload if given); resolves with
  /// the answer: the same command, one of `answers`, or an error.
  send(command: string, params: string[] = [], payload?: string, answers = [command]): Promise<Frame> {
    const trid = this.trid++;
    const answer = new Promise<Frame>((resolve) => this.waiting.set(trid, { answers, resolve }));
    this.write([command, String(trid), ...params], payload);
    return answer;
  }

  /// Sends a command that is not answered (`PNG`, `OUT`, `MSG U`).
  post(command: string, params: string[] = [], payload?: string) {
    const words = command === "PNG" || command === "OUT" ? [command] : [command, String(this.trid++), ...params];
    this.write(words, payload);
  }

  private write(words: string[], payload?: string) {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    let bytes: Uint8Array;
    if (payload !== undefined) {
      const body = encoder.encode(payload);
      const head = encoder.encode(`${words.join(" ")} ${body.length}\r\n`);
      bytes = new Uint8Array(head.length + body.length);
      bytes.set(head);
      bytes.set(body, head.length);
    } else {
      bytes = encoder.encode(`${words.join(" ")}\r\n`);
    }
    this.socket.send(bytes);
  }

  close() {
    this.socket.close();
  }
}

