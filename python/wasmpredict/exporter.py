"""`export`: a fitted estimator or Pipeline and a sample of raw rows to a bundle."""

from __future__ import annotations

import json
import os
import warnings

from .boosters import is_booster, routes_missing_like_the_graph
from .bundle import write_bundle
from .errors import ExportError
from .estimators import (
    ACCEPTS_NAN,
    CLASSIFICATION_TOLERANCE,
    REGRESSION_RELATIVE_TOLERANCE,
    REGRESSION_TOLERANCE,
    check_estimator,
    convert_estimator,
    dense,
    explain_data,
    sklearn_answers,
    split_pipeline,
    verify_with_onnxruntime,
)
from .featurizer import convert_steps, mixes_fields
from .jsonable import to_py, to_py_record
from .profile import class_histogram, number_histogram, prediction_margin, text_steps, training_profile
from .schema import Source, field_kind, field_stats

from .model import FORMAT_VERSION  # the one the Rust core reads: one number, in Rust
EXPORTER = "wasmpredict export.py 3"


def set_missing(frame, column):
    """A copy of `frame` with `column` missing, keeping the column's dtype (assigning np.nan to
    a whole string column would turn it into float64, which sklearn would then refuse)."""
    import numpy as np

    out = frame.copy()
    out[column] = out[column].mask(np.ones(len(out), dtype=bool))
    return out


def nullable_fields(model, source, frame, preprocess_fn, accepts_nan):
    """A field is nullable when sklearn predicts with it missing and the graph will not see NaN
    (an imputer filled it) unless the estimator routes NaN itself."""
    import numpy as np

    result = {}
    rows = frame.head(5)
    for name in source.fields:
        if source.mode == "text":
            result[name] = False
            continue
        modified = set_missing(rows, name)
        try:
            x = source.sklearn_input(modified)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.predict(x)
                xt = dense(preprocess_fn(x))
            result[name] = accepts_nan or not np.isnan(xt).any()
        except Exception:
            result[name] = False
    return result


def canonical_bytes(onx):
    """The graph's bytes with its opset imports sorted by domain: skl2onnx lists them in set order,
    which follows Python's per-process string hashing, so the same model would otherwise export to
    different bytes from one run to the next."""
    ordered = sorted(onx.opset_import, key=lambda o: (o.domain, o.version))
    del onx.opset_import[:]
    onx.opset_import.extend(ordered)
    return onx.SerializeToString()


def library_versions(est):
    """The libraries that shaped the bundle, for the manifest's created_by."""
    import importlib

    names = ["sklearn", "skl2onnx", "onnx"]
    if is_booster(est):
        names += ["xgboost" if type(est).__name__.startswith("XGB") else "lightgbm", "onnxmltools"]
    shown = {"sklearn": "scikit-learn"}
    return ", ".join(f"{shown.get(n, n)} {importlib.import_module(n).__version__}" for n in names)


def load_model(model):
    """A fitted estimator, or the path of one saved with joblib."""
    if not isinstance(model, (str, os.PathLike)):
        return model
    import joblib

    try:
        return joblib.load(model)
    except Exception as e:
        raise ExportError(f"cannot load {model}: {e}") from e


def load_sample(sample):
    """The sample as the exporter reads it: a CSV path, or a DataFrame passed through CSV so that a
    notebook's frame gives the bundle the command line would give for the same rows."""
    import io

    import pandas as pd

    where = sample if isinstance(sample, (str, os.PathLike)) else "the sample frame"
    try:
        if isinstance(sample, (str, os.PathLike)):
            df = pd.read_csv(sample)
        elif isinstance(sample, pd.DataFrame):
            df = pd.read_csv(io.StringIO(sample.to_csv(index=False)))
        else:
            raise ExportError(f"the sample must be a pandas DataFrame or a CSV path, not {type(sample).__name__}")
    except ExportError:
        raise
    except Exception as e:
        raise ExportError(f"cannot read {where}: {e}") from e
    if len(df) == 0:
        raise ExportError(f"{where} has no rows")
    return df


