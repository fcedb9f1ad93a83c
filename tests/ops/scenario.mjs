// The operations scenario of issue 10, run the same way against every adapter: the native
// server (tests/ops/native.test.mjs), the Worker in workerd through Miniflare
// (tests/worker/operations.test.mjs) and ./run.sh's wrangler dev (tests/ops/run.test.mjs).
// `call(method, path, body, headers)` -> {status, headers, text, body}.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const ROOT = new URL("../../", import.meta.url).pathname;
export const TOKEN = "test-admin-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const golden = (version) => JSON.parse(readFileSync(`${ROOT}models/churn/${version}/golden.json`, "utf8")).rows;

export function client(fetchLike) {
  return async function call(method, path, body, headers = {}) {
    const init = { method, headers: { "content-type": "application/json", ...headers } };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const r = await fetchLike(path, init);
    const text = await r.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* metrics are text */ }
    return { status: r.status, headers: r.headers, text, body: parsed };
  };
}

/** Runs `task(i)` for i < n, at most `limit` at a time (wrangler dev's proxy drops a flood). */
async function pool(n, task, limit = 32) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await task(i);
    }
  }));
  return out;
}

export async function setTraffic(call, traffic) {
  const r = await call("PUT", "/admin/models/churn/traffic", traffic, AUTH);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

/** Prometheus text -> value of one series (0 when absent). */
export function series(text, name, labels) {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",");
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${want}} `));
  return line ? Number(line.split(" ").pop()) : 0;
}

export async function metrics(call) {
  const r = await call("GET", "/metrics", undefined, AUTH);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  return r.text;
}

export async function versionsSideBySide(call) {
  const info = await call("GET", "/models/churn");
  assert.equal(info.status, 200, info.text);
  assert.deepEqual(info.body.versions, ["1.0.0", "1.1.0"]);
  assert.equal(info.body.live, "1.0.0");
  for (const v of ["1.0.0", "1.1.0"]) {
    // Each version answers its own golden rows (sklearn's predictions of that version).
    for (const row of golden(v).slice(0, 5)) {
      const r = await call("POST", `/models/churn/versions/${v}/predict`, { record: row.input });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("x-model-version"), v);
      assert.equal(r.body.version, v);
      assert.equal(r.body.prediction, row.prediction);
    }
    const described = await call("GET", `/models/churn/versions/${v}`);
    assert.equal(described.body.version, v);
    assert.equal(described.body.estimator, v === "1.0.0" ? "LogisticRegression" : "GradientBoostingClassifier");
  }
  const missing = await call("POST", "/models/churn/versions/9.9.9/predict", { record: golden("1.0.0")[0].input });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, "model_not_found");
  const v2 = await call("POST", "/v2/models/churn/versions/1.1.0/infer", { inputs: [{ name: "tenure", datatype: "FP64", shape: [1], data: [3] }] });
  assert.equal(v2.status, 200, v2.text);
  assert.equal(v2.body.model_version, "1.1.0");
}

export async function adminNeedsTheToken(call) {
  const before = await call("GET", "/admin/models/churn/traffic", undefined, AUTH);
  assert.equal(before.status, 200, before.text);
  const change = { split: { "1.1.0": 100 } };
  for (const [headers, status, code] of [
    [{}, 401, "unauthorized"],
    [{ authorization: "Basic Zm9vOmJhcg==" }, 401, "unauthorized"],
    [{ authorization: "Bearer wrong" }, 403, "forbidden"],
    [{ authorization: `Bearer ${TOKEN}x` }, 403, "forbidden"],
  ]) {
    for (const [method, path, body] of [
      ["PUT", "/admin/models/churn/traffic", change],
      ["GET", "/admin/models/churn/traffic"],
      ["GET", "/admin/models/churn/feedback"],
      ["GET", "/metrics"],
    ]) {
      const r = await call(method, path, body, headers);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(headers)}: ${r.text}`);
      assert.equal(r.body.error.code, code);
    }
  }
  const after = await call("GET", "/admin/models/churn/traffic", undefined, AUTH);
  assert.deepEqual(after.body, before.body, "a refused admin request changed nothing");
  for (const [body, field] of [
    [{ split: { "1.0.0": 90 } }, "split"],
    [{ split: { "7.0.0": 100 } }, "split"],
    [{ split: { "1.0.0": 100 }, shadow: "3.0.0" }, "shadow"],
  ]) {
    const r = await call("PUT", "/admin/models/churn/traffic", body, AUTH);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, "invalid_traffic");
    assert.equal(r.body.error.field, field);
  }
}

