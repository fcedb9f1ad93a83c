// The JS/TS predictor API (build/site/pkg/predictor.js) under Node: same answers as sklearn's
// goldens and as /predict, errors as JS Errors with the core code and field.
// Run after `cargo xtask build web`: node --test tests/web/
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";

const ROOT = new URL("../../", import.meta.url).pathname;
const PKG = `${ROOT}build/site/pkg/`;
const { Predictor, initialize, initializeTract } = await import(`${PKG}predictor.js`);
const FIXTURES = process.env.WASMPREDICT_FIXTURES ?? `${ROOT}target/fixtures`;
const TEXTBOOK = [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5];
// The bundles as the site serves them (`cargo xtask build web`: each model's live version).
const BUNDLES = `${ROOT}build/site/bundles`;
const MODELS = readdirSync(BUNDLES).filter((m) => existsSync(`${BUNDLES}/${m}/manifest.json`)).sort();

function bundle(name, root = BUNDLES) {
  const dir = `${root}/${name}/`;
  const manifest = readFileSync(`${dir}manifest.json`);
  const files = {};
  for (const f of Object.keys(JSON.parse(manifest).files)) files[f] = new Uint8Array(readFileSync(dir + f));
  return { manifest: new Uint8Array(manifest), files };
}

before(async () => {
  await initialize({ module_or_path: readFileSync(`${PKG}wasmpredict_web_bg.wasm`) });
  // In Node the tract build is handed its bytes up front; a page fetches it on first need.
  await initializeTract({ module_or_path: readFileSync(`${PKG}wasmpredict_web_tract_bg.wasm`) });
});

const golden = (name, root = BUNDLES) => JSON.parse(readFileSync(`${root}/${name}/golden.json`, "utf8"));

function assertGolden(name, g, r) {
  g.rows.forEach((row, i) => {
    if (r.classes) {
      assert.deepEqual(r.predictions[i], row.prediction, `${name} row ${i}`);
      (row.probabilities ?? row.scores).forEach((v, k) => assert.ok(Math.abs((r.probabilities ?? r.scores)[i][k] - v) <= g.tolerance, `${name} row ${i}`));
    } else {
      const tol = g.tolerance + (g.relative_tolerance ?? 0) * Math.abs(row.prediction);
      assert.ok(Math.abs(r.predictions[i] - row.prediction) <= tol, `${name} row ${i}: ${r.predictions[i]} vs ${row.prediction}`);
    }
  });
}

test("every bundled model runs on the compact engine", async () => {
  for (const name of MODELS) {
    const p = await Predictor.load(bundle(name));
    assert.equal(p.engine, "compact", name);
    assert.equal(p.info().engine, "compact", name);
  }
});

test("a bundle the compact engine does not cover loads the tract build by itself", async () => {
  for (const name of ["mlp-classifier", "mlp-regressor", "onnx-net-classifier", "onnx-net-regressor"]) {
    const p = await Predictor.load(bundle(name, FIXTURES));
    assert.equal(p.engine, "tract", name);
    assert.match(p.info().engine_reason, /not covered by the compact engine/);
    const g = golden(name, FIXTURES);
    assertGolden(name, g, p.predict({ instances: g.rows.map((row) => row.input) }));
  }
  // Forcing the compact engine on it says why; forcing tract on a compact bundle works too.
  await assert.rejects(Predictor.load(bundle("mlp-classifier", FIXTURES), { engine: "compact" }), (e) => e.code === "needs_tract" && /MatMul/.test(e.message));
  const iris = await Predictor.load(bundle("iris"), { engine: "tract" });
  assert.equal(iris.engine, "tract");
  assertGolden("iris on tract", golden("iris"), iris.predict({ instances: golden("iris").rows.map((row) => row.input) }));
});

