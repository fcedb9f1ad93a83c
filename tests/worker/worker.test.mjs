// The built Worker (worker/build) in real workerd through Miniflare: every route, every request
// shape, the textbook examples, every error class, and bad requests followed by good ones.
// Run: node --test tests/worker/   (./test.sh builds the Worker first)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { workerd } from "../../scripts/workerd.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const WASM = `${ROOT}worker/build/index_bg.wasm`;
const TEXTBOOK = [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5];
let mf;

function worker(bindings) {
  return workerd(`${ROOT}worker/build`, { DEFAULT_MODEL: "rf-classification", ...bindings });
}

before(() => { mf = worker({}); });
after(async () => { await mf.dispose(); });

async function call(method, path, body, headers = {}) {
  const init = { method, headers: { "content-type": "application/json", ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const r = await mf.dispatchFetch(`http://localhost${path}`, init);
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : null };
}

test("textbook curl on /predict answers sklearn's 0 with [0.97, 0.03]", async () => {
  const r = await call("POST", "/predict", { features: TEXTBOOK });
  assert.equal(r.status, 200);
  const { id, ...rest } = r.body;
  assert.deepEqual(rest, { prediction: 0, probabilities: [0.97, 0.03], classes: [0, 1], model: "rf-classification", version: "1.0.0" });
  assert.match(id, /^[A-Za-z0-9_-]+\.[0-9a-f]{16}$/);
  assert.equal(r.headers.get("x-prediction-id"), id);
  assert.equal(r.headers.get("x-model-version"), "1.0.0");
  assert.match(r.headers.get("server-timing"), /featurize;dur=[\d.]+, inference;dur=[\d.]+/);
  assert.equal(r.headers.get("content-type"), "application/json");
});

test("every bundled model and request shape", async () => {
  const iris = await call("POST", "/models/iris/predict", { features: [5.1, 3.5, 1.4, 0.2] });
  assert.equal(iris.body.prediction, 0);
  const rec = { sepal_length: 6.7, sepal_width: 3.0, petal_length: 5.2, petal_width: 2.3 };
  for (const body of [
    { features: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] },
    { instances: [[5.1, 3.5, 1.4, 0.2], rec] },
    { dataframe_split: { columns: ["petal_width", "petal_length", "sepal_width", "sepal_length"], data: [[0.2, 1.4, 3.5, 5.1], [2.3, 5.2, 3.0, 6.7]] } },
  ]) {
    const r = await call("POST", "/models/iris/predict", body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.predictions, [0, 2]);
    assert.deepEqual(r.body.probabilities[0], iris.body.probabilities);
  }
  const churn = await call("POST", "/models/churn/predict", { record: { tenure: 12, contract: "month-to-month" } });
  assert.equal(churn.status, 200);
  assert.equal(churn.body.probabilities.length, 2);
  const news = await call("POST", "/models/news/predict", { instances: [{ text: "A wonderful, moving film." }, ["A dull, lifeless mess."]] });
  assert.deepEqual(news.body.predictions, ["fresh", "rotten"]);
});

test("the Worker agrees with every golden row of every bundle", async () => {
  for (const name of ["iris", "rf-classification", "churn", "news"]) {
    // The version answering /models/{name}/predict: the live one (models/churn/traffic.json).
    const dir = name === "churn" ? "churn/1.0.0" : name;
    const golden = JSON.parse(readFileSync(`${ROOT}models/${dir}/golden.json`, "utf8"));
    const r = await call("POST", `/models/${name}/predict`, { instances: golden.rows.map((g) => g.input) });
    assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    golden.rows.forEach((g, i) => {
      assert.deepEqual(r.body.predictions[i], g.prediction, `${name} row ${i}`);
      g.probabilities.forEach((p, k) => assert.ok(Math.abs(r.body.probabilities[i][k] - p) <= golden.tolerance, `${name} row ${i}`));
    });
  }
});

