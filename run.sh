#!/usr/bin/env bash
# Builds the wasmpredict Worker and serves it locally in workerd (the Cloudflare Workers runtime,
# through wrangler dev): the page at http://127.0.0.1:$PORT/ and the API (POST /predict,
# /models/{name}/predict, GET /models, the Open Inference Protocol under /v2).
#
# First run on a fresh machine: ~25-35 minutes (installs the pinned npm packages, wasm-bindgen-cli
# and worker-build from crates.io, and compiles tract for wasm32); then a few seconds when nothing
# changed, ~1-2 minutes after a code or bundle change.
#   PORT           listen port (default 8787)
#   DEFAULT_MODEL  the model answering plain /predict (default: DEFAULT_MODEL in wrangler.toml)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

PORT="${PORT:-8787}"
bash scripts/build-web.sh
bash scripts/build-worker.sh

args=(--env prebuilt --local --ip 127.0.0.1 --port "$PORT" --log-level "${LOG_LEVEL:-warn}")
if [ -n "${DEFAULT_MODEL:-}" ]; then
    args+=(--var "DEFAULT_MODEL:$DEFAULT_MODEL")
fi
say "serving on http://127.0.0.1:$PORT in workerd (Ctrl-C stops)"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
exec node_modules/.bin/wrangler dev "${args[@]}"
