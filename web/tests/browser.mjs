// End to end in a real browser (Debian's Chromium, driven by playwright-core):
// a person signs up in the page, signs in to the browser client, sees a
// msnp-client user (`msnp watch`, MSNP18) come online, messages go both ways,
// and a status change shows on the other side; then the operator's dashboard
// shows live figures while `msnp bench soak` runs. Screenshots go to
// docs/screenshots/ ($SCREENSHOTS). Exits non-zero on any failure.
//
// Environment: MSNPD_BIN, MSNP_BIN (default: target/debug of the checkout),
// CHROMIUM (default /usr/bin/chromium).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
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
    await fail(`${name}: ${error.message}`);
  }
}

// The server, on free ports, with the operator's dashboard on.
const operator = join(work, "operator");
writeFileSync(operator, "operator-secret\n", { mode: 0o600 });
const server = spawn(msnpd, ["serve", "--ns-listen", "127.0.0.1:0", "--sb-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--database", database, "--admin-password-file", operator], { env, stdio: ["ignore", "ignore", "pipe"] });
children.push(server);
const listening = await lines(server.stderr).until((l) => l.includes("msnpd listening"), "the server");
const address = (key) => / ns=| notification=| http=/.test(listening) && listening.match(new RegExp(` ${key}=([0-9.:]+)`))[1];
const http = `http://${address("http")}`;
const ns = address("notification");
execFileSync(msnpd, ["user", "add", "bob@example.com", "--password", "bob-secret", "--nick", "Bob", "--database", database], { env });

browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
const page = await context.newPage();
page.setDefaultTimeout(15000);
const msnpArgs = ["--server", ns, "--nexus", `${http}/rdr/pprdr.asp`, "--dialect", "MSNP18"];

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

await step("she signs in to the browser client and adds bob", async () => {
  await page.goto(`${http}/messenger/`);
  await page.getByLabel("Email address").fill("alice@example.com");
  await page.getByLabel("Password").fill("alice-secret");
  await page.keyboard.press("Enter");
  await page.locator("#app-view").waitFor({ state: "visible" });
  await page.getByLabel("Add a contact (email)").fill("bob@example.com");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("button", { name: /Chat with bob@example.com, Offline/ }).waitFor();
});

let watch;
await step("bob (msnp-client) adds her back and comes online; she sees him", async () => {
  execFileSync(msnp, ["login", "bob@example.com", "--password", "bob-secret", ...msnpArgs], { env });
  execFileSync(msnp, ["add", "alice@example.com"], { env });
  const child = spawn(msnp, ["--json", "watch"], { env, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  watch = lines(child.stdout);
  await watch.until((l) => l.includes('"presence":"alice@example.com"'), "bob to see alice online");
  await page.getByRole("button", { name: /Chat with Bob, Online/ }).waitFor();
});

await step("her status change shows on his side", async () => {
  await page.getByLabel("Status").selectOption("BSY");
  await watch.until((l) => l.includes('"presence":"alice@example.com"') && l.includes('"status":"BSY"'), "BSY at bob's");
});

await step("a message from bob reaches her", async () => {
  execFileSync(msnp, ["send", "alice@example.com", "hello from bob"], { env });
  await page.getByRole("log").getByText("hello from bob").waitFor();
});

await step("her answer reaches him", async () => {
  await page.getByLabel("Message", { exact: true }).fill("hi bob, from the browser");
  await page.keyboard.press("Enter");
  await page.getByRole("log").getByText("hi bob, from the browser").waitFor();
  await page.screenshot({ path: join(shots, "messenger.png") });
  await watch.until((l) => l.includes("hi bob, from the browser"), "the message at bob's");
});

await step("she invites carol (msnp-client) into the conversation: a message reaches both", async () => {
  execFileSync(msnpd, ["user", "add", "carol@example.com", "--password", "carol-secret", "--nick", "Carol", "--database", database], { env });
  const carolEnv = { ...env, XDG_CONFIG_HOME: join(work, "carol") };
  execFileSync(msnp, ["login", "carol@example.com", "--password", "carol-secret", ...msnpArgs], { env: carolEnv });
  const child = spawn(msnp, ["--json", "watch"], { env: carolEnv, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const carol = lines(child.stdout);
  await page.getByLabel("Add a contact (email)").fill("carol@example.com");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByRole("button", { name: /Chat with Carol, Online/ }).waitFor();
  await page.getByLabel("Invite to this conversation").selectOption("carol@example.com");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  await page.getByRole("log").getByText("Carol joined the conversation").waitFor();
  await page.getByLabel("Message", { exact: true }).fill("hello to you both");
  await page.keyboard.press("Enter");
  await carol.until((l) => l.includes("hello to you both"), "the message at carol's");
  await watch.until((l) => l.includes("hello to you both"), "the message at bob's");
});

await step("the dashboard shows live figures while msnp bench soak runs", async () => {
  execFileSync(msnpd, ["user", "add-many", "--count", "10", "--password", "bench", "--database", database], { env });
  const soak = spawn(msnp, ["bench", "--server", ns, "--nexus", `${http}/rdr/pprdr.asp`, "soak", "--pairs", "3", "--rate", "5", "--abusers", "1", "--seconds", "20", "--interval", "5"], { env, stdio: "ignore" });
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
