#!/usr/bin/env python3
"""HTTP on loopback with wrk, for ./bench.sh: the textbook Flask + pickle app (Flask's debug
server as the book runs it, and gunicorn), the Worker in workerd (behind `wrangler dev`'s proxy,
and workerd alone), and `wasmpredict serve`. Single rows and 100-row batches of the textbook
random forest. One JSON line per (server, payload) on stdout; progress on stderr.

    python3 bench/http_load.py [--duration 8] [--rounds 3] [--connections 8] > http.json

Every server is started here, checked to answer the textbook row correctly, loaded with wrk
`rounds` times, then stopped. Needs: wrk, .venv with bench/textbook/requirements.txt, the
textbook pickle (bench.sh trains it), target/release/wasmpredict, worker/build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTBOOK_ROW = [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]
PY = os.path.join(ROOT, ".venv", "bin", "python")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def batch_rows(n):
    golden = json.load(open(os.path.join(ROOT, "models", "rf-classification", "golden.json")))["rows"]
    cols = [f"feature_{i}" for i in range(10)]
    return [[golden[i % len(golden)]["input"][c] for c in cols] for i in range(n)]


# The smallest Worker there is, as a baseline for what workerd itself costs (and its pauses).
PLAIN_JS_WORKER = """export default {
  async fetch(req) {
    const body = await req.json();
    const n = Array.isArray(body.instances) ? body.instances.length : 0;
    const answer = n ? { predictions: new Array(n).fill(0) } : { prediction: 0 };
    return new Response(JSON.stringify(answer), { headers: { "content-type": "application/json" } });
  },
};
"""


def capnp(modules, port, bindings="", extra="", services=""):
    """A workerd config serving one Worker made of `modules` on 127.0.0.1:`port`."""
    return f'''using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker){services} ],
  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ {modules} ],
  compatibilityDate = "2026-04-26",
  bindings = [ {bindings} ],{extra}
);
'''


def workerd_config(path, port):
    """Writes `path` (the built Worker on `port`) and plain.capnp beside it (the plain JS Worker
    on `port` + 10)."""
    # capnp `embed` paths are relative to the config file: put the build next to it.
    tmp = os.path.dirname(path)
    for f in ("index.js", "index_bg.wasm"):
        shutil.copy(os.path.join(ROOT, "worker", "build", f), os.path.join(tmp, f))
    open(os.path.join(tmp, "plain.js"), "w").write(PLAIN_JS_WORKER)
    open(os.path.join(tmp, "plain.capnp"), "w").write(capnp('(name = "plain.js", esModule = embed "plain.js")', port + 10))
    modules = '(name = "index.js", esModule = embed "index.js"), (name = "index_bg.wasm", wasm = embed "index_bg.wasm")'
    # The DeploymentState Durable Object, as wrangler.toml binds it (SQLite on a local disk).
    disk = os.path.join(tmp, "durable-objects")
    os.makedirs(disk, exist_ok=True)
    bindings = '(name = "DEFAULT_MODEL", text = "rf-classification"), (name = "STATE", durableObjectNamespace = "DeploymentState")'
    state = """
  durableObjectNamespaces = [ (className = "DeploymentState", uniqueKey = "wasmpredict-bench", enableSql = true) ],
  durableObjectStorage = (localDisk = "state-disk"),"""
    services = f', (name = "state-disk", disk = (path = "{disk}", writable = true))'
    open(path, "w").write(capnp(modules, port, bindings, state, services))


SERVERS = {
    # name: tmp dir -> (command, cwd, port, single-row path, 100-row path)
    "flask-debug (textbook)": lambda tmp: ([PY, "app.py"], os.path.join(ROOT, "bench", "textbook"), 5000, "/predict", "/predict_batch"),
    "gunicorn -w 2 (textbook app)": lambda tmp: ([os.path.join(ROOT, ".venv", "bin", "gunicorn"), "-w", "2", "-b", "127.0.0.1:5001", "--log-level", "warning", "app:app"], os.path.join(ROOT, "bench", "textbook"), 5001, "/predict", "/predict_batch"),
    "wasmpredict serve (native)": lambda tmp: ([os.environ.get("WASMPREDICT_BIN", os.path.join(ROOT, "target", "release", "wasmpredict")), "serve", "--models", "models", "--addr", "127.0.0.1:8081", "--default-model", "rf-classification"], ROOT, 8081, "/predict", "/predict"),
    "Worker in workerd (alone)": lambda tmp: ([os.path.join(ROOT, "node_modules", ".bin", "workerd"), "serve", os.path.join(tmp, "workerd.capnp")], ROOT, 8788, "/predict", "/predict"),
    # Baseline: a ten-line JS Worker that parses the body and answers 0, in the same workerd.
    "plain JS Worker in workerd (baseline)": lambda tmp: ([os.path.join(ROOT, "node_modules", ".bin", "workerd"), "serve", os.path.join(tmp, "plain.capnp")], ROOT, 8798, "/predict", "/predict"),
    "Worker in wrangler dev": lambda tmp: ([os.path.join(ROOT, "node_modules", ".bin", "wrangler"), "dev", "--env", "prebuilt", "--local", "--ip", "127.0.0.1", "--port", "8789", "--log-level", "warn", "--var", "DEFAULT_MODEL:rf-classification"], ROOT, 8789, "/predict", "/predict"),
}


def post(url, body, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def wait_ready(url, body, deadline_s=60):
    start = time.time()
    while time.time() - start < deadline_s:
        try:
            return post(url, body)
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"error: {url} did not answer within {deadline_s} s")


LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open("{body}"):read("*a")
"""


