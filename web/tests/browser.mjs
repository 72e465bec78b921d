// End to end in a real browser (Debian's Chromium, driven by playwright-core),
// against msnp-client users (MSNP18): a person signs up in the page, signs in
// on a phone-sized screen and finds a request and an offline message, signs
// in on a desktop too (two endpoints), chats with emoticons, is notified of a
// message while the tab is hidden, leaves an offline message, invites a third
// person, manages groups, blocks and removes; controls are named and text
// legible in each view. Then the operator's dashboard shows live figures
// while `msnp bench soak` runs. Screenshots go to docs/screenshots/
// ($SCREENSHOTS). Exits non-zero on any failure.
//
// Environment: MSNPD_BIN, MSNP_BIN (default: target/debug of the checkout),
// CHROMIUM (default /usr/bin/chromium).
import { spawn, execFile, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { crc32, deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const checkout = resolve(here, "../..");
const msnpd = process.env.MSNPD_BIN ?? join(checkout, "target/debug/msnpd");
const msnp = process.env.MSNP_BIN ?? join(checkout, "target/debug/msnp");
const shots = process.env.SCREENSHOTS ?? join(checkout, "docs/screenshots");
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "msnpd-browser-"));
const database = `sqlite://${join(work, "msnpd.db")}`;
const env = { ...process.env, HOME: work, XDG_CONFIG_HOME: join(work, "config"), MSNPD_ARGON2_MEMORY_KIB: "64", MSNPD_ARGON2_ITERATIONS: "1", NO_COLOR: "1" };
const children = [];
let browser;

function cleanup() {
  for (const child of children) child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}

function fail(message) {
  console.error(`FAIL ${message}`);
  return browser?.close().finally(() => {
    cleanup();
    process.exit(1);
  }) ?? (cleanup(), process.exit(1));
}

/// Lines of a child's stdout (or stderr), awaited one by one with a timeout.
function lines(stream) {
  const queue = [];
  const waiters = [];
  createInterface({ input: stream }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  return {
    async until(test, what, ms = 15000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const line =
          queue.shift() ??
          (await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), deadline - Date.now());
            waiters.push((l) => {
              clearTimeout(timer);
              resolve(l);
            });
          }));
        if (test(line)) return line;
      }
    },
  };
}

async function step(name, action) {
  try {
    await action();
    console.log(`ok ${name}`);
  } catch (error) {
    if (process.env.FAILSHOTS) for (const [i, p] of (browser?.contexts() ?? []).flatMap((c) => c.pages()).entries()) await p.screenshot({ path: join(process.env.FAILSHOTS, `fail-${i}.png`) }).catch(() => {});
    await fail(`${name}: ${error.message}`);
  }
}

