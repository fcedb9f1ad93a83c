#!/usr/bin/env python3
"""Export a fitted scikit-learn estimator or Pipeline to a wasmpredict bundle.

    python3 models/export.py --model FITTED.joblib --sample SAMPLE.csv --name NAME --out DIR [--version V]

The bundle (format version 1, see docs/bundle-format.md) is a directory with:
  manifest.json  raw input schema, the featurizer's fitted parameters, classes, training stats
  model.onnx     the estimator alone, converted by skl2onnx (preprocessing runs in Rust)
  golden.json    raw sample rows with sklearn's own predictions, replayed by `wasmpredict check`

This script only writes fitted parameters; the featurization rules live once, in Rust
(src/featurize/). It checks the converted graph against sklearn with onnxruntime and writes the
bundle atomically: on any error nothing is written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import warnings

FORMAT_VERSION = 1
EXPORTER = "wasmpredict export.py 1"
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"

SUPPORTED_TRANSFORMERS = (
    "StandardScaler, MinMaxScaler, SimpleImputer (missing_values=nan), OneHotEncoder "
    "(handle_unknown error|ignore), DictVectorizer (first step), CountVectorizer / TfidfVectorizer "
    "(word analyzer, default token pattern), ColumnTransformer (passthrough/drop), nested Pipeline, "
    "'passthrough'"
)
SUPPORTED_ESTIMATORS = (
    "LogisticRegression", "LinearSVC", "LinearRegression", "Ridge",
    "DecisionTreeClassifier", "DecisionTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor",
    "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
)
# Estimators whose exported graph routes NaN features itself (nodes_missing_value_tracks_true).
ACCEPTS_NAN = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")

CLASSIFICATION_TOLERANCE = 1e-5
REGRESSION_TOLERANCE = 1e-4
REGRESSION_RELATIVE_TOLERANCE = 1e-5


class ExportError(Exception):
    """A model or sample this exporter cannot turn into a correct bundle."""


def _patch_skl2onnx_bool_attributes():
    """skl2onnx 1.20 + sklearn 1.9 put Python bools in nodes_missing_value_tracks_true, which
    onnx refuses ('Expected an int, got a boolean') for HistGradientBoosting: cast them to int."""
    from skl2onnx.common import _container

    original = _container.ModelComponentContainer.add_node
    if getattr(original, "_wasmpredict_patched", False):
        return

    def add_node(self, op_type, inputs, outputs, op_domain="", op_version=None, name=None, **attrs):
        for key, value in list(attrs.items()):
            if key.endswith("missing_value_tracks_true") and value is not None:
                attrs[key] = [int(v) for v in value]
        return original(self, op_type, inputs, outputs, op_domain=op_domain, op_version=op_version, name=name, **attrs)

    add_node._wasmpredict_patched = True
    _container.ModelComponentContainer.add_node = add_node


# ---------------------------------------------------------------------------------------------
# JSON helpers


def to_py(value):
    """numpy / pandas scalars to plain JSON-able Python; NaN and None to None."""
    import numpy as np

    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, str):
        return value
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    raise ExportError(f"cannot represent value {value!r} of type {type(value).__name__} in JSON")


def to_py_record(record):
    """A raw row (dict of numpy/pandas values) as JSON values, missing as None."""
    return {str(k): to_py(v) for k, v in record.items()}


def floats(array):
    out = [float(x) for x in array]
    if any(not math.isfinite(x) for x in out):
        raise ExportError("a fitted parameter is not finite")
    return out


# ---------------------------------------------------------------------------------------------
# Featurizer conversion: fitted sklearn transformers -> manifest steps


def convert_step(t, in_names):
    """Returns (step, out_names). `in_names[i]` is the raw field the i-th input column still is,
    or None; DictVectorizer and text vectorizers need raw fields."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

    name = type(t).__name__
    if t is None or (isinstance(t, str) and t == "passthrough"):
        return {"type": "passthrough"}, list(in_names)
    if name == "FunctionTransformer" and t.func is None and t.inverse_func is None:
        # How a fitted ColumnTransformer stores 'passthrough' parts: the identity.
        return {"type": "passthrough"}, list(in_names)
    if isinstance(t, Pipeline):
        steps = []
        names = list(in_names)
        for _, sub in t.steps:
            step, names = convert_step(sub, names)
            steps.append(step)
        return {"type": "pipeline", "steps": steps}, names
    if isinstance(t, ColumnTransformer):
        return convert_column_transformer(t, in_names)
    if type(t) is StandardScaler:
        mean = floats(t.mean_) if t.with_mean else None
        scale = floats(t.scale_) if t.with_std else None
        return {"type": "standard_scaler", "mean": mean, "scale": scale}, list(in_names)
    if type(t) is MinMaxScaler:
        lo, hi = t.feature_range
        return (
            {
                "type": "min_max_scaler",
                "scale": floats(t.scale_),
                "min": floats(t.min_),
                "clip": bool(t.clip),
                "feature_range": [float(lo), float(hi)],
            },
            list(in_names),
        )
    if type(t) is SimpleImputer:
        mv = t.missing_values
        if not (isinstance(mv, float) and math.isnan(mv)):
            raise ExportError(f"SimpleImputer(missing_values={mv!r}) is not supported; use missing_values=np.nan")
        if t.add_indicator:
            raise ExportError("SimpleImputer(add_indicator=True) is not supported")
        stats = [to_py(v) for v in t.statistics_]
        if any(v is None for v in stats):
            raise ExportError("SimpleImputer has an all-missing column (its statistic is NaN); drop that column")
        return {"type": "simple_imputer", "statistics": stats}, list(in_names)
    if type(t) is OneHotEncoder:
        if t.handle_unknown not in ("error", "ignore"):
            raise ExportError(f"OneHotEncoder(handle_unknown={t.handle_unknown!r}) is not supported; use 'error' or 'ignore'")
        if t.min_frequency is not None or t.max_categories is not None:
            raise ExportError("OneHotEncoder with min_frequency/max_categories (infrequent categories) is not supported")
        categories = [[to_py(v) for v in cats] for cats in t.categories_]
        drop_idx = None if t.drop_idx_ is None else [None if d is None else int(d) for d in t.drop_idx_]
        step = {"type": "one_hot_encoder", "categories": categories, "handle_unknown": t.handle_unknown, "drop_idx": drop_idx}
        width = sum(len(c) - (0 if drop_idx is None or drop_idx[i] is None else 1) for i, c in enumerate(categories))
        return step, [None] * width
    if type(t) is DictVectorizer:
        if any(n is None for n in in_names):
            raise ExportError("DictVectorizer must be the first step, reading the raw fields")
        return (
            {"type": "dict_vectorizer", "feature_names": [str(f) for f in t.feature_names_], "separator": t.separator},
            [None] * len(t.feature_names_),
        )
    if type(t) in (CountVectorizer, TfidfVectorizer):
        return convert_text_vectorizer(t, in_names)
    raise ExportError(f"transformer {name} is not supported; supported: {SUPPORTED_TRANSFORMERS}")


