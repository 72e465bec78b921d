// The HTTP services an MSNP18 client uses beside its Notification Server,
// all on the page's own origin: RST.srf (the Passport tokens), the address
// book and sharing services (the contact list), and offline messages (OIM
// to leave one, RSI to read them).

import { PRODUCT_ID, challengeAnswer, fromBase64, toBase64 } from "./crypto";

export class ServiceError extends Error {}

const AB_NS = "http://www.msn.com/webservices/AddressBook";
const OIM_NS = "http://messenger.msn.com/ws/2004/09/oim/";
const RSI_NS = "http://www.hotmail.msn.com/ws/2004/09/oim/rsi";

export function escapeXml(text: string) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function parseXml(text: string): Document {
  return new DOMParser().parseFromString(text, "text/xml");
}

/// Every element named `name` (any namespace) under `root`.
function all(root: Document | Element, name: string): Element[] {
  return [...root.getElementsByTagNameNS("*", name)];
}

function text(root: Document | Element, name: string): string | undefined {
  return all(root, name)[0]?.textContent ?? undefined;
}

/// A SOAP fault's most specific code (`errorcode`, `ErrorCode` or `faultcode`).
function faultCode(doc: Document): string | undefined {
  if (!all(doc, "Fault").length) return undefined;
  return text(doc, "errorcode") ?? text(doc, "ErrorCode") ?? text(doc, "faultcode") ?? "Fault";
}

async function post(path: string, body: string, action?: string): Promise<Document> {
  const headers: Record<string, string> = { "Content-Type": "text/xml; charset=utf-8" };
  if (action) headers.SOAPAction = action;
  let response: Response;
  try {
    response = await fetch(path, { method: "POST", headers, body, cache: "no-store" });
  } catch {
    throw new ServiceError("The server cannot be reached.");
  }
  return parseXml(await response.text());
}

/// What RST.srf issues: one ticket per service, and the proof key of Messenger's.
export interface Tokens {
  messenger: string;
  secret: Uint8Array;
  contacts: string;
  /// messenger.msn.com: reading offline messages.
  web: string;
  /// messengersecure.live.com: leaving offline messages.
  secure: string;
  storage: string;
}

const WANTED: [string, string][] = [
  ["http://Passport.NET/tb", ""],
  ["messengerclear.live.com", "MBI_KEY_OLD"],
  ["messenger.msn.com", "?id=507"],
  ["contacts.msn.com", "MBI"],
  ["messengersecure.live.com", "MBI_SSL"],
  ["storage.msn.com", "MBI"],
];

