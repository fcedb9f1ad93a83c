// Browser side of ./bench.sh, in headless Chromium (playwright-core, /usr/bin/chromium), pages
// served gzip-compressed by bench/serve-static.mjs:
//  - time from navigation to first prediction, cold cache (fresh context) and warm cache
//    (same context, reload), and the gzip bytes transferred for it, per runtime and model;
//  - in-page warm single-row latency and 1000-row batch (bench/web/suite.mjs), per runtime;
//  - wasm compile + model load, and the wasm heap with every bundled model loaded.
// One JSON line per measurement on stdout.  node bench/browser.mjs [--runs 5] [--rounds 5]
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { startServer } from "./serve-static.mjs";
import { spread } from "./web/suite.mjs";

const ROOT = new URL("../", import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => Number(args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const RUNS = opt("--runs", 5), ROUNDS = opt("--rounds", 5);
const CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const MODELS = ["iris", "rf-classification"];
// Table name -> page runtime. "wasmpredict": the compact build, JSON bodies (predict());
// "wasmpredict-typed": the compact build, Float32Array in and out (predictTyped());
// "wasmpredict-tract": the tract build, JSON bodies (the path every bundle took before).
const RUNTIMES = { wasmpredict: "wasmpredict", "wasmpredict-typed": "wasmpredict-typed", "wasmpredict-tract": "wasmpredict-tract", "onnxruntime-web": "ort" };
// Navigation to a first prediction: the typed path loads the same files as "wasmpredict".
const FIRST = ["wasmpredict", "wasmpredict-tract", "onnxruntime-web"];

const server = await startServer(0);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: CHROME_ARGS });
const out = (r) => console.log(JSON.stringify({ env: "chromium", browser: browser.version(), ...r }));

function firstRow(model) {
  const m = JSON.parse(readFileSync(`${ROOT}models/${model}/manifest.json`, "utf8"));
  const g = JSON.parse(readFileSync(`${ROOT}models/${model}/golden.json`, "utf8"));
  return { row: m.input.map((f) => g.rows[0].input[f.name]), expected: g.rows[0].prediction };
}

/** Loads first.html and returns { ms, prediction, bytes } (bytes: gzip bytes on the wire). */
async function firstPrediction(page, runtime, model) {
  const { row, expected } = firstRow(model);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const files = {};
  const urls = new Map();
  cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, { url: e.response.url, cached: e.response.fromDiskCache || e.response.fromMemoryCache || e.response.fromServiceWorker }));
  cdp.on("Network.loadingFinished", (e) => {
    const u = urls.get(e.requestId);
    if (u && !u.cached) files[new URL(u.url).pathname] = e.encodedDataLength;
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${base}/bench/first.html?runtime=${RUNTIMES[runtime]}&model=${model}&row=${encodeURIComponent(JSON.stringify(row))}`);
  const r = await page.waitForFunction(() => window.result, null, { timeout: 60000 }).then((h) => h.jsonValue());
  await cdp.detach();
  if (r.error || errors.length) throw new Error(`${runtime} ${model}: ${r.error ?? errors.join("; ")}`);
  if (String(r.prediction) !== String(expected)) throw new Error(`${runtime} ${model}: predicted ${r.prediction}, sklearn says ${expected}`);
  const bytes = Object.values(files).reduce((a, b) => a + b, 0);
  return { ms: r.ms, bytes, files };
}

for (const model of MODELS) {
  for (const runtime of FIRST) {
    const cold = [], warm = [];
    let coldFiles = null, warmBytes = null;
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const c = await firstPrediction(page, runtime, model);
      cold.push(c.ms);
      coldFiles = c.files;
      const w = await firstPrediction(page, runtime, model);
      warm.push(w.ms);
      warmBytes = w.bytes;
      await context.close();
    }
    const bytes = Object.values(coldFiles).reduce((a, b) => a + b, 0);
    console.error(`  browser ${runtime.padEnd(16)} ${model.padEnd(18)} first prediction cold ${spread(cold).median.toFixed(0)} ms, warm ${spread(warm).median.toFixed(0)} ms, ${(bytes / 1024).toFixed(0)} KiB gzip`);
    out({ kind: "first_prediction", runtime, model, cold_ms: spread(cold), warm_ms: spread(warm), runs: RUNS, transferred_gzip_bytes: bytes, warm_transferred_bytes: warmBytes, files: coldFiles });
  }
}

for (const model of MODELS) {
  for (const runtime of Object.keys(RUNTIMES)) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${base}/bench/suite.html`);
    await page.waitForFunction(() => window.ready);
    const r = await page.evaluate(([rt, m, rounds]) => window.runSuite(rt, m, { rounds }), [RUNTIMES[runtime], model, ROUNDS]);
    if (errors.length) throw new Error(errors.join("; "));
    console.error(`  browser ${runtime.padEnd(16)} ${model.padEnd(18)} single ${r.single_us.median.toFixed(1)} us, batch ${r.batch_ms.median.toFixed(2)} ms / ${r.batch_rows}`);
    out({ kind: "latency", runtime, model, ...r });
    await context.close();
  }
}

const memory = [];
for (let i = 0; i < RUNS; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/bench/suite.html`);
  await page.waitForFunction(() => window.ready);
  memory.push(await page.evaluate(() => window.memorySuite()));
  await context.close();
}
const models = Object.keys(memory[0].load_ms);
out({
  kind: "startup_memory", runtime: "wasmpredict", runs: RUNS,
  compile_ms: spread(memory.map((m) => m.compile_ms)),
  load_ms: Object.fromEntries(models.map((n) => [n, spread(memory.map((m) => m.load_ms[n]))])),
  wasm_memory_bytes: spread(memory.map((m) => m.wasm_memory_bytes.all_models_loaded)),
  wasm_memory_after_init_bytes: memory[0].wasm_memory_bytes.after_init,
});
console.error(`  browser wasmpredict compile ${spread(memory.map((m) => m.compile_ms)).median.toFixed(0)} ms, wasm heap with all models ${(memory[0].wasm_memory_bytes.all_models_loaded / 2 ** 20).toFixed(1)} MiB`);
await browser.close();
server.close();
