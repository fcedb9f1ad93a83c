"""The machine, tool versions and artifact sizes of one `cargo xtask bench` run, for
bench/report.py: writes them as JSON to the path given.

    python3 bench/meta.py target/bench/meta.json      (run from the repository root)
"""

import datetime
import gzip
import json
import os
import platform
import subprocess
import sys


def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        return "?"


def pkg(path):
    return json.load(open(path))["version"]


def py(module):
    return run(".venv/bin/python", "-c", f"import {module}; print({module}.__version__)")


def size(path):
    data = open(path, "rb").read()
    return {"raw": len(data), "gzip": len(gzip.compress(data, 9))}


def main(out):
    cpu = next(
        (l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
        platform.processor(),
    )
    mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    ort_wasm = "bench/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"
    app_wasm = next(f for f in sorted(os.listdir("build/site")) if f.endswith("_bg.wasm"))
    sizes = {
        "JS API, compact build (`pkg/wasmpredict_web_bg.wasm`)": size("build/site/pkg/wasmpredict_web_bg.wasm"),
        "JS API, tract build (`pkg/wasmpredict_web_tract_bg.wasm`, fetched only for graphs that need it)": size(
            "build/site/pkg/wasmpredict_web_tract_bg.wasm"
        ),
        "web app's own wasm (UI only; predicts through the JS API's)": size(f"build/site/{app_wasm}"),
        "Worker, compact build, four bundles embedded (`worker/build`)": size("worker/build/index_bg.wasm"),
        "Worker, tract build, the same bundles (`target/worker-tract-all`)": size("target/worker-tract-all/index_bg.wasm"),
    }
    meta = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem,
        "os": run("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "ort_wasm_gzip_bytes": len(gzip.compress(open(ort_wasm, "rb").read(), 9)),
        "sizes": sizes,
        "versions": {
            "rustc": run("rustc", "--version").split()[1],
            "tract": "0.23.9 (vendor/, patched)",
            "wasm-bindgen": run("wasm-bindgen", "--version").split()[-1],
            "binaryen": "132",
            "node": run("node", "--version"),
            "chromium": run("/usr/bin/chromium", "--version").replace("Chromium ", "").split()[0],
            "workerd": run("node_modules/.bin/workerd", "--version").split()[-1],
            "wrangler": pkg("node_modules/wrangler/package.json"),
            "onnxruntime-web": pkg("bench/node_modules/onnxruntime-web/package.json"),
            "onnxruntime-node": pkg("bench/node_modules/onnxruntime-node/package.json"),
            "onnxruntime (Python)": py("onnxruntime"),
            "scikit-learn": py("sklearn"),
            "flask": run(".venv/bin/python", "-c", "import importlib.metadata as m; print(m.version('flask'))"),
            "gunicorn": py("gunicorn"),
            "python": run(".venv/bin/python", "--version").split()[-1],
            "wrk": run("sh", "-c", "wrk -v 2>&1 | head -1").split()[1],
        },
        "commands": [
            "cargo xtask bench",
            "target/release/wasmpredict bench --json [--engine tract] models/*",
            "python bench/native.py",
            "node bench/node.mjs",
            "node bench/browser.mjs",
            "node bench/worker-startup.mjs --json",
            "python bench/http_load.py",
        ],
    }
    json.dump(meta, open(out, "w"), indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3 bench/meta.py OUT.json")
    main(sys.argv[1])
