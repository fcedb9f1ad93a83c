// Node side of ./bench.sh: wasmpredict's ES module (build/site/pkg/predictor.js) vs
// onnxruntime-web (wasm backend, one thread) vs onnxruntime-node (one thread), on iris and the
// textbook random forest, same ONNX graph, same golden rows. Each (runtime, model) runs in its
// own Node process, so load time and memory are not shared. One JSON line each on stdout.
//   node bench/node.mjs [--rounds 5]
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { latencySuite, wasmpredictFor, ortRunner, goldenRows, now } from "./web/suite.mjs";

const ROOT = new URL("../", import.meta.url).pathname;
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
// wasmpredict: the compact build with JSON bodies; -typed: Float32Array in and out; -tract: the
// tract build (the path every bundle took before the compact engine).
const RUNTIMES = ["wasmpredict", "wasmpredict-typed", "wasmpredict-tract", "onnxruntime-web", "onnxruntime-node"];
const MODELS = ["iris", "rf-classification"];

function bundle(name) {
  const dir = `${ROOT}models/${name}/`;
  const manifestBytes = readFileSync(`${dir}manifest.json`);
  const manifest = JSON.parse(manifestBytes);
  const files = {};
  for (const f of Object.keys(manifest.files)) files[f] = new Uint8Array(readFileSync(dir + f));
  return { manifest, manifestBytes: new Uint8Array(manifestBytes), files, golden: JSON.parse(readFileSync(`${dir}golden.json`, "utf8")) };
}

async function load(runtime, b) {
  if (runtime.startsWith("wasmpredict")) {
    // WASMPREDICT_PKG: another build of the JS API (to compare builds).
    const pkg = process.env.WASMPREDICT_PKG ?? `${ROOT}build/site/pkg`;
    const { Predictor, initialize, initializeTract } = await import(`${pkg}/predictor.js`);
    if (runtime === "wasmpredict-tract") await initializeTract({ module_or_path: readFileSync(`${pkg}/wasmpredict_web_tract_bg.wasm`) });
    else await initialize({ module_or_path: readFileSync(`${pkg}/wasmpredict_web_bg.wasm`) });
    return wasmpredictFor(runtime, Predictor, { manifest: b.manifestBytes, files: b.files });
  }
  const ort = runtime === "onnxruntime-web" ? await import("onnxruntime-web") : require("onnxruntime-node");
  if (runtime === "onnxruntime-web") {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
  }
  const session = await ort.InferenceSession.create(b.files[b.manifest.model.file], {
    executionProviders: [runtime === "onnxruntime-web" ? "wasm" : "cpu"], intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  return ortRunner(ort, session);
}

async function child(runtime, model) {
  const b = bundle(model);
  const rss0 = process.memoryUsage().rss;
  const t = now();
  const runner = await load(runtime, b);
  await runner.single(goldenRows(b.manifest, b.golden)[0]);
  const firstMs = now() - t;
  const rssLoaded = process.memoryUsage().rss;
  const suite = await latencySuite(runner, b.manifest, b.golden, { rounds: Number(opt("--rounds", 5)) });
  const versions = { node: process.version };
  if (!runtime.startsWith("wasmpredict")) versions[runtime] = JSON.parse(readFileSync(`${ROOT}bench/node_modules/${runtime}/package.json`, "utf8")).version;
  console.log(JSON.stringify({ env: "node", runtime, model, first_prediction_ms: firstMs, rss_mb: { before: rss0 / 2 ** 20, loaded: rssLoaded / 2 ** 20, after: process.memoryUsage().rss / 2 ** 20 }, ...suite, versions }));
}

if (args[0] === "--child") {
  await child(args[1], args[2]);
} else {
  for (const model of MODELS) {
    for (const runtime of RUNTIMES) {
      const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, "--child", runtime, model, "--rounds", opt("--rounds", "5")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      const r = JSON.parse(out.trim().split("\n").pop());
      console.error(`  node ${runtime.padEnd(18)} ${model.padEnd(18)} first ${r.first_prediction_ms.toFixed(1).padStart(7)} ms  single ${r.single_us.median.toFixed(1).padStart(8)} us  batch ${r.batch_ms.median.toFixed(2).padStart(8)} ms / ${r.batch_rows}`);
      console.log(JSON.stringify(r));
    }
  }
}