export async function passportTokens(email: string, password: string): Promise<Tokens> {
  const requests = WANTED.map(
    ([address, policy], i) =>
      `<wst:RequestSecurityToken Id="RST${i}"><wst:RequestType>http://schemas.xmlsoap.org/ws/2004/04/security/trust/Issue</wst:RequestType>` +
      `<wsp:AppliesTo><wsa:EndpointReference><wsa:Address>${address}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>` +
      (policy ? `<wsse:PolicyReference URI="${escapeXml(policy)}"></wsse:PolicyReference>` : "") +
      `</wst:RequestSecurityToken>`,
  ).join("");
  const body =
    `<?xml version="1.0" encoding="UTF-8"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="http://schemas.xmlsoap.org/ws/2003/06/secext" ` +
    `xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:wsp="http://schemas.xmlsoap.org/ws/2002/12/policy" ` +
    `xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" ` +
    `xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/03/addressing" xmlns:wssc="http://schemas.xmlsoap.org/ws/2004/04/sc" ` +
    `xmlns:wst="http://schemas.xmlsoap.org/ws/2004/04/trust"><Header>` +
    `<ps:AuthInfo xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL" Id="PPAuthInfo">` +
    `<ps:HostingApp>{7108E71A-9926-4FCB-BCC9-9A9D3F32E423}</ps:HostingApp><ps:BinaryVersion>4</ps:BinaryVersion>` +
    `<ps:UIVersion>1</ps:UIVersion><ps:Cookies></ps:Cookies><ps:RequestParams>AQAAAAIAAABsYwQAAAAxMDMz</ps:RequestParams></ps:AuthInfo>` +
    `<wsse:Security><wsse:UsernameToken Id="user"><wsse:Username>${escapeXml(email)}</wsse:Username>` +
    `<wsse:Password>${escapeXml(password)}</wsse:Password></wsse:UsernameToken></wsse:Security></Header><Body>` +
    `<ps:RequestMultipleSecurityTokens xmlns:ps="http://schemas.microsoft.com/Passport/SoapServices/PPCRL" Id="RSTS">${requests}` +
    `</ps:RequestMultipleSecurityTokens></Body></Envelope>`;
  const doc = await post("/RST.srf", body);
  const fault = faultCode(doc);
  if (fault) throw new ServiceError(/FailedAuthentication/.test(fault) ? "Wrong email address or password." : "Passport refused the sign-in.");
  const tickets = new Map<string, { ticket: string; secret?: string }>();
  for (const response of all(doc, "RequestSecurityTokenResponse")) {
    const address = text(response, "Address");
    const ticket = text(response, "BinarySecurityToken") ?? text(response, "CipherValue");
    if (address && ticket) tickets.set(address, { ticket, secret: text(response, "BinarySecret") });
  }
  const get = (address: string) => {
    const found = tickets.get(address);
    if (!found) throw new ServiceError(`Passport issued no ticket for ${address}.`);
    return found;
  };
  const messenger = get("messengerclear.live.com");
  if (!messenger.secret) throw new ServiceError("Passport issued no proof key.");
  return {
    messenger: messenger.ticket,
    secret: fromBase64(messenger.secret),
    contacts: get("contacts.msn.com").ticket,
    web: get("messenger.msn.com").ticket,
    secure: get("messengersecure.live.com").ticket,
    storage: get("storage.msn.com").ticket,
  };
}

/// A contact as the address book and the sharing service list it.
export interface Listed {
  email: string;
  name: string;
  /// Forward 1, allow 2, block 4, reverse 8, pending 16.
  lists: number;
  contactId?: string;
  groups: string[];
}

export interface Group {
  id: string;
  name: string;
}

const ROLE_BITS: Record<string, number> = { Allow: 2, Block: 4, Reverse: 8, Pending: 16 };

/// The address book (`ABFindAll`, `FindMembership`, …) as one signed-in user.
export class AddressBook {
  constructor(private ticket: string, private owner: string) {}

  private async call(service: "abservice" | "SharingService", action: string, scenario: string, operation: string) {
    const body =
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ` +
      `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
      `<soap:Header><ABApplicationHeader xmlns="${AB_NS}"><ApplicationId>CFE80F9D-180F-4399-82AB-413F33A1FA11</ApplicationId>` +
      `<IsMigration>false</IsMigration><PartnerScenario>${scenario}</PartnerScenario></ABApplicationHeader>` +
      `<ABAuthHeader xmlns="${AB_NS}"><ManagedGroupRequest>false</ManagedGroupRequest><TicketToken>${escapeXml(this.ticket)}</TicketToken></ABAuthHeader>` +
      `</soap:Header><soap:Body>${operation}</soap:Body></soap:Envelope>`;
    const path = service === "abservice" ? "/abservice/abservice.asmx" : "/abservice/SharingService.asmx";
    return post(path, body, `${AB_NS}/${action}`);
  }

  private async checked(service: "abservice" | "SharingService", action: string, scenario: string, operation: string) {
    const doc = await this.call(service, action, scenario, operation);
    const fault = faultCode(doc);
    if (fault) throw new ServiceError(fault);
    return doc;
  }

