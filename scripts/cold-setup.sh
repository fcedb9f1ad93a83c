#!/usr/bin/env bash
# Measures what a fresh machine spends in the README's two commands: clones this checkout's HEAD
# into a new directory and runs it with nothing of this machine's caches: its own CARGO_HOME
# (no crates.io download cache, no cargo-installed tools such as wasm-bindgen), its own npm and
# pip caches, and a PATH holding only rustup's proxies, Node, Python and the system. What stays
# shared is what a fresh machine of this kind starts with or what the commands do not install
# per project: the rustup toolchain (and its wasm32 target, 3 s to add), Debian's packages
# (Chromium, once apt has installed it).
#   scripts/cold-setup.sh run    # clone -> ./run.sh answering GET /v2/health/ready; prints the time
#   scripts/cold-setup.sh test   # clone -> .ci/run (./test.sh) passing; prints the time
# Each step's time is in the run's log and in the clone's target/setup-times.tsv.
# WORK (default /tmp/wasmpredict-cold) holds the clone, the caches and the log; it is removed
# first. docs/setup.md has the figures this measured.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
case "$mode" in run | test) ;; *) echo "usage: scripts/cold-setup.sh run|test" >&2; exit 2 ;; esac
WORK="${WORK:-/tmp/wasmpredict-cold}"
PORT="${PORT:-8797}"

rm -rf "$WORK"
mkdir -p "$WORK/bin" "$WORK/cargo" "$WORK/npm-cache" "$WORK/pip-cache"
git clone -q "$ROOT" "$WORK/repo"
rustup_bin="$(dirname "$(command -v rustup)")"
for tool in cargo rustc rustup rustdoc cargo-clippy clippy-driver rustfmt cargo-fmt; do
    [ ! -e "$rustup_bin/$tool" ] || ln -s "$rustup_bin/$tool" "$WORK/bin/$tool"
done
node_dir="$(dirname "$(command -v node)")"
python_dir="$(dirname "$(command -v python3)")"
export CARGO_HOME="$WORK/cargo" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$WORK/cargo/bin:$WORK/bin:$node_dir:$python_dir:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
export npm_config_cache="$WORK/npm-cache" PIP_CACHE_DIR="$WORK/pip-cache"
unset CARGO_TARGET_DIR WASMPREDICT_TIMES

log="$WORK/$mode.log"
start=$SECONDS
cd "$WORK/repo"
echo "cold $mode of $(git log --oneline -1 | cut -c1-60) in $WORK; log: $log" >&2
if [ "$mode" = test ]; then
    status=0
    CI=true bash .ci/run >"$log" 2>&1 || status=$?
    echo "./test.sh exited $status after $((SECONDS - start)) s" >&2
    grep -A40 'every test passed in\|failed (exit' "$log" | sed -n '1,40p' >&2 || true
    exit "$status"
fi
setsid env PORT="$PORT" ./run.sh >"$log" 2>&1 &
pid=$!
trap 'kill -- -"$pid" 2>/dev/null || true' EXIT
until curl -fsS "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { tail -30 "$log" >&2; echo "./run.sh exited before answering" >&2; exit 1; }
    sleep 1
done
echo "./run.sh answered on port $PORT after $((SECONDS - start)) s" >&2
curl -fsS -X POST "http://127.0.0.1:$PORT/predict" \
    -d '{"features": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}' >&2
echo >&2
grep -A30 'built in' "$log" >&2 || true