// The server, on free ports, with the operator's dashboard on.
const operator = join(work, "operator");
writeFileSync(operator, "operator-secret\n", { mode: 0o600 });
// With MSNPSharp in the run, everyone reaches the server across a 5 ms
// latency proxy (.ci/latency.py, bytes unchanged) named in its referrals, as
// .ci/real-clients does: on loopback, with replies within microseconds,
// MSNPSharp 3.2.1 loses races of its own (docs/clients.md).
const msnpsharp = Boolean(process.env.MSNPSHARP_DLL);
const front = "127.0.1.1";
const server = spawn(
  msnpd,
  ["serve", "--ns-listen", "127.0.0.1:0", "--sb-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--database", database, "--admin-password-file", operator, ...(msnpsharp ? ["--public-host", front] : [])],
  { env, stdio: ["ignore", "ignore", "pipe"] },
);
children.push(server);
const listening = await lines(server.stderr).until((l) => l.includes("msnpd listening"), "the server");
const address = (key) => / ns=| notification=| http=/.test(listening) && listening.match(new RegExp(` ${key}=([0-9.:]+)`))[1];
const http = `http://${address("http")}`;
const ns = address("notification");
const port = (key) => address(key).split(":").pop();
if (msnpsharp) {
  const proxy = spawn("python3", [join(checkout, ".ci/latency.py"), "5", front, "127.0.0.1", port("ns"), port("notification"), port("sb"), port("http")], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(proxy);
  await lines(proxy.stdout).until((l) => l.includes("ready"), "the latency proxy");
}
execFileSync(msnpd, ["user", "add", "bob@example.com", "--password", "bob-secret", "--nick", "Bob", "--database", database], { env });

browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
await context.grantPermissions(["notifications"], { origin: http });
const page = await context.newPage();
page.setDefaultTimeout(15000);
const msnpArgs = ["--server", ns, "--nexus", `${http}/rdr/pprdr.asp`, "--dialect", "MSNP18"];

/// A msnp-client user (MSNP18) with a profile of their own.
function msnpUser(name) {
  const userEnv = { ...env, XDG_CONFIG_HOME: join(work, name) };
  return {
    run: (...args) => execFileSync(msnp, ["--json", ...args], { env: userEnv }).toString(),
    /// As `run`, without waiting: the page can be watched meanwhile.
    start: (...args) =>
      new Promise((resolve, reject) => execFile(msnp, ["--json", ...args], { env: userEnv }, (error, out) => (error ? reject(error) : resolve(out)))),
    watch() {
      const child = spawn(msnp, ["--json", "watch"], { env: userEnv, stdio: ["ignore", "pipe", "inherit"] });
      children.push(child);
      const watched = lines(child.stdout);
      watched.child = child;
      return watched;
    },
  };
}

/// Every control has a name, and text is legible: WCAG AA contrast (4.5:1,
/// 3:1 for large text) against the background it is drawn on.
async function accessible(target, where) {
  const problems = await target.evaluate(() => {
    const found = [];
    const visible = (e) => e.offsetParent !== null || getComputedStyle(e).position === "fixed";
    for (const control of document.querySelectorAll("button, input, select, textarea")) {
      if (!visible(control) || control.type === "hidden") continue;
      const named = control.labels?.length || control.getAttribute("aria-label") || control.textContent.trim();
      if (!named) found.push(`unnamed ${control.tagName.toLowerCase()}#${control.id}`);
    }
    const rgb = (text) => (text.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]) =>
      [r, g, b].map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (e) => {
      for (let node = e; node; node = node.parentElement) {
        const color = rgb(getComputedStyle(node).backgroundColor);
        if (color.length === 3 || color[3] > 0) return color.slice(0, 3);
      }
      return [255, 255, 255];
    };
    for (const e of document.querySelectorAll("body *")) {
      if (!visible(e) || ![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      const style = getComputedStyle(e);
      const [a, b] = [luminance(rgb(style.color).slice(0, 3)), luminance(background(e))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) found.push(`"${e.textContent.trim().slice(0, 30)}" at ${ratio.toFixed(2)}:1`);
    }
    return found;
  });
  if (problems.length) throw new Error(`${where}: ${problems.join("; ")}`);
}

/// Counts the notifications the page shows (and still shows them).
const countNotifications = () => {
  window.__notices = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notices.push({ title, body: options?.body });
    }
  };
};

/// A solid-colour PNG, side × side pixels.
function png(side, [r, g, b]) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: side }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: side }, () => row)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

/// Signs in to the browser client on `target`, from the keyboard alone:
/// the fields come in their visual order and Enter on the button signs in.
async function signIn(target, status, email = "alice@example.com", password = "alice-secret") {
  await target.goto(`${http}/messenger/`);
  const focused = () => target.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
  await target.getByLabel("Email address").focus();
  await target.keyboard.type(email);
  for (const [next, value] of [["signin-password", password], ["signin-status", undefined], ["Sign in", undefined]]) {
    await target.keyboard.press("Tab");
    if ((await focused()) !== next) throw new Error(`Tab reached ${await focused()}, not ${next}`);
    if (value) await target.keyboard.type(value);
    if (next === "signin-status" && status) await target.getByLabel("Sign in as").selectOption(status);
  }
  await target.keyboard.press("Enter");
  await target.locator("#app-view").waitFor({ state: "visible" });
}

await step("a person signs up in the page", async () => {
  await page.goto(`${http}/account/signup`);
  await page.getByLabel("Email address (your sign-in name)").fill("alice@example.com");
  await page.getByLabel("Friendly name").fill("Alice");
  await page.getByLabel("Password (at least 8 characters)").fill("alice-secret");
  await page.getByLabel("Password again").fill("alice-secret");
  await page.screenshot({ path: join(shots, "signup.png") });
  await page.getByRole("button", { name: "Create the account" }).click();
  await page.getByText("Signed in as alice@example.com").waitFor();
});