  /// The whole list, and the owner's own display name.
  async load(): Promise<{ me: string; contacts: Map<string, Listed>; groups: Group[] }> {
    const findAll = `<ABFindAll xmlns="${AB_NS}"><abId>00000000-0000-0000-0000-000000000000</abId><abView>Full</abView><deltasOnly>false</deltasOnly><lastChange>0001-01-01T00:00:00.0000000-08:00</lastChange></ABFindAll>`;
    let book = await this.call("abservice", "ABFindAll", "Initial", findAll);
    if (faultCode(book) === "ABDoesNotExist") {
      // A new account: its address book is made on first use, as WLM does.
      const add = `<ABAdd xmlns="${AB_NS}"><abInfo><name /><ownerPuid>0</ownerPuid><ownerEmail>${escapeXml(this.owner)}</ownerEmail><fDefault>true</fDefault></abInfo></ABAdd>`;
      await this.checked("abservice", "ABAdd", "Initial", add);
      book = await this.call("abservice", "ABFindAll", "Initial", findAll);
    }
    const fault = faultCode(book);
    if (fault) throw new ServiceError(`The address book refused: ${fault}`);
    const contacts = new Map<string, Listed>();
    const groups = all(book, "Group").flatMap((g) => {
      const id = text(g, "groupId");
      return id ? [{ id, name: text(g, "name") ?? id }] : [];
    });
    let me = this.owner;
    for (const contact of all(book, "Contact")) {
      const email = text(contact, "passportName")?.toLowerCase();
      const name = text(contact, "displayName");
      if (text(contact, "contactType") === "Me") {
        if (name) me = name;
        continue;
      }
      if (!email) continue;
      const listed: Listed = {
        email,
        name: name || email,
        lists: text(contact, "isMessengerUser") === "true" ? 1 : 0,
        contactId: text(contact, "contactId"),
        groups: all(contact, "guid").map((g) => g.textContent ?? ""),
      };
      contacts.set(email, listed);
    }
    const members = await this.checked(
      "SharingService",
      "FindMembership",
      "Initial",
      `<FindMembership xmlns="${AB_NS}"><serviceFilter><Types><ServiceType>Messenger</ServiceType></Types></serviceFilter></FindMembership>`,
    );
    for (const membership of all(members, "Membership")) {
      const bit = ROLE_BITS[text(membership, "MemberRole") ?? ""];
      if (!bit) continue;
      for (const member of all(membership, "Member")) {
        const email = text(member, "PassportName")?.toLowerCase();
        if (!email) continue;
        const listed = contacts.get(email) ?? { email, name: text(member, "DisplayName") || email, lists: 0, groups: [] };
        listed.lists |= bit;
        contacts.set(email, listed);
      }
    }
    return { me, contacts, groups };
  }

  /// Adds a Messenger buddy (who is asked, unless they allowed this user already).
  async add(email: string): Promise<void> {
    await this.checked(
      "abservice",
      "ABContactAdd",
      "ContactSave",
      `<ABContactAdd xmlns="${AB_NS}"><abId>00000000-0000-0000-0000-000000000000</abId><contacts><Contact xmlns="${AB_NS}">` +
        `<contactInfo><contactType>LivePending</contactType><passportName>${escapeXml(email)}</passportName><isMessengerUser>true</isMessengerUser>` +
        `<MessengerMemberInfo><DisplayName>${escapeXml(email)}</DisplayName></MessengerMemberInfo></contactInfo></Contact></contacts>` +
        `<options><EnableAllowListManagement>true</EnableAllowListManagement></options></ABContactAdd>`,
    );
  }

  /// Takes a contact out of the address book (and so off the forward list).
  async remove(contactId: string): Promise<void> {
    await this.checked(
      "abservice",
      "ABContactDelete",
      "Timer",
      `<ABContactDelete xmlns="${AB_NS}"><abId>00000000-0000-0000-0000-000000000000</abId><contacts><Contact><contactId>${escapeXml(contactId)}</contactId></Contact></contacts></ABContactDelete>`,
    );
  }

