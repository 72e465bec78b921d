// The browser client of msnpd: MSNP12 over a WebSocket (/ws/ns for the
// Notification Server, /ws/sb for each conversation), Passport through
// /login2.srf. The server has no second protocol for it: this is one more
// Messenger client.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/// Commands whose last word is the length of a payload that follows.
const PAYLOAD = new Set(["MSG", "UBX", "UUX", "NOT", "UBN", "GCF", "IPG", "UUN", "ADL", "RML", "FQY", "241"]);

interface Frame {
  words: string[];
  payload?: string;
}

/// One MSNP connection over a WebSocket: frames in, frames out, numbered.
class Line {
  private socket: WebSocket;
  private buffer = new Uint8Array(0);
  private trid = 1;
  private waiting = new Map<number, (frame: Frame) => void>();
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
    this.socket.onclose = () => this.onClose();
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
    const id = Number(frame.words[1]);
    const waiter = Number.isInteger(id) ? this.waiting.get(id) : undefined;
    if (waiter) {
      this.waiting.delete(id);
      waiter(frame);
    } else {
      this.onFrame(frame);
    }
  }

  /// Sends `COMMAND trid params…` (with a payload if given); resolves with the answer.
  send(command: string, params: string[] = [], payload?: string): Promise<Frame> {
    const trid = this.trid++;
    const words = [command, String(trid), ...params];
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
    const answer = new Promise<Frame>((resolve) => this.waiting.set(trid, resolve));
    this.socket.send(bytes);
    return answer;
  }

  close() {
    this.socket.close();
  }
}

const enc = (text: string) => encodeURIComponent(text);
const dec = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};
const field = (words: string[], key: string) => words.find((w) => w.startsWith(`${key}=`))?.slice(key.length + 1);
const isError = (frame: Frame) => /^\d{3}$/.test(frame.words[0]);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface Contact {
  email: string;
  name: string;
  lists: number;
  status: string;
  psm: string;
}

const STATUS_TEXT: Record<string, string> = {
  NLN: "Online",
  BSY: "Busy",
  IDL: "Idle",
  BRB: "Be right back",
  AWY: "Away",
  PHN: "On the phone",
  LUN: "Out to lunch",
  HDN: "Appear offline",
  FLN: "Offline",
};

const TEXT_HEADER = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=0; PF=0\r\n\r\n";

/// One conversation: its switchboard connection and what was said.
class Conversation {
  line: Line;
  people = new Map<string, string>();
  /// Everyone who was ever in it: a message after they all left calls them again.
  invitees = new Set<string>();
  private closed = false;
  private joined?: () => void;
  log: { from: string; text: string; event?: boolean }[] = [];
  typing = "";
  ready: Promise<void>;
  private lastTyping = 0;

  constructor(readonly id: number, address: string, private app: App, join: (line: Line) => Promise<void>) {
    this.line = this.connect(address);
    this.ready = this.line.opened().then(() => join(this.line));
  }

  private connect(address: string): Line {
    const line = new Line(`/ws/sb?address=${enc(address)}`);
    line.onFrame = (frame) => this.onFrame(frame);
    line.onClose = () => {
      if (line === this.line) {
        this.closed = true;
        this.people.clear();
      }
    };
    this.closed = false;
    return line;
  }

  /// A new switchboard for the same people, once everyone had left.
  private async reopen() {
    const xfr = await this.app.ns.send("XFR", ["SB"]);
    if (xfr.words[0] !== "XFR") throw new Error("A conversation cannot be opened now.");
    const old = this.line;
    this.line = this.connect(xfr.words[3]);
    old.close();
    const joined = new Promise<void>((resolve) => {
      this.joined = resolve;
      setTimeout(resolve, 10000);
    });
    this.ready = this.line.opened().then(async () => {
      await this.line.send("USR", [this.app.me.email, xfr.words[5]]);
      for (const email of this.invitees) await this.line.send("CAL", [email]);
      await joined;
    });
    await this.ready;
  }

  title() {
    const names = [...this.people.values()];
    return names.length ? names.join(", ") : "Waiting…";
  }

  private onFrame(frame: Frame) {
    const [command] = frame.words;
    if (command === "IRO") {
      this.people.set(frame.words[4], dec(frame.words[5]));
      this.invitees.add(frame.words[4]);
    } else if (command === "JOI") {
      this.people.set(frame.words[1], dec(frame.words[2]));
      this.invitees.add(frame.words[1]);
      this.joined?.();
      this.joined = undefined;
      this.log.push({ from: dec(frame.words[2]), text: "joined the conversation", event: true });
    } else if (command === "BYE") {
      const name = this.people.get(frame.words[1]) ?? frame.words[1];
      this.people.delete(frame.words[1]);
      this.log.push({ from: name, text: "left the conversation", event: true });
    } else if (command === "MSG") {
      this.onMessage(dec(frame.words[2]), frame.payload ?? "");
    }
    this.app.render();
  }