test("typed arrays in, typed arrays out, equal to the JSON answers", async () => {
  for (const [name, root] of [["iris", `${ROOT}models`], ["rf-classification", `${ROOT}models`], ["hgb-binary-nan", FIXTURES], ["linear-regression", FIXTURES]]) {
    const p = await Predictor.load(bundle(name, root));
    const fields = p.schema().map((f) => f.name);
    const rows = golden(name, root).rows.map((row) => fields.map((f) => row.input[f]));
    const values = Float32Array.from(rows.flat().map((v) => (v === null ? NaN : v)));
    const typed = p.predictTyped(values);
    // The JSON path with the same float32 values.
    const json = p.predict({ features: rows.map((r) => r.map((v) => (v === null ? null : Math.fround(v)))) });
    if (json.classes) {
      assert.ok(typed.labels instanceof Uint32Array && typed.probabilities instanceof Float32Array, name);
      assert.deepEqual([...typed.labels].map((i) => typed.classes[i]), json.predictions, name);
      assert.deepEqual([...typed.probabilities].map((v) => Math.fround(v)), json.probabilities.flat().map((v) => Math.fround(v)), name);
    } else {
      assert.ok(typed.values instanceof Float32Array, name);
      assert.deepEqual([...typed.values], json.predictions.map((v) => Math.fround(v)), name);
    }
  }
  const iris = await Predictor.load(bundle("iris"));
  assert.throws(() => iris.predictTyped([1, 2, 3, 4]), (e) => e.code === "wrong_type");
  assert.throws(() => iris.predictTyped(new Float32Array(6), 2), (e) => e.code === "wrong_feature_count");
  assert.throws(() => iris.predictTyped(Float32Array.of(NaN, 1, 1, 1)), (e) => e.code === "missing_value" && e.field === "sepal_length");
  const churn = await Predictor.load(bundle("churn"));
  assert.throws(() => churn.predictTyped(new Float32Array(8)), (e) => e.code === "wrong_type");
});

test("every bundled model reproduces sklearn's golden answers in JS", async () => {
  assert.deepEqual(MODELS, ["churn", "iris", "news", "rf-classification"]);
  for (const name of MODELS) {
    const p = await Predictor.load(bundle(name));
    const golden = JSON.parse(readFileSync(`${BUNDLES}/${name}/golden.json`, "utf8"));
    const r = p.predict({ instances: golden.rows.map((g) => g.input) });
    golden.rows.forEach((g, i) => {
      assert.deepEqual(r.predictions[i], g.prediction, `${name} row ${i}`);
      g.probabilities.forEach((v, k) => assert.ok(Math.abs(r.probabilities[i][k] - v) <= golden.tolerance, `${name} row ${i}`));
    });
  }
});

test("XGBoost and LightGBM, alone and as a pipeline's last step, answer as the booster in JS, missing values included", async () => {
  const boosters = readdirSync(FIXTURES).filter((n) => /^(xgb|lgbm)-/.test(n) && existsSync(`${FIXTURES}/${n}/manifest.json`)).sort();
  for (const name of ["xgb-pipeline", "lgbm-pipeline", "xgb-binary-nan", "lgbm-binary-nan", "xgb-regressor", "lgbm-string-labels"]) {
    assert.ok(boosters.includes(name), `${name} is not among the fixtures (${boosters})`);
  }
  for (const name of boosters) {
    const p = await Predictor.load(bundle(name, FIXTURES));
    assert.equal(p.engine, "compact", name);
    const g = golden(name, FIXTURES);
    assert.ok(g.rows.some((row) => Object.values(row.input).some((v) => v === null)), `${name}: no golden row with a missing value`);
    assertGolden(name, g, p.predict({ instances: g.rows.map((row) => row.input) }));
  }
});

test("every bundle of the fixture matrix (linear family, naive Bayes, format 4 transformers) answers as sklearn in JS", async () => {
  const cases = JSON.parse(readFileSync(`${FIXTURES}/_matrix/cases.json`, "utf8"));
  const matrix = Object.keys(cases).filter((n) => cases[n].matrix).sort();
  assert.ok(matrix.length >= 60, `${matrix.length} matrix cases`);
  for (const name of matrix) {
    const p = await Predictor.load(bundle(name, FIXTURES));
    assert.equal(p.engine, cases[name].engine, name);
    const g = golden(name, FIXTURES);
    assertGolden(name, g, p.predict({ instances: g.rows.map((row) => row.input) }));
  }
});

