// The Notification Server side of the browser client: MSNP18 as Windows Live
// Messenger 2009 speaks it (SSO through RST.srf, the contact list from the
// address book, one endpoint among the account's others), the contact list
// and presence, requests, blocking, groups, and offline messages.

import { PRODUCT_ID, challengeAnswer, mbiResponse } from "./crypto";
import { Conversation } from "./conversation";
import { Frame, Line, isError } from "./line";
import { msnObject } from "./pictures";
import { AddressBook, Group, Offline, ServiceError, Storage, Tokens, escapeXml, mailData, passportTokens } from "./services";

export interface Contact {
  email: string;
  name: string;
  /// Forward 1, allow 2, block 4, reverse 8, pending 16.
  lists: number;
  status: string;
  psm: string;
  contactId?: string;
  groups: string[];
  /// The MSNObject of their display picture, as presence gives it.
  msnobj?: string;
  /// What they are listening to, when their client says (`<CurrentMedia>`).
  media: string;
}

/// `<CurrentMedia>` as WLM writes it: `\0`-separated fields, the category,
/// on or off, a format with `{0}`, `{1}`… and the values. "" when off.
export function nowPlaying(media: string): string {
  const fields = media.split("\\0");
  if (fields.length < 5 || fields[2] !== "1") return "";
  const text = fields[3].replace(/\{(\d+)\}/g, (_, i: string) => fields[4 + Number(i)] ?? "").trim();
  return text ? `${fields[1] === "Music" ? "♫ " : ""}${text}` : "";
}

export const FORWARD = 1;
export const ALLOW = 2;
export const BLOCK = 4;
export const PENDING = 16;

export const enc = (text: string) => encodeURIComponent(text);
export const dec = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/// `1:email` (and `email;{endpoint}`) to the bare address.
export const bare = (handle: string) => handle.replace(/^\d+:/, "").split(";")[0].toLowerCase();

function unescapeXml(text: string) {
  return new DOMParser().parseFromString(`<x>${text}</x>`, "text/xml").documentElement.textContent ?? text;
}

/// The `<ml>` of `ADL`/`RML` for some contacts and list bits.
function ml(entries: [string, number][], initial = false): string {
  const domains = new Map<string, string[]>();
  for (const [email, lists] of entries) {
    const [user, domain] = email.split("@");
    if (!domain || !lists) continue;
    domains.set(domain, [...(domains.get(domain) ?? []), `<c n="${escapeXml(user)}" l="${lists}" t="1" />`]);
  }
  const body = [...domains].map(([domain, cs]) => `<d n="${escapeXml(domain)}">${cs.join("")}</d>`).join("");
  return initial ? `<ml l="1">${body}</ml>` : `<ml>${body}</ml>`;
}

/// What the view is told: something changed, a message came in, the session ended.
export interface Listener {
  changed(): void;
  message(conversation: Conversation, from: string, text: string): void;
  nudged(conversation: Conversation): void;
  ended(reason: string): void;
}

export class Messenger {
  ns!: Line;
  me = { email: "", name: "", status: "NLN", psm: "", msnobj: "", picture: "" };
  /// This browser's endpoint id, kept across visits as a desktop client keeps its machine GUID.
  readonly endpoint: string;
  contacts = new Map<string, Contact>();
  groups: Group[] = [];
  conversations: Conversation[] = [];
  book!: AddressBook;
  offline!: Offline;
  storage!: Storage;
  private tokens!: Tokens;
  private ping?: number;

  constructor(readonly listener: Listener) {
    const saved = localStorage.getItem("msnpd-endpoint");
    this.endpoint = saved ?? `{${crypto.randomUUID().toUpperCase()}}`;
    if (!saved) localStorage.setItem("msnpd-endpoint", this.endpoint);
  }

  /// `email;{endpoint}`: how this session names itself on a switchboard.
  get handle() {
    return `${this.me.email};${this.endpoint}`;
  }

  async signIn(email: string, password: string, status = "NLN") {
    this.me.email = email.trim().toLowerCase();
    this.me.status = status;
    await this.connect(async () => {
      this.tokens = await passportTokens(this.me.email, password);
      return this.tokens;
    });
    this.book = new AddressBook(this.tokens.contacts, this.me.email);
    const { me, contacts, groups } = await this.book.load();
    this.me.name = me;
    this.groups = groups;
    for (const listed of contacts.values()) this.contacts.set(listed.email, { ...listed, status: "FLN", psm: "", media: "" });
    this.offline = new Offline(this.tokens, this.me);
    this.storage = new Storage(this.tokens.storage);
    // The roaming picture (set here before, or by WLM elsewhere) is this endpoint's too.
    const picture = await this.storage.picture().catch(() => undefined);
    if (picture) this.showPicture(picture);
    await this.announce();
  }