/** A 90/10 split over 2,000 requests lands within 3 points; a user key always sees one version. */
export async function splitAndStickiness(call) {
  const state = await setTraffic(call, { split: { "1.0.0": 90, "1.1.0": 10 }, sticky_header: "x-user-id" });
  assert.equal(state.live, "1.0.0");
  const record = golden("1.0.0")[1].input;
  const answers = await pool(2000, () => call("POST", "/models/churn/predict", { record }));
  for (const r of answers) assert.equal(r.status, 200, r.text);
  const canary = answers.filter((r) => r.headers.get("x-model-version") === "1.1.0").length / 2000;
  assert.ok(Math.abs(canary - 0.10) <= 0.03, `1.1.0 answered ${(canary * 100).toFixed(1)}% of unkeyed requests`);
  for (const r of answers) assert.equal(r.body.version, r.headers.get("x-model-version"));
  const users = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
  const first = await pool(users.length, (i) => call("POST", "/models/churn/predict", { record }, { "x-user-id": users[i] }));
  for (const r of first) assert.equal(r.status, 200, r.text);
  const share = first.filter((r) => r.body.version === "1.1.0").length / users.length;
  assert.ok(Math.abs(share - 0.10) <= 0.03, `1.1.0 answered ${(share * 100).toFixed(1)}% of users`);
  for (let i = 0; i < 100; i++) {
    for (let k = 0; k < 3; k++) {
      const again = await call("POST", "/models/churn/predict", { record }, { "x-user-id": users[i] });
      assert.equal(again.body.version, first[i].body.version, `${users[i]} moved`);
    }
  }
  const rollback = await setTraffic(call, { split: { "1.0.0": 100 } });
  assert.equal(rollback.live, "1.0.0");
  const after = await pool(50, () => call("POST", "/models/churn/predict", { record }));
  assert.ok(after.every((r) => r.body.version === "1.0.0"), "after a rollback every request is answered by 1.0.0");
}

/**
 * Shadow and feedback: 1.0.0 live with 1.1.0 in shadow, the golden rows sent, then outcomes
 * posted; the metrics show the shadow agreement and each version's accuracy, as computed here
 * from the versions' own answers.
 */
export async function shadowAndFeedback(call) {
  const rows = golden("1.0.0").slice(0, 40);
  // Both versions' answers, through the pinned routes (no shadow runs there).
  const live = await pool(rows.length, (i) => call("POST", "/models/churn/versions/1.0.0/predict", { record: rows[i].input }));
  const cand = await pool(rows.length, (i) => call("POST", "/models/churn/versions/1.1.0/predict", { record: rows[i].input }));
  const agree = live.filter((r, i) => r.body.prediction === cand[i].body.prediction).length;
  const before = await metrics(call);
  const shadowLabels = { model: "churn", live: "1.0.0", shadow: "1.1.0" };
  const rows0 = series(before, "wasmpredict_shadow_rows_total", shadowLabels);
  const agree0 = series(before, "wasmpredict_shadow_agreement_rows_total", shadowLabels);
  await setTraffic(call, { split: { "1.0.0": 100 }, shadow: "1.1.0" });
  const answered = await pool(rows.length, (i) => call("POST", "/models/churn/predict", { record: rows[i].input }));
  for (const [i, r] of answered.entries()) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.version, "1.0.0", "the shadow never answers");
    assert.equal(r.body.prediction, live[i].body.prediction);
    assert.match(r.body.id, /^[A-Za-z0-9_-]+\.[0-9a-f]{16}$/);
    assert.equal(r.headers.get("x-prediction-id"), r.body.id);
  }
  await setTraffic(call, { split: { "1.0.0": 100 } });
  // The truth: a fixed rule, so each version's accuracy is known here.
  const truth = rows.map((r) => (r.input.contract === "month-to-month" ? 1 : 0));
  const ids = [...answered.map((r) => r.body.id), ...cand.map((r) => r.body.id)];
  const labels = [...truth, ...truth];
  const stored = await pool(ids.length, (i) => call("POST", "/models/churn/feedback", { id: ids[i], label: labels[i] }));
  for (const r of stored) assert.equal(r.status, 201, r.text);
  const again = await call("POST", "/models/churn/feedback", { id: ids[0], label: labels[0] });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, "duplicate_feedback");
  for (const [body, status, code, field] of [
    [{ id: "nonsense", label: 1 }, 400, "invalid_prediction_id", "id"],
    [{ id: ids[0].replace(/.$/, (c) => (c === "0" ? "1" : "0")), label: 1 }, 400, "invalid_prediction_id", "id"],
    [{ label: 1 }, 400, "missing_field", "id"],
    [{ id: ids[1] }, 400, "missing_field", "label"],
    [{ id: ids[1], label: 7 }, 400, "unknown_category", "label"],
  ]) {
    const r = await call("POST", "/models/churn/feedback", body);
    assert.equal(r.status, status, r.text);
    assert.equal(r.body.error.code, code);
    assert.equal(r.body.error.field, field);
  }
  const summary = await call("GET", "/admin/models/churn/feedback", undefined, AUTH);
  assert.equal(summary.status, 200, summary.text);
  const text = await metrics(call);
  assert.equal(series(text, "wasmpredict_shadow_rows_total", shadowLabels) - rows0, rows.length);
  assert.equal(series(text, "wasmpredict_shadow_agreement_rows_total", shadowLabels) - agree0, agree);
  for (const [v, answers] of [["1.0.0", live], ["1.1.0", cand]]) {
    const correct = answers.filter((r, i) => r.body.prediction === truth[i]).length;
    const entry = summary.body.versions.find((e) => e.version === v);
    assert.deepEqual(
      { count: entry.count, correct: entry.correct, accuracy: entry.accuracy },
      { count: rows.length, correct, accuracy: correct / rows.length },
    );
    assert.equal(series(text, "wasmpredict_feedback_total", { model: "churn", version: v }), rows.length);
    assert.equal(series(text, "wasmpredict_feedback_accuracy", { model: "churn", version: v }), correct / rows.length);
  }
  assert.ok(series(text, "wasmpredict_requests_total", { model: "churn", version: "1.0.0", code: "200" }) >= rows.length);
  assert.ok(series(text, "wasmpredict_inference_seconds_count", { model: "churn", version: "1.0.0" }) >= rows.length);
  assert.equal(series(text, "wasmpredict_traffic_weight", { model: "churn", version: "1.0.0" }), 100);
}