  /// Makes a group; its id.
  async addGroup(name: string): Promise<string> {
    const doc = await this.checked(
      "abservice",
      "ABGroupAdd",
      "GroupSave",
      `<ABGroupAdd xmlns="${AB_NS}"><abId>00000000-0000-0000-0000-000000000000</abId><groupAddOptions><fRenameOnMsgrConflict>false</fRenameOnMsgrConflict></groupAddOptions>` +
        `<groupInfo><GroupInfo><name>${escapeXml(name)}</name><groupType>C8529CE2-6EAD-434d-881F-341E17DB3FF8</groupType><fMessenger>false</fMessenger>` +
        `<annotations><Annotation><Name>MSN.IM.Display</Name><Value>1</Value></Annotation></annotations></GroupInfo></groupInfo></ABGroupAdd>`,
    );
    return text(doc, "guid") ?? "";
  }

  async renameGroup(id: string, name: string): Promise<void> {
    await this.checked(
      "abservice",
      "ABGroupUpdate",
      "GroupSave",
      `<ABGroupUpdate xmlns="${AB_NS}"><abId>00000000-0000-0000-0000-000000000000</abId><groups><Group><groupId>${escapeXml(id)}</groupId>` +
        `<groupInfo><name>${escapeXml(name)}</name></groupInfo><propertiesChanged>GroupName</propertiesChanged></Group></groups></ABGroupUpdate>`,
    );
  }

  async deleteGroup(id: string): Promise<void> {
    await this.checked(
      "abservice",
      "ABGroupDelete",
      "Timer",
      `<ABGroupDelete xmlns="${AB_NS}"><abId>00000000-0000-0000-0000-000000000000</abId><groupFilter><groupIds><guid>${escapeXml(id)}</guid></groupIds></groupFilter></ABGroupDelete>`,
    );
  }

  /// Puts a contact into a group, or takes it out.
  async group(request: "ABGroupContactAdd" | "ABGroupContactDelete", id: string, contactId: string): Promise<void> {
    await this.checked(
      "abservice",
      request,
      "GroupSave",
      `<${request} xmlns="${AB_NS}"><abId>00000000-0000-0000-0000-000000000000</abId><groupFilter><groupIds><guid>${escapeXml(id)}</guid></groupIds></groupFilter>` +
        `<contacts><Contact><contactId>${escapeXml(contactId)}</contactId></Contact></contacts></${request}>`,
    );
  }

