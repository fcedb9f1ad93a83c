// Assembles the web app (build/app) from wasm-bindgen's `--target web` output of the Leptos
// crate and the static files of www/: what trunk did for us, without installing trunk (an
// 8-11 minute compile on a fresh machine) for a page with one stylesheet and one wasm.
//   - every top-level file of www/ but the crate's own (Cargo.toml, src/, size-budget.json) is
//     copied as is (sw.js, the manifest, the icon, example.html, api.html);
//   - index.html's local stylesheets and the app's JS and wasm get content-hashed names (they
//     can be cached for ever) and Subresource Integrity hashes;
//   - the app's module loader, with preloads of its JS and wasm, closes index.html's <head>.
// The output is written beside OUT and swapped in, so a failed build leaves the last good one.
//   node scripts/build-app.mjs BINDGEN_DIR NAME WWW_DIR OUT_DIR
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [bindgen, name, www, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node scripts/build-app.mjs BINDGEN_DIR NAME WWW_DIR OUT_DIR");
  process.exit(2);
}
const CRATE_FILES = new Set(["Cargo.toml", "src", "size-budget.json", "index.html"]);

const sri = (bytes) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
const shortHash = (...parts) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex").slice(0, 16);
};
const fail = (message) => {
  console.error(`error: ${message}`);
  process.exit(1);
};

const staging = `${out}.staging`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });

for (const file of readdirSync(www).sort()) {
  if (CRATE_FILES.has(file) || statSync(join(www, file)).isDirectory()) continue;
  copyFileSync(join(www, file), join(staging, file));
}

let html = readFileSync(join(www, "index.html"), "utf8");

// Local stylesheets: /style.css -> /style-HASH.css with its integrity.
html = html.replace(/<link rel="stylesheet" href="\/([\w.-]+)\.css">/g, (_, base) => {
  const css = readFileSync(join(www, `${base}.css`));
  const hashed = `${base}-${shortHash(css)}.css`;
  writeFileSync(join(staging, hashed), css);
  rmSync(join(staging, `${base}.css`), { force: true });
  return `<link rel="stylesheet" href="/${hashed}" integrity="${sri(css)}">`;
});

// The app: NAME.js + NAME_bg.wasm -> NAME-HASH.js + NAME-HASH_bg.wasm, one hash for the pair.
const jsPath = join(bindgen, `${name}.js`);
const wasmPath = join(bindgen, `${name}_bg.wasm`);
if (!existsSync(jsPath) || !existsSync(wasmPath)) fail(`${bindgen} lacks ${name}.js or ${name}_bg.wasm (wasm-bindgen's output)`);
const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");
const stem = `${name}-${shortHash(wasm, js)}`;
// The glue's default URL of its wasm (used only when the loader passes none).
if (!js.includes(`${name}_bg.wasm`)) fail(`${jsPath} does not name ${name}_bg.wasm: wasm-bindgen's output changed`);
js = js.replaceAll(`${name}_bg.wasm`, `${stem}_bg.wasm`);
writeFileSync(join(staging, `${stem}.js`), js);
writeFileSync(join(staging, `${stem}_bg.wasm`), wasm);

const loader = `<link rel="modulepreload" href="/${stem}.js" crossorigin="anonymous" integrity="${sri(js)}">
<link rel="preload" href="/${stem}_bg.wasm" crossorigin="anonymous" integrity="${sri(wasm)}" as="fetch" type="application/wasm">
<script type="module">
import init from "/${stem}.js";
await init({ module_or_path: "/${stem}_bg.wasm" });
</script>
</head>`;
if (!html.includes("</head>")) fail(`${www}/index.html has no </head>`);
html = html.replace("</head>", () => loader);
writeFileSync(join(staging, "index.html"), html);

rmSync(out, { recursive: true, force: true });
renameSync(staging, out);
console.error(`web app: ${out}/${stem}_bg.wasm (${wasm.length} bytes), ${readdirSync(out).length} files`);
