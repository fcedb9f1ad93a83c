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
#   ADMIN_TOKEN    bearer token of the admin routes (traffic, feedback scores, /metrics); when
#                  unset, one is generated once into build/admin-token and printed
#   STATE_DIR      where workerd keeps the deployment's state (the DeploymentState Durable
#                  Object: traffic, feedback, metrics) across runs (default .wrangler/state)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
times_start

PORT="${PORT:-8787}"
timed "web build" bash scripts/build-web.sh
timed "Worker build" bash scripts/build-worker.sh

if [ -z "${ADMIN_TOKEN:-}" ]; then
    if [ ! -s build/admin-token ]; then
        mkdir -p build
        od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > build/admin-token
    fi
    ADMIN_TOKEN="$(cat build/admin-token)"
    say "admin token (from build/admin-token): $ADMIN_TOKEN"
fi
args=(--env prebuilt --local --ip 127.0.0.1 --port "$PORT" --log-level "${LOG_LEVEL:-warn}"
      --persist-to "${STATE_DIR:-.wrangler/state}" --var "ADMIN_TOKEN:$ADMIN_TOKEN")
if [ -n "${DEFAULT_MODEL:-}" ]; then
    args+=(--var "DEFAULT_MODEL:$DEFAULT_MODEL")
fi
times_summary "built"
say "serving on http://127.0.0.1:$PORT in workerd (Ctrl-C stops)"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
exec node_modules/.bin/wrangler dev "${args[@]}"