const bob = msnpUser("bob");
const carol = msnpUser("carol");
await step("while she is away, bob (msnp-client) adds her and leaves her an offline message", async () => {
  bob.run("login", "bob@example.com", "--password", "bob-secret", ...msnpArgs);
  bob.run("add", "alice@example.com");
  const sent = bob.run("send", "alice@example.com", "see you later :) (y)");
  if (!sent.includes('"left":"alice@example.com"')) throw new Error(`not left offline: ${sent}`);
});

const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
const phone = await phoneContext.newPage();
phone.setDefaultTimeout(15000);
await step("she signs in on a phone-sized screen and sets a picture: his request and his offline message wait for her", async () => {
  await signIn(phone);
  await phone.getByText("Bob (bob@example.com) added you.").waitFor();
  await phone.getByRole("button", { name: "Conversation with Bob, 1 unread" }).waitFor();
  if ((await phone.title()) !== "(1) Messenger") throw new Error(`title ${await phone.title()}`);
  if (!(await phone.locator("#chat-pane").isHidden())) throw new Error("the phone shows the conversation beside the list");
  await accessible(phone, "the phone's contact list");
  await phone.screenshot({ path: join(shots, "phone-contacts.png") });
  await phone.getByText("Me", { exact: true }).tap();
  await phone.getByLabel("Display picture").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png(200, [230, 120, 20]) });
  await phone.waitForFunction(() => document.getElementById("me-picture").src.startsWith("blob:"));
  await phone.getByText("Me", { exact: true }).tap();
  await phone.getByRole("button", { name: "Accept Bob" }).click();
  await phone.getByRole("button", { name: /Chat with Bob, Offline, 1 unread/ }).tap();
  await phone.getByRole("log").getByText("(sent while you were offline)").waitFor();
  await phone.getByRole("log").getByRole("img", { name: ":)" }).waitFor();
  await phone.getByRole("log").getByRole("img", { name: "(y)" }).waitFor();
  if (!(await phone.locator("#contacts-pane").isHidden())) throw new Error("the phone shows the list beside the conversation");
  if ((await phone.title()) !== "Messenger") throw new Error(`still unread: ${await phone.title()}`);
  await accessible(phone, "the phone's conversation");
  await phone.screenshot({ path: join(shots, "phone-chat.png") });
  await phone.getByRole("button", { name: "‹ Contacts" }).tap();
  await phone.getByRole("button", { name: /Chat with Bob/ }).waitFor();
});

let watch;
await step("bob comes online; she sees him", async () => {
  watch = bob.watch();
  await watch.until((l) => l.includes('"presence":"alice@example.com"'), "bob to see alice online");
  await phone.getByRole("button", { name: /Chat with Bob, Online/ }).waitFor();
});

await step("she signs in on a desktop too: two endpoints, both kept, both see him; he nudges, types, writes", async () => {
  await page.addInitScript(countNotifications);
  await signIn(page);
  await page.getByRole("button", { name: /Chat with Bob, Online/ }).waitFor();
  // The picture set on the phone is the desktop's too (the roaming profile).
  await page.waitForFunction(() => document.getElementById("me-picture").src.startsWith("blob:"));
  bob.run("status", "AWY");
  for (const endpoint of [page, phone]) await endpoint.getByRole("button", { name: /Chat with Bob, Away/ }).waitFor();
  if (await phone.locator("#app-error").textContent()) throw new Error(`the phone: ${await phone.locator("#app-error").textContent()}`);
  bob.run("status", "NLN");
  // A switchboard's message reaches the endpoints in it when it is sent:
  // with the phone gone, bob's call rings the desktop alone.
  await phoneContext.close();
  const sending = bob.start("send", "alice@example.com", "hello from bob", "--nudge", "--typing", "4");
  await page.getByRole("log").getByText("Bob sent a nudge").waitFor();
  await page.getByText("Bob is typing…").waitFor();
  await sending;
  await page.getByRole("log").getByText("hello from bob").waitFor();
  if (await page.getByText("Bob is typing…").count()) throw new Error("still typing after the message");
});

