#!/usr/bin/env bash
# Sets up everything wasmpredict's tests need and runs every test.
# First run on a fresh machine: ~44 minutes on 2 cores (2,660 s measured: tract compiles
# natively and for wasm32, wasm-bindgen-cli installs from crates.io, pip installs scikit-learn &
# co. into .venv, npm installs wrangler & co.; docs/setup.md has the measured steps). Later
# runs: a few minutes.
# Two lines of work go on side by side: the native one in the foreground (clippy, the CLI, the
# Rust and Python tests) and the wasm one in the background ("wasm builds": the web app, the
# predictors, the Workers, into their own target directory), joined before the tests that need
# both.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
times_start
run_pid=
finish() {
    local status=$?
    stop_background
    [ -z "$run_pid" ] || kill -- -"$run_pid" 2>/dev/null || true
    if [ "$status" = 0 ]; then times_summary "every test passed"; else times_summary "./test.sh failed (exit $status)"; fi
}
trap finish EXIT

# Training in the tests must reproduce the committed bundles on any machine (models/pinned_kernels.py).
eval "$(python3 models/pinned_kernels.py --shell)"

# The wasm side waits for this run's fixtures (the tract Worker embeds some): none are left from
# an earlier run.
rm -rf target/fixtures target/fixtures.complete

need_rust
need_clippy
need_wasm_target
need_node_modules
# Downloads that barely use the CPU go on beside the first compile.
in_background "Python packages" need_venv
in_background "Chromium" need_chromium

# The wasm side. Its builds are mostly one long single-threaded link each (fat LTO, one codegen
# unit), so they fill the core the native side leaves idle.
wasm_builds() {
    # Run as a background step, where `set -e` does not apply (bash ignores it inside a function
    # called from a condition): every step returns on failure itself.
    need_wasm_bindgen || return
    export CARGO_TARGET_DIR="$WASMPREDICT_WASM_TARGET_DIR"
    say "building the web app, the JS predictor API (compact and tract builds) and the site"
    timed "web build" bash scripts/build-web.sh || return
    say "building the Worker (the bundled models: compact engine only)"
    timed "Worker build" bash scripts/build-worker.sh || return
    say "wasm-bindgen tests of the predictor class under Node"
    timed "wasm-bindgen tests (Node)" cargo test -p wasmpredict-web --target wasm32-unknown-unknown || return

    say "building a Worker whose bundles need tract (an MLP and plain ONNX networks from the fixtures)"
    until [ -f target/fixtures.complete ]; do sleep 2; done
    local tract_models=target/worker-tract-models b
    rm -rf "$tract_models" && mkdir -p "$tract_models" && cp -R models/iris "$tract_models/" || return
    # XGBoost and LightGBM pipelines (compact engine) ride along: the Worker serves them too.
    for b in mlp-classifier mlp-regressor onnx-net-classifier onnx-net-regressor xgb-pipeline lgbm-pipeline; do
        mkdir -p "$tract_models/$b" && cp "target/fixtures/$b/"{manifest.json,model.onnx,golden.json} "$tract_models/$b/" || return
        [ ! -f "target/fixtures/$b/explain.json" ] || cp "target/fixtures/$b/explain.json" "$tract_models/$b/" || return
    done
    # Hostile bundles the Worker must refuse when it loads them (graphs only tract can judge), and a
    # tree too deep to explain (tests/worker/tract.test.mjs).
    for b in gigantic-constant initializer-without-data matmul-shapes-disagree deep-tree; do
        cp -R "target/fixtures/_hostile/$b" "$tract_models/" || return
    done
    timed "tract Worker build" bash scripts/build-worker.sh --models "$tract_models" --out target/worker-tract
}
in_background "wasm builds" wasm_builds

say "formatting (cargo fmt --check)"
cargo fmt --all --check

