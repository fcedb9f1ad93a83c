#!/usr/bin/env bash
# Builds the browser side into build/site, the directory the Worker serves as static assets:
#   build/site/            the Leptos app (www/: cargo, wasm-bindgen, scripts/build-app.mjs),
#                          example.html, sw.js, manifest
#   build/site/pkg/        the JS/TS predictor API, also the npm package (package.json; `npm pack`):
#                          predictor.js (+ .d.ts) over wasm-bindgen's glue,
#                          the compact build (wasmpredict_web*) every page loads and the
#                          tract-enabled build (wasmpredict_web_tract*) fetched only when a bundle
#                          needs it
#   build/site/bundles/    every bundle under models/ (what the pages load and predict with)
# Skips each wasm build when nothing it compiles changed.
#   scripts/build-web.sh                 everything
#   scripts/build-web.sh --tract-later   everything but a tract-enabled predictor that must be
#                                        (re)built: ./run.sh serves first and builds it after
#   scripts/build-web.sh --tract-only    that predictor alone, into an assembled build/site/pkg
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
mode=all
case "${1:-}" in
    "") ;;
    --tract-later) mode=tract-later ;;
    --tract-only) mode=tract-only ;;
    *) die "usage: scripts/build-web.sh [--tract-later | --tract-only]" ;;
esac
need_rust
need_wasm_target
need_wasm_bindgen
need_node_modules

export CARGO_TARGET_DIR="$WASMPREDICT_WASM_TARGET_DIR"
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/wasmpredict_web.wasm"