def convert_column_transformer(ct, in_names):
    parts = []
    out_names = []
    indices = ct._transformer_to_input_indices
    for name, trans, _cols in ct.transformers_:
        if isinstance(trans, str) and trans == "drop":
            continue
        idx = [int(i) for i in indices[name]]
        if not idx:
            continue
        step, names = convert_step(trans, [in_names[i] for i in idx])
        parts.append({"name": name, "columns": idx, "transformer": step})
        out_names.extend(names)
    return {"type": "column_transformer", "transformers": parts}, out_names


def convert_text_vectorizer(t, in_names):
    from sklearn.feature_extraction.text import TfidfVectorizer

    problems = []
    if t.analyzer != "word":
        problems.append(f"analyzer={t.analyzer!r}")
    if t.tokenizer is not None or t.preprocessor is not None:
        problems.append("a custom tokenizer/preprocessor")
    if t.token_pattern != DEFAULT_TOKEN_PATTERN:
        problems.append(f"token_pattern={t.token_pattern!r}")
    if t.strip_accents is not None:
        problems.append(f"strip_accents={t.strip_accents!r}")
    if t.input != "content":
        problems.append(f"input={t.input!r}")
    if problems:
        raise ExportError(f"{type(t).__name__} with {', '.join(problems)} is not supported (only the word analyzer with the default token pattern)")
    if len(in_names) != 1:
        raise ExportError(f"{type(t).__name__} must read exactly one text column, got {len(in_names)}")
    vocabulary = [None] * len(t.vocabulary_)
    for term, i in t.vocabulary_.items():
        vocabulary[int(i)] = term
    stop = t.get_stop_words()
    step = {
        "type": "text_vectorizer",
        "vocabulary": vocabulary,
        "lowercase": bool(t.lowercase),
        "ngram_range": [int(t.ngram_range[0]), int(t.ngram_range[1])],
        "stop_words": sorted(stop) if stop else [],
        "binary": bool(t.binary),
        "idf": None,
        "sublinear_tf": False,
        "norm": None,
    }
    if isinstance(t, TfidfVectorizer):
        step["idf"] = floats(t.idf_) if t.use_idf else None
        step["sublinear_tf"] = bool(t.sublinear_tf)
        step["norm"] = t.norm
        if t.norm not in (None, "l1", "l2"):
            raise ExportError(f"TfidfVectorizer(norm={t.norm!r}) is not supported")
    return step, [None] * len(vocabulary)


