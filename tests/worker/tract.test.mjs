// A Worker whose embedded bundles need tract (an sklearn MLP, networks wrapped from plain ONNX)
// beside one the compact engine covers, in real workerd through Miniflare. ./test.sh builds it
// with `cargo xtask build worker --models target/worker-tract-models --out target/worker-tract`:
// the build links tract only because those bundles need it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { workerd } from "../../scripts/workerd.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const BUILD = process.env.WASMPREDICT_TRACT_WORKER ?? `${ROOT}target/worker-tract`;
const MODELS = readFileSync(`${BUILD}/.models`, "utf8").trim().replace(/ \(tract\)$/, "");
let mf;

before(() => {
  mf = workerd(BUILD, { DEFAULT_MODEL: "iris" });
});
after(async () => { await mf.dispose(); });

async function call(method, path, body) {
  const init = { method, headers: { "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await mf.dispatchFetch(`http://localhost${path}`, init);
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

// Hostile bundles (tests/python/make_fixtures.py) embedded beside the others: graphs only tract
// can judge, and a tree too deep to explain.
const FIXTURES = process.env.WASMPREDICT_FIXTURES ?? `${ROOT}target/fixtures`;
const HOSTILE = JSON.parse(readFileSync(`${FIXTURES}/_hostile/cases.json`, "utf8"));
const isHostile = (name) => HOSTILE.some((c) => c.name === name);
const embedded = readdirSync(MODELS).filter((n) => existsSync(`${MODELS}/${n}/manifest.json`)).sort();
const bundles = embedded.filter((n) => !isHostile(n));
// The graphs only tract runs: MLPs, plain ONNX networks, and skl2onnx's graphs for quadratic
// discriminant analysis and Gaussian naive Bayes (the fixture matrix's cases ride along).
const needsTract = (name) => /^(mlp-|onnx-|qda-|gaussian-nb-)/.test(name);

test("the embedded bundles include tract graphs and compact ones (XGBoost and LightGBM pipelines and the fixture matrix among them)", () => {
  for (const name of ["mlp-classifier", "onnx-net-classifier", "onnx-net-regressor", "iris", "xgb-pipeline", "lgbm-pipeline", "count-multinomial-nb", "qda-multiclass", "pca-whiten", "ordinal-encoder"]) {
    assert.ok(bundles.includes(name), `${name} is not embedded (${bundles})`);
  }
});

test("each bundle runs on the engine that covers it", async () => {
  for (const name of bundles) {
    const info = await call("GET", `/models/${name}`);
    assert.equal(info.status, 200, name);
    assert.equal(info.body.engine, needsTract(name) ? "tract" : "compact", name);
    if (needsTract(name)) assert.match(info.body.engine_reason, /not covered by the compact engine/);
  }
});

test("every golden row of every embedded bundle, through tract where needed", async () => {
  for (const name of bundles) {
    const golden = JSON.parse(readFileSync(`${MODELS}/${name}/golden.json`, "utf8"));
    const r = await call("POST", `/models/${name}/predict`, { instances: golden.rows.map((g) => g.input) });
    assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    golden.rows.forEach((g, i) => {
      const got = r.body.predictions[i];
      if (typeof g.prediction === "number" && !r.body.classes) {
        const tol = golden.tolerance + (golden.relative_tolerance ?? 0) * Math.abs(g.prediction);
        assert.ok(Math.abs(got - g.prediction) <= tol, `${name} row ${i}: ${got} vs ${g.prediction}`);
      } else {
        assert.deepEqual(got, g.prediction, `${name} row ${i}`);
      }
      (g.probabilities ?? []).forEach((p, k) => assert.ok(Math.abs(r.body.probabilities[i][k] - p) <= golden.tolerance, `${name} row ${i}`));
    });
  }
});

test("Open Inference Protocol v2 and errors on a tract model", async () => {
  const golden = JSON.parse(readFileSync(`${MODELS}/mlp-classifier/golden.json`, "utf8"));
  const manifest = JSON.parse(readFileSync(`${MODELS}/mlp-classifier/manifest.json`, "utf8"));
  const row = manifest.input.map((f) => golden.rows[0].input[f.name]);
  const infer = await call("POST", "/v2/models/mlp-classifier/infer", { inputs: [{ name: "input", shape: [1, row.length], datatype: "FP32", data: row }] });
  assert.equal(infer.status, 200, JSON.stringify(infer.body));
  assert.deepEqual(infer.body.outputs[0].data, [golden.rows[0].prediction]);
  const bad = await call("POST", "/models/mlp-classifier/predict", { features: row.slice(1) });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "wrong_feature_count");
  const good = await call("POST", "/models/mlp-classifier/predict", { features: row });
  assert.equal(good.status, 200);
});

const says = (message, expected) => expected.split("|").some((part) => message.toLowerCase().includes(part.toLowerCase()));

test("hostile bundles: the Worker refuses a graph only tract can judge with 503 and its reason, and explains no tree too deep", async () => {
  const here = HOSTILE.filter((c) => embedded.includes(c.name));
  assert.ok(here.filter((c) => !c.loads).length >= 3 && here.some((c) => c.loads), `embedded: ${here.map((c) => c.name)}`);
  for (const c of here.filter((c) => !c.loads)) {
    const r = await call("POST", `/models/${c.name}/predict`, { features: [1, 2, 3, 4, 5, 6] });
    assert.equal(r.status, 503, `${c.name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, "model_unavailable");
    assert.ok(says(r.body.error.message, c.refused), `${c.name}: ${r.body.error.message}`);
  }
  for (const c of here.filter((c) => c.loads)) {
    const golden = JSON.parse(readFileSync(`${MODELS}/${c.name}/golden.json`, "utf8"));
    const r = await call("POST", `/models/${c.name}/predict`, { instances: golden.rows.map((g) => g.input) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.predictions, golden.rows.map((g) => g.prediction));
    const e = await call("POST", `/models/${c.name}/predict`, { record: golden.rows[0].input, explain: true });
    assert.equal(e.status, 400);
    assert.equal(e.body.error.code, "explanation_unavailable");
    assert.ok(says(e.body.error.message, c.explain_refused), e.body.error.message);
  }
  const healthy = await call("POST", "/models/iris/predict", { features: [5.1, 3.5, 1.4, 0.2] });
  assert.equal(healthy.status, 200, "the other models still answer");
});
