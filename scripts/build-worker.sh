#!/usr/bin/env bash
# Builds the Worker (worker/build/index.js + index_bg.wasm) with worker-build, checking that
# every tool matches what Cargo.lock and package.json pin. Installs missing tools (first time:
# wasm-bindgen-cli ~10 min, worker-build ~10 min, tract for wasm32 ~10 min).
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
    cargo install worker-build --version "$WORKER_BUILD_VERSION" >&2
fi

# Skip the build when nothing it embeds or compiles changed since the last one.
wasm=worker/build/index_bg.wasm
if ! stale "$wasm" src worker/src worker/build.rs worker/Cargo.toml models Cargo.toml Cargo.lock; then
    say "the Worker is up to date ($wasm)"
    exit 0
fi

say "building the Worker (worker-build --release, opt-level z)"
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
# Size over speed for the shipped wasm; does not touch native builds (other target dir).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd worker && worker-build --release >&2)
bash scripts/wasm-opt.sh worker/build/index_bg.wasm
ls -l worker/build/index_bg.wasm >&2
