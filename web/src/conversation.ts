// One conversation: a switchboard session while anyone is in it, offline
// messages when the one other person is away, and what was said.

import { Frame, Line, isError } from "./line";
import type { Messenger } from "./messenger";
import { bare, dec, enc } from "./messenger";

export interface Entry {
  from: string;
  text: string;
  time: Date;
  /// Something that happened (joined, left, a nudge), not something said.
  event?: boolean;
  /// Said while the recipient was away (an offline message, either way).
  offline?: boolean;
  /// Refused by the server (`NAK`) or not left: the person did not get it.
  failed?: boolean;
  mine?: boolean;
}

const TEXT_HEADER = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0\r\n\r\n";

let counter = 0;

export class Conversation {
  readonly id = ++counter;
  private line?: Line;
  private closed = true;
  /// Who is in the switchboard now (bare address → name).
  people = new Map<string, string>();
  /// Everyone who was ever in it: a message after they all left calls them again.
  invitees: Set<string>;
  log: Entry[] = [];
  unread = 0;
  typing = "";
  private typingTimer?: number;
  private lastTyping = 0;
  private ready?: Promise<void>;
  private joined?: () => void;

  constructor(private messenger: Messenger, emails: string[]) {
    this.invitees = new Set(emails);
  }

  isWith(email: string) {
    return this.invitees.size === 1 && this.invitees.has(email);
  }

  connected() {
    return !this.closed && this.people.size > 0;
  }

  title() {
    const names = [...this.invitees].map((email) => this.people.get(email) ?? this.messenger.contact(email).name);
    return names.join(", ") || "Conversation";
  }

  add(entry: Entry) {
    this.log.push(entry);
  }

  private connect(address: string): Line {
    // One switchboard at a time: a new one (a call, a reopening) replaces the old.
    this.line?.close();
    this.people.clear();
    const line = new Line(`/ws/sb?address=${enc(address)}`);
    line.onFrame = (frame) => this.onFrame(frame);
    line.onClose = () => {
      if (line !== this.line) return;
      this.closed = true;
      this.people.clear();
      this.messenger.listener.changed();
    };
    this.line = line;
    this.closed = false;
    return line;
  }

  /// Joins a switchboard this account was called to (`RNG`).
  answer(address: string, cookie: string, session: string) {
    const line = this.connect(address);
    this.ready = line.opened().then(async () => {
      const answer = await line.send("ANS", [this.messenger.handle, cookie, session]);
      if (isError(answer)) this.closed = true;
    });
  }

  /// A new switchboard with everyone invited: this account's other
  /// endpoints first (as WLM 2009 calls its own account), then the others.
  private async open() {
    const { address, cookie } = await this.messenger.switchboard();
    const line = this.connect(address);
    const joined = new Promise<void>((resolve) => {
      this.joined = resolve;
      window.setTimeout(resolve, 10_000);
    });
    this.ready = line.opened().then(async () => {
      const usr = await line.send("USR", [this.messenger.handle, cookie]);
      if (usr.words[2] !== "OK") throw new Error("The conversation could not be opened.");
      await line.send("CAL", [this.messenger.me.email]);
      for (const email of this.invitees) await line.send("CAL", [email]);
      await joined;
    });
    await this.ready;
  }

  private anyoneOnline() {
    return [...this.invitees].some((email) => this.messenger.contact(email).status !== "FLN");
  }

