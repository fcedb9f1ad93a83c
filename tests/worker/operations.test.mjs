// The operations scenario (tests/ops/scenario.mjs) against the built Worker in workerd through
// Miniflare, with the DeploymentState Durable Object on SQLite storage as wrangler.toml binds
// it; then a rollback written to the object behind the isolate's back (as another isolate
// would) reaching the answers within 5 s, and metrics and monitored rows sent from the isolate
// in the background.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { workerd } from "../../scripts/workerd.mjs";
import * as ops from "../ops/scenario.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
let mf, call;

before(() => {
  mf = workerd(`${ROOT}worker/build`, { DEFAULT_MODEL: "rf-classification", ADMIN_TOKEN: ops.TOKEN, MONITOR_WINDOW: String(ops.WINDOW) });
  call = ops.client((path, init) => mf.dispatchFetch(`http://localhost${path}`, init));
});
after(async () => { await mf.dispose(); });

test("two versions of churn side by side", () => ops.versionsSideBySide(call));
test("admin routes refuse missing and wrong tokens and change nothing", () => ops.adminNeedsTheToken(call));
test("a 90/10 split lands within 3 points, sticky per user; a rollback is immediate", () => ops.splitAndStickiness(call));
test("shadow agreement and per-version accuracy from feedback in /metrics", () => ops.shadowAndFeedback(call));
test("the monitoring window flags exactly the shifted fields, then forgets them", () => ops.monitorFlagsShiftedFields(call));

test("a rollback stored by another isolate reaches this one within 5 s", async () => {
  const record = { tenure: 3, contract: "month-to-month" };
  const first = await call("POST", "/models/churn/predict", { record });
  assert.equal(first.body.version, "1.0.0");
  // Write to the Durable Object directly, as the isolate that took the admin request would.
  const ns = await mf.getDurableObjectNamespace("STATE");
  const stub = ns.get(ns.idFromName("deployment"));
  const put = await stub.fetch("https://deployment-state/traffic/churn", { method: "PUT", body: JSON.stringify({ split: { "1.1.0": 100 } }) });
  assert.equal(put.status, 204);
  const t0 = Date.now();
  let seen = null;
  while (Date.now() - t0 < 5000) {
    const r = await call("POST", "/models/churn/predict", { record });
    if (r.body.version === "1.1.0") { seen = Date.now() - t0; break; }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(seen !== null, "1.1.0 did not answer within 5 s of the stored rollback");
  console.log(`# the stored rollback answered after ${seen} ms`);
  const info = await call("GET", "/models/churn");
  assert.equal(info.body.live, "1.1.0");
  await ops.setTraffic(call, { split: { "1.0.0": 100 } });
});

test("metrics reach the deployment's aggregate in the background", async () => {
  const ns = await mf.getDurableObjectNamespace("STATE");
  const stub = ns.get(ns.idFromName("deployment"));
  const read = async () => (await (await stub.fetch("https://deployment-state/metrics/read", { method: "POST", body: "{}" })).json()).metrics;
  const count = (m) => (m.counters.find((c) => c.name === "wasmpredict_requests_total" && c.labels.some(([k, v]) => k === "model" && v === "iris"))?.value ?? 0);
  const before = count(await read());
  for (let i = 0; i < 5; i++) await call("POST", "/models/iris/predict", { features: [5.1, 3.5, 1.4, 0.2] });
  const t0 = Date.now();
  while (count(await read()) < before + 5 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
  assert.equal(count(await read()), before + 5, "the isolate's counters reached the Durable Object without a /metrics call");
});

test("served rows reach the Durable Object's monitoring window in the background", async () => {
  const ns = await mf.getDurableObjectNamespace("STATE");
  const stub = ns.get(ns.idFromName("deployment"));
  const read = async () => (await (await stub.fetch("https://deployment-state/monitor/read/iris", { method: "POST", body: "{}" })).json());
  const seen = (w) => w["1.0.0"]?.rows_seen ?? 0;
  const before = seen(await read());
  for (let i = 0; i < 5; i++) await call("POST", "/models/iris/predict", { features: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] });
  const t0 = Date.now();
  while (seen(await read()) < before + 10 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
  const window = await read();
  assert.equal(seen(window), before + 10, "the isolate's rows reached the Durable Object without a /monitor call");
  const last = window["1.0.0"].rows.slice(-2);
  assert.deepEqual(last.map((r) => r.p), [0, 2], "each row keeps its predicted class");
  assert.equal(last[0].s.length, 5, "and its slot in each of the profile's four fields and the predictions");
});