def text_fields(step, in_names, found):
    """Raw fields read by a text vectorizer (they are 'text', not 'category')."""
    kind = step["type"]
    if kind == "text_vectorizer" and in_names and in_names[0] is not None:
        found.add(in_names[0])
    elif kind == "pipeline" and step["steps"]:
        text_fields(step["steps"][0], in_names, found)
    elif kind == "column_transformer":
        for part in step["transformers"]:
            text_fields(part["transformer"], [in_names[i] for i in part["columns"]], found)
    return found


# ---------------------------------------------------------------------------------------------
# The model and its raw input


class Source:
    """How the pipeline reads raw rows: a DataFrame, a numeric array, dicts, or a list of texts."""

    def __init__(self, model, preprocess, df):
        import numpy as np
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        first = preprocess[0] if preprocess else None
        while first is not None and hasattr(first, "steps"):
            first = first.steps[0][1]
        if isinstance(first, DictVectorizer):
            self.mode = "records"
            self.fields = list(df.columns)
        elif isinstance(first, (CountVectorizer, TfidfVectorizer)):
            self.mode = "text"
            if len(df.columns) != 1:
                raise ExportError(f"a pipeline that starts with a text vectorizer reads one text column; the sample has {len(df.columns)}: {list(df.columns)}")
            self.fields = list(df.columns)
        elif hasattr(model, "feature_names_in_"):
            self.mode = "frame"
            self.fields = [str(c) for c in model.feature_names_in_]
            missing = [c for c in self.fields if c not in df.columns]
            if missing:
                raise ExportError(f"the sample lacks the columns the model was fitted on: {missing}")
        else:
            self.mode = "array"
            self.fields = [str(c) for c in df.columns]
            n_in = getattr(model, "n_features_in_", None)
            if n_in is not None and n_in != len(self.fields):
                raise ExportError(f"the model reads {n_in} columns but the sample has {len(self.fields)}")
            non_numeric = [c for c in df.columns if not pd_types().is_numeric_dtype(df[c].dtype)]
            if non_numeric:
                raise ExportError(f"the model was fitted on an array (no column names), so every sample column must be numeric; these are not: {non_numeric}")
        self.frame = df[self.fields]

    def sklearn_input(self, frame):
        """What sklearn's predict expects for these raw rows."""
        if self.mode == "frame":
            return frame
        if self.mode == "array":
            return frame.to_numpy(dtype=float)
        if self.mode == "text":
            return frame[self.fields[0]].tolist()
        return [{k: v for k, v in row.items() if to_py(v) is not None} for row in frame.to_dict("records")]


