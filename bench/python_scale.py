"""The bundle in Python and Spark against scikit-learn on the same rows: a million generated churn
customers as one pandas DataFrame through `predict_proba`, and as a Spark DataFrame in local[2]
through `wasmpredict.spark.predict` against a scikit-learn pandas UDF (`mapInPandas`) doing the
same job. Both sides run on rows already in memory; Spark's side writes to the `noop` sink so every
row is computed and nothing is collected.

    .venv/bin/python bench/python_scale.py [--rows 1000000] [--rounds 3]

WASMPREDICT_PACKAGE names a directory holding the `wasmpredict` package with a release build of
its native module (./bench.sh assembles it in target/bench/python: what `pip install ./python`
installs); without it the checkout's python/ is used, with whatever build of the module is there.
Writes the "Python and Spark" section of BENCHMARKS.md (between its markers) and prints the
figures as JSON. ./bench.sh runs it after the report.
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.environ.get("WASMPREDICT_PACKAGE", os.path.join(ROOT, "python"))
sys.path.insert(0, PACKAGE)
# Imported before models/train.py, which puts the checkout's python/ first on the path.
import wasmpredict  # noqa: E402
import wasmpredict.spark  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "models"))
from big_file import timed  # noqa: E402  (bench/, this script's directory)

BUNDLE = os.path.join(ROOT, "models", "churn", "1.0.0")
START, END = "<!-- python-scale:start -->", "<!-- python-scale:end -->"
# What issue 26 asks: 10x scikit-learn's pipeline on one frame, 5x a scikit-learn pandas UDF.
PANDAS_GOAL, SPARK_GOAL = 10.0, 5.0


def spread(times):
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def pandas_rows(model, frame, rounds):
    bundle = wasmpredict.load(BUNDLE)
    ours = bundle.predict_proba(frame)
    theirs = model.predict_proba(frame)
    # Timings of two different answers would mean nothing: the same parity the tests hold.
    worst = float(abs(ours - theirs).max())
    assert worst <= 1e-5, f"wasmpredict and scikit-learn disagree by {worst}"
    return {
        "wasmpredict": spread(timed(lambda: bundle.predict_proba(frame), rounds)),
        "scikit-learn": spread(timed(lambda: model.predict_proba(frame), rounds)),
        "max_abs_difference": worst,
    }


def spark_rows(model, frame, rounds):
    import pickle

    import pyarrow as pa
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    # The Python workers import wasmpredict (and unpickle scikit-learn) as the driver does.
    os.environ["PYTHONPATH"] = os.pathsep.join([PACKAGE, os.environ.get("PYTHONPATH", "")])
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("wasmpredict-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "6g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    try:
        nulls = frame.astype(object).where(frame.notna(), None)
        df = spark.createDataFrame(nulls).repartition(2).cache()
        rows = df.count()
        fields = list(frame.columns)
        pipeline = spark.sparkContext.broadcast(pickle.dumps(model))

        def sklearn_batches(batches):
            fitted = pickle.loads(pipeline.value)
            for batch in batches:
                proba = fitted.predict_proba(batch[fields])
                yield batch.assign(
                    prediction=fitted.classes_[proba.argmax(axis=1)].astype("int64"),
                    probability=list(proba),
                )

        schema = T.StructType(
            df.schema.fields
            + [
                T.StructField("prediction", T.LongType()),
                T.StructField("probability", T.ArrayType(T.DoubleType())),
            ]
        )

        def passed_through(batches):
            # Spark's own cost: the rows to Python and back, the two columns constant.
            for batch in batches:
                n = batch.num_rows
                offsets = pa.array(range(0, 2 * n + 1, 2), pa.int32())
                yield pa.RecordBatch.from_arrays(
                    batch.columns + [pa.array([0] * n, pa.int64()), pa.ListArray.from_arrays(offsets, pa.array([0.5] * (2 * n), pa.float64()))],
                    names=batch.schema.names + ["prediction", "probability"],
                )

        def run(scored):
            scored.write.format("noop").mode("overwrite").save()

        ours = lambda: run(wasmpredict.spark.predict(df, BUNDLE))  # noqa: E731
        theirs = lambda: run(df.mapInPandas(sklearn_batches, schema))  # noqa: E731
        # One unmeasured run each: the Python workers start and load their model once per job
        # in both, but the first job also starts the JVM's code paths.
        floor = lambda: run(df.mapInArrow(passed_through, schema))  # noqa: E731
        ours()
        theirs()
        floor()
        result = {
            "rows": rows,
            "wasmpredict": spread(timed(ours, rounds)),
            "scikit-learn": spread(timed(theirs, rounds)),
            "spark_floor": spread(timed(floor, rounds)),
        }
        df.unpersist()
        pipeline.destroy()
        return result
    finally:
        spark.stop()


def section(results):
    rows = results["rows"]
    p, s = results["pandas"], results["spark"]
    pandas_x = p["scikit-learn"]["median"] / p["wasmpredict"]["median"]
    spark_x = s["scikit-learn"]["median"] / s["wasmpredict"]["median"]

    def cell(t):
        return f"{t['median']:.2f} ({t['min']:.2f}–{t['max']:.2f})"

    def per_second(t):
        return f"{rows / t['median']:,.0f}"

    met = lambda x, goal: "yes" if x >= goal else "**no**"  # noqa: E731
    return "\n".join(
        [
            START,
            "## Python and Spark",
            "",
            f"{rows:,} generated churn customers (`train.churn_frame`, another seed than training), "
            f"{results['rounds']} rounds, median (min–max) seconds, on {results['machine']}, {results['date']}. The "
            "native module is a release build (what `pip install ./python` builds). scikit-learn "
            f"{results['sklearn']}, pyspark {results['pyspark']}; wasmpredict's probabilities are "
            f"checked against scikit-learn's first (max |Δ| {p['max_abs_difference']:.1e}).",
            "",
            "| where | wasmpredict s | scikit-learn s | rows/s (wasmpredict) | speed-up | goal | met |",
            "|---|---:|---:|---:|---:|---:|---|",
            f"| one pandas DataFrame, `predict_proba` (every core) | {cell(p['wasmpredict'])} | "
            f"{cell(p['scikit-learn'])} | {per_second(p['wasmpredict'])} | {pandas_x:.1f}x | "
            f"≥ {PANDAS_GOAL:.0f}x | {met(pandas_x, PANDAS_GOAL)} |",
            f"| Spark local[2], cached DataFrame, `wasmpredict.spark.predict` against a scikit-learn "
            f"`mapInPandas` UDF | {cell(s['wasmpredict'])} | {cell(s['scikit-learn'])} | "
            f"{per_second(s['wasmpredict'])} | {spark_x:.1f}x | ≥ {SPARK_GOAL:.0f}x | {met(spark_x, SPARK_GOAL)} |",
            "",
            f"Spark's own share: a `mapInArrow` that returns its batches with the two columns filled by "
            f"constants (the rows to the Python workers and back, the `noop` sink) takes {cell(s['spark_floor'])} s, "
            f"so wasmpredict's scoring adds {s['wasmpredict']['median'] - s['spark_floor']['median']:.2f} s to it and "
            f"scikit-learn's {s['scikit-learn']['median'] - s['spark_floor']['median']:.2f} s. The module used: "
            f"`{results['module']}`.",
            "",
            "Where the goals stand (written on 2026-12-07 from a run with the figures of this one). "
            "pandas: the frame's columns reach Rust as Arrow buffers in ~15 ms; the rest is the core's "
            "row-at-a-time featurization (~0.35 µs a row on one core: each cell typed, imputed, scaled or "
            "one-hot encoded step by step as a `Cell`, then the dot products), the same path every adapter "
            "takes. Removing the per-row allocations of the pipeline's steps, hashing categories with Fx "
            "instead of SipHash and handing the cells over end to end took it from 0.73 s to 0.40-0.44 s; "
            "10x would need ~0.2 s, a featurizer that works column by column (one pass per step over a "
            "slice's columns), not a tuning of this one. Spark: the goal cannot be met on this machine by "
            "any scorer, since Spark alone (the floor above) takes longer than a fifth of scikit-learn's "
            "time; on the scoring's own share wasmpredict is the faster by the ratio of the two "
            "differences above.",
            END,
        ]
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import pyspark
    import sklearn

    import train

    model, _, _, _ = train.churn(None)
    frame, _ = train.churn_frame(args.rows, seed=2026)
    results = {
        "rows": args.rows,
        "rounds": args.rounds,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "sklearn": sklearn.__version__,
        "pyspark": pyspark.__version__,
        "module": os.path.relpath(wasmpredict._native.__file__, ROOT),
        "date": time.strftime("%Y-%m-%d"),
    }
    print("pandas: wasmpredict and scikit-learn predict_proba", file=sys.stderr)
    results["pandas"] = pandas_rows(model, frame, args.rounds)
    print("Spark local[2]: wasmpredict.spark.predict and a scikit-learn mapInPandas UDF", file=sys.stderr)
    results["spark"] = spark_rows(model, frame, args.rounds)
    path = os.path.join(ROOT, "BENCHMARKS.md")
    text = open(path).read()
    block = section(results)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(path, "w").write(text)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