await step("her status changes show on his side; appearing offline, she is offline to him", async () => {
  await page.getByLabel("Status").selectOption("HDN");
  await watch.until((l) => l.includes('"offline":"alice@example.com"'), "alice offline at bob's");
  await page.getByLabel("Status").selectOption("BSY");
  await watch.until((l) => l.includes('"presence":"alice@example.com"') && l.includes('"status":"BSY"'), "BSY at bob's");
});

await step("her answer with emoticons reaches him as she typed it", async () => {
  await page.getByRole("button", { name: /Chat with Bob/ }).click();
  // From the message, the keyboard reaches the emoticons, then Send.
  await page.getByLabel("Message", { exact: true }).focus();
  for (const next of ["emoticons-toggle", "Send"]) {
    await page.keyboard.press("Tab");
    const at = await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
    if (at !== next) throw new Error(`Tab reached ${at}, not ${next}`);
  }
  await page.getByLabel("Message", { exact: true }).fill("hi bob, from the browser ");
  await page.getByRole("button", { name: "Emoticons" }).click();
  await page.getByRole("button", { name: "Insert (Y)" }).click();
  await page.keyboard.type(" :D");
  await page.keyboard.press("Enter");
  await page.getByRole("log").getByRole("img", { name: ":D" }).last().waitFor();
  await watch.until((l) => l.includes("hi bob, from the browser (Y) :D"), "the message at bob's, as typed");
  await page.getByRole("button", { name: "Emoticons" }).click();
  await accessible(page, "the desktop conversation");
  await page.screenshot({ path: join(shots, "messenger.png") });
});

