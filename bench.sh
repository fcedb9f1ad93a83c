#!/usr/bin/env bash
# ./bench.sh: wasmpredict side by side with onnxruntime (web, node, Python), scikit-learn and the
# textbook Flask + pickle app, on this machine, in one run. Writes BENCHMARKS.md and
# bench/chart.svg; raw results go to target/bench/. Takes ~20 minutes once built (first time:
# the setup of ./test.sh plus wrk from apt and the npm/PyPI baselines, and a Worker build that
# links tract for the tract path's rows, ~10 minutes).
#   ./bench.sh [--quick]      --quick: fewer rounds and shorter wrk runs, to try the pipeline
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
source scripts/setup.sh

ROUNDS=5 RUNS=5 WRK_SECONDS=8 WRK_ROUNDS=3
if [ "${1:-}" = "--quick" ]; then ROUNDS=2 RUNS=2 WRK_SECONDS=3 WRK_ROUNDS=1; fi
OUT="$ROOT/target/bench"
# The native CLI, wherever cargo puts it (CARGO_TARGET_DIR is honoured; bench/http_load.py reads this too).
export WASMPREDICT_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/wasmpredict"
mkdir -p "$OUT"

say "setup: tools, builds and the baselines"
need_rust
need_venv
need_chromium
if ! command -v wrk >/dev/null; then
    say "installing wrk (apt)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >&2 || (apt-get update >&2 && apt-get install -y wrk >&2); else sudo apt-get install -y wrk >&2; fi
fi
.venv/bin/pip install --quiet -r bench/textbook/requirements.txt >&2
if [ ! -d bench/node_modules/onnxruntime-web ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
    say "installing onnxruntime-web and onnxruntime-node (npm, bench/)"
    (cd bench && npm ci --no-audit --no-fund >&2)
fi
timed "web build" bash scripts/build-web.sh
timed "Worker build" bash scripts/build-worker.sh
# The same four bundles on a Worker that links tract, run with ENGINE=tract: the tract path's rows.
timed "tract Worker build" bash scripts/build-worker.sh --models models --out target/worker-tract-all --tract
say "building the native CLI (release)"
cargo build --release --quiet
if [ ! -f bench/textbook/random_forest_model.pkl ] || [ bench/textbook/train_and_save_model.py -nt bench/textbook/random_forest_model.pkl ]; then
    say "training the textbook model (bench/textbook/train_and_save_model.py)"
    (cd bench/textbook && ../../.venv/bin/python train_and_save_model.py >&2)
fi

say "1/5 native: wasmpredict bench (compact engine, then tract)"
models=(models/iris models/rf-classification models/churn/1.0.0 models/news)
"$WASMPREDICT_BIN" bench --json --rounds "$ROUNDS" "${models[@]}" > "$OUT/native-wasmpredict.jsonl"
"$WASMPREDICT_BIN" bench --json --rounds "$ROUNDS" --engine tract "${models[@]}" >> "$OUT/native-wasmpredict.jsonl"
"$WASMPREDICT_BIN" bench --rounds "$ROUNDS" "${models[@]}" >&2
say "1/5 native: sklearn and onnxruntime (Python)"
.venv/bin/python bench/native.py --rounds "$ROUNDS" > "$OUT/native-python.jsonl"
say "2/5 node: wasmpredict vs onnxruntime-web vs onnxruntime-node"
node bench/node.mjs --rounds "$ROUNDS" > "$OUT/node.jsonl"
say "3/5 browser: headless Chromium"
node bench/browser.mjs --runs "$RUNS" --rounds "$ROUNDS" > "$OUT/browser.jsonl"
say "4/5 startup: the Worker in workerd (Miniflare)"
node bench/worker-startup.mjs "$RUNS" --json > "$OUT/worker.jsonl"
say "5/5 HTTP: wrk against Flask, gunicorn, workerd, wrangler dev, wasmpredict serve"
.venv/bin/python bench/http_load.py --duration "$WRK_SECONDS" --rounds "$WRK_ROUNDS" > "$OUT/http.jsonl"

say "writing BENCHMARKS.md and bench/chart.svg"
python3 - "$OUT/meta.json" <<'PY'
import json, os, platform, subprocess, sys, datetime, gzip
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        return "?"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
pkg = lambda p: json.load(open(p))["version"]
py = lambda m: run(".venv/bin/python", "-c", f"import {m}; print({m}.__version__)")
ort_wasm = "bench/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"
def size(path):
    data = open(path, "rb").read()
    return {"raw": len(data), "gzip": len(gzip.compress(data, 9))}
app_wasm = next(f for f in sorted(os.listdir("build/site")) if f.endswith("_bg.wasm"))
sizes = {
    "JS API, compact build (`pkg/wasmpredict_web_bg.wasm`)": size("build/site/pkg/wasmpredict_web_bg.wasm"),
    "JS API, tract build (`pkg/wasmpredict_web_tract_bg.wasm`, fetched only for graphs that need it)": size("build/site/pkg/wasmpredict_web_tract_bg.wasm"),
    "web app's own wasm (UI only; predicts through the JS API's)": size(f"build/site/{app_wasm}"),
    "Worker, compact build, four bundles embedded (`worker/build`)": size("worker/build/index_bg.wasm"),
    "Worker, tract build, the same bundles (`target/worker-tract-all`)": size("target/worker-tract-all/index_bg.wasm"),
}
meta = {
    "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    "cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem,
    "os": run("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
    "ort_wasm_gzip_bytes": len(gzip.compress(open(ort_wasm, "rb").read(), 9)),
    "sizes": sizes,
    "versions": {
        "rustc": run("rustc", "--version").split()[1], "tract": "0.23.9 (vendor/, patched)",
        "wasm-bindgen": run("wasm-bindgen", "--version").split()[-1],
        "binaryen": "132", "node": run("node", "--version"),
        "chromium": run("/usr/bin/chromium", "--version").replace("Chromium ", "").split()[0],
        "workerd": run("node_modules/.bin/workerd", "--version").split()[-1],
        "wrangler": pkg("node_modules/wrangler/package.json"),
        "onnxruntime-web": pkg("bench/node_modules/onnxruntime-web/package.json"),
        "onnxruntime-node": pkg("bench/node_modules/onnxruntime-node/package.json"),
        "onnxruntime (Python)": py("onnxruntime"), "scikit-learn": py("sklearn"),
        "flask": run(".venv/bin/python", "-c", "import importlib.metadata as m; print(m.version('flask'))"),
        "gunicorn": py("gunicorn"), "python": run(".venv/bin/python", "--version").split()[-1],
        "wrk": run("sh", "-c", "wrk -v 2>&1 | head -1").split()[1],
    },
    "commands": ["./bench.sh", "target/release/wasmpredict bench --json [--engine tract] models/*", "python bench/native.py", "node bench/node.mjs",
                 "node bench/browser.mjs", "node bench/worker-startup.mjs --json", "python bench/http_load.py"],
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY
python3 bench/report.py "$OUT"

say "big files: a million churn rows, wasmpredict predict --output vs scikit-learn (BENCHMARKS.md, Big files)"
.venv/bin/python bench/big_file.py --rounds "$ROUNDS" > "$OUT/big-file.json"
say "done: BENCHMARKS.md, bench/chart.svg (raw results in $OUT)"
