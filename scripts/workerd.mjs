// A built Worker in workerd through Miniflare, configured as wrangler.toml configures it: the
// compiled wasm module, the compatibility date, the DeploymentState Durable Object on SQLite
// storage, and the given vars. Used by scripts/serve-workerd.mjs (the deploy gate, the soak) and
// tests/worker/.
import { Miniflare } from "miniflare";

// `options` go to Miniflare as they are (e.g. `{ port }` for a fixed port on 127.0.0.1).
export function workerd(buildDir, bindings = {}, options = {}) {
  return new Miniflare({
    ...options,
    modules: true,
    scriptPath: `${buildDir}/index.js`,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-26",
    cf: false,
    durableObjects: { STATE: { className: "DeploymentState", useSQLite: true } },
    bindings: { ALLOWED_ORIGINS: "*", MAX_BODY_BYTES: "1048576", MAX_ROWS: "10000", ...bindings },
  });
}
