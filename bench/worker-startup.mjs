// Worker startup in workerd (Miniflare): for each bundle, a fresh isolate's first request
// (wasm compile + instantiate + bundle sha256 + model load + predict) vs warm requests.
// Median/min/max over runs. Two builds: the Worker as shipped (worker/build: compact engine) and,
// if built, the same bundles forced onto tract (target/worker-tract-all, ENGINE=tract).
// Run: node bench/worker-startup.mjs [runs] [--json]
import { Miniflare } from "miniflare";
import { readFileSync, statSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { spread } from "./web/suite.mjs";

const ROOT = new URL("../", import.meta.url).pathname;
const runs = Number(process.argv[2] || 5);
const json = process.argv.includes("--json");
const BUILDS = [
  { engine: "compact", dir: `${ROOT}worker/build`, bindings: {} },
  { engine: "tract", dir: `${ROOT}target/worker-tract-all`, bindings: { ENGINE: "tract" } },
].filter((b) => existsSync(`${b.dir}/index_bg.wasm`));
const bodies = {};
for (const name of ["iris", "rf-classification", "churn", "news"]) {
  const golden = JSON.parse(readFileSync(`${ROOT}models/${name === "churn" ? "churn/1.0.0" : name}/golden.json`, "utf8"));
  bodies[name] = JSON.stringify({ record: golden.rows[0].input });
}
// (Node 20's V8 cannot compile the tract build on its own: wasm-bindgen's catch wrappers use the
// exnref exception-handling opcodes, which workerd's V8 has. So compile time is inside the
// first request here, and measured separately for the browser build in bench/browser.mjs.)
for (const build of BUILDS) {
  const wasm = `${build.dir}/index_bg.wasm`;
  const bytes = readFileSync(wasm);
  const size = { raw_bytes: statSync(wasm).size, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
  if (json) console.log(JSON.stringify({ kind: "worker_wasm", engine: build.engine, ...size }));
  else console.log(`Worker (${build.engine}) wasm ${size.raw_bytes} B (${size.gzip_bytes} B gzip)\nmodel               first request ms   warm request ms`);
  for (const [name, body] of Object.entries(bodies)) {
    const first = [], warm = [];
    for (let i = 0; i < runs; i++) {
      const mf = new Miniflare({
        modules: true, scriptPath: `${build.dir}/index.js`,
        modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
        compatibilityDate: "2026-04-26", cf: false, bindings: build.bindings,
        durableObjects: { STATE: { className: "DeploymentState", useSQLite: true } },
      });
      await mf.ready;
      const post = async () => {
        const r = await mf.dispatchFetch(`http://localhost/models/${name}/predict`, { method: "POST", body });
        if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status} ${await r.text()}`);
        return r.text();
      };
      let t = performance.now(); await post(); first.push(performance.now() - t);
      const w = [];
      for (let k = 0; k < 20; k++) { t = performance.now(); await post(); w.push(performance.now() - t); }
      warm.push(spread(w).median);
      const info = await (await mf.dispatchFetch(`http://localhost/models/${name}`)).json();
      if (info.engine !== build.engine) throw new Error(`${name} ran on ${info.engine}, expected ${build.engine}`);
      await mf.dispose();
    }
    if (json) console.log(JSON.stringify({ kind: "worker_first_request", engine: build.engine, model: name, first_ms: spread(first), warm_ms: spread(warm), runs }));
    else console.log(`${name.padEnd(20)}${spread(first).median.toFixed(1).padStart(14)}${spread(warm).median.toFixed(2).padStart(18)}`);
  }
}