  /// The Notification Server's handshake: `VER`, `CVR`, `USR SSO` with the
  /// proof for the nonce, computed from the tokens `tokens` gives.
  private async connect(tokens: () => Promise<Tokens>) {
    const ns = new Line("/ws/ns");
    await ns.opened();
    const ver = await ns.send("VER", ["MSNP18", "CVR0"]);
    if (ver.words[2] !== "MSNP18") throw new Error("The server does not speak MSNP18.");
    await ns.send("CVR", ["0x0409", "winnt", "6.1.0", "i386", "MSNMSGR", "14.0.8117.0416", "msmsgs", this.me.email]);
    const offer = await ns.send("USR", ["SSO", "I", this.me.email]);
    if (isError(offer) || offer.words[3] !== "S") throw new Error("The server refused this address.");
    const issued = await tokens();
    const proof = mbiResponse(issued.secret, offer.words[5] ?? "");
    const ok = await ns.send("USR", ["SSO", "S", issued.messenger, proof, this.endpoint]);
    if (ok.words[2] !== "OK") throw new Error("The server refused the sign-in.");
    this.ns = ns;
    ns.onFrame = (frame) => this.onFrame(frame);
    ns.onClose = () => this.lost();
  }

  /// The list to the server (`ADL`), the status, the personal message.
  private async announce() {
    const entries = [...this.contacts.values()].map((c): [string, number] => [c.email, c.lists & 7]);
    await this.ns.send("ADL", [], ml(entries, true));
    await this.ns.send("CHG", [this.me.status, "0:0", this.msnobjParam()]);
    await this.publish();
    window.clearInterval(this.ping);
    this.ping = window.setInterval(() => this.ns.post("PNG"), 50_000);
  }

  /// The connection dropped (a phone put the tab to sleep, the network
  /// changed): sign in again with the tickets already issued, after 2, 5,
  /// 10, then every 30 seconds. A ticket that expired ends it.
  private lost(attempt = 0) {
    window.clearInterval(this.ping);
    for (const contact of this.contacts.values()) contact.status = "FLN";
    this.listener.ended("The connection to the server was lost. Reconnecting…");
    window.setTimeout(async () => {
      try {
        await this.connect(async () => this.tokens);
        await this.announce();
        this.listener.ended("");
      } catch (error) {
        if (/refused the sign-in/.test((error as Error).message)) {
          this.listener.ended("Signed out: sign in again.");
          return;
        }
        this.lost(attempt + 1);
      }
    }, [2000, 5000, 10000][attempt] ?? 30000);
  }

  contact(email: string): Contact {
    let contact = this.contacts.get(email);
    if (!contact) {
      contact = { email, name: email, lists: 0, status: "FLN", psm: "", groups: [], media: "" };
      this.contacts.set(email, contact);
    }
    return contact;
  }

  private onFrame(frame: Frame) {
    const w = frame.words;
    switch (w[0]) {
      case "NLN": {
        // `NLN status 1:email name caps msnobj`
        const contact = this.contact(bare(w[2]));
        contact.status = w[1];
        contact.name = dec(w[3] ?? contact.email);
        contact.msnobj = w[5] && w[5] !== "0" ? dec(w[5]) : undefined;
        break;
      }
      case "FLN":
        this.contact(bare(w[1])).status = "FLN";
        break;
      case "UBX": {
        const email = bare(w[1]);
        if (email === this.me.email) break;
        const psm = /<PSM>([\s\S]*?)<\/PSM>/.exec(frame.payload ?? "")?.[1] ?? "";
        const media = /<CurrentMedia>([\s\S]*?)<\/CurrentMedia>/.exec(frame.payload ?? "")?.[1] ?? "";
        this.contact(email).psm = unescapeXml(psm);
        this.contact(email).media = nowPlaying(unescapeXml(media));
        break;
      }
      case "ADL":
        // Someone added this account (`l="8"`): a request, unless already answered.
        if (w[1] === "0") this.addedBy(frame.payload ?? "");
        break;
      case "RML":
        if (w[1] === "0") this.removedBy(frame.payload ?? "");
        break;
      case "CHL":
        void this.ns.send("QRY", [PRODUCT_ID], challengeAnswer(w[2]));
        break;
      case "RNG":
        // `RNG sid address CKI cookie email name …`
        this.ring(w[1], w[2], w[4], bare(w[5]), dec(w[6] ?? w[5]));
        break;
      case "MSG":
        if (w[1] === "Hotmail") void this.hotmail(frame.payload ?? "");
        break;
      case "OUT":
        // Signed in elsewhere in a way that ends this endpoint: no coming back.
        // Anything else (the server shutting down) is a connection to make again.
        if (w[1] === "OTH") {
          window.clearInterval(this.ping);
          this.ns.onClose = () => {};
          this.listener.ended("You signed in somewhere else.");
        }
        break;
    }
    this.listener.changed();
  }