  private onFrame(frame: Frame) {
    const w = frame.words;
    const me = this.messenger.me.email;
    switch (w[0]) {
      case "IRO": {
        // `IRO trid index count handle name caps`: each endpoint, then the account.
        const email = bare(w[4]);
        if (email !== me) {
          this.people.set(email, dec(w[5]));
          this.invitees.add(email);
        }
        break;
      }
      case "JOI": {
        const email = bare(w[1]);
        if (email === me) break;
        const fresh = !this.people.has(email);
        this.people.set(email, dec(w[2]));
        this.invitees.add(email);
        this.joined?.();
        this.joined = undefined;
        if (fresh && this.log.length) this.add({ from: dec(w[2]), text: "joined the conversation", time: new Date(), event: true });
        break;
      }
      case "BYE": {
        const email = bare(w[1]);
        // Only the account's last endpoint leaving is the person leaving.
        if (email === me || w[1].includes(";")) break;
        const name = this.people.get(email) ?? email;
        if (this.people.delete(email)) this.add({ from: name, text: "left the conversation", time: new Date(), event: true });
        break;
      }
      case "MSG":
        this.onMessage(bare(w[1]), dec(w[2]), frame.payload ?? "");
        break;
    }
    this.messenger.listener.changed();
  }

  private onMessage(email: string, name: string, payload: string) {
    const split = payload.indexOf("\r\n\r\n");
    const head = split < 0 ? payload : payload.slice(0, split);
    const body = split < 0 ? "" : payload.slice(split + 4);
    const type = /Content-Type:\s*([^;\r\n]+)/i.exec(head)?.[1]?.trim().toLowerCase() ?? "";
    const mine = email === this.messenger.me.email;
    if (type === "text/plain") {
      this.setTyping("");
      this.add({ from: mine ? this.messenger.me.name : name, text: body, time: new Date(), mine });
      if (!mine) this.messenger.listener.message(this, name, body);
    } else if (type === "text/x-msmsgscontrol" && !mine) {
      this.setTyping(`${name} is typing…`);
    } else if (type === "text/x-msnmsgr-datacast" && /ID:\s*1\b/.test(body)) {
      this.add({ from: name, text: "sent a nudge", time: new Date(), event: true });
      if (!mine) {
        this.messenger.listener.message(this, name, "sent a nudge");
        this.messenger.listener.nudged(this);
      }
    }
  }

  private setTyping(text: string) {
    this.typing = text;
    window.clearTimeout(this.typingTimer);
    if (text) {
      this.typingTimer = window.setTimeout(() => {
        this.typing = "";
        this.messenger.listener.changed();
      }, 6000);
    }
  }

  /// Sends `text`: through the switchboard, opening one if needed, or as an
  /// offline message when the one other person is away.
  async say(text: string) {
    const entry: Entry = { from: this.messenger.me.name, text, time: new Date(), mine: true };
    this.add(entry);
    this.messenger.listener.changed();
    try {
      await this.ready?.catch(() => {});
      if (!this.connected() && this.anyoneOnline()) await this.open();
      if (this.connected() && this.line) {
        const answer = await this.line.send("MSG", ["A"], TEXT_HEADER + text, ["ACK", "NAK"]);
        entry.failed = answer.words[0] !== "ACK";
      } else if (this.invitees.size === 1) {
        entry.offline = true;
        await this.messenger.offline.leave([...this.invitees][0], text);
      } else {
        entry.failed = true;
      }
    } catch (error) {
      entry.failed = true;
      this.add({ from: "", text: (error as Error).message, time: new Date(), event: true });
    }
    this.messenger.listener.changed();
  }

  async nudge() {
    if (!this.connected() || !this.line) return;
    this.line.post("MSG", ["N"], "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n");
    this.add({ from: this.messenger.me.name, text: "sent a nudge", time: new Date(), event: true, mine: true });
    this.messenger.listener.changed();
  }

  typingNow() {
    if (Date.now() - this.lastTyping < 4000 || !this.connected() || !this.line) return;
    this.lastTyping = Date.now();
    this.line.post("MSG", ["U"], `MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: ${this.messenger.me.email}\r\n\r\n\r\n`);
  }

  async invite(email: string) {
    this.invitees.add(email);
    if (!this.connected()) {
      if (this.anyoneOnline()) await this.open();
      return;
    }
    const answer = await this.line?.send("CAL", [email]);
    if (!answer || isError(answer)) this.add({ from: email, text: "cannot be invited now", time: new Date(), event: true });
    this.messenger.listener.changed();
  }

  close() {
    this.line?.close();
  }
}