def pd_types():
    import pandas as pd

    return pd.api.types


def field_kind(series, is_text):
    if is_text:
        return "text"
    if pd_types().is_bool_dtype(series.dtype):
        return "bool"
    if pd_types().is_numeric_dtype(series.dtype):
        return "number"
    return "category"


def field_stats(series, kind):
    import numpy as np

    present = series.dropna()
    stats = {"count": int(len(series)), "missing": int(series.isna().sum())}
    if kind == "number" and len(present):
        values = present.to_numpy(dtype=float)
        stats.update(min=float(values.min()), max=float(values.max()), mean=float(values.mean()), std=float(values.std()))
    elif kind in ("category", "bool"):
        counts = present.value_counts()
        stats["frequencies"] = [[to_py(v), int(c)] for v, c in list(counts.items())[:200]]
    elif kind == "text" and len(present):
        lengths = present.astype(str).str.len().to_numpy()
        stats["length"] = {"min": int(lengths.min()), "max": int(lengths.max()), "mean": float(np.mean(lengths))}
    return stats


def split_pipeline(model):
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        steps = [s for _, s in model.steps]
        return steps[:-1], steps[-1]
    return [], model


def check_estimator(est):
    name = type(est).__name__
    if name not in SUPPORTED_ESTIMATORS:
        raise ExportError(f"estimator {name} is not supported; supported: {', '.join(SUPPORTED_ESTIMATORS)}")
    if getattr(est, "is_categorical_", None) is not None and bool(est.is_categorical_.any()):
        raise ExportError(f"{name} with categorical_features is not supported; one-hot encode those columns in the pipeline")
    classes = getattr(est, "classes_", None)
    if classes is not None:
        for c in classes:
            import numpy as np

            if isinstance(c, (bool, np.bool_)) or not isinstance(c, (str, int, np.integer)):
                raise ExportError(f"class labels must be integers or strings, got {c!r} ({type(c).__name__}); encode the target first")
    elif getattr(est, "n_outputs_", 1) != 1 or (hasattr(est, "coef_") and getattr(est.coef_, "ndim", 1) > 1):
        raise ExportError("only single-target regression is supported")


def convert_estimator(est, n_features):
    _patch_skl2onnx_bool_attributes()
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    options = {id(est): {"zipmap": False}} if hasattr(est, "predict_proba") else None
    try:
        onx = convert_sklearn(
            est,
            initial_types=[("input", FloatTensorType([None, n_features]))],
            options=options,
            target_opset={"": 17, "ai.onnx.ml": 3},
        )
    except Exception as e:  # skl2onnx raises many types
        raise ExportError(f"skl2onnx could not convert {type(est).__name__}: {e}") from e
    # skl2onnx names the graph with a random UUID; a fixed name keeps bundles reproducible.
    onx.graph.name = type(est).__name__
    return onx


def dense(x):
    import numpy as np

    if hasattr(x, "toarray"):
        x = x.toarray()
    return np.asarray(x, dtype=np.float64)


def sklearn_answers(model, est, x):
    """predict plus predict_proba (or decision_function for classifiers without it)."""
    import numpy as np

    pred = model.predict(x)
    probs = scores = None
    if hasattr(est, "classes_"):
        if hasattr(model, "predict_proba"):
            probs = np.asarray(model.predict_proba(x), dtype=float)
        else:
            scores = np.asarray(model.decision_function(x), dtype=float)
            if scores.ndim == 1:
                scores = scores.reshape(-1, 1)
    return pred, probs, scores


