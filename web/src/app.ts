// The browser client of msnpd: an MSNP18 endpoint over WebSockets (/ws/ns
// for the Notification Server, /ws/sb for each conversation), signed in
// through RST.srf, its contact list in the address book. The server has no
// second protocol for it: this is one more Messenger client.

import { shrink } from "./pictures";
import { $, View } from "./view";

const view = new View();
const messenger = view.messenger;
const attempt = (action: () => Promise<unknown>) => void action().catch((e) => view.fail(e));

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = $<HTMLInputElement>("signin-email").value;
  const password = $<HTMLInputElement>("signin-password").value;
  const status = $<HTMLSelectElement>("signin-status").value;
  $("signin-error").textContent = "";
  try {
    await messenger.signIn(email, password, status);
    $("signin-view").hidden = true;
    $("app-view").hidden = false;
    $<HTMLSelectElement>("status").value = status;
    $<HTMLInputElement>("name").value = messenger.me.name;
    view.render();
    $("status").focus();
  } catch (error) {
    $("signin-error").textContent = (error as Error).message;
  }
});

$("status").addEventListener("change", () => attempt(() => messenger.setStatus($<HTMLSelectElement>("status").value)));
$("name-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(() => messenger.setName($<HTMLInputElement>("name").value.trim()));
});
$("psm-form").addEventListener("submit", (event) => {
  event.preventDefault();
  attempt(() => messenger.publish($<HTMLInputElement>("psm").value));
});
$("picture").addEventListener("change", () => {
  const file = $<HTMLInputElement>("picture").files?.[0];
  if (file) attempt(async () => messenger.setPicture(await shrink(file)));
});
$("notify").addEventListener("click", () =>
  attempt(async () => {
    if (!("Notification" in window)) throw new Error("This browser cannot show notifications.");
    const permission = await Notification.requestPermission();
    localStorage.setItem("msnpd-notify", permission === "granted" ? "on" : "off");
    $("notify").textContent = permission === "granted" ? "Notifications are on" : "Notifications are blocked";
  }),
);
if (localStorage.getItem("msnpd-notify") === "on") $("notify").textContent = "Notifications are on";

$("add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("add-email");
  attempt(() => messenger.add(input.value).then(() => (input.value = "")));
});
$("group-add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("group-new");
  attempt(() => messenger.addGroup(input.value.trim()).then(() => (input.value = "")));
});
$("group-edit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $<HTMLInputElement>("group-rename");
  attempt(() => messenger.renameGroup($<HTMLSelectElement>("group-pick").value, name.value.trim()).then(() => (name.value = "")));
});
$("group-delete").addEventListener("click", () => attempt(() => messenger.deleteGroup($<HTMLSelectElement>("group-pick").value)));

/// The one other person of the open conversation.
const other = () => (view.active?.invitees.size === 1 ? [...view.active.invitees][0] : undefined);
$("move").addEventListener("change", () => {
  const email = other();
  if (email) attempt(() => messenger.moveToGroup(email, $<HTMLSelectElement>("move").value));
});
$("block").addEventListener("click", () => {
  const email = other();
  if (email) attempt(() => messenger.block(email, !(messenger.contact(email).lists & 4)));
});
$("remove").addEventListener("click", () => {
  const email = other();
  if (email) attempt(() => messenger.remove(email));
});

$("message-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("message");
  const text = input.value;
  if (!text.trim() || !view.active) return;
  input.value = "";
  void view.active.say(text);
});
$("message").addEventListener("input", () => view.active?.typingNow());
$("nudge").addEventListener("click", () => {
  view.shake();
  attempt(async () => view.active?.nudge());
});
view.buildPicker($<HTMLInputElement>("message"));
$("emoticons-toggle").addEventListener("click", () => {
  const picker = $("emoticons");
  picker.hidden = !picker.hidden;
  $("emoticons-toggle").setAttribute("aria-expanded", String(!picker.hidden));
});
$("invite-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const email = $<HTMLSelectElement>("invite").value;
  if (email && view.active) attempt(() => view.active!.invite(email));
});
$("back").addEventListener("click", () => {
  document.body.dataset.view = "contacts";
  view.render();
});
$("signout").addEventListener("click", () => {
  messenger.signOut();
  location.reload();
});
