// Unit checks of the browser client's own computations, against the answers
// the server's Rust code (crates/msnp) is tested with: the SSO proof, the
// challenge answer, emoticons. Runs in Node on the bundled sources.
import { buildSync } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";

const dir = mkdtempSync(join(tmpdir(), "msnpd-web-units-"));
try {
  const out = join(dir, "units.mjs");
  buildSync({ entryPoints: ["tests/units-entry.ts"], bundle: true, format: "esm", platform: "node", outfile: out, logLevel: "warning" });
  const units = await import(pathToFileURL(out).href);
  let failed = 0;
  for (const [name, check] of Object.entries(units.checks)) {
    try {
      check(assert);
      console.log(`ok ${name}`);
    } catch (error) {
      failed++;
      console.error(`FAIL ${name}: ${error.message}`);
    }
  }
  if (failed) process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
