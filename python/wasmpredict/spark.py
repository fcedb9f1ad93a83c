"""A bundle over an Apache Spark DataFrame, on the executors, through Arrow batches:

    import wasmpredict.spark
    scored = wasmpredict.spark.predict(spark_df, "models/churn/1.0.0")

`scored` has every column of `spark_df` plus `prediction` (the estimator's `predict`: the class
label, or the value as a double for a regressor) and, for a classifier, `probability`
(array<double> in `classes_` order), or `scores` for one that gives decision scores (LinearSVC).

The bundle is read once on the driver (and checked there: a bad path fails before any task
runs); its bytes travel to the executors with the job as a broadcast variable, so no executor
needs to see the path. Each executor's Python worker loads it once and scores every Arrow batch
Spark hands it (`mapInArrow`): no Python code runs per row. A row the model refuses fails the
task with `PredictError`'s message (the row is counted within its Arrow batch)."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from .model import bundle_files, from_files

# Models loaded in this Python worker, by the sha256 of their manifest: a worker is reused for
# many tasks and batches, and loads each bundle once.
_LOADED = {}


def _loaded(key, files):
    model = _LOADED.get(key)
    if model is None:
        model = _LOADED[key] = from_files(files.value)
    return model


def _spark_type(model):
    from pyspark.sql import types as T

    if model.classes_ is None:
        return T.DoubleType()
    kind = model.classes_.dtype.kind
    if kind in "iu":
        return T.LongType()
    if kind == "f":
        return T.DoubleType()
    if kind == "b":
        return T.BooleanType()
    return T.StringType()


def _arrow_type(spark_type):
    from pyspark.sql import types as T

    return {T.LongType(): pa.int64(), T.DoubleType(): pa.float64(), T.BooleanType(): pa.bool_()}.get(spark_type, pa.string())


def scored_batch(model, batch, prediction_type, second_name):
    """`batch` with the prediction (and probability or scores) columns appended."""
    labels, values, _ = model._answer(batch)
    if labels is None:
        columns = [pa.array(values, pa.float64())]
    else:
        predicted = model.classes_[labels]
        columns = [pa.array(predicted.tolist() if predicted.dtype.kind in "OUS" else predicted, prediction_type)]
        if second_name:
            rows, width = values.shape
            offsets = pa.array(np.arange(0, rows * width + 1, width, dtype=np.int32))
            columns.append(pa.ListArray.from_arrays(offsets, pa.array(values.ravel(), pa.float64())))
    names = batch.schema.names + ["prediction"] + ([second_name] if labels is not None and second_name else [])
    return pa.RecordBatch.from_arrays(batch.columns + columns, names=names)


def predict(df, bundle_path):
    """`df` with `prediction` and, for classifiers, `probability` (or `scores`) appended;
    computed on the executors by the bundle at `bundle_path` (read here, on the driver)."""
    from pyspark.sql import types as T

    files = bundle_files(bundle_path)
    model = from_files(files)
    is_classifier = model.classes_ is not None
    second_name = None
    if is_classifier:
        second_name = "probability" if model._model.get("probabilities") else "scores"
    taken = [c for c in ["prediction", second_name] if c and c in df.columns]
    if taken:
        raise ValueError(f"the DataFrame already has a column named {taken[0]!r}: rename it before predicting")
    prediction_type = _spark_type(model)
    schema = T.StructType(df.schema.fields + [T.StructField("prediction", prediction_type, False)])
    if second_name:
        schema = schema.add(T.StructField(second_name, T.ArrayType(T.DoubleType(), False), False))
    key = hashlib.sha256(files["manifest.json"]).hexdigest()
    broadcast = df.sparkSession.sparkContext.broadcast(files)
    arrow_prediction = _arrow_type(prediction_type)

    def score(batches):
        loaded = _loaded(key, broadcast)
        for batch in batches:
            if batch.num_rows:
                yield scored_batch(loaded, batch, arrow_prediction, second_name)

    return df.mapInArrow(score, schema)
