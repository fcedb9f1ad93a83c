// Worker startup in workerd (Miniflare): for each bundle, a fresh isolate's first request
// (wasm instantiate + bundle sha256 + model load + predict) vs a warm request. Median of N runs.
// Run: node bench/worker-startup.mjs [runs]
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";

const ROOT = new URL("../", import.meta.url).pathname;
const runs = Number(process.argv[2] || 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bodies = {};
for (const name of ["iris", "rf-classification", "churn", "news"]) {
  const golden = JSON.parse(readFileSync(`${ROOT}models/${name}/golden.json`, "utf8"));
  bodies[name] = JSON.stringify({ record: golden.rows[0].input });
}
console.log("model               first request ms   warm request ms");
for (const [name, body] of Object.entries(bodies)) {
  const first = [], warm = [];
  for (let i = 0; i < runs; i++) {
    const mf = new Miniflare({
      modules: true, scriptPath: `${ROOT}worker/build/index.js`,
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      compatibilityDate: "2026-04-26", cf: false,
    });
    await mf.ready;
    const post = () => mf.dispatchFetch(`http://localhost/models/${name}/predict`, { method: "POST", body }).then((r) => r.text());
    let t = performance.now(); await post(); first.push(performance.now() - t);
    for (let k = 0; k < 20; k++) { t = performance.now(); await post(); warm.push(performance.now() - t); }
    await mf.dispose();
  }
  console.log(`${name.padEnd(20)}${median(first).toFixed(1).padStart(14)}${median(warm).toFixed(2).padStart(18)}`);
}