  /// `AddMember` / `DeleteMember` of one role (Allow, Block, Reverse, Pending).
  async membership(request: "AddMember" | "DeleteMember", role: string, email: string): Promise<void> {
    await this.checked(
      "SharingService",
      request,
      "BlockUnblock",
      `<${request} xmlns="${AB_NS}"><serviceHandle><Id>0</Id><Type>Messenger</Type><ForeignId></ForeignId></serviceHandle>` +
        `<memberships><Membership><MemberRole>${role}</MemberRole><Members><Member xsi:type="PassportMember" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
        `<Type>Passport</Type><State>Accepted</State><PassportName>${escapeXml(email)}</PassportName></Member></Members></Membership></memberships></${request}>`,
    );
  }
}

const STORAGE_NS = "http://www.msn.com/webservices/storage/w10";

/// The storage service: the roaming profile's display picture, which WLM
/// 2009 on another machine reads too.
export class Storage {
  constructor(private ticket: string) {}

  private async call(operation: string): Promise<Document> {
    const action = /^<(\w+)/.exec(operation)?.[1] ?? "";
    const body =
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
      `<soap:Header><StorageApplicationHeader xmlns="${STORAGE_NS}"><ApplicationID>Messenger Client 9.0</ApplicationID><Scenario>Initial</Scenario></StorageApplicationHeader>` +
      `<StorageUserHeader xmlns="${STORAGE_NS}"><Puid>0</Puid><TicketToken>${escapeXml(this.ticket)}</TicketToken></StorageUserHeader></soap:Header>` +
      `<soap:Body>${operation}</soap:Body></soap:Envelope>`;
    const doc = await post("/storageservice/SchematizedStore.asmx", body, `http://www.msn.com/webservices/storage/w10/${action}`);
    const fault = faultCode(doc);
    if (fault) throw new ServiceError(/QuotaExceeded/.test(fault) ? "The picture is too large." : "The picture could not be stored.");
    return doc;
  }

  /// The stored picture's bytes, if there is one.
  async picture(): Promise<Uint8Array | undefined> {
    const doc = await this.call(
      `<GetProfile xmlns="${STORAGE_NS}"><profileHandle><Alias><Name>0</Name><NameSpace>MyCidStuff</NameSpace></Alias><RelationshipName>MyProfile</RelationshipName></profileHandle>` +
        `<profileAttributes><ResourceID>true</ResourceID><DateModified>true</DateModified><ExpressionProfileAttributes><ResourceID>true</ResourceID><DisplayName>true</DisplayName><PersonalStatus>true</PersonalStatus><StaticUserTilePublicURL>true</StaticUserTilePublicURL><Photo>true</Photo></ExpressionProfileAttributes></profileAttributes></GetProfile>`,
    );
    const address = text(doc, "PreAuthURL");
    if (!address) return undefined;
    // The address is absolute (the server's public name); the page asks its own origin.
    const url = new URL(address, location.href);
    const response = await fetch(url.pathname + url.search, { cache: "no-store" });
    return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
  }

  /// Stores `png` as the profile's display picture.
  async setPicture(png: Uint8Array): Promise<void> {
    await this.call(
      `<CreateDocument xmlns="${STORAGE_NS}"><parentHandle><RelationshipName>/UserTiles</RelationshipName><Alias><Name>0</Name><NameSpace>MyCidStuff</NameSpace></Alias></parentHandle>` +
        `<document xsi:type="Photo"><Name>UserTile</Name><DocumentStreams><DocumentStream xsi:type="PhotoStream"><DocumentStreamType>UserTileStatic</DocumentStreamType>` +
        `<MimeType>image/png</MimeType><Data>${toBase64(png)}</Data><DataSize>0</DataSize></DocumentStream></DocumentStreams></document>` +
        `<relationshipName>Messenger User Tile</relationshipName></CreateDocument>`,
    );
  }
}

/// An offline message as RSI lists it.
export interface OfflineMessage {
  id: string;
  from: string;
  name: string;
  received: Date;
  text?: string;
  /// The sender's numbering (`X-OIM-Sequence-Num`): the order within a second.
  sequence?: number;
}

function mimeWord(text: string): string {
  const match = /^=\?utf-8\?B\?([^?]*)\?=$/i.exec(text.trim());
  return match ? new TextDecoder().decode(fromBase64(match[1])) : text;
}

/// The entries of a `Mail-Data` document (in a notification or from GetMetadata).
export function mailData(xml: string): OfflineMessage[] {
  const doc = parseXml(xml);
  return all(doc, "M").map((m) => ({
    id: text(m, "I") ?? "",
    from: (text(m, "E") ?? "").toLowerCase(),
    name: mimeWord(text(m, "N") ?? ""),
    received: new Date(text(m, "RT") ?? Date.now()),
  }));
}

/// Offline messages: reading (RSI, messenger.msn.com ticket) and leaving (OIM).
export class Offline {
  private lockKey = "";
  private sequence = 1;
  private readonly runId = `{${crypto.randomUUID().toUpperCase()}}`;

  constructor(private tokens: Tokens, private me: { email: string; name: string }) {}

