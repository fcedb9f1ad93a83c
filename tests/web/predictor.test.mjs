// The JS/TS predictor API (build/site/pkg/predictor.js) under Node: same answers as sklearn's
// goldens and as /predict, errors as JS Errors with the core code and field.
// Run after scripts/build-web.sh: node --test tests/web/
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";

const ROOT = new URL("../../", import.meta.url).pathname;
const PKG = `${ROOT}build/site/pkg/`;
const { Predictor, initialize } = await import(`${PKG}predictor.js`);
const TEXTBOOK = [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5];
const MODELS = readdirSync(`${ROOT}models`).filter((m) => existsSync(`${ROOT}models/${m}/manifest.json`)).sort();

function bundle(name) {
  const dir = `${ROOT}models/${name}/`;
  const manifest = readFileSync(`${dir}manifest.json`);
  const files = {};
  for (const f of Object.keys(JSON.parse(manifest).files)) files[f] = new Uint8Array(readFileSync(dir + f));
  return { manifest: new Uint8Array(manifest), files };
}

before(async () => {
  await initialize({ module_or_path: readFileSync(`${PKG}wasmpredict_web_bg.wasm`) });
});

test("every bundled model reproduces sklearn's golden answers in JS", async () => {
  assert.deepEqual(MODELS, ["churn", "iris", "news", "rf-classification"]);
  for (const name of MODELS) {
    const p = await Predictor.load(bundle(name));
    const golden = JSON.parse(readFileSync(`${ROOT}models/${name}/golden.json`, "utf8"));
    const r = p.predict({ instances: golden.rows.map((g) => g.input) });
    golden.rows.forEach((g, i) => {
      assert.deepEqual(r.predictions[i], g.prediction, `${name} row ${i}`);
      g.probabilities.forEach((v, k) => assert.ok(Math.abs(r.probabilities[i][k] - v) <= golden.tolerance, `${name} row ${i}`));
    });
  }
});

test("textbook request and response objects", async () => {
  const rf = await Predictor.load(bundle("rf-classification"));
  assert.deepEqual(rf.predict({ features: TEXTBOOK }), { prediction: 0, probabilities: [0.97, 0.03], classes: [0, 1], model: "rf-classification", version: "1.0.0" });
  const churn = await Predictor.load(bundle("churn"));
  const r = churn.predict({ record: { tenure: 12, contract: "month-to-month" } });
  assert.equal(r.probabilities.length, 2);
  const news = await Predictor.load(bundle("news"));
  assert.deepEqual(news.predict({ features: [["A wonderful film."], ["A dull mess."]] }).predictions, ["fresh", "rotten"]);
});

test("schema() and info()", async () => {
  const p = await Predictor.load(bundle("churn"));
  const schema = p.schema();
  assert.equal(schema[0].name, "tenure");
  assert.equal(schema[0].type, "number");
  assert.equal(typeof schema[0].stats.max, "number");
  assert.equal(schema[4].type, "category");
  const info = p.info();
  assert.equal(info.name, "churn");
  assert.equal(info.version, "1.0.0");
  assert.deepEqual(info.classes, [0, 1]);
  assert.match(info.files["model.onnx"], /^[0-9a-f]{64}$/);
});

test("errors are JS Errors with the core code and field", async () => {
  const iris = await Predictor.load(bundle("iris"));
  const cases = [
    [{ features: [1, 2] }, "wrong_feature_count", "features"],
    [{ features: [5.1, "3.5", 1.4, 0.2] }, "wrong_type", "sepal_width"],
    [{ features: [5.1, null, 1.4, 0.2] }, "missing_value", "sepal_width"],
    [{ record: { sepal_length: 1 } }, "missing_field", "sepal_width"],
    [{ inputs: [] }, "unknown_body_shape", undefined],
    [{ instances: [] }, "empty_batch", undefined],
    [{ features: [5n, 3.5, 1.4, 0.2] }, "invalid_json", undefined],
  ];
  for (const [body, code, field] of cases) {
    assert.throws(() => iris.predict(body), (e) => e instanceof Error && e.code === code && e.field === field && e.message.length > 0, JSON.stringify(body, (_, v) => (typeof v === "bigint" ? `${v}n` : v)));
  }
  // Good requests keep working after bad ones.
  assert.equal(iris.predict({ features: [5.1, 3.5, 1.4, 0.2] }).prediction, 0);
});

test("a tampered or newer bundle is refused", async () => {
  const b = bundle("iris");
  b.files["model.onnx"] = b.files["model.onnx"].slice();
  b.files["model.onnx"][10] ^= 1;
  await assert.rejects(Predictor.load(b), (e) => e.code === "invalid_bundle" && /sha256 mismatch/.test(e.message));
  const n = bundle("iris");
  const m = JSON.parse(new TextDecoder().decode(n.manifest));
  m.format_version = 2;
  n.manifest = new TextEncoder().encode(JSON.stringify(m));
  await assert.rejects(Predictor.load(n), (e) => e.code === "invalid_bundle" && /newer/.test(e.message));
});

test("the web app's wasm stays within its byte budget", () => {
  const budget = JSON.parse(readFileSync(`${ROOT}www/size-budget.json`, "utf8"));
  const site = `${ROOT}build/site/`;
  const wasm = readdirSync(site).filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one app wasm in build/site, found ${wasm}`);
  const bytes = readFileSync(site + wasm[0]);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  assert.ok(bytes.length <= budget.raw_bytes, `app wasm is ${bytes.length} bytes raw, budget ${budget.raw_bytes}`);
  assert.ok(gzip <= budget.gzip_bytes, `app wasm is ${gzip} bytes gzip, budget ${budget.gzip_bytes}`);
});

test("the JS API's wasm stays within its byte budget", () => {
  const budget = JSON.parse(readFileSync(`${ROOT}web/size-budget.json`, "utf8"));
  const bytes = readFileSync(`${PKG}wasmpredict_web_bg.wasm`);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  assert.ok(bytes.length <= budget.raw_bytes, `JS API wasm is ${bytes.length} bytes raw, budget ${budget.raw_bytes}`);
  assert.ok(gzip <= budget.gzip_bytes, `JS API wasm is ${gzip} bytes gzip, budget ${budget.gzip_bytes}`);
});
