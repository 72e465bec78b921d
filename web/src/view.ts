// What the page shows: the contact list (groups, online and offline), the
// conversations with their unread counts, and the one open; notices of new
// messages while the page is hidden (title, notification, sound).

import type { Conversation, Entry } from "./conversation";
import { PICKER, pieces } from "./emoticons";
import { defaultPicture, pictureAddress } from "./pictures";
import { ALLOW, BLOCK, Contact, FORWARD, Listener, Messenger, PENDING } from "./messenger";

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export const STATUS_TEXT: Record<string, string> = {
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

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/// A person's display picture: the one the server has for their MSNObject,
/// else (or if it cannot be had) one drawn from their name.
function picture(email: string, name: string, msnobj: string | undefined, alt = "") {
  const drawn = defaultPicture(email, name);
  const image = element("img", { className: "picture", alt, src: (msnobj && pictureAddress(msnobj)) || drawn });
  image.onerror = () => {
    if (image.src !== drawn) image.src = drawn;
  };
  return image;
}

/// Text with its emoticons as pictures; each keeps its code as its name.
function withEmoticons(text: string): Node[] {
  return pieces(text).map((piece) =>
    typeof piece === "string"
      ? document.createTextNode(piece)
      : element("span", { className: "emoticon", title: piece.code, textContent: piece.emoji, ariaLabel: piece.code, role: "img" }),
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

function when(time: Date) {
  const today = new Date().toDateString() === time.toDateString();
  return (today ? timeFormat : dayFormat).format(time);
}

export class View implements Listener {
  messenger: Messenger;
  active?: Conversation;
  private audio?: AudioContext;

  constructor() {
    this.messenger = new Messenger(this);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.active && this.showingChat()) this.active.unread = 0;
      this.render();
    });
  }

  /// Whether the conversation is what the person sees (on a phone, one view at a time).
  private showingChat() {
    return document.body.dataset.view === "chat" || !window.matchMedia("(max-width: 700px)").matches;
  }

  changed() {
    this.render();
  }

  ended(reason: string) {
    $("app-error").textContent = reason;
  }

  message(conversation: Conversation, from: string, text: string) {
    const seen = conversation === this.active && !document.hidden && this.showingChat();
    if (!seen) conversation.unread++;
    if (!this.active) this.active = conversation;
    if (document.hidden) {
      this.chime();
      if (localStorage.getItem("msnpd-notify") === "on" && "Notification" in window && Notification.permission === "granted") {
        const notice = new Notification(from, { body: text, tag: `conversation-${conversation.id}`, icon: "icon.svg" });
        notice.onclick = () => {
          window.focus();
          this.show(conversation);
        };
      }
    }
    this.render();
  }

  /// A short two-note chime, made here rather than fetched.
  private chime() {
    try {
      this.audio ??= new AudioContext();
      const now = this.audio.currentTime;
      [660, 880].forEach((pitch, i) => {
        const tone = this.audio!.createOscillator();
        const gain = this.audio!.createGain();
        tone.frequency.value = pitch;
        gain.gain.setValueAtTime(0.08, now + i * 0.12);
        gain.gain.exponentialRampToValueAtTime(0.001, now + i * 0.12 + 0.2);
        tone.connect(gain).connect(this.audio!.destination);
        tone.start(now + i * 0.12);
        tone.stop(now + i * 0.12 + 0.2);
      });
    } catch {
      // No sound is no harm.
    }
  }

  show(conversation: Conversation) {
    this.active = conversation;
    conversation.unread = 0;
    document.body.dataset.view = "chat";
    this.render();
  }

  fail(error: unknown) {
    $("app-error").textContent = (error as Error).message;
  }

  render() {
    const m = this.messenger;
    $("me-email").textContent = m.me.email;
    $("me-name").textContent = m.me.name;
    $("me-dot").className = `dot ${m.me.status === "HDN" ? "FLN" : m.me.status}`;
    const mine = m.me.picture || defaultPicture(m.me.email, m.me.name);
    if ($<HTMLImageElement>("me-picture").src !== mine) $<HTMLImageElement>("me-picture").src = mine;
    const unread = m.conversations.reduce((n, c) => n + c.unread, 0);
    document.title = unread ? `(${unread}) Messenger` : "Messenger";
    this.renderContacts();
    this.renderRequests();
    this.renderGroups();
    this.renderRecent();
    this.renderTabs();
    this.renderChat();
  }

  private contactButton(c: Contact) {
    const status = STATUS_TEXT[c.status] ?? c.status;
    const blocked = c.lists & BLOCK ? ", blocked" : "";
    const button = element("button", { type: "button", className: "contact" });
    button.dataset.email = c.email;
    button.append(
      picture(c.email, c.name, c.msnobj),
      element("span", { className: `dot ${c.status}`, ariaHidden: "true" }),
      element("span", { className: "name" }, ...withEmoticons(c.name), element("span", { className: "muted" }, ` (${status}${blocked})`)),
    );
    const unread = this.messenger.conversations.find((x) => x.isWith(c.email))?.unread ?? 0;
    if (unread) button.append(element("span", { className: "badge" }, String(unread)));
    if (c.psm) button.append(element("span", { className: "psm" }, ...withEmoticons(c.psm)));
    if (c.media) button.append(element("span", { className: "psm" }, c.media));
    const news = unread ? `, ${unread} unread` : "";
    const said = [c.psm, c.media].filter(Boolean).join(", ");
    button.setAttribute("aria-label", `Chat with ${c.name}, ${status}${blocked}${news}${said ? `: ${said}` : ""}`);
    button.onclick = () => this.show(this.messenger.conversationWith(c.email));
    return element("li", {}, button);
  }

  /// WLM's grouped view: each group's online contacts, then everyone offline.
  private renderContacts() {
    const m = this.messenger;
    const listed = [...m.contacts.values()].filter((c) => c.lists & FORWARD).sort((a, b) => a.name.localeCompare(b.name));
    const online = listed.filter((c) => c.status !== "FLN");
    const offline = listed.filter((c) => c.status === "FLN");
    const sections: [string, Contact[]][] = [];
    for (const group of m.groups) sections.push([group.name, online.filter((c) => c.groups.includes(group.id))]);
    const known = new Set(m.groups.map((g) => g.id));
    const ungrouped = online.filter((c) => !c.groups.some((g) => known.has(g)));
    sections.push([m.groups.length ? "Other contacts" : "Online", ungrouped]);
    sections.push(["Offline", offline]);
    const focused = document.activeElement?.getAttribute("data-email");
    $("contact-list").replaceChildren(
      ...sections.map(([title, contacts], i) => {
        const id = `section-${i}`;
        return element(
          "section",
          { className: "group" },
          element("h3", { id }, `${title} (${contacts.length})`),
          element("ul", {}, ...contacts.map((c) => this.contactButton(c))),
        );
      }),
    );
    if (focused) $("contact-list").querySelector<HTMLElement>(`[data-email="${CSS.escape(focused)}"]`)?.focus();
  }

  private renderRequests() {
    const m = this.messenger;
    const asking = [...m.contacts.values()].filter((c) => c.lists & PENDING);
    $("requests-box").hidden = asking.length === 0;
    $("requests").replaceChildren(
      ...asking.map((c) => {
        const accept = element("button", { type: "button", textContent: `Accept ${c.name}` });
        accept.onclick = () => void m.answerRequest(c.email, true).catch((e) => this.fail(e));
        const decline = element("button", { type: "button", className: "secondary", textContent: `Decline ${c.name}` });
        decline.onclick = () => void m.answerRequest(c.email, false).catch((e) => this.fail(e));
        return element("li", {}, `${c.name} (${c.email}) added you. `, accept, " ", decline);
      }),
    );
  }

  private renderGroups() {
    const groups = this.messenger.groups;
    const pick = $<HTMLSelectElement>("group-pick");
    const chosen = pick.value;
    pick.replaceChildren(...groups.map((g) => new Option(g.name, g.id)));
    if (groups.some((g) => g.id === chosen)) pick.value = chosen;
    $("group-edit-form").hidden = groups.length === 0;
  }

  private renderRecent() {
    const conversations = this.messenger.conversations;
    $("recent-box").hidden = conversations.length === 0;
    $("recent").replaceChildren(
      ...conversations.map((c) => {
        const button = element("button", { type: "button", className: "contact" }, c.title());
        if (c.unread) button.append(element("span", { className: "badge" }, String(c.unread)));
        button.setAttribute("aria-label", `Conversation with ${c.title()}${c.unread ? `, ${c.unread} unread` : ""}`);
        button.onclick = () => this.show(c);
        return element("li", {}, button);
      }),
    );
  }

  private renderTabs() {
    $("tabs").replaceChildren(
      ...this.messenger.conversations.map((c) => {
        const tab = element("button", { type: "button", role: "tab" });
        tab.setAttribute("aria-selected", String(c === this.active));
        tab.append(c.title());
        if (c.unread) tab.append(" ", element("span", { className: "badge", ariaLabel: `${c.unread} unread` }, String(c.unread)));
        tab.onclick = () => this.show(c);
        return tab;
      }),
    );
  }

  private entry(entry: Entry) {
    const item = element("li", { className: entry.event ? "event" : entry.mine ? "mine" : "theirs" });
    const time = element("time", { className: "time", dateTime: entry.time.toISOString(), textContent: when(entry.time) });
    if (entry.event) {
      item.append(time, " ", entry.from ? `${entry.from} ${entry.text}` : entry.text);
      return item;
    }
    item.append(time, " ", element("span", { className: "from" }, `${entry.from}: `), ...withEmoticons(entry.text));
    if (entry.offline) item.append(" ", element("span", { className: "note" }, entry.mine ? "(left as an offline message)" : "(sent while you were offline)"));
    if (entry.failed) {
      item.classList.add("failed");
      item.append(" ", element("strong", { className: "error" }, "Not delivered"));
    }
    return item;
  }

  private renderChat() {
    const m = this.messenger;
    const active = this.active;
    $("chat").hidden = !active;
    $("chat-title").textContent = active ? active.title() : "Conversations";
    if (!active) return;
    if (!document.hidden && this.showingChat()) active.unread = 0;
    const people = [...active.invitees].map((email) => m.contact(email));
    $("chat-with").replaceChildren(
      ...people.map((c) =>
        element(
          "p",
          { className: "with" },
          picture(c.email, c.name, c.msnobj, `Picture of ${c.name}`),
          element("span", { className: `dot ${c.status}`, ariaHidden: "true" }),
          element("strong", {}, ...withEmoticons(c.name)),
          ` ${c.email} · ${STATUS_TEXT[c.status] ?? c.status}`,
          ...(c.psm ? [" · ", element("em", {}, ...withEmoticons(c.psm))] : []),
          ...(c.media ? [" · ", element("em", {}, c.media)] : []),
        ),
      ),
    );
    const one = people.length === 1 ? people[0] : undefined;
    $("contact-actions").hidden = !one || !(one.lists & (FORWARD | ALLOW | BLOCK));
    if (one) {
      $("block").textContent = one.lists & BLOCK ? "Unblock" : "Block";
      $("remove").hidden = !(one.lists & FORWARD);
      const move = $<HTMLSelectElement>("move");
      move.replaceChildren(new Option("No group", ""), ...m.groups.map((g) => new Option(g.name, g.id)));
      move.value = one.groups.find((g) => m.groups.some((x) => x.id === g)) ?? "";
      move.disabled = !(one.lists & FORWARD);
    }
    const log = $("log");
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.replaceChildren(...active.log.map((e) => this.entry(e)));
    if (atBottom) log.scrollTop = log.scrollHeight;
    $("typing").textContent = active.typing;
    const invite = $<HTMLSelectElement>("invite");
    invite.replaceChildren(
      ...[...m.contacts.values()]
        .filter((c) => c.lists & FORWARD && c.status !== "FLN" && !active.invitees.has(c.email))
        .map((c) => new Option(c.name, c.email)),
    );
    $("invite-form").hidden = invite.options.length === 0;
  }

  /// The emoticon picker: each inserts its code where the cursor is.
  buildPicker(input: HTMLInputElement) {
    $("emoticons").replaceChildren(
      ...PICKER.map(({ code, emoji }) => {
        const button = element("button", { type: "button", className: "pick", textContent: emoji, title: code });
        button.setAttribute("aria-label", `Insert ${code}`);
        button.onclick = () => {
          const at = input.selectionStart ?? input.value.length;
          input.value = `${input.value.slice(0, at)}${code}${input.value.slice(input.selectionEnd ?? at)}`;
          input.focus();
          input.setSelectionRange(at + code.length, at + code.length);
        };
        return button;
      }),
    );
  }

  nudged(conversation: Conversation) {
    if (conversation === this.active) this.shake();
  }

  shake() {
    $("chat").animate(
      [{ transform: "translateX(0)" }, { transform: "translateX(-8px)" }, { transform: "translateX(8px)" }, { transform: "translateX(0)" }],
      { duration: 120, iterations: 4 },
    );
  }
}