  private onMessage(from: string, payload: string) {
    const split = payload.indexOf("\r\n\r\n");
    const head = split < 0 ? payload : payload.slice(0, split);
    const body = split < 0 ? "" : payload.slice(split + 4);
    const type = /Content-Type:\s*([^;\r\n]+)/i.exec(head)?.[1]?.trim().toLowerCase() ?? "";
    if (type === "text/plain") {
      this.typing = "";
      this.log.push({ from, text: body });
    } else if (type === "text/x-msmsgscontrol") {
      this.typing = `${from} is typing…`;
      setTimeout(() => {
        this.typing = "";
        this.app.render();
      }, 5000);
    } else if (type === "text/x-msnmsgr-datacast" && /ID:\s*1\b/.test(body)) {
      this.log.push({ from, text: "sent a nudge", event: true });
      document.body.animate([{ transform: "translateX(0)" }, { transform: "translateX(6px)" }, { transform: "translateX(0)" }], 300);
    }
  }

  async say(text: string) {
    await this.ready;
    if (this.closed || this.people.size === 0) await this.reopen();
    const answer = await this.line.send("MSG", ["A"], TEXT_HEADER + text);
    this.log.push({ from: this.app.me.name, text: answer.words[0] === "ACK" ? text : `${text} (not delivered)` });
  }

  async nudge() {
    await this.ready;
    await this.line.send("MSG", ["N"], "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n");
    this.log.push({ from: this.app.me.name, text: "sent a nudge", event: true });
  }

  async typingNow() {
    if (Date.now() - this.lastTyping < 4000) return;
    this.lastTyping = Date.now();
    await this.ready;
    void this.line.send(
      "MSG",
      ["U"],
      `MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: ${this.app.me.email}\r\n\r\n\r\n`,
    );
  }

  async invite(email: string) {
    await this.ready;
    this.invitees.add(email);
    const answer = await this.line.send("CAL", [email]);
    if (isError(answer)) this.log.push({ from: email, text: "cannot be invited now", event: true });
  }
}

class App {
  ns!: Line;
  me = { email: "", name: "" };
  contacts = new Map<string, Contact>();
  requests = new Map<string, string>();
  conversations: Conversation[] = [];
  active?: Conversation;
  private ping?: number;

  async signIn(email: string, password: string) {
    this.me.email = email.trim().toLowerCase();
    this.ns = new Line("/ws/ns");
    this.ns.onFrame = (frame) => this.onFrame(frame);
    this.ns.onClose = () => this.fail("The connection to the server closed.");
    await this.ns.opened();
    await this.ns.send("VER", ["MSNP12", "CVR0"]);
    await this.ns.send("CVR", ["0x0409", "web", "1", "js", "MSNPWEB", "1.0", "msnpweb", this.me.email]);
    const policy = await this.ns.send("USR", ["TWN", "I", this.me.email]);
    if (isError(policy)) throw new Error("The server refused this address.");
    const ticket = await passport(this.me.email, password);
    const ok = await this.ns.send("USR", ["TWN", "S", ticket]);
    if (ok.words[2] !== "OK") throw new Error("The server refused the sign-in.");
    const syn = await this.ns.send("SYN", ["0", "0"]);
    this.expectList(Number(syn.words[4]) || 0);
    this.ping = window.setInterval(() => void this.ns.send("PNG").catch(() => {}), 50_000);
  }

  /// `SYN` is followed by the settings and one `LST` per contact.
  private listLeft = 0;
  private expectList(count: number) {
    this.listLeft = count;
    if (count === 0) void this.goOnline();
  }

  private async goOnline() {
    const first = await this.ns.send("CHG", ["NLN", "0"]);
    if (first.words[0] === "CHG") this.render();
  }

  private contact(email: string): Contact {
    let contact = this.contacts.get(email);
    if (!contact) {
      contact = { email, name: email, lists: 0, status: "FLN", psm: "" };
      this.contacts.set(email, contact);
    }
    return contact;
  }