  private addedBy(payload: string) {
    const doc = new DOMParser().parseFromString(payload, "text/xml");
    for (const d of doc.getElementsByTagName("d")) {
      for (const c of d.getElementsByTagName("c")) {
        if (!(Number(c.getAttribute("l")) & 8)) continue;
        const email = `${c.getAttribute("n")}@${d.getAttribute("n")}`.toLowerCase();
        const contact = this.contact(email);
        contact.lists |= 8;
        if (c.getAttribute("f")) contact.name = dec(c.getAttribute("f") ?? email);
        if (!(contact.lists & (ALLOW | BLOCK))) contact.lists |= PENDING;
      }
    }
  }

  private removedBy(payload: string) {
    const doc = new DOMParser().parseFromString(payload, "text/xml");
    for (const d of doc.getElementsByTagName("d")) {
      for (const c of d.getElementsByTagName("c")) {
        const contact = this.contacts.get(`${c.getAttribute("n")}@${d.getAttribute("n")}`.toLowerCase());
        if (contact && Number(c.getAttribute("l")) & 8) contact.lists &= ~(8 | PENDING);
      }
    }
  }

  /// Offline messages waiting (at sign-in) or just left (while appearing offline).
  private async hotmail(payload: string) {
    if (!/x-msmsgs(initialmdata|oim)notification/i.test(payload)) return;
    const data = /Mail-Data:\s*([\s\S]*)$/i.exec(payload)?.[1]?.trim() ?? "";
    try {
      const listed = data.includes("too-large") ? await this.offline.list() : mailData(data);
      const messages = [];
      for (const entry of listed) messages.push(await this.offline.take(entry));
      // By time, then by each sender's own numbering (times are to the second).
      messages.sort(
        (a, b) => a.received.getTime() - b.received.getTime() || a.from.localeCompare(b.from) || (a.sequence ?? 0) - (b.sequence ?? 0),
      );
      for (const message of messages) {
        const conversation = this.conversationWith(message.from);
        conversation.add({ from: message.name || this.contact(message.from).name, text: message.text ?? "", time: message.received, offline: true });
        this.listener.message(conversation, message.name, message.text ?? "");
      }
    } catch (error) {
      this.listener.ended(`Offline messages could not be read: ${(error as Error).message}`);
    }
    this.listener.changed();
  }

  /// The one-to-one conversation with `email`, made if there is none.
  conversationWith(email: string): Conversation {
    const existing = this.conversations.find((c) => c.isWith(email));
    if (existing) return existing;
    const conversation = new Conversation(this, [email]);
    this.conversations.push(conversation);
    return conversation;
  }

  /// A call to a switchboard: a person's call comes into the conversation
  /// already open with them (which moves to the new switchboard).
  private ring(session: string, address: string, cookie: string, email: string, name: string) {
    const conversation = this.conversationWith(email);
    if (this.contact(email).name === email) this.contact(email).name = name;
    conversation.answer(address, cookie, session);
  }

  /// A new switchboard: its address and cookie.
  async switchboard(): Promise<{ address: string; cookie: string }> {
    const xfr = await this.ns.send("XFR", ["SB"]);
    if (xfr.words[0] !== "XFR") throw new Error("A conversation cannot be opened now.");
    return { address: xfr.words[3], cookie: xfr.words[5] };
  }

  async setStatus(status: string) {
    this.me.status = status;
    await this.ns.send("CHG", [status, "0:0", this.msnobjParam()]);
  }

  /// `CHG`'s last word: the picture's MSNObject, or `0` for none.
  private msnobjParam() {
    return this.me.msnobj ? enc(this.me.msnobj) : "0";
  }

  private showPicture(png: Uint8Array) {
    this.me.msnobj = msnObject(this.me.email, png);
    if (this.me.picture) URL.revokeObjectURL(this.me.picture);
    this.me.picture = URL.createObjectURL(new Blob([png as BlobPart], { type: "image/png" }));
  }

  /// A new display picture: stored in the roaming profile, then named in presence.
  async setPicture(png: Uint8Array) {
    await this.storage.setPicture(png);
    this.showPicture(png);
    await this.setStatus(this.me.status);
    this.listener.changed();
  }