# The browser, app and Worker crates hold no wasm32-only code (no cfg(target_arch)): this lints
# them too, and the wasm32 builds below prove they compile there.
say "lints: cargo clippy --workspace --all-targets -- -D warnings"
timed "clippy" cargo clippy --workspace --all-targets -- -D warnings

say "building the wasmpredict CLI (the exporter replays every bundle's golden rows through it)"
timed "CLI build" cargo build --bin wasmpredict
target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')"
export WASMPREDICT_BIN="$target_dir/debug/wasmpredict"
await_background "Python packages"

say "generating test fixtures with scikit-learn (target/fixtures)"
timed "fixtures" "$PY" tests/python/make_fixtures.py target/fixtures >&2
touch target/fixtures.complete

say "Rust tests (golden replay, engine parity, featurizer parity, API errors, bundle refusals, HTTP routes, CLI)"
timed "Rust tests" cargo test --all-targets

say "Python tests against the native server (exporter, spec, schemathesis, tritonclient)"
timed "Python tests" "$PY" -m pytest -q tests/python

say "operations against the native server: versions, traffic split, shadow, feedback, metrics, admin token, CLI rollback"
timed "operations tests (native)" env WASMPREDICT_BIN="$WASMPREDICT_BIN" node --test tests/ops/native.test.mjs

say "waiting for the wasm side (log: $(background_log "wasm builds"))"
await_background "wasm builds"

say "JS predictor API under Node, app size budget"
timed "JS predictor tests" node --test tests/web/

await_background "Chromium"
say "the npm package: npm pack build/site/pkg, installed into a Vite app, bundled, predicting in headless Chromium"
timed "npm package in Vite + Chromium" node --test tests/npm/

say "wasm-bindgen tests of the predictor class in headless Chromium (under Node: with the wasm builds)"
timed "wasm-bindgen tests (Chromium)" env CARGO_TARGET_DIR="$WASMPREDICT_WASM_TARGET_DIR" WASM_BINDGEN_USE_BROWSER=1 \
    CHROMEDRIVER="$(command -v chromedriver)" cargo test -p wasmpredict-web --target wasm32-unknown-unknown

say "Worker tests in workerd (node:test + Miniflare): the default Worker and the tract one, operations"
timed "Worker tests in workerd" node --test tests/worker/

say "the bad-input matrix (tests/hardening/bad-inputs.json): wasmpredict serve, the Worker in workerd, the JS predictor"
timed "bad-input matrix" env WASMPREDICT_BIN="$WASMPREDICT_BIN" node --test tests/hardening/

say "the deploy gate (dry run) on the committed bundles, and its refusal of a broken golden row"
timed "deploy gate" bash scripts/deploy.sh --dry-run
node --test tests/ops/gate.test.mjs

say "starting ./run.sh (the Worker under wrangler dev) for the protocol tests"
port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
run_state="$(mktemp -d)"
setsid env PORT="$port" ADMIN_TOKEN=test-admin-token-0123456789 STATE_DIR="$run_state" ./run.sh >"$log" 2>&1 &
run_pid=$!
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
    kill -0 "$run_pid" 2>/dev/null || { cat "$log" >&2; die "./run.sh exited"; }
    sleep 1
done
curl -fsS "http://127.0.0.1:$port/v2/health/ready" >/dev/null || { cat "$log" >&2; die "the Worker did not become ready"; }

say "spec and tritonclient tests against the Worker at 127.0.0.1:$port"
# schemathesis ran against the native server above; the rest runs again against the Worker.
WASMPREDICT_URL="http://127.0.0.1:$port" "$PY" -m pytest -q tests/python/test_http_api.py -k "not schemathesis"

say "operations against ./run.sh (wrangler dev, the Durable Object): versions, split, shadow, feedback, metrics, admin token"
WASMPREDICT_URL="http://127.0.0.1:$port" node --test tests/ops/run.test.mjs

say "the web app in headless Chromium against ./run.sh (playwright-core)"
WASMPREDICT_URL="http://127.0.0.1:$port" timed "browser tests" node --test tests/browser/
