#!/usr/bin/env python3
"""Native Python baselines for ./bench.sh: scikit-learn's own `predict` and Python onnxruntime,
raw records in, labels out, on each bundle's golden inputs (the inputs `wasmpredict bench` uses).

    python3 bench/native.py [--rounds 5] [--iterations 500] [--batch 1000] > native-python.json

sklearn runs the fitted pipeline that models/train.py builds (refitted here, same seeds); the
onnxruntime path runs the pipeline's preprocessing steps in sklearn, then the bundle's
model.onnx (one thread, as wasmpredict). The time of turning the JSON-like record into
the frame or array the model takes is counted, as a server has to do it too.
Protocol (same as `wasmpredict bench`): warm-up, then rounds; a round's figure is the median of
its calls; one JSON line per (runtime, model) with the median, min and max of the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train  # noqa: E402

MODELS = ["iris", "rf-classification", "churn", "news"]


def spread(values):
    values = sorted(values)
    return {"median": values[len(values) // 2], "min": values[0], "max": values[-1]}


def timed_rounds(fn, inputs, rounds, calls, budget_s):
    """Rounds of `calls` timed calls (fewer if a round exceeds budget_s); per-round medians."""
    medians, every, i = [], [], 0
    for _ in range(rounds):
        round_, start = [], time.perf_counter()
        while len(round_) < calls and (len(round_) < 3 or time.perf_counter() - start < budget_s):
            x = inputs[i % len(inputs)]
            i += 1
            t = time.perf_counter()
            fn(x)
            round_.append(time.perf_counter() - t)
        every += round_
        medians.append(float(np.median(round_)))
    return medians, every


def converters(name, manifest):
    """Turns golden `input` dicts (JSON-like: None for missing) into what the sklearn model takes."""
    columns = [f["name"] for f in manifest["input"]]
    if name in ("iris", "rf-classification"):
        # Fitted on bare arrays, as the textbook does: np.array(data['features']).reshape(1, -1).
        return lambda rows: np.array([[r[c] for c in columns] for r in rows], dtype=np.float64)
    if name == "churn":
        return lambda rows: pd.DataFrame([{c: (np.nan if r.get(c) is None else r.get(c)) for c in columns} for r in rows], columns=columns)
    if name == "news":
        return lambda rows: [r["text"] for r in rows]
    raise ValueError(name)


def dense32(x):
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--only", nargs="*", choices=MODELS)
    args = ap.parse_args(argv)

    import onnxruntime as ort
    import sklearn

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    for name in args.only or MODELS:
        bundle = os.path.join(ROOT, "models", "churn/1.0.0" if name == "churn" else name)
        manifest = json.load(open(os.path.join(bundle, "manifest.json")))
        golden = json.load(open(os.path.join(bundle, "golden.json")))["rows"]
        records = [g["input"] for g in golden]
        with tempfile.TemporaryDirectory() as work:
            model = train.MODELS[name][0](work)[0]
        to_x = converters(name, manifest)
        pre = model[:-1] if hasattr(model, "steps") else None

        t = time.perf_counter()
        session = ort.InferenceSession(os.path.join(bundle, "model.onnx"), opts, providers=["CPUExecutionProvider"])
        ort_load_ms = (time.perf_counter() - t) * 1e3
        feed = session.get_inputs()[0].name
        label = session.get_outputs()[0].name

        def featurize(rows):
            x = to_x(rows)
            return dense32(pre.transform(x) if pre is not None else x)

        runtimes = {
            "sklearn": lambda rows: model.predict(to_x(rows)),
            "onnxruntime-python": lambda rows: session.run([label], {feed: featurize(rows)})[0],
        }
        batch = [records[i % len(records)] for i in range(args.batch)]
        # The two must agree with the golden labels, or the timing compares different work.
        expected = [g["prediction"] for g in golden]
        for rt, fn in runtimes.items():
            got = [v.item() if hasattr(v, "item") else v for v in fn(records)]
            classes = manifest.get("classes")
            if rt == "onnxruntime-python" and classes and all(isinstance(c, str) for c in classes) and not isinstance(got[0], str):
                got = [classes[int(v)] for v in got]
            agree = sum(str(a) == str(b) for a, b in zip(got, expected)) / len(expected)
            for _ in range(20):
                fn([records[0]])
            singles, every = timed_rounds(lambda r: fn([r]), records, args.rounds, args.iterations, 2.0)
            every.sort()
            fn(batch)
            batches, _ = timed_rounds(lambda b: fn(b), [batch], args.rounds, max(3, min(10, args.iterations // 50)), 3.0)
            print(json.dumps({
                "runtime": rt, "model": name, "agreement_with_golden": agree,
                "load_ms": {"median": ort_load_ms, "min": ort_load_ms, "max": ort_load_ms} if rt != "sklearn" else None,
                "single_us": spread([v * 1e6 for v in singles]),
                "single_p99_us": every[int((len(every) - 1) * 0.99)] * 1e6,
                "batch_rows": args.batch,
                "batch_ms": spread([v * 1e3 for v in batches]),
                "versions": {"sklearn": sklearn.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
            }), flush=True)
            print(f"  native {rt:<20} {name:<18} single {np.median(singles) * 1e6:9.1f} us   batch {np.median(batches) * 1e3:8.2f} ms / {args.batch} rows", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