  /// The personal message and this endpoint's name, as other clients read them from `UBX`.
  async publish(psm = this.me.psm) {
    this.me.psm = psm;
    await this.ns.send("UUX", [], `<Data><PSM>${escapeXml(psm)}</PSM><CurrentMedia></CurrentMedia><MachineGuid>${this.endpoint}</MachineGuid></Data>`);
    await this.ns.send("UUX", [], `<PrivateEndpointData><EpName>Web browser</EpName><Idle>false</Idle><ClientType>1</ClientType><State>${this.me.status}</State></PrivateEndpointData>`);
  }

  async setName(name: string) {
    const answer = await this.ns.send("PRP", ["MFN", enc(name)]);
    if (isError(answer)) throw new Error("That name cannot be used.");
    this.me.name = name;
    this.listener.changed();
  }

  private async changeLists(email: string, add: number, remove: number) {
    if (remove) await this.ns.send("RML", [], ml([[email, remove]]));
    if (add) {
      const answer = await this.ns.send("ADL", [], ml([[email, add]]));
      if (isError(answer)) throw new Error(answer.words[0] === "208" ? "There is no such account." : "The list cannot be changed now.");
    }
  }

  /// Adds a contact: into the address book, then onto the forward and allow lists.
  async add(email: string) {
    email = email.trim().toLowerCase();
    try {
      await this.book.add(email);
    } catch (error) {
      if (error instanceof ServiceError) throw new Error(/InvalidPassport|ContactDoesNotExist|BadArgument/.test(error.message) ? "There is no such account." : "It cannot be added.");
      throw error;
    }
    const contact = this.contact(email);
    await this.changeLists(email, FORWARD | (contact.lists & BLOCK ? 0 : ALLOW), 0);
    contact.lists |= FORWARD | (contact.lists & BLOCK ? 0 : ALLOW);
    await this.refresh();
  }

  /// Answers someone who added this account: allowed (and added back), or blocked.
  async answerRequest(email: string, accept: boolean) {
    const contact = this.contact(email);
    await this.book.membership("AddMember", accept ? "Allow" : "Block", email);
    await this.book.membership("DeleteMember", "Pending", email).catch(() => {});
    await this.book.membership("AddMember", "Reverse", email).catch(() => {});
    contact.lists = (contact.lists & ~PENDING) | 8;
    if (accept) return this.add(email);
    await this.changeLists(email, BLOCK, 0);
    contact.lists |= BLOCK;
    this.listener.changed();
  }

  async block(email: string, blocked: boolean) {
    const contact = this.contact(email);
    const [from, to] = blocked ? ["Allow", "Block"] : ["Block", "Allow"];
    await this.book.membership("DeleteMember", from, email).catch(() => {});
    await this.book.membership("AddMember", to, email);
    await this.changeLists(email, blocked ? BLOCK : ALLOW, contact.lists & (blocked ? ALLOW : BLOCK));
    contact.lists = (contact.lists & ~(ALLOW | BLOCK)) | (blocked ? BLOCK : ALLOW);
    this.listener.changed();
  }

  /// Takes a contact off the list (the address book and the forward list).
  async remove(email: string) {
    const contact = this.contact(email);
    if (contact.contactId) await this.book.remove(contact.contactId);
    await this.changeLists(email, 0, FORWARD);
    contact.lists &= ~FORWARD;
    contact.groups = [];
    this.listener.changed();
  }

  /// Reads the address book again: contact ids and groups after a change.
  async refresh() {
    const { contacts, groups } = await this.book.load();
    this.groups = groups;
    for (const listed of contacts.values()) {
      const contact = this.contact(listed.email);
      contact.contactId = listed.contactId;
      contact.groups = listed.groups;
      contact.lists = listed.lists | (contact.lists & PENDING && !(listed.lists & (ALLOW | BLOCK)) ? PENDING : 0);
    }
    this.listener.changed();
  }

  async addGroup(name: string) {
    await this.book.addGroup(name);
    await this.refresh();
  }

  async renameGroup(id: string, name: string) {
    await this.book.renameGroup(id, name);
    await this.refresh();
  }

  async deleteGroup(id: string) {
    await this.book.deleteGroup(id);
    await this.refresh();
  }

  /// Moves a contact into `group` (or out of every group, for "").
  async moveToGroup(email: string, group: string) {
    const contact = this.contact(email);
    if (!contact.contactId) await this.refresh();
    if (!contact.contactId) throw new Error("The contact is not in the address book.");
    for (const old of contact.groups) if (old !== group) await this.book.group("ABGroupContactDelete", old, contact.contactId);
    if (group && !contact.groups.includes(group)) await this.book.group("ABGroupContactAdd", group, contact.contactId);
    await this.refresh();
  }

  signOut() {
    window.clearInterval(this.ping);
    this.ns.onClose = () => {};
    this.conversations.forEach((c) => c.close());
    this.ns.post("OUT");
    this.ns.close();
  }
}