/** The shifted and fresh churn samples of the drift checks (tests/python/make_fixtures.py). */
const driftSample = (name) =>
  JSON.parse(readFileSync(`${ROOT}target/fixtures/_drift/churn-${name}.json`, "utf8")).instances;

/** Rows -> the monitored report of churn 1.0.0 once the window holds all of them. The server
 * runs with a window of `WINDOW` rows, so these rows replace whatever it held before. */
export const WINDOW = 2000;
async function monitorAfter(call, rows) {
  const read = async () => {
    const r = await call("GET", "/models/churn/monitor", undefined, AUTH);
    assert.equal(r.status, 200, r.text);
    return r.body.versions.find((v) => v.version === "1.0.0");
  };
  const seen0 = (await read()).rows.seen;
  const batches = [];
  for (let i = 0; i < rows.length; i += 500) batches.push(rows.slice(i, i + 500));
  for (const instances of batches) {
    const r = await call("POST", "/models/churn/versions/1.0.0/predict", { instances });
    assert.equal(r.status, 200, r.text);
  }
  // Isolates send their rows about a second after serving them (off the requests' path);
  // read once every send is in, so the window holds exactly these rows, in order.
  await new Promise((r) => setTimeout(r, 1500));
  let version = await read();
  const t0 = Date.now();
  while (version.rows.seen < seen0 + rows.length && Date.now() - t0 < 5000) {
    await new Promise((r) => setTimeout(r, 200));
    version = await read();
  }
  assert.equal(version.rows.seen, seen0 + rows.length, "every row reached the window");
  assert.equal(version.rows.window, WINDOW);
  return version;
}

export async function monitorFlagsShiftedFields(call) {
  const anonymous = await call("GET", "/models/churn/monitor");
  assert.equal(anonymous.status, 401, anonymous.text);
  const shifted = await monitorAfter(call, driftSample("shifted"));
  const flagged = (v) => v.drift.fields.filter((f) => f.drifted).map((f) => f.name).sort();
  assert.deepEqual(flagged(shifted), ["payment_method", "tenure"], JSON.stringify(shifted.drift.fields));
  assert.equal(shifted.drift.drifted, true);
  assert.equal(shifted.drift.rows, WINDOW);
  assert.equal(shifted.requests.by_status["200"] >= 4, true);
  const shares = shifted.predictions.classes.reduce((s, c) => s + c.share, 0);
  assert.ok(Math.abs(shares - 1) < 1e-9, JSON.stringify(shifted.predictions));
  // The same rows unshifted push the shifted ones out of the window: nothing is flagged.
  const fresh = await monitorAfter(call, driftSample("fresh"));
  assert.deepEqual(flagged(fresh), [], JSON.stringify(fresh.drift.fields));
  assert.ok(fresh.drift.fields.every((f) => f.verdict !== "drift"));
}
