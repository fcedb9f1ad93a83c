// Turns wasm-bindgen's `--target module` output for the Worker crate into the Worker's entry
// module, the way worker-build 0.8.7 does (its src/main.rs: generate_handlers,
// add_export_wrappers, bundle, fix_wasm_import), so that a fresh machine needs no worker-build:
//   STAGING/index.js + index_bg.wasm  (wasm-bindgen's output)
//   -> STAGING/index.js               (worker/js/shim.js with the handlers, bundled by esbuild,
//                                      importing ./index_bg.wasm)
//      STAGING/worker/shim.mjs        (worker-build's re-export, for configs that name it)
//   node scripts/package-worker.mjs STAGING
import { readFileSync, writeFileSync, rmSync, mkdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const staging = process.argv[2];
if (!staging || !existsSync(join(staging, "index.js"))) {
  console.error("usage: node scripts/package-worker.mjs STAGING (holding wasm-bindgen's index.js)");
  process.exit(2);
}

// The functions and classes wasm-bindgen exported. Its ESM output declares each export at the
// start of a statement: `export function fetch(`, `export class DeploymentState {`,
// `export { x as y }`. The worker crate's own state hooks are not handlers.
const SYSTEM_FNS = new Set(["__wbg_reset_state", "__worker_init_state"]);
// Handlers the runtime calls with (event, env, ctx): the Rust side receives env and ctx too.
const EVENT_HANDLERS = new Set(["fetch", "queue", "scheduled", "email", "connect"]);

function exportedNames(source) {
  const functions = [];
  const classes = [];
  for (const match of source.matchAll(/(?:^|[\s;}])export\s+(async\s+function|function|class|\{)\s*([^(\s{]*)([^\n]*)/g)) {
    const [, kind, name, rest] = match;
    if (kind === "class") classes.push(name);
    else if (kind === "{") {
      const alias = / as ([A-Za-z_$][\w$]*)\s*\}/.exec(`${name}${rest}`);
      if (alias && !SYSTEM_FNS.has(alias[1])) functions.push(alias[1]);
    } else if (!SYSTEM_FNS.has(name)) functions.push(name);
  }
  return { functions, classes };
}

const glue = readFileSync(join(staging, "index.js"), "utf8");
const { functions, classes } = exportedNames(glue);
if (!functions.includes("fetch")) {
  console.error(`error: ${staging}/index.js exports no fetch handler (found: ${functions.join(", ") || "none"})`);
  process.exit(1);
}
const handlers = functions
  .map((name) =>
    EVENT_HANDLERS.has(name)
      ? `Entrypoint.prototype.${name} = function ${name} (arg) {\n  return exports.${name}.call(this, arg, this.env, this.ctx);\n}\n`
      : `Entrypoint.prototype.${name} = exports.${name};\n`,
  )
  .join("");
let shim = readFileSync(join(root, "worker/js/shim.js"), "utf8");
// worker-build's marker: the line that is just $HANDLERS.
const marker = /^\$HANDLERS$/m;
if (!marker.test(shim)) throw new Error("worker/js/shim.js lost its $HANDLERS line");
shim = shim.replace(marker, () => handlers);
for (const name of classes) shim += `export const ${name} = new Proxy(exports.${name}, classProxyHooks);\n`;
writeFileSync(join(staging, "shim.js"), shim);

await build({
  entryPoints: [join(staging, "shim.js")],
  outfile: join(staging, "index.js"),
  allowOverwrite: true,
  bundle: true,
  format: "esm",
  minify: true,
  external: ["./index_bg.wasm", "cloudflare:*"],
  logLevel: "warning",
});
// wasm-bindgen's module target imports the wasm as a source-phase import; workerd and wrangler
// take a plain import of a .wasm file as a WebAssembly.Module.
const bundled = readFileSync(join(staging, "index.js"), "utf8");
writeFileSync(join(staging, "index.js"), bundled.replaceAll("import source ", "import "));
rmSync(join(staging, "shim.js"));
rmSync(join(staging, "snippets"), { recursive: true, force: true });
mkdirSync(join(staging, "worker"), { recursive: true });
writeFileSync(
  join(staging, "worker/shim.mjs"),
  "// Use index.js directly, this file provided for backwards compat\n// with former shim.mjs only.\nexport * from '../index.js';\nexport { default } from '../index.js';\n",
);
console.error(`worker entry: handlers ${functions.join(", ")}; classes ${classes.join(", ") || "none"}`);