  private onFrame(frame: Frame) {
    const w = frame.words;
    switch (w[0]) {
      case "LST": {
        const email = field(w, "N") ?? "";
        const lists = Number(w.find((x, i) => i > 0 && /^\d+$/.test(x))) || 0;
        const contact = this.contact(email);
        contact.name = dec(field(w, "F") ?? email);
        contact.lists = lists;
        // On the reverse list only, not allowed nor blocked: someone asking.
        if ((lists & 8) && !(lists & 1) && !(lists & 6)) this.requests.set(email, contact.name);
        if (--this.listLeft === 0) void this.goOnline();
        break;
      }
      case "ILN":
        this.presence(w[3], w[2], w[4]);
        break;
      case "NLN":
        this.presence(w[2], w[1], w[3]);
        break;
      case "FLN":
        this.contact(w[1]).status = "FLN";
        break;
      case "UBX": {
        const psm = /<PSM>([\s\S]*?)<\/PSM>/.exec(frame.payload ?? "")?.[1] ?? "";
        this.contact(w[1]).psm = unescapeXml(psm);
        break;
      }
      case "ADC":
        if (w[2] === "RL") {
          const email = field(w, "N") ?? "";
          const contact = this.contact(email);
          contact.lists |= 8;
          // Someone already allowed or blocked needs no question.
          if (!(contact.lists & 6)) this.requests.set(email, dec(field(w, "F") ?? email));
        }
        break;
      case "PRP":
        if (w[1] === "MFN") this.me.name = dec(w[2] ?? this.me.email);
        break;
      case "RNG":
        void this.answer(Number(w[1]), w[2], w[4], w[5]);
        break;
      case "OUT":
        this.fail(w[1] === "OTH" ? "You signed in somewhere else." : "The server ended the session.");
        break;
    }
    this.render();
  }

  private presence(email: string, status: string, name: string) {
    const contact = this.contact(email);
    contact.status = status;
    contact.name = dec(name);
  }

  async setStatus(status: string) {
    await this.ns.send("CHG", [status, "0"]);
  }

  async setPersonalMessage(text: string) {
    const xml = `<Data><PSM>${escapeXml(text)}</PSM><CurrentMedia></CurrentMedia></Data>`;
    await this.ns.send("UUX", [], xml);
  }

  async add(email: string) {
    email = email.trim().toLowerCase();
    const answer = await this.ns.send("ADC", ["FL", `N=${email}`, `F=${email}`]);
    if (isError(answer)) throw new Error(answer.words[0] === "208" ? "There is no such account." : "It cannot be added.");
    const contact = this.contact(email);
    contact.lists |= 1;
    if (!(contact.lists & 2)) {
      await this.ns.send("ADC", ["AL", `N=${email}`]);
      contact.lists |= 2;
    }
    this.requests.delete(email);
    this.render();
  }

  async decline(email: string) {
    await this.ns.send("ADC", ["BL", `N=${email}`]);
    this.requests.delete(email);
    this.render();
  }

  /// Opens a conversation with `email` (or shows the one already open).
  async chat(email: string) {
    const existing = this.conversations.find((c) => c.people.size === 1 && c.people.has(email));
    if (existing) return this.show(existing);
    const xfr = await this.ns.send("XFR", ["SB"]);
    if (xfr.words[0] !== "XFR") throw new Error("A conversation cannot be opened now.");
    const [address, , cookie] = [xfr.words[3], xfr.words[4], xfr.words[5]];
    const conversation = new Conversation(0, address, this, async (line) => {
      await line.send("USR", [this.me.email, cookie]);
      await line.send("CAL", [email]);
    });
    conversation.people.set(email, this.contact(email).name);
    conversation.invitees.add(email);
    this.conversations.push(conversation);
    this.show(conversation);
  }

  private async answer(id: number, address: string, cookie: string, email: string) {
    const conversation = new Conversation(id, address, this, async (line) => {
      await line.send("ANS", [this.me.email, cookie, String(id)]);
    });
    conversation.people.set(email, this.contact(email).name);
    conversation.invitees.add(email);
    this.conversations.push(conversation);
    if (!this.active) this.show(conversation);
    this.render();
  }

  show(conversation: Conversation) {
    this.active = conversation;
    this.render();
  }

  signOut() {
    window.clearInterval(this.ping);
    this.ns.onClose = () => {};
    this.conversations.forEach((c) => c.line.close());
    this.ns.close();
    location.reload();
  }

  fail(message: string) {
    $("app-error").textContent = message;
  }

