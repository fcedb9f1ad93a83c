#!/usr/bin/env bash
# Builds wasmpredict and serves the bundled models: the page at http://127.0.0.1:$PORT/ and the
# API (POST /predict, /models/{name}/predict, GET /models). First run: ~10-15 minutes (tract
# compiles in release mode); later runs start in seconds.
#   PORT           listen port (default 8787)
#   DEFAULT_MODEL  the model that answers plain /predict (default rf-classification)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

need_rust
PORT="${PORT:-8787}"
DEFAULT_MODEL="${DEFAULT_MODEL:-rf-classification}"

say "building wasmpredict (release)"
cargo build --release --bin wasmpredict

say "checking every bundle under models/ against its golden predictions"
bundles=()
for m in models/*/; do [ -f "$m/manifest.json" ] && bundles+=("$m"); done
target/release/wasmpredict check "${bundles[@]}"

say "serving on http://127.0.0.1:$PORT (Ctrl-C stops)"
exec target/release/wasmpredict serve --models models --www www \
    --addr "127.0.0.1:$PORT" --default-model "$DEFAULT_MODEL"
