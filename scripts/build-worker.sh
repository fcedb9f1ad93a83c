#!/usr/bin/env bash
# Builds the Worker (worker/build/index.js + index_bg.wasm), the way worker-build 0.8.7 does but
# without installing it (a 4-10 minute compile on a fresh machine): cargo builds the Worker crate
# for wasm32, wasm-bindgen (the CLI pinned to Cargo.lock) writes its module-target glue, and
# scripts/package-worker.mjs wraps it in worker-build's shim (worker/js/shim.js) with esbuild.
# It embeds the bundles of models/ (or --models DIR) and links tract only if one of them needs
# it. Checks that every tool matches what Cargo.lock and package.json pin.
#   scripts/build-worker.sh [--models DIR] [--out DIR] [--tract]
# --tract links tract even when no bundle needs it (./bench.sh measures the tract path with it,
# setting ENGINE=tract at run time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

need_rust
need_wasm_target
need_node_modules
need_wasm_bindgen

# worker/js/shim.js is worker-build 0.8.7's and speaks to the worker crate's exports
# (__worker_init_state, __wbg_reset_state): a different worker crate needs a new shim.
worker_version="$(lock_version worker)"
[ "$worker_version" = "0.8.7" ] || die "Cargo.lock has worker $worker_version, worker/js/shim.js is worker-build 0.8.7's: update both together"

# Which bundles to embed and where to write the build.
MODELS="$ROOT/models"
OUT=worker/build
FORCE_TRACT=
while [ $# -gt 0 ]; do
    case "$1" in
        --models) MODELS="$(cd "$2" && pwd)"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --tract) FORCE_TRACT=1; shift ;;
        *) die "usage: scripts/build-worker.sh [--models DIR] [--out DIR] [--tract]" ;;
    esac
done
export CARGO_TARGET_DIR="$WASMPREDICT_WASM_TARGET_DIR"

# Skip the build when nothing it embeds or compiles changed since the last one.
wasm="$OUT/index_bg.wasm"
inputs_changed=
stale "$wasm" src worker/src worker/js worker/build.rs worker/Cargo.toml "$MODELS" Cargo.toml Cargo.lock scripts/package-worker.mjs && inputs_changed=1
if [ "$(cat "$OUT/.models" 2>/dev/null)" = "$MODELS${FORCE_TRACT:+ (tract)}" ] && [ -z "$inputs_changed" ]; then
    say "the Worker is up to date ($wasm, bundles of $MODELS)"
    exit 0
fi

# tract only if an embedded bundle needs it (worker/build.rs refuses a build that lacks it).
engines="$(wasmpredict_engines "$MODELS")" \
    || die "cannot read the bundles in $MODELS"
features=()
if [ -n "$FORCE_TRACT" ]; then
    features=(--features tract)
elif grep -q $'\ttract$' <<<"$engines"; then
    features=(--features tract)
    say "bundles that need tract: $(grep $'\ttract$' <<<"$engines" | cut -f1 | tr '\n' ' ')"
fi

say "building the Worker (wasm32, opt-level z${features:+, tract}) with the bundles of $MODELS"
# What worker-build sets: size over speed for the shipped wasm (does not touch native builds,
# other target dir), and wasm-bindgen's macro using js_sys's futures (WASM_BINDGEN_USE_JS_SYS).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z WASM_BINDGEN_USE_JS_SYS=1
export WASMPREDICT_MODELS="$MODELS"
if [ ${#features[@]} -gt 0 ]; then
    cargo_build_wasm_tract
else
    cargo build -p wasmpredict-worker --lib --release --target wasm32-unknown-unknown
fi
# Written beside the output, then swapped in: a failed build leaves the last good one.
mkdir -p "$OUT"
staging="$(mktemp -d "$OUT/.staging.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
wasm-bindgen "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/wasmpredict_worker.wasm" \
    --out-dir "$staging" --out-name index --target module --no-typescript \
    --experimental-reset-state-function --force-enable-abort-handler
node scripts/package-worker.mjs "$staging"
bash scripts/wasm-opt.sh "$staging/index_bg.wasm"
rm -rf "$OUT/index.js" "$OUT/index_bg.wasm" "$OUT/worker"
mv "$staging/index.js" "$staging/index_bg.wasm" "$staging/worker" "$OUT/"
built "$wasm"
echo "$MODELS${FORCE_TRACT:+ (tract)}" > "$OUT/.models"
ls -l "$wasm" >&2
