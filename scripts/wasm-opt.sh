#!/usr/bin/env bash
# Shrinks a wasm-bindgen output in place with binaryen 132 from npm (never Debian's 108, which
# silently breaks wasm-bindgen 0.2.130 output): -Oz, which also drops the name section.
# The features are listed because wasm-bindgen's output does not declare all of them.
# BENCHMARKS.md has the sizes with and without it.
#   scripts/wasm-opt.sh FILE.wasm
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
[ -x "$WASM_OPT" ] || { echo "error: $WASM_OPT missing: run npm ci in $ROOT" >&2; exit 1; }
version="$("$WASM_OPT" --version | grep -oE 'version [0-9]+' | head -1)"
[ "$version" = "version 132" ] || { echo "error: wasm-opt is '$version', expected binaryen version 132 (npm binaryen@132.0.0)" >&2; exit 1; }
before=$(stat -c %s "$1")
"$WASM_OPT" -Oz \
    --enable-simd --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-exception-handling \
    "$1" -o "$1.opt"
mv "$1.opt" "$1"
echo "wasm-opt -Oz $1: $before -> $(stat -c %s "$1") bytes" >&2