test("models routes", async () => {
  const list = await call("GET", "/models");
  assert.deepEqual(list.body.models.map((m) => m.name), ["churn", "iris", "news", "rf-classification"]);
  assert.equal(list.body.models.find((m) => m.default).name, "rf-classification");
  const churn = await call("GET", "/models/churn");
  assert.equal(churn.body.input[0].name, "tenure");
  assert.match(churn.body.files["model.onnx"], /^[0-9a-f]{64}$/);
  // Every bundled model runs on the compact engine (this Worker has no tract: see tract.test.mjs).
  for (const name of ["churn", "iris", "news", "rf-classification"]) {
    const info = await call("GET", `/models/${name}`);
    assert.equal(info.body.engine, "compact", name);
    assert.equal(info.body.engine_reason, null, name);
  }
});

test("Open Inference Protocol v2 routes", async () => {
  assert.deepEqual((await call("GET", "/v2/health/live")).body, { live: true });
  assert.deepEqual((await call("GET", "/v2/health/ready")).body, { ready: true });
  assert.equal((await call("GET", "/v2")).body.name, "wasmpredict");
  const meta = await call("GET", "/v2/models/news/versions/1.0.0");
  assert.deepEqual(meta.body.inputs, [{ name: "text", datatype: "BYTES", shape: [-1] }]);
  assert.deepEqual((await call("GET", "/v2/models/iris/ready")).body, { name: "iris", ready: true });
  const infer = await call("POST", "/v2/models/rf-classification/infer", { inputs: [{ name: "input", shape: [1, 10], datatype: "FP32", data: TEXTBOOK }] });
  assert.equal(infer.status, 200);
  assert.deepEqual(infer.body.outputs[0], { name: "label", datatype: "INT64", shape: [1], data: [0] });
  assert.deepEqual(infer.body.outputs[1].data, [0.97, 0.03]);
  const bad = await call("POST", "/v2/models/iris/infer", { inputs: [{ name: "input", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, "wrong_feature_count");
  assert.equal(typeof bad.body.error, "string");
});

test("every error class answers 4xx with the error body", async () => {
  const cases = [
    ["POST", "/predict", { features: [1, 2] }, 400, "wrong_feature_count"],
    ["POST", "/models/iris/predict", { features: [5.1, "3.5", 1.4, 0.2] }, 400, "wrong_type"],
    ["POST", "/models/iris/predict", { features: [5.1, null, 1.4, 0.2] }, 400, "missing_value"],
    ["POST", "/models/iris/predict", { record: { sepal_length: 5.1 } }, 400, "missing_field"],
    ["POST", "/models/churn/predict", { record: { tenur: 1 } }, 400, "unknown_field"],
    ["POST", "/models/news/predict", { record: { text: "  " } }, 400, "empty_text"],
    ["POST", "/predict", { inputs: [] }, 400, "unknown_body_shape"],
    ["POST", "/predict", "{not json", 400, "invalid_json"],
    ["POST", "/predict", { instances: [] }, 400, "empty_batch"],
    ["POST", "/models/nope/predict", { features: TEXTBOOK }, 404, "model_not_found"],
    ["GET", "/nowhere", undefined, 404, "route_not_found"],
    ["GET", "/predict", undefined, 405, "method_not_allowed"],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = await call(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, code);
    assert.ok(r.body.error.message.length > 0);
  }
  assert.equal((await call("GET", "/predict")).headers.get("allow"), "POST, OPTIONS");
});

test("limits answer 413", async () => {
  const big = `{"features": [${"1.0,".repeat(300000)}1.0]}`;
  const r = await call("POST", "/predict", big);
  assert.equal(r.status, 413);
  assert.equal(r.body.error.code, "payload_too_large");
  const small = worker({ MAX_ROWS: "2", DEFAULT_MODEL: "iris" });
  try {
    const rows = await small.dispatchFetch("http://localhost/predict", { method: "POST", body: JSON.stringify({ features: [[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2]] }) });
    assert.equal(rows.status, 413);
    assert.equal((await rows.json()).error.code, "too_many_rows");
    const iris = await small.dispatchFetch("http://localhost/predict", { method: "POST", body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }) });
    assert.equal((await iris.json()).model, "iris", "DEFAULT_MODEL var is honoured");
  } finally {
    await small.dispose();
  }
});

test("CORS preflight and allowed origins", async () => {
  const pre = await mf.dispatchFetch("http://localhost/predict", { method: "OPTIONS", headers: { origin: "https://x.test", "access-control-request-method": "POST" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.match(pre.headers.get("access-control-allow-methods"), /POST/);
  // A traffic split's sticky_header can be any header: the preflight allows what is asked for.
  const sticky = await mf.dispatchFetch("http://localhost/models/churn/predict", { method: "OPTIONS", headers: { origin: "https://x.test", "access-control-request-method": "POST", "access-control-request-headers": "x-tenant, content-type" } });
  assert.match(sticky.headers.get("access-control-allow-headers"), /(^|, )x-tenant(,|$)/);
  const closed = worker({ ALLOWED_ORIGINS: "https://app.test, https://other.test" });
  try {
    const ok = await closed.dispatchFetch("http://localhost/models", { headers: { origin: "https://other.test" } });
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://other.test");
    const no = await closed.dispatchFetch("http://localhost/models", { headers: { origin: "https://evil.test" } });
    assert.equal(no.headers.get("access-control-allow-origin"), null);
  } finally {
    await closed.dispose();
  }
});

test("a setting the Worker cannot read is refused on every request, naming it", async () => {
  for (const [name, value, expected] of [
    ["MAX_ROWS", "10k", 'MAX_ROWS: "10k" is not a whole number of rows, at least 1'],
    ["ENGINE", "onnxruntime", 'ENGINE: "onnxruntime" is not compact or tract'],
    ["DEFAULT_MODEL", "nope", "DEFAULT_MODEL: the default model 'nope' is not among"],
  ]) {
    const bad = worker({ [name]: value });
    try {
      for (const [method, path] of [["POST", "/predict"], ["GET", "/v2/health/ready"]]) {
        const init = method === "POST" ? { method, body: JSON.stringify({ features: TEXTBOOK }) } : { method };
        const r = await bad.dispatchFetch(`http://localhost${path}`, init);
        assert.equal(r.status, 503, `${name}=${value} ${path}`);
        const body = await r.json();
        assert.equal(body.error.code, "invalid_configuration");
        assert.ok(body.error.message.startsWith(expected), body.error.message);
      }
    } finally {
      await bad.dispose();
    }
  }
});

test("bad requests do not poison the isolate: good ones keep being answered", async () => {
  const hostile = [
    "", "null", "[]", "{\"features\": {}}", "{\"features\": [1e999]}", `{"features": ${"[".repeat(200)}${"]".repeat(200)}}`,
    JSON.stringify({ inputs: [{ name: "x", shape: [2739, 38578, 46642, 3742923], datatype: "FP32", data: [] }] }),
    JSON.stringify({ record: { text: "\u0000\uffff" } }), "\u00ff\u00fe",
  ];
  for (let round = 0; round < 3; round++) {
    for (const body of hostile) {
      for (const path of ["/predict", "/models/news/predict", "/v2/models/iris/infer"]) {
        const r = await mf.dispatchFetch(`http://localhost${path}`, { method: "POST", body });
        assert.ok(r.status >= 400 && r.status < 500 || r.status === 200, `${path} ${body.slice(0, 40)}: ${r.status}`);
        await r.arrayBuffer();
      }
    }
    const good = await call("POST", "/predict", { features: TEXTBOOK });
    assert.equal(good.status, 200);
    assert.deepEqual(good.body.probabilities, [0.97, 0.03]);
  }
});

test("the Worker's wasm stays within its byte budget", () => {
  const budget = JSON.parse(readFileSync(`${ROOT}worker/size-budget.json`, "utf8"));
  const raw = statSync(WASM).size;
  const gzip = gzipSync(readFileSync(WASM), { level: 9 }).length;
  assert.ok(raw <= budget.raw_bytes, `wasm is ${raw} bytes raw, budget ${budget.raw_bytes}`);
  assert.ok(gzip <= budget.gzip_bytes, `wasm is ${gzip} bytes gzip, budget ${budget.gzip_bytes}`);
});
