#!/usr/bin/env bash
# Builds the Worker (worker/build/index.js + index_bg.wasm) with worker-build, checking that
# every tool matches what Cargo.lock and package.json pin. It embeds the bundles of models/ (or
# --models DIR) and links tract only if one of them needs it. Installs missing tools (first
# time: wasm-bindgen-cli ~2-10 min, worker-build ~4-10 min).
#   scripts/build-worker.sh [--models DIR] [--out DIR] [--tract]
# --tract links tract even when no bundle needs it (./bench.sh measures the tract path with it,
# setting ENGINE=tract at run time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

WORKER_BUILD_VERSION=0.8.7
need_rust
need_wasm_target
need_node_modules

need_wasm_bindgen

# `worker-build --version` prints the bare version.
if ! command -v worker-build >/dev/null || [ "$(worker-build --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)" != "$WORKER_BUILD_VERSION" ]; then
    say "installing worker-build $WORKER_BUILD_VERSION (first time ~10 minutes)"
    timed "worker-build install" cargo install worker-build --version "$WORKER_BUILD_VERSION" >&2
fi

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
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# Skip the build when nothing it embeds or compiles changed since the last one.
wasm="$OUT/index_bg.wasm"
inputs_changed=
stale "$wasm" src worker/src worker/build.rs worker/Cargo.toml "$MODELS" Cargo.toml Cargo.lock && inputs_changed=1
if [ "$(cat "$OUT/.models" 2>/dev/null)" = "$MODELS${FORCE_TRACT:+ (tract)}" ] && [ -z "$inputs_changed" ]; then
    say "the Worker is up to date ($wasm, bundles of $MODELS)"
    exit 0
fi

# tract only if an embedded bundle needs it (worker/build.rs refuses a build that lacks it).
engines="$(cargo run -q --release --no-default-features -p wasmpredict --bin wasmpredict-engines -- "$MODELS")" \
    || die "cannot read the bundles in $MODELS"
features=()
if [ -n "$FORCE_TRACT" ]; then
    features=(--features tract)
elif grep -q $'\ttract$' <<<"$engines"; then
    features=(--features tract)
    say "bundles that need tract: $(grep $'\ttract$' <<<"$engines" | cut -f1 | tr '\n' ' ')"
fi

say "building the Worker (worker-build --release, opt-level z${features:+, tract}) with the bundles of $MODELS"
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
# Size over speed for the shipped wasm; does not touch native builds (other target dir).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
export WASMPREDICT_MODELS="$MODELS"
out_abs="$(mkdir -p "$OUT" && cd "$OUT" && pwd)"
(cd worker && worker-build --release --out-dir "$(realpath --relative-to=. "$out_abs")" "${features[@]}" >&2)
bash scripts/wasm-opt.sh "$wasm"
built "$wasm"
echo "$MODELS${FORCE_TRACT:+ (tract)}" > "$OUT/.models"
ls -l "$wasm" >&2
