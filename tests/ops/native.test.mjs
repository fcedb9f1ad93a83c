// The operations scenario (scenario.mjs) against `wasmpredict serve` on a socket, with a fresh
// state directory; then the CLI's rollback on the running server, and the state surviving a
// restart (traffic in STATE/traffic.json, feedback in STATE/feedback.sqlite).
// Run: WASMPREDICT_BIN=target/debug/wasmpredict node --test tests/ops/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import * as ops from "./scenario.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = process.env.WASMPREDICT_BIN || `${ROOT}target/debug/wasmpredict`;
const state = mkdtempSync(`${tmpdir()}/wasmpredict-ops-`);
let server, base, call;

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function start() {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["serve", "--models", `${ROOT}models`, "--addr", `127.0.0.1:${port}`, "--state", state, "--default-model", "rf-classification", "--monitor-window", String(ops.WINDOW)], {
    env: { ...process.env, ADMIN_TOKEN: ops.TOKEN }, stdio: ["ignore", "pipe", "inherit"],
  });
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`${base}/v2/health/ready`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  call = ops.client((path, init) => fetch(`${base}${path}`, init));
}

async function stop() {
  server.kill();
  await new Promise((r) => server.once("exit", r));
}

before(start);
after(async () => { await stop(); rmSync(state, { recursive: true, force: true }); });

test("two versions of churn side by side", () => ops.versionsSideBySide(call));
test("admin routes refuse missing and wrong tokens and change nothing", () => ops.adminNeedsTheToken(call));
test("a 90/10 split lands within 3 points, sticky per user; a rollback is immediate", () => ops.splitAndStickiness(call));
test("shadow agreement and per-version accuracy from feedback in /metrics", () => ops.shadowAndFeedback(call));
test("the monitoring window flags exactly the shifted fields, then forgets them", () => ops.monitorFlagsShiftedFields(call));

test("`wasmpredict models live` rolls back the running server; the state survives a restart", async () => {
  const env = { ...process.env, ADMIN_TOKEN: ops.TOKEN };
  const out = execFileSync(BIN, ["models", "live", "churn", "1.1.0", "--url", base], { env }).toString();
  assert.equal(JSON.parse(out).live, "1.1.0");
  const r = await call("POST", "/models/churn/predict", { record: { tenure: 3, contract: "month-to-month" } });
  assert.equal(r.headers.get("x-model-version"), "1.1.0");
  assert.deepEqual(JSON.parse(readFileSync(`${state}/traffic.json`, "utf8")).churn.split, { "1.1.0": 100 });
  await stop();
  await start();
  const info = await call("GET", "/models/churn");
  assert.equal(info.body.live, "1.1.0", "the live version survives a restart");
  const summary = await call("GET", "/admin/models/churn/feedback", undefined, { authorization: `Bearer ${ops.TOKEN}` });
  assert.equal(summary.body.versions.find((v) => v.version === "1.0.0").count, 40, "feedback survives a restart");
  const split = execFileSync(BIN, ["models", "split", "churn", "1.0.0=80", "1.1.0=20", "--url", base], { env }).toString();
  assert.deepEqual(JSON.parse(split).split, { "1.0.0": 80, "1.1.0": 20 });
  const bad = (() => { try { execFileSync(BIN, ["models", "split", "churn", "1.0.0=80", "--url", base], { env, stdio: "pipe" }); return null; } catch (e) { return e; } })();
  assert.ok(bad && bad.status === 1, "a split that does not sum to 100 fails");
  assert.match(bad.stderr.toString().trim(), /^error: 400 .*sum to 80/);
  assert.equal(bad.stderr.toString().trim().split("\n").length, 1);
});
