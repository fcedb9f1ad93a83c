// One bad-input matrix (bad-inputs.json), three adapters: every case is sent over a raw socket
// to `wasmpredict serve` and to the built Worker in workerd, and, when it is a body for a model's
// predict route, handed to the JS predictor's predictJson. Each must answer the case's status,
// error code and field; the report lists every disagreement at once.
// Run after the builds: node --test tests/hardening/   (./test.sh does)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { workerd } from "../../scripts/workerd.mjs";
import { send, bodyBytes } from "./client.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = process.env.WASMPREDICT_BIN || `${ROOT}target/debug/wasmpredict`;
const TOKEN = "matrix-admin-token-0123456789";
const CASES = JSON.parse(readFileSync(new URL("./bad-inputs.json", import.meta.url), "utf8"));
const ONLY = process.env.MATRIX_ONLY; // "native", "worker" or "js": one adapter, for debugging

let server, nativePort, mf, workerPort, predictors;

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

before(async () => {
  nativePort = await freePort();
  server = spawn(BIN, ["serve", "--models", `${ROOT}models`, "--addr", `127.0.0.1:${nativePort}`, "--default-model", "rf-classification"], {
    env: { ...process.env, ADMIN_TOKEN: TOKEN }, stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`http://127.0.0.1:${nativePort}/v2/health/ready`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  mf = workerd(`${ROOT}worker/build`, { DEFAULT_MODEL: "rf-classification", ADMIN_TOKEN: TOKEN });
  workerPort = Number(new URL(await mf.ready).port);
  // The JS predictor on the bundles the site serves (`cargo xtask build web`).
  const PKG = `${ROOT}build/site/pkg/`;
  const { Predictor, initialize } = await import(`${PKG}predictor.js`);
  await initialize({ module_or_path: readFileSync(`${PKG}wasmpredict_web_bg.wasm`) });
  const BUNDLES = `${ROOT}build/site/bundles`;
  predictors = {};
  for (const name of readdirSync(BUNDLES).filter((m) => existsSync(`${BUNDLES}/${m}/manifest.json`))) {
    const dir = `${BUNDLES}/${name}/`;
    const manifest = readFileSync(`${dir}manifest.json`);
    const files = {};
    for (const f of Object.keys(JSON.parse(manifest).files)) files[f] = new Uint8Array(readFileSync(dir + f));
    predictors[name] = await Predictor.load({ manifest: new Uint8Array(manifest), files });
  }
});

after(async () => {
  server?.kill();
  await mf?.dispose();
});

// What an HTTP answer says, as {status, code, field}.
// The Open Inference Protocol's error body is {"error": message, "code", "field"}; ours is
// {"error": {"code", "message", "field"}}.
function outcome(r) {
  const oip = typeof r.json?.error === "string";
  const error = oip ? { ...r.json, message: r.json.error } : r.json?.error;
  return { status: r.status, code: error?.code ?? null, field: error?.field ?? null, message: error?.message ?? (r.json ? null : r.text.slice(0, 200)) };
}

// What the JS predictor says about a body: {code, field} (status does not apply).
function jsOutcome(c) {
  const model = c.path.split("/")[2];
  const text = bodyBytes(c.body)?.toString("utf8") ?? "";
  try {
    predictors[model].predictJson(text);
    return { code: null, field: null };
  } catch (e) {
    return { code: e.code ?? `(not a PredictorError: ${e})`, field: e.field ?? null, message: e.message };
  }
}

function agrees(got, expect, withStatus = true) {
  return (!withStatus || got.status === expect.status) && got.code === expect.code && got.field === expect.field;
}

test(`the bad-input matrix: ${CASES.length} cases, the same answer from every adapter`, async () => {
  assert.ok(CASES.length >= 60, `${CASES.length} cases`);
  const wrong = [];
  const tally = { native: 0, worker: 0, js: 0 };
  for (const c of CASES) {
    const expect = c.expect;
    const show = (who, got) => wrong.push(`${c.name} [${who}]: expected ${expect.status} ${expect.code} ${expect.field}, got ${got.status ?? "-"} ${got.code} ${got.field} (${got.message ?? ""})`);
    for (const [who, port] of [["native", nativePort], ["worker", workerPort]]) {
      if (ONLY && ONLY !== who) continue;
      let got;
      try { got = outcome(await send(port, c)); } catch (e) { got = { status: "no answer", code: null, field: null, message: e.message }; }
      if (agrees(got, expect)) tally[who]++; else show(who, got);
      if (typeof got.status === "number" && got.status >= 500) show(`${who}: 5xx`, got);
    }
    if (c.js && (!ONLY || ONLY === "js")) {
      const got = jsOutcome(c);
      if (agrees(got, expect, false)) tally.js++; else show("js", got);
    }
  }
  const jsCases = CASES.filter((c) => c.js).length;
  console.log(`# matrix: ${CASES.length} cases; native ${tally.native}/${CASES.length}, worker ${tally.worker}/${CASES.length}, js ${tally.js}/${jsCases}`);
  assert.equal(wrong.length, 0, `${wrong.length} disagreements:\n${wrong.join("\n")}`);
});