def export(model, sample, name, out, version="1.0.0", description=None, golden_rows=50):
    """Writes the bundle of `model` (a fitted estimator or Pipeline, or a joblib file) to the
    directory `out`, with `sample` (a DataFrame or a CSV of raw rows) as its raw input schema and
    golden rows. The goldens are replayed through wasmpredict's own featurizer and evaluator
    (`wasmpredict check`) before the bundle is swapped in: on any error nothing is written.
    Returns the manifest."""
    import numpy as np
    import pandas as pd

    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ExportError(f"invalid bundle name {name!r}")
    model = load_model(model)
    df = load_sample(sample)
    out_dir = out

    preprocess, est = split_pipeline(model)
    check_estimator(est)
    source = Source(model, preprocess, df)
    frame = source.frame

    def preprocess_fn(x):
        for step in preprocess:
            if step is None or (isinstance(step, str) and step == "passthrough"):
                continue
            x = step.transform(x)
        return x

    # Featurizer steps, starting from the raw fields.
    steps, names = convert_steps(preprocess, list(source.fields))
    featurizer = {"type": "pipeline", "steps": steps}
    texts = text_steps(featurizer, list(source.fields), {})

    x_all = source.sklearn_input(frame)
    xt = dense(preprocess_fn(x_all))
    n_features = int(xt.shape[1])
    if len(names) != n_features:
        raise ExportError(f"internal: featurizer width {len(names)} != transformed width {n_features}")

    task = "classification" if hasattr(est, "classes_") else "regression"
    onx = convert_estimator(est, n_features)
    pred, probs, scores = sklearn_answers(est, est, xt)
    tolerance = CLASSIFICATION_TOLERANCE if task == "classification" else REGRESSION_TOLERANCE
    verify_with_onnxruntime(onx, est, xt, probs, scores, pred, tolerance)

    accepts_nan = type(est).__name__ in ACCEPTS_NAN
    if is_booster(est) and not routes_missing_like_the_graph(est, onx, xt):
        warnings.warn(f"the graph of {type(est).__name__} does not route missing values as the booster does; the bundle refuses missing values where the pipeline does not impute them", stacklevel=2)
        accepts_nan = False
    nullable = nullable_fields(model, source, frame, preprocess_fn, accepts_nan)
    fields = []
    for f in source.fields:
        kind = field_kind(frame[f], f in texts)
        fields.append({"name": f, "type": kind, "nullable": bool(nullable[f]), "stats": field_stats(frame[f], kind)})
    if task == "classification":
        classes = [to_py(c) for c in est.classes_]
        predicted = class_histogram(classes, [to_py(p) for p in pred], len(frame))
    else:
        predicted = number_histogram(np.asarray(pred, dtype=np.float64), prediction_margin)
    profile = training_profile(frame, fields, texts, predicted)

    # Golden rows: the first sample rows, plus one row per nullable field with it missing.
    golden_frame = frame.head(golden_rows).copy()
    extra = []
    for f in source.fields:
        if nullable[f]:
            extra.append(set_missing(frame.head(1), f))
    if extra:
        golden_frame = pd.concat([golden_frame] + extra, ignore_index=True)
    g_pred, g_probs, g_scores = sklearn_answers(model, est, source.sklearn_input(golden_frame))
    golden = {
        "tolerance": tolerance,
        "relative_tolerance": 0.0 if task == "classification" else REGRESSION_RELATIVE_TOLERANCE,
        "rows": [],
    }
    for i, record in enumerate(golden_frame.to_dict("records")):
        row = {"input": to_py_record(record)}
        row["prediction"] = to_py(g_pred[i])
        if g_probs is not None:
            row["probabilities"] = [float(p) for p in g_probs[i]]
        if g_scores is not None:
            row["scores"] = [float(s) for s in g_scores[i]]
        golden["rows"].append(row)

    outputs = [o.name for o in onx.graph.output]
    model_spec = {"file": "model.onnx", "input": "input", "accepts_nan": accepts_nan}
    if task == "classification":
        model_spec["label"] = outputs[0]
        model_spec["probabilities" if g_probs is not None else "scores"] = outputs[1]
    else:
        model_spec["value"] = outputs[0]

    files = {
        "model.onnx": canonical_bytes(onx),
        "golden.json": (json.dumps(golden, allow_nan=False, ensure_ascii=False) + "\n").encode(),
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "description": description,
        "created_by": f"{EXPORTER} ({library_versions(est)})",
        "task": task,
        "estimator": type(est).__name__,
        "classes": classes if task == "classification" else None,
        "input": fields,
        "featurizer": featurizer,
        "n_features": n_features,
        "model": model_spec,
        "profile": profile,
    }
    explain = None if mixes_fields(featurizer) else explain_data(est, xt, onx)
    if explain is not None:
        files["explain.json"] = (json.dumps(explain, allow_nan=False, separators=(",", ":")) + "\n").encode()
        manifest["explain"] = "explain.json"
    return write_bundle(out_dir, manifest, files)