def to_ms(v, unit):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct, v, unit in re.findall(r"^\s+(50|75|90|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M):
        lat[pct] = to_ms(v, unit)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": lat.get("50"), "p99_ms": lat.get("99"), "requests": total,
            "non_2xx": int(errors.group(1)) if errors else 0, "socket_errors": sock.group(1) if sock else None}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args(argv)
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false", PYTHONUNBUFFERED="1")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    with tempfile.TemporaryDirectory() as tmp:
        workerd_config(os.path.join(tmp, "workerd.capnp"), 8788)
        bodies = {
            "single row": {"features": TEXTBOOK_ROW},
            "100-row batch": {"instances": batch_rows(100)},
        }
        for name, spec in SERVERS.items():
            if args.only and not any(o in name for o in args.only):
                continue
            cmd, cwd, port, single_path, batch_path = spec(tmp)
            log(f"  http: starting {name}")
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "server.log"), "w"), start_new_session=True)
            try:
                base = f"http://127.0.0.1:{port}"
                answer = wait_ready(base + single_path, bodies["single row"])
                if answer.get("prediction") != 0:
                    raise SystemExit(f"error: {name} answered {answer} to the textbook row (expected prediction 0)")
                batch_answer = post(base + batch_path, bodies["100-row batch"])
                if len(batch_answer.get("predictions", [])) != 100:
                    raise SystemExit(f"error: {name} answered {str(batch_answer)[:200]} to the 100-row batch")
                for payload, path in (("single row", single_path), ("100-row batch", batch_path)):
                    body_file = os.path.join(tmp, "body.json")
                    json.dump(bodies[payload], open(body_file, "w"))
                    lua = os.path.join(tmp, "post.lua")
                    open(lua, "w").write(LUA.format(body=body_file))
                    # Warm-up (the first requests load the model in the Worker and in serve).
                    subprocess.run(["wrk", "-t1", "-c1", "-d1s", "-s", lua, base + path], capture_output=True)
                    rounds = []
                    for _ in range(args.rounds):
                        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "-s", lua, base + path], capture_output=True, text=True).stdout
                        rounds.append(parse_wrk(out))
                    med = sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2]
                    log(f"  http: {name:<30} {payload:<14} {med['rps']:9.0f} req/s  p50 {med['p50_ms']:7.2f} ms  p99 {med['p99_ms']:7.2f} ms")
                    print(json.dumps({"server": name, "payload": payload, "rows": 1 if payload == "single row" else 100, "rounds": rounds,
                                      "wrk": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency -s post.lua {base + path}",
                                      "wrk_version": wrk_version}), flush=True)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
