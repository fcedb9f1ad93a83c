#!/usr/bin/env bash
# Builds the wasmpredict Worker and serves it locally in workerd (the Cloudflare Workers runtime,
# through wrangler dev): the page at http://127.0.0.1:$PORT/ and the API (POST /predict,
# /models/{name}/predict, GET /models, the Open Inference Protocol under /v2).
#
# First run on a fresh machine: ~10-12 minutes to the app answering (installs the pinned npm
# packages and wasm-bindgen-cli, compiles the browser predictor, the Leptos app and the Worker for
# wasm32; docs/setup.md has the measured steps), then the tract-enabled browser predictor builds
# in the background for ~5 minutes; a few seconds when nothing changed, ~1-2 minutes after a code
# or bundle change. The time of each step is printed when the build is done.
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
timed "web build" bash scripts/build-web.sh --tract-later
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
# The tract-enabled browser predictor, if build-web.sh left it for later: built while the app is
# already served (wrangler serves files added to build/site as they appear).
if [ ! -f build/site/pkg/wasmpredict_web_tract.js ]; then
    mkdir -p target/logs
    say "building the tract-enabled browser predictor in the background (~5 minutes the first time; only bundles the compact engine does not run need it; log: target/logs/tract-predictor.log)"
    (
        if bash scripts/build-web.sh --tract-only >target/logs/tract-predictor.log 2>&1; then
            say "the tract-enabled browser predictor is ready (/pkg/wasmpredict_web_tract_bg.wasm)"
        else
            say "the tract-enabled browser predictor failed to build: see target/logs/tract-predictor.log"
        fi
    ) &
fi
say "serving on http://127.0.0.1:$PORT in workerd (Ctrl-C stops)"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
exec node_modules/.bin/wrangler dev "${args[@]}"