  render() {
    $("me-email").textContent = this.me.email;
    $("me-name").textContent = this.me.name;
    const list = $("contacts");
    const focused = document.activeElement?.getAttribute("data-email");
    list.replaceChildren(
      ...[...this.contacts.values()]
        .filter((c) => c.lists & 1)
        .sort((a, b) => Number(a.status === "FLN") - Number(b.status === "FLN") || a.name.localeCompare(b.name))
        .map((c) => {
          const item = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.dataset.email = c.email;
          const dot = document.createElement("span");
          dot.className = `dot ${c.status}`;
          dot.setAttribute("aria-hidden", "true");
          const text = document.createElement("span");
          text.textContent = `${c.name} (${STATUS_TEXT[c.status] ?? c.status})`;
          button.append(dot, text);
          if (c.psm) {
            const psm = document.createElement("span");
            psm.className = "psm";
            psm.textContent = c.psm;
            button.append(psm);
          }
          button.setAttribute("aria-label", `Chat with ${c.name}, ${STATUS_TEXT[c.status] ?? c.status}${c.psm ? `: ${c.psm}` : ""}`);
          button.onclick = () => void this.chat(c.email).catch((e: Error) => this.fail(e.message));
          item.append(button);
          return item;
        }),
    );
    if (focused) list.querySelector<HTMLElement>(`[data-email="${CSS.escape(focused)}"]`)?.focus();
    const requests = $("requests");
    $("requests-title").hidden = this.requests.size === 0;
    requests.replaceChildren(
      ...[...this.requests].map(([email, name]) => {
        const item = document.createElement("li");
        item.append(`${name} (${email}) added you. `);
        const accept = document.createElement("button");
        accept.type = "button";
        accept.textContent = `Accept ${name}`;
        accept.onclick = () => void this.add(email).catch((e: Error) => this.fail(e.message));
        const decline = document.createElement("button");
        decline.type = "button";
        decline.className = "secondary";
        decline.textContent = `Decline ${name}`;
        decline.onclick = () => void this.decline(email);
        item.append(accept, " ", decline);
        return item;
      }),
    );
    const tabs = $("tabs");
    tabs.replaceChildren(
      ...this.conversations.map((c, i) => {
        const tab = document.createElement("button");
        tab.type = "button";
        tab.setAttribute("role", "tab");
        tab.setAttribute("aria-selected", String(c === this.active));
        tab.textContent = c.title() || `Conversation ${i + 1}`;
        tab.onclick = () => this.show(c);
        return tab;
      }),
    );
    const chat = $("chat");
    const active = this.active;
    chat.hidden = !active;
    if (!active) return;
    $("chat-people").textContent = `With ${active.title()}`;
    $("log").replaceChildren(
      ...active.log.map((entry) => {
        const item = document.createElement("li");
        if (entry.event) {
          item.className = "event";
          item.textContent = entry.from ? `${entry.from} ${entry.text}` : entry.text;
        } else {
          const from = document.createElement("span");
          from.className = "from";
          from.textContent = `${entry.from}: `;
          item.append(from, entry.text);
        }
        return item;
      }),
    );
    const log = $("log");
    log.scrollTop = log.scrollHeight;
    $("typing").textContent = active.typing;
    const invite = $<HTMLSelectElement>("invite");
    invite.replaceChildren(
      ...[...this.contacts.values()]
        .filter((c) => c.lists & 1 && c.status !== "FLN" && !active.people.has(c.email))
        .map((c) => new Option(c.name, c.email)),
    );
  }
}

/// A Passport ticket for `email`: `/login2.srf` with the password, the
/// ticket from `Authentication-Info` (same origin, so it can be read).
async function passport(email: string, password: string): Promise<string> {
  const authorization = `Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,sign-in=${enc(email)},pwd=${enc(password)},lc=1033,id=507`;
  const response = await fetch("/login2.srf", { headers: { Authorization: authorization }, cache: "no-store" });
  if (response.status === 401) throw new Error("Wrong email address or password.");
  const info = response.headers.get("Authentication-Info") ?? "";
  const ticket = /from-PP='([^']*)'/.exec(info)?.[1];
  if (!ticket) throw new Error("The Passport service did not answer.");
  return ticket;
}

function escapeXml(text: string) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unescapeXml(text: string) {
  const node = document.createElement("textarea");
  node.innerHTML = text;
  return node.value;
}

const app = new App();

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = $<HTMLInputElement>("signin-email").value;
  const password = $<HTMLInputElement>("signin-password").value;
  $("signin-error").textContent = "";
  try {
    await app.signIn(email, password);
    $("signin-view").hidden = true;
    $("app-view").hidden = false;
    $("status").focus();
  } catch (error) {
    $("signin-error").textContent = (error as Error).message;
  }
});

$("status").addEventListener("change", () => void app.setStatus($<HTMLSelectElement>("status").value));
$("psm-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void app.setPersonalMessage($<HTMLInputElement>("psm").value);
});
$("add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("add-email");
  app
    .add(input.value)
    .then(() => (input.value = ""))
    .catch((e: Error) => app.fail(e.message));
});
$("message-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("message");
  const text = input.value;
  if (!text || !app.active) return;
  input.value = "";
  void app.active.say(text).then(() => app.render());
});
$("message").addEventListener("input", () => void app.active?.typingNow());
$("nudge").addEventListener("click", () => void app.active?.nudge().then(() => app.render()));
$("invite-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const email = $<HTMLSelectElement>("invite").value;
  if (email && app.active) void app.active.invite(email);
});
$("signout").addEventListener("click", () => app.signOut());