# What the predictor's wasm is compiled from (web/js and the byte budgets are copied or read).
predictor_inputs=(src web/src web/Cargo.toml Cargo.toml Cargo.lock)
# build_predictor OUT_DIR OUT_NAME compact|tract: one build of the browser predictor.
build_predictor() {
    local out="$1" name="$2" engines="$3"
    if stale "$out/${name}_bg.wasm" "${predictor_inputs[@]}"; then
        say "building the browser predictor $name (wasm32, opt-level z, $engines)"
        if [ "$engines" = tract ]; then
            cargo_build_wasm_tract
        else
            CARGO_PROFILE_RELEASE_OPT_LEVEL=z cargo build -p wasmpredict-web --target wasm32-unknown-unknown --release
        fi
        rm -rf "$out"
        wasm-bindgen --target web --out-dir "$out" --out-name "$name" "$wasm"
        bash scripts/wasm-opt.sh "$out/${name}_bg.wasm"
        built "$out/${name}_bg.wasm"
    else
        say "the browser predictor $name is up to date ($out)"
    fi
}
pkg=build/web-pkg
pkg_tract=build/web-pkg-tract
# copy_tract_predictor DIR: the tract-enabled build's files into DIR, its glue last (a page
# imports the glue, which then fetches the wasm).
copy_tract_predictor() {
    cp "$pkg_tract"/wasmpredict_web_tract_bg.wasm "$pkg_tract"/*.d.ts "$1/"
    cp "$pkg_tract"/wasmpredict_web_tract.js "$1/"
}

if [ "$mode" = tract-only ]; then
    [ -f build/site/pkg/predictor.js ] || die "build/site is not assembled: run scripts/build-web.sh first"
    timed "tract browser predictor" build_predictor "$pkg_tract" wasmpredict_web_tract tract
    copy_tract_predictor build/site/pkg
    exit 0
fi

timed "compact browser predictor" build_predictor "$pkg" wasmpredict_web compact
# The bundled models never need the tract-enabled build (~5 minutes to compile on a fresh
# machine): with --tract-later the site goes up without it, and ./run.sh builds it after.
tract_deferred=
if [ "$mode" = tract-later ] && stale "$pkg_tract/wasmpredict_web_tract_bg.wasm" "${predictor_inputs[@]}"; then
    tract_deferred=1
    say "the tract-enabled browser predictor is left for later (only bundles the compact engine does not run need it)"
else
    timed "tract browser predictor" build_predictor "$pkg_tract" wasmpredict_web_tract tract
fi

app=build/app
if stale "$app/index.html" src www Cargo.toml Cargo.lock scripts/build-app.mjs; then
    build_app() {
        say "building the web app (Leptos, wasm32, opt-level z)"
        CARGO_PROFILE_RELEASE_OPT_LEVEL=z cargo build -p wasmpredict-app --bin wasmpredict-app --target wasm32-unknown-unknown --release
        local bindgen=build/app-bindgen
        rm -rf "$bindgen"
        wasm-bindgen --target web --no-typescript --out-dir "$bindgen" --out-name wasmpredict-app \
            "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/wasmpredict-app.wasm"
        bash scripts/wasm-opt.sh "$bindgen/wasmpredict-app_bg.wasm"
        node scripts/build-app.mjs "$bindgen" wasmpredict-app www "$app"
        rm -rf "$bindgen"
    }
    timed "web app" build_app
    built "$app/index.html"
else
    say "the web app is up to date ($app)"
fi

say "assembling build/site (app, pkg, bundles)"
rm -rf build/site
mkdir -p build/site
cp -R "$app"/. build/site/
mkdir -p build/site/pkg build/site/bundles
cp "$pkg"/wasmpredict_web.js "$pkg"/wasmpredict_web_bg.wasm "$pkg"/*.d.ts build/site/pkg/
[ -n "$tract_deferred" ] || copy_tract_predictor build/site/pkg
cp web/js/predictor.js web/js/predictor.d.ts web/js/package.json web/js/README.md build/site/pkg/
# build/site/pkg is also the npm package (`npm pack build/site/pkg`): its version is the crate's.
npm_version="$(node -p 'require("./web/js/package.json").version')"
crate_version="$(awk -F'"' '/^version = / {print $2; exit}' web/Cargo.toml)"
[ "$npm_version" = "$crate_version" ] || die "web/js/package.json has version $npm_version, web/Cargo.toml $crate_version: make them equal"
# The bundles by the models directory's layout (wasmpredict::bundle::layout, printed by
# wasmpredict-engines --layout): bundles/NAME/ holds the live version (the one a server starts
# with), bundles/NAME/VERSION/ every version of a model that has several.
layout="$(wasmpredict_engines --layout models)"
node -e '
const fs = require("fs"), path = require("path");
const layout = JSON.parse(process.argv[1]);
const dir = "build/site/bundles";
// A bundle is its manifest and the files it lists (model.onnx, golden.json, explain.json...).
const files = (d) => ["manifest.json", ...Object.keys(JSON.parse(fs.readFileSync(path.join(d, "manifest.json"), "utf8")).files)];
const copy = (from, to) => { fs.mkdirSync(to, { recursive: true }); for (const f of files(from)) fs.copyFileSync(path.join(from, f), path.join(to, f)); };
const bytes = (d) => files(d).reduce((n, f) => n + fs.statSync(path.join(d, f)).size, 0);
const out = [];
for (const model of layout) {
  const live = model.versions.find((v) => v.version === model.live) || model.versions[model.versions.length - 1];
  copy(live.dir, `${dir}/${model.name}`);
  if (model.versions.length > 1) for (const v of model.versions) copy(v.dir, `${dir}/${model.name}/${v.version}`);
  const m = JSON.parse(fs.readFileSync(path.join(live.dir, "manifest.json"), "utf8"));
  out.push({ name: model.name, version: m.version, live: model.live, versions: model.versions.map((v) => v.version),
             task: m.task, estimator: m.estimator, description: m.description, bytes: bytes(live.dir) });
}
// The list the app reads: name, live version, versions, task, description, bytes of each bundle.
fs.writeFileSync(`${dir}/index.json`, JSON.stringify({ bundles: out }));
console.error(`bundles: ${out.map((b) => `${b.name} ${b.versions.join("/")}`).join(", ")}`);
' "$layout"

# The service worker precaches every file of this build under a version derived from them.
node -e '
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const root = "build/site";
const files = [];
(function walk(d) { for (const f of fs.readdirSync(d).sort()) { const p = path.join(d, f); fs.statSync(p).isDirectory() ? walk(p) : files.push(p); } })(root);
const hash = crypto.createHash("sha256");
for (const f of files) if (!f.endsWith("sw.js")) hash.update(f).update(fs.readFileSync(f));
const version = hash.digest("hex").slice(0, 16);
// The tract-enabled predictor is not precached: a page fetches it only for a bundle that needs
// it, and the service worker then keeps it (it caches what it serves).
// Nor are the versioned copies of bundles (/bundles/NAME/VERSION/): sw.js fetches and verifies
// a version when it becomes live.
const urls = files.map((f) => "/" + path.relative(root, f)).filter((u) => u !== "/sw.js" && !u.includes("_tract") && !/^\/bundles\/[^/]+\/[^/]+\//.test(u))
  .map((u) => (u.endsWith(".html") ? u.replace(/\.html$/, "").replace(/\/index$/, "/") : u));
const sw = fs.readFileSync(`${root}/sw.js`, "utf8").replace("__WASMPREDICT_VERSION__", version).replace("__WASMPREDICT_PRECACHE__", JSON.stringify(urls));
fs.writeFileSync(`${root}/sw.js`, sw);
console.error(`service worker: version ${version}, ${urls.length} files`);
'