await step("a message while the tab is hidden: the title counts it and a notification shows it", async () => {
  await page.getByText("Me", { exact: true }).click();
  await page.getByRole("button", { name: "Notify me of new messages" }).click();
  await page.getByRole("button", { name: "Notifications are on" }).waitFor();
  await page.evaluate(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  bob.run("send", "alice@example.com", "are you there?");
  await page.waitForFunction(() => window.__notices.some((n) => n.title === "Bob" && n.body === "are you there?")).catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await page.evaluate(() => [window.__notices, Notification.permission, localStorage.getItem("msnpd-notify"), document.title]))}`);
  });
  if ((await page.title()) !== "(1) Messenger") throw new Error(`title ${await page.title()}`);
  await page.evaluate(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await page.waitForFunction(() => document.title === "Messenger");
  await page.getByText("Me", { exact: true }).click();
});

await step("she writes to carol while carol is away: carol reads it when she signs in", async () => {
  execFileSync(msnpd, ["user", "add", "carol@example.com", "--password", "carol-secret", "--nick", "Carol", "--database", database], { env });
  carol.run("login", "carol@example.com", "--password", "carol-secret", ...msnpArgs);
  carol.run("add", "alice@example.com");
  await page.getByLabel("Add a contact (email)").fill("carol@example.com");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("button", { name: /Chat with Carol, Offline/ }).click();
  await page.getByLabel("Message", { exact: true }).fill("call me when you are back");
  await page.keyboard.press("Enter");
  await page.getByRole("log").getByText("(left as an offline message)").waitFor();
  const carolWatch = carol.watch();
  await carolWatch.until((l) => l.includes('"text":"call me when you are back"') && l.includes('"offline":true'), "the offline message at carol's");
  await page.getByRole("button", { name: /Chat with Carol, Online/ }).waitFor();
  carol.watching = carolWatch;
});

await step("she invites carol into the conversation with bob: a message reaches both", async () => {
  await page.getByRole("tab", { name: /Bob/ }).click();
  await page.getByLabel("Invite to this conversation").selectOption("carol@example.com");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  await page.getByRole("log").getByText("Carol joined the conversation").waitFor();
  await page.getByLabel("Message", { exact: true }).fill("hello to you both");
  await page.keyboard.press("Enter");
  await carol.watching.until((l) => l.includes("hello to you both"), "the message at carol's");
  await watch.until((l) => l.includes("hello to you both"), "the message at bob's");
});

// A real client in the conversation: MSNPSharp 3.2.1 (MSNP18 as WLM 2009),
// the shared harness's driver, when MSNPSHARP_DLL names the library (CI
// builds it; MSNP_REQUIRE_MSNPSHARP=1 makes its absence a failure).
await step("dave (MSNPSharp, as WLM 2009), bob (msnp-client) and she talk in one conversation, emoticons both ways", async () => {
  if (!process.env.MSNPSHARP_DLL) {
    if (process.env.MSNP_REQUIRE_MSNPSHARP) throw new Error("MSNPSHARP_DLL is not set");
    console.log("SKIPPED the MSNPSharp conversation: MSNPSHARP_DLL is not set");
    return;
  }
  execFileSync(msnpd, ["user", "add", "dave@example.com", "--password", "dave-secret", "--nick", "Dave", "--database", database], { env });
  const T = "60";
  const peer = spawn(
    join(checkout, ".ci/msnpsharp-peer"),
    [`${front}:${port("ns")}`, `${front}:${port("http")}`, "dave@example.com", "dave-secret", "login", T, "authreq", "alice@example.com", T, "add", "alice@example.com", T,
      "online", "alice@example.com", T, "hear", "alice@example.com", "hello dave :) (h)", T, "hear", "alice@example.com", "welcome bob (y)", T,
      "say", "alice@example.com", "hi both :D", T, "hear", "alice@example.com", "bye dave (L)", T, "logout", "10"],
    { env: { ...env, PEER_LOG: process.env.PEER_LOG ?? join(work, "msnpsharp.log") }, stdio: ["ignore", "pipe", "inherit"], detached: true },
  );
  children.push(peer);
  const steps = lines(peer.stdout);
  const reached = async (n, what) => {
    const line = await steps.until((l) => l.startsWith(`STEP ${n} `) || l.startsWith("SETUP FAIL"), what, 90000);
    if (!line.includes(" ok ")) throw new Error(`MSNPSharp: ${line}`);
  };
  await reached(1, "MSNPSharp to sign in");
  await page.getByLabel("Add a contact (email)").fill("dave@example.com");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await reached(2, "MSNPSharp to see her request");
  await reached(3, "MSNPSharp to add her back");
  await reached(4, "MSNPSharp to see her online");
  await page.getByRole("button", { name: /Chat with Dave, Online/ }).click();
  await page.getByLabel("Message", { exact: true }).fill("hello dave :) (h)");
  await page.keyboard.press("Enter");
  await reached(5, "MSNPSharp to hear her");
  await page.getByLabel("Invite to this conversation").selectOption("bob@example.com");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  await page.getByRole("log").getByText("Bob joined the conversation").waitFor();
  await page.getByLabel("Message", { exact: true }).fill("welcome bob (y)");
  await page.keyboard.press("Enter");
  await watch.until((l) => l.includes('"message":"welcome bob (y)"'), "her message at bob's");
  await reached(6, "MSNPSharp to hear her in the three-way conversation");
  await reached(7, "MSNPSharp to answer");
  await page.getByRole("log").getByText("hi both").waitFor();
  await page.getByRole("log").locator("li", { hasText: "hi both" }).getByRole("img", { name: ":D" }).waitFor();
  await page.screenshot({ path: join(shots, "three-way.png") });
  await watch.until((l) => l.includes('"message":"hi both :D"'), "dave's answer at bob's");
  await page.getByLabel("Message", { exact: true }).fill("bye dave (L)");
  await page.keyboard.press("Enter");
  await reached(8, "MSNPSharp to hear her goodbye");
  await reached(9, "MSNPSharp to sign out");
});

await step("groups: she makes one, moves bob into it, renames it, deletes it", async () => {
  await page.getByText("Groups", { exact: true }).click();
  await page.getByLabel("New group").fill("Friends");
  await page.getByRole("button", { name: "Create group" }).click();
  await page.getByRole("heading", { name: "Friends (0)" }).waitFor();
  await page.getByRole("button", { name: /Chat with Bob/ }).click();
  await page.getByLabel("Move to group").selectOption({ label: "Friends" });
  await page.getByRole("heading", { name: "Friends (1)" }).waitFor();
  await page.locator("section.group", { has: page.getByRole("heading", { name: "Friends (1)" }) }).getByRole("button", { name: /Chat with Bob/ }).waitFor();
  await page.getByLabel("New name").fill("Best friends");
  await page.getByRole("button", { name: "Rename group" }).click();
  await page.getByRole("heading", { name: "Best friends (1)" }).waitFor();
  await page.getByRole("button", { name: "Delete group" }).click();
  await page.getByRole("heading", { name: /Best friends/ }).waitFor({ state: "detached" });
});

await step("she blocks bob (he sees her offline), unblocks him, removes carol", async () => {
  await page.getByRole("button", { name: /Chat with Bob/ }).click();
  await page.getByRole("button", { name: "Block", exact: true }).click();
  await page.getByRole("button", { name: /Chat with Bob, .*blocked/ }).waitFor();
  await watch.until((l) => l.includes('"offline":"alice@example.com"'), "alice offline at bob's");
  await page.getByRole("button", { name: "Unblock", exact: true }).click();
  await watch.until((l) => l.includes('"presence":"alice@example.com"'), "alice back at bob's");
  await page.getByRole("button", { name: /Chat with Carol/ }).click();
  await page.getByRole("button", { name: "Remove from contacts" }).click();
  await page.getByRole("button", { name: /Chat with Carol/ }).waitFor({ state: "detached" });
});

await step("erin, in another browser, sees the picture she set beside her name; a dropped connection comes back by itself", async () => {
  execFileSync(msnpd, ["user", "add", "erin@example.com", "--password", "erin-secret", "--nick", "Erin", "--database", database], { env });
  const erinContext = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const erin = await erinContext.newPage();
  erin.setDefaultTimeout(15000);
  // Her Notification Server connection passes through the test, which can cut it.
  const connections = [];
  await erin.routeWebSocket(/\/ws\/ns$/, (ws) => {
    ws.connectToServer();
    connections.push(ws);
  });
  await signIn(erin, undefined, "erin@example.com", "erin-secret");
  await erin.getByLabel("Add a contact (email)").fill("alice@example.com");
  await erin.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("button", { name: "Accept Erin" }).click();
  const alice = erin.getByRole("button", { name: /Chat with Alice, Busy/ }).locator("img");
  await erin.waitForFunction(
    (image) => image.src.includes("/storage/picture?creator=alice%40example.com") && image.complete && image.naturalWidth === 96,
    await alice.elementHandle(),
  );
  // Someone without a stored picture has one drawn from their name.
  const own = await erin.locator("#me-picture").getAttribute("src");
  if (!own.startsWith("data:image/svg+xml")) throw new Error(`erin's own picture: ${own.slice(0, 40)}`);
  await erin.getByRole("button", { name: /Chat with Alice/ }).click();
  await erin.screenshot({ path: join(shots, "picture.png") });
  // The connection drops (a phone's network changes): the page signs in
  // again by itself with the tickets it has, and she is back.
  await connections[0].close();
  await erin.getByText("The connection to the server was lost. Reconnecting…").waitFor();
  await erin.waitForFunction(() => document.getElementById("app-error").textContent === "", null, { timeout: 20000 });
  await erin.getByRole("button", { name: /Chat with Alice, Busy/ }).waitFor();
  if (connections.length !== 2) throw new Error(`${connections.length} connections`);
  await erinContext.close();
});