  private async rsi(operation: string): Promise<Document> {
    const [t, p] = this.tokens.web.replace(/^t=/, "").split("&p=");
    const body =
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>` +
      `<PassportCookie xmlns="${RSI_NS}"><t>${escapeXml(t)}</t><p>${escapeXml(p ?? "")}</p></PassportCookie></soap:Header>` +
      `<soap:Body>${operation}</soap:Body></soap:Envelope>`;
    const doc = await post("/rsi/rsi.asmx", body, `${RSI_NS}/${/^<(\w+)/.exec(operation)?.[1]}`);
    const fault = faultCode(doc);
    if (fault) throw new ServiceError(fault);
    return doc;
  }

  /// What is waiting, when the notification did not list it.
  async list(): Promise<OfflineMessage[]> {
    const doc = await this.rsi(`<GetMetadata xmlns="${RSI_NS}" />`);
    const md = all(doc, "MD")[0];
    return md ? mailData(new XMLSerializer().serializeToString(md)) : [];
  }

  /// One message's text, then deleted from the server (it is shown now).
  async take(message: OfflineMessage): Promise<OfflineMessage> {
    const doc = await this.rsi(`<GetMessage xmlns="${RSI_NS}"><messageId>${escapeXml(message.id)}</messageId><alsoMarkAsRead>true</alsoMarkAsRead></GetMessage>`);
    const whole = (text(doc, "GetMessageResult") ?? "").replace(/\r\n/g, "\n");
    const split = whole.indexOf("\n\n");
    const head = whole.slice(0, split < 0 ? whole.length : split);
    const body = split < 0 ? "" : whole.slice(split + 2);
    const base64 = /Content-Transfer-Encoding:\s*base64/i.test(head);
    const date = /^Date:\s*(.+)$/im.exec(head)?.[1];
    const sequence = Number(/^X-OIM-Sequence-Num:\s*(\d+)/im.exec(head)?.[1] ?? 0);
    await this.rsi(`<DeleteMessages xmlns="${RSI_NS}"><messageIds><messageId>${escapeXml(message.id)}</messageId></messageIds></DeleteMessages>`);
    return {
      ...message,
      received: date ? new Date(date) : message.received,
      sequence,
      text: base64 ? new TextDecoder().decode(fromBase64(body.replace(/\s+/g, ""))) : body,
    };
  }

  /// Leaves `text` for `to`: the first attempt earns a lock-key challenge, answered as `QRY` is.
  async leave(to: string, message: string): Promise<void> {
    const content =
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n` +
      `X-OIM-Message-Type: OfflineMessage\r\nX-OIM-Run-Id: ${this.runId}\r\nX-OIM-Sequence-Num: ${this.sequence}\r\n\r\n` +
      toBase64(new TextEncoder().encode(message));
    const name = `=?utf-8?B?${toBase64(new TextEncoder().encode(this.me.name))}?=`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const body =
        `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>` +
        `<From memberName="${escapeXml(this.me.email)}" friendlyName="${escapeXml(name)}" xml:lang="en-US" proxy="MSNMSGR" xmlns="${OIM_NS}" msnpVer="MSNP18" buildVer="14.0.8117.0416"/>` +
        `<To memberName="${escapeXml(to)}" xmlns="${OIM_NS}"/>` +
        `<Ticket passport="${escapeXml(this.tokens.secure)}" appid="${escapeXml(PRODUCT_ID)}" lockkey="${this.lockKey}" xmlns="${OIM_NS}"/>` +
        `<Sequence xmlns="http://schemas.xmlsoap.org/ws/2003/03/rm"><Identifier xmlns="http://schemas.xmlsoap.org/ws/2002/07/utility">http://messenger.msn.com</Identifier><MessageNumber>${this.sequence}</MessageNumber></Sequence></soap:Header>` +
        `<soap:Body><MessageType xmlns="${OIM_NS}">text</MessageType><Content xmlns="${OIM_NS}">${escapeXml(content)}</Content></soap:Body></soap:Envelope>`;
      const doc = await post("/OimWS/oim.asmx", body, "http://messenger.live.com/ws/2006/09/oim/Store2");
      const fault = faultCode(doc);
      if (!fault) {
        this.sequence++;
        return;
      }
      const challenge = text(doc, "LockKeyChallenge");
      if (!challenge) throw new ServiceError(/QuotaExceeded/.test(fault) ? "Their inbox is full." : /InvalidRecipient/.test(fault) ? "They cannot receive offline messages from you." : "The message could not be left.");
      this.lockKey = challengeAnswer(challenge);
    }
    throw new ServiceError("The message could not be left.");
  }
}