def verify_with_onnxruntime(onx, est, xt, probs, scores, pred, tolerance):
    """The converted graph must agree with sklearn on the transformed sample."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    outs = session.run(None, {"input": xt.astype(np.float32)})
    if hasattr(est, "classes_"):
        second = probs if probs is not None else scores
        diff = float(np.max(np.abs(outs[1].reshape(second.shape) - second))) if len(second) else 0.0
        if diff > tolerance * 10:
            raise ExportError(f"the converted graph disagrees with sklearn (max difference {diff:.3g}); this estimator/setting is not exported faithfully by skl2onnx")
    else:
        got = outs[0].reshape(-1)
        diff = float(np.max(np.abs(got - pred) / (1 + np.abs(pred)))) if len(pred) else 0.0
        if diff > 1e-3:
            raise ExportError(f"the converted graph disagrees with sklearn (max relative difference {diff:.3g})")


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


# ---------------------------------------------------------------------------------------------


def export(model_path, sample_path, name, out_dir, version="1.0.0", description=None, golden_rows=50):
    import joblib
    import numpy as np
    import pandas as pd
    import onnx
    import skl2onnx
    import sklearn

    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ExportError(f"invalid bundle name {name!r}")
    try:
        model = joblib.load(model_path)
    except Exception as e:
        raise ExportError(f"cannot load {model_path}: {e}") from e
    try:
        df = pd.read_csv(sample_path)
    except Exception as e:
        raise ExportError(f"cannot read {sample_path}: {e}") from e
    if len(df) == 0:
        raise ExportError(f"{sample_path} has no rows")

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
    names = list(source.fields)
    steps = []
    for step in preprocess:
        converted, names = convert_step(step, names)
        steps.append(converted)
    featurizer = {"type": "pipeline", "steps": steps}
    texts = text_fields(featurizer, list(source.fields), set())

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
    nullable = nullable_fields(model, source, frame, preprocess_fn, accepts_nan)
    fields = []
    for f in source.fields:
        kind = field_kind(frame[f], f in texts)
        fields.append({"name": f, "type": kind, "nullable": bool(nullable[f]), "stats": field_stats(frame[f], kind)})

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
        "model.onnx": onx.SerializeToString(),
        "golden.json": (json.dumps(golden, allow_nan=False, ensure_ascii=False) + "\n").encode(),
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "description": description,
        "created_by": f"{EXPORTER} (scikit-learn {sklearn.__version__}, skl2onnx {skl2onnx.__version__}, onnx {onnx.__version__})",
        "task": task,
        "estimator": type(est).__name__,
        "classes": [to_py(c) for c in est.classes_] if task == "classification" else None,
        "input": fields,
        "featurizer": featurizer,
        "n_features": n_features,
        "model": model_spec,
        "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode()
    write_atomically(out_dir, files)
    return manifest


def write_atomically(out_dir, files):
    """Writes every file into a fresh directory next to `out_dir`, then swaps it in."""
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    os.chmod(tmp, 0o755)
    try:
        for fname, data in files.items():
            with open(os.path.join(tmp, fname), "wb") as fh:
                fh.write(data)
        old = None
        if os.path.exists(out_dir):
            old = tempfile.mkdtemp(prefix=".old-", dir=parent)
            os.rmdir(old)
            os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export a fitted scikit-learn model to a wasmpredict bundle.")
    parser.add_argument("--model", required=True, help="fitted estimator or Pipeline saved with joblib")
    parser.add_argument("--sample", required=True, help="CSV of raw rows with a header: the raw input schema; golden predictions and field statistics come from it")
    parser.add_argument("--name", required=True, help="bundle name (used in URLs: /models/NAME/predict)")
    parser.add_argument("--out", required=True, help="bundle directory to write (replaced atomically)")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--description", default=None)
    parser.add_argument("--golden-rows", type=int, default=50, help="sample rows to store in golden.json (default 50)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        manifest = export(args.model, args.sample, args.name, args.out, args.version, args.description, args.golden_rows)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {manifest['estimator']} ({manifest['task']}), {len(manifest['input'])} fields -> {manifest['n_features']} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
