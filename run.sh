#!/usr/bin/env bash
# Builds the wasmpredict Worker and serves it locally in workerd (the Cloudflare Workers runtime,
# through wrangler dev): the page at http://127.0.0.1:$PORT/ and the API (POST /predict,
# /models/{name}/predict, GET /models, the Open Inference Protocol under /v2). The work is
# `cargo xtask serve` (xtask/src/serve.rs); `cargo xtask --help` lists the other steps.
#
# First run on a fresh machine: ~8-10 minutes to the app answering (installs the pinned npm
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
command -v cargo >/dev/null || { echo "error: cargo not found: install Rust with rustup (https://rustup.rs), then rerun ./run.sh" >&2; exit 1; }
exec cargo xtask serve