await step("the dashboard shows live figures while msnp bench soak runs", async () => {
  execFileSync(msnpd, ["user", "add-many", "--count", "10", "--password", "bench", "--database", database], { env });
  const soak = spawn(msnp, ["bench", "--dialect", "MSNP18", "--server", ns, "--nexus", `${http}/rdr/pprdr.asp`, "soak", "--pairs", "3", "--rate", "5", "--abusers", "1", "--seconds", "20", "--interval", "5"], { env, stdio: "ignore" });
  children.push(soak);
  const admin = await context.newPage();
  admin.setDefaultTimeout(15000);
  await admin.goto(`${http}/admin`);
  await admin.getByLabel("Operator password").fill("operator-secret");
  await admin.keyboard.press("Enter");
  await admin.locator("#messages").waitFor();
  const deadline = Date.now() + 15000;
  for (;;) {
    const messages = Number(await admin.locator("#messages").textContent());
    const sessions = Number(await admin.locator("#sessions").textContent());
    if (messages > 0 && sessions > 4) break;
    if (Date.now() > deadline) throw new Error(`figures stayed at ${messages} messages, ${sessions} sessions`);
    await new Promise((r) => setTimeout(r, 1000));
    await admin.reload();
  }
  await admin.getByText("713").first().waitFor();
  await admin.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
});

await browser.close();
cleanup();
console.log("all passed");