test("driftTally counts answered rows against the training profile, as the CLI does", async () => {
  const p = await Predictor.load(bundle("churn"));
  const tally = p.driftTally();
  assert.equal(tally.report(), null);
  const rows = golden("churn").rows;
  for (const g of rows) tally.add(g.input, p.predict({ record: g.input }).prediction);
  const report = tally.report();
  assert.equal(tally.rows, rows.length);
  assert.equal(report.rows, rows.length);
  assert.equal(report.training_rows, 3000);
  assert.deepEqual(report.fields.map((f) => f.name), p.schema().map((f) => f.name));
  for (const f of report.fields) {
    assert.ok(["stable", "watch", "drift"].includes(f.verdict));
    const sum = f.values.current.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `${f.name} shares sum to ${sum}`);
  }
  // Every golden row of one class: the predictions' histogram is all in that class.
  const one = p.driftTally();
  const zero = rows.filter((g) => g.prediction === 0);
  for (const g of zero) one.add(g.input, 0);
  assert.deepEqual(one.report().predictions.current.slice(0, 2), [1, 0]);
  assert.throws(() => one.add({ tenure: "long" }, 0), (e) => e.code === "wrong_type" && e.field === "tenure");
  tally.free();
  one.free();
  // A format 1 bundle (no profile) predicts but has no tally.
  const v1 = bundle("iris");
  const m = JSON.parse(new TextDecoder().decode(v1.manifest));
  m.format_version = 1;
  delete m.profile;
  delete m.explain;
  delete m.files["explain.json"];
  delete v1.files["explain.json"];
  v1.manifest = new TextEncoder().encode(JSON.stringify(m));
  const old = await Predictor.load(v1);
  assert.throws(() => old.driftTally(), (e) => e.code === "no_profile" && /format version 1/.test(e.message));
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
  m.format_version = 5;
  n.manifest = new TextEncoder().encode(JSON.stringify(m));
  await assert.rejects(Predictor.load(n), (e) => e.code === "invalid_bundle" && /newer/.test(e.message));
});

// tests/python/make_fixtures.py `hostile_bundles`: the same refusals as the native loader.
const says = (message, expected) => expected.split("|").some((part) => message.toLowerCase().includes(part.toLowerCase()));

test("hostile bundles are refused by load() with their reason; a tree too deep to explain only refuses explanations", async () => {
  const HOSTILE = `${FIXTURES}/_hostile`;
  const cases = JSON.parse(readFileSync(`${HOSTILE}/cases.json`, "utf8")).filter((c) => c.js);
  assert.ok(cases.length >= 9, `${cases.length} cases`);
  for (const c of cases.filter((c) => !c.loads)) {
    await assert.rejects(Predictor.load(bundle(c.name, HOSTILE)), (e) => e instanceof Error && says(e.message, c.refused), c.name);
  }
  for (const c of cases.filter((c) => c.loads)) {
    const p = await Predictor.load(bundle(c.name, HOSTILE));
    const g = golden(c.name, HOSTILE);
    assertGolden(c.name, g, p.predict({ instances: g.rows.map((row) => row.input) }));
    assert.throws(() => p.predict({ record: g.rows[0].input, explain: true }), (e) => e.code === "explanation_unavailable" && says(e.message, c.explain_refused), c.name);
  }
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

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;

test("the JS API's two wasm builds stay within their byte budgets", () => {
  const budget = JSON.parse(readFileSync(`${ROOT}web/size-budget.json`, "utf8"));
  for (const [build, file] of [["compact", "wasmpredict_web_bg.wasm"], ["tract", "wasmpredict_web_tract_bg.wasm"]]) {
    const raw = readFileSync(`${PKG}${file}`).length;
    const gzip = gz(`${PKG}${file}`);
    assert.ok(raw <= budget[build].raw_bytes, `${build} wasm is ${raw} bytes raw, budget ${budget[build].raw_bytes}`);
    assert.ok(gzip <= budget[build].gzip_bytes, `${build} wasm is ${gzip} bytes gzip, budget ${budget[build].gzip_bytes}`);
  }
});

test("bytes to a first iris prediction in a page stay within budget", () => {
  // What a page fetches to predict with iris: the JS, the compact wasm and the bundle's files.
  const budget = JSON.parse(readFileSync(`${ROOT}web/size-budget.json`, "utf8"));
  const files = [`${PKG}predictor.js`, `${PKG}wasmpredict_web.js`, `${PKG}wasmpredict_web_bg.wasm`,
    ...["manifest.json", "model.onnx", "golden.json", "explain.json"].map((f) => `${BUNDLES}/iris/${f}`)];
  const total = files.reduce((n, f) => n + gz(f), 0);
  assert.ok(total <= budget.first_prediction_iris_gzip_bytes, `${total} bytes gzip, budget ${budget.first_prediction_iris_gzip_bytes}`);
});
