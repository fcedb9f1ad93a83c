#!/usr/bin/env python3
"""Export a fitted scikit-learn estimator or Pipeline (its last step may be an XGBoost or LightGBM
model, see boosters.py) to a wasmpredict bundle.

    python3 models/export.py --model FITTED.joblib --sample SAMPLE.csv --name NAME --out DIR [--version V]
    python3 models/export.py --onnx NET.onnx --sample SAMPLE.csv --name NAME --out DIR [--task T]
        [--classes A,B,...] [--output NAME] [--logits] [--version V]

The bundle (format version 3, see docs/bundle-format.md) is a directory with:
  manifest.json  raw input schema, the featurizer's fitted parameters, classes, training stats and
                 the training profile (per-field histograms and the predictions' distribution)
  model.onnx     the estimator alone, converted by skl2onnx (preprocessing runs in Rust)
  golden.json    raw sample rows with sklearn's own predictions, replayed by `wasmpredict check`
  explain.json   for linear models and tree ensembles: the sample's feature means or the trees'
                 node covers, what explanations need beside the graph (docs/explanations.md)

With --onnx, any ONNX graph with one float32 input [N, F] (a network exported from PyTorch or
Keras) is wrapped instead: the schema comes from the sample's F numeric columns, there is no
featurizer, the golden answers are onnxruntime's, and a classifier's graph gets ArgMax + label
lookup nodes appended (and a Softmax with --logits). Such graphs, like MLPs, run on the tract engine.

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
import unicodedata
import warnings

# The exporter's helpers live beside it (models/); imported as plain modules so that this file
# runs as a script and imports as `export` alike.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boosters import BOOSTER_ESTIMATORS, booster_covers, check_booster, convertible, is_booster, routes_missing_like_the_graph  # noqa: E402
from export_errors import ExportError  # noqa: E402

FORMAT_VERSION = 3
EXPORTER = "wasmpredict export.py 3"
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
    "MLPClassifier", "MLPRegressor",
    "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor",
)
# Estimators whose exported graph routes NaN features itself (nodes_missing_value_tracks_true).
# A booster's routing is also checked against the booster column by column before it is trusted.
ACCEPTS_NAN = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor") + BOOSTER_ESTIMATORS
# Estimators whose predictions wasmpredict explains (docs/explanations.md): exact linear
# contributions against the sample's feature means, TreeSHAP with the trees' node covers.
LINEAR_ESTIMATORS = ("LogisticRegression", "LinearSVC", "LinearRegression", "Ridge")
TREE_ESTIMATORS = (
    "DecisionTreeClassifier", "DecisionTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor",
    "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
) + BOOSTER_ESTIMATORS

# ONNX ops that wasmpredict's tract build does not run (left out to keep the wasm small, see
# vendor/README.md, or absent from tract): a wrapped graph with one of them is refused.
TRACT_MISSING_OPS = frozenset(
    "Conv ConvInteger ConvTranspose QLinearConv AveragePool MaxPool GlobalAveragePool GlobalLpPool "
    "GlobalMaxPool BatchNormalization GroupNormalization InstanceNormalization LayerNormalization "
    "RMSNormalization SimplifiedLayerNormalization SkipLayerNormalization "
    "SkipSimplifiedLayerNormalization LRN MeanVarianceNormalization Attention GroupQueryAttention "
    "MultiHeadAttention RotaryEmbedding Gelu BiasGelu FastGelu QuickGelu MatMulNBits "
    "GatherBlockQuantized MatMulInteger QLinearMatMul GridSample Resize NonMaxSuppression Multinomial "
    "DepthToSpace SpaceToDepth DFT STFT MelWeightMatrix BlackmanWindow HammingWindow HannWindow "
    "QuantizeLinear DequantizeLinear DynamicQuantizeLinear RandomUniform RandomUniformLike "
    "RandomNormal RandomNormalLike GRU LSTM RNN Scan Loop".split()
)
WRAPPED_GRAPH_NAME = "wasmpredict_wrapped"

CLASSIFICATION_TOLERANCE = 1e-5
REGRESSION_TOLERANCE = 1e-4
REGRESSION_RELATIVE_TOLERANCE = 1e-5


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


# The Unicode version of Python's `\w` that src/featurize/word_chars.rs was read from.
WORD_CHARS_UNICODE = "14.0.0"


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
    if unicodedata.unidata_version != WORD_CHARS_UNICODE:
        print(
            f"warning: this Python's `\\w` follows Unicode {unicodedata.unidata_version}, wasmpredict's tokenizer Unicode "
            f"{WORD_CHARS_UNICODE}: characters assigned in between may tokenize differently",
            file=sys.stderr,
        )
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


# ---------------------------------------------------------------------------------------------
# Training profile (docs/bundle-format.md, "Training profile"): histograms of the sample that
# the drift checks (src/drift/) compare new rows with. The slot rules are Rust's: a value goes
# in bin i when edges[i-1] < x <= edges[i] (numpy's searchsorted, side='left').

PROFILE_BINS = 10
PROFILE_MAX_VALUES = 200


def field_margin(value):
    """How far beyond the training range a value must be to fall outside it: far above the
    rounding a CSV number can carry between parsers."""
    return 1e-9 * max(1.0, abs(value))


def prediction_margin(value):
    """For regression predictions: the golden tolerance, which bounds how far wasmpredict's
    answer may be from sklearn's."""
    return REGRESSION_TOLERANCE + REGRESSION_RELATIVE_TOLERANCE * abs(value)


def quantile_edges(present, margin=field_margin):
    """Bin edges: just below the training minimum and just above the maximum (so values out of
    the training range have bins of their own, empty in training), and at the deciles the
    midpoint between the training value there and the next larger one (so that no training
    value lies on an edge and rounding can't move it to another bin)."""
    import numpy as np

    if len(present) == 0:
        return []
    distinct = np.unique(present)
    qs = np.unique(np.quantile(present, np.arange(1, PROFILE_BINS) / PROFILE_BINS, method="inverted_cdf"))
    lo, hi = float(distinct[0]), float(distinct[-1])
    edges = {lo - margin(lo), hi + margin(hi)}
    for q in qs:
        k = int(np.searchsorted(distinct, q))
        if k + 1 < len(distinct):
            edges.add(float((distinct[k] + distinct[k + 1]) / 2))
    return sorted(edges)


def number_histogram(values, margin=field_margin):
    """Bins (quantile_edges) of the present values of a float array (NaN = missing)."""
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    present = values[~missing]
    edges = quantile_edges(present, margin)
    counts = np.bincount(np.searchsorted(np.asarray(edges, dtype=np.float64), present, side="left"), minlength=len(edges) + 1)
    return {"edges": edges, "counts": [int(c) for c in counts], "missing": int(missing.sum())}


def listed_histogram(series):
    """Counts of the most frequent values (ties by value), the rest as `other`."""
    present = series.dropna()
    items = sorted(((to_py(v), int(c)) for v, c in present.value_counts().items()), key=lambda vc: (-vc[1], json.dumps(vc[0])))
    top = items[:PROFILE_MAX_VALUES]
    return {
        "values": [v for v, _ in top],
        "counts": [c for _, c in top],
        "other": sum(c for _, c in items[PROFILE_MAX_VALUES:]),
        "missing": int(series.isna().sum()),
    }


def text_profile(series, step):
    """Length in characters, and the share of each text's terms outside the vocabulary, using
    sklearn's own analyzer built from the manifest step (a text without terms is missing)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    analyzer = CountVectorizer(
        lowercase=step["lowercase"], ngram_range=tuple(step["ngram_range"]), stop_words=step["stop_words"] or None
    ).build_analyzer()
    vocabulary = set(step["vocabulary"])
    lengths, shares = [], []
    for text in series:
        if not isinstance(text, str):
            lengths.append(np.nan)
            shares.append(np.nan)
            continue
        lengths.append(float(len(text)))
        terms = analyzer(text)
        shares.append(sum(t not in vocabulary for t in terms) / len(terms) if terms else np.nan)
    return {"values": number_histogram(lengths), "oov": number_histogram(shares)}


def text_steps(step, in_names, found):
    """Raw field -> the text_vectorizer step that reads it (those fields are 'text', not
    'category'); the same walk as Rust's TextVectorizer::for_field."""
    kind = step["type"]
    if kind == "text_vectorizer" and in_names and in_names[0] is not None:
        found.setdefault(in_names[0], step)
    elif kind == "pipeline" and step["steps"]:
        text_steps(step["steps"][0], in_names, found)
    elif kind == "column_transformer":
        for part in step["transformers"]:
            text_steps(part["transformer"], [in_names[i] for i in part["columns"]], found)
    return found


def training_profile(frame, fields, texts, predictions):
    """The profile of the sample `frame` (raw fields as in `fields`; `texts` maps each text
    field to its text_vectorizer step); `predictions` is a histogram of the model's answers on
    the same rows."""
    out = []
    for f in fields:
        series = frame[f["name"]]
        if f["type"] == "number":
            entry = {"values": number_histogram(series.to_numpy(dtype="float64", na_value=float("nan")))}
        elif f["type"] == "text":
            entry = text_profile(series, texts[f["name"]])
        else:
            entry = {"values": listed_histogram(series)}
        out.append({"name": f["name"], **entry})
    return {"rows": int(len(frame)), "fields": out, "predictions": predictions}


def class_histogram(classes, labels, rows):
    """Predicted classes (in `classes` order); rows without a prediction count as missing."""
    index = {c: i for i, c in enumerate(classes)}
    counts = [0] * len(classes)
    for label in labels:
        counts[index[label]] += 1
    return {"values": list(classes), "counts": counts, "other": 0, "missing": int(rows - len(labels))}


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
    if is_booster(est):
        check_booster(est)
    if getattr(est, "is_categorical_", None) is not None and bool(est.is_categorical_.any()):
        raise ExportError(f"{name} with categorical_features is not supported; one-hot encode those columns in the pipeline")
    if name == "MLPRegressor" and est.loss != "squared_error":
        raise ExportError(f"MLPRegressor(loss={est.loss!r}) is not supported (skl2onnx cannot convert its output activation); use loss='squared_error'")
    if name == "MLPClassifier" and est._label_binarizer.y_type_ == "multilabel-indicator":
        raise ExportError("a multilabel MLPClassifier (fitted on a 2-D indicator target) is not supported; fit one label column of integers or strings")
    classes = getattr(est, "classes_", None)
    if classes is not None:
        import numpy as np

        for c in classes:
            if isinstance(c, (bool, np.bool_)) or not isinstance(c, (str, int, np.integer)):
                raise ExportError(f"class labels must be integers or strings, got {c!r} ({type(c).__name__}); encode the target first")
            if name == "MLPClassifier" and isinstance(c, (int, np.integer)) and not -(2**31) <= int(c) < 2**31:
                raise ExportError(f"MLPClassifier class label {int(c)} does not fit in 32 bits (skl2onnx stores MLP labels as int32); encode the target as 0..n-1 first")
    elif getattr(est, "n_outputs_", 1) != 1 or (hasattr(est, "coef_") and getattr(est.coef_, "ndim", 1) > 1):
        raise ExportError("only single-target regression is supported")


def convert_estimator(est, n_features):
    _patch_skl2onnx_bool_attributes()
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    if is_booster(est):
        est = convertible(est)
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


def f32_number(x):
    """A float64 as the shortest decimal that reads back as the same float32: the graph computes
    in float32, and ~9 digits keep explain.json small."""
    import numpy as np

    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def sklearn_trees(est):
    """The fitted trees of a tree estimator as (children_left, feature, cover) arrays (a leaf has
    children_left -1), in every order skl2onnx may number them."""
    import numpy as np

    def tree_arrays(t):
        return t.children_left, t.feature, t.weighted_n_node_samples

    def hgb_arrays(predictor):
        nodes = predictor.nodes
        left = np.where(nodes["is_leaf"].astype(bool), -1, nodes["left"].astype(np.int64))
        return left, nodes["feature_idx"].astype(np.int64), nodes["count"].astype(np.float64)

    name = type(est).__name__
    if name.startswith("DecisionTree"):
        return [[tree_arrays(est.tree_)]]
    if name.startswith(("RandomForest", "ExtraTrees")):
        return [[tree_arrays(e.tree_) for e in est.estimators_]]
    if name.startswith("GradientBoosting"):
        grid = est.estimators_
        by_iteration = [tree_arrays(grid[i, k].tree_) for i in range(grid.shape[0]) for k in range(grid.shape[1])]
        by_class = [tree_arrays(grid[i, k].tree_) for k in range(grid.shape[1]) for i in range(grid.shape[0])]
        return [by_iteration, by_class]
    if name.startswith("HistGradientBoosting"):
        grid = est._predictors
        k_n = len(grid[0])
        by_iteration = [hgb_arrays(grid[i][k]) for i in range(len(grid)) for k in range(k_n)]
        by_class = [hgb_arrays(grid[i][k]) for k in range(k_n) for i in range(len(grid))]
        return [by_iteration, by_class]
    return []


def onnx_tree_splits(onx):
    """Per tree id of the graph's tree ensemble (in id order): {node id: (feature id, true node
    id, false node id), or None for a leaf}."""
    from onnx import helper

    node = next(n for n in onx.graph.node if n.op_type.startswith("TreeEnsemble"))
    a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
    trees = {}
    for t, n, f, mode, yes, no in zip(a["nodes_treeids"], a["nodes_nodeids"], a["nodes_featureids"], a["nodes_modes"], a["nodes_truenodeids"], a["nodes_falsenodeids"]):
        trees.setdefault(t, {})[n] = None if mode in (b"LEAF", "LEAF") else (f, yes, no)
    return [trees[t] for t in sorted(trees)]


def onnx_trees(onx):
    """Per tree id of the graph's tree ensemble: {node id: feature id, or None for a leaf}."""
    return [{n: None if split is None else split[0] for n, split in tree.items()} for tree in onnx_tree_splits(onx)]


def explain_data(est, xt, onx):
    """explain.json: what wasmpredict needs beside the graph to explain a prediction, or None for
    estimators it does not explain. Linear models: the model features' means over the sample
    (contributions are w·(x - mean), as shap's LinearExplainer computes them). Trees: each
    node's cover (training rows through it), which an ONNX tree does not carry and TreeSHAP
    weighs paths by; matched to the graph's trees node by node."""
    import numpy as np

    name = type(est).__name__
    if name in LINEAR_ESTIMATORS:
        means = np.asarray(xt, dtype=np.float64).mean(axis=0)
        return {"kind": "linear", "feature_means": [f32_number(m) for m in means]}
    if name not in TREE_ESTIMATORS:
        return None
    if is_booster(est):
        return {"kind": "trees", "covers": booster_covers(est, onnx_tree_splits(onx))}
    graph = onnx_trees(onx)
    for order in sklearn_trees(est):
        if len(order) != len(graph):
            continue
        same = all(
            len(g) == len(left) and all(
                (g.get(i, "absent") is None) == (left[i] == -1) and (left[i] == -1 or g.get(i) == feature[i])
                for i in range(len(left))
            )
            for g, (left, feature, _) in zip(graph, order)
        )
        if same:
            covers = [[float(c) for c in cover] for _, _, cover in order]
            return {"kind": "trees", "covers": covers}
    raise ExportError(f"internal: the ONNX trees of {name} do not match its fitted trees node by node; cannot write the node covers explanations need")


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
        if type(est).__name__ == "MLPClassifier" and probs is not None and len(probs):
            # An MLP's label comes from its own ArgMax/lookup path, not from the estimator op:
            # check it against sklearn's predict too; skip near-ties.
            labels = [v.decode() if isinstance(v, bytes) else v for v in outs[0].reshape(-1)]
            top2 = np.sort(probs, axis=1)[:, -2:] if probs.shape[1] > 1 else np.zeros((len(probs), 2))
            clear = (top2[:, 1] - top2[:, 0]) > tolerance * 10
            wrong = [i for i in np.flatnonzero(clear) if labels[i] != pred[i]]
            if wrong:
                raise ExportError(f"the converted graph's label disagrees with sklearn's predict on {len(wrong)} sample rows")
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


def export(model_path, sample_path, name, out_dir, version="1.0.0", description=None, golden_rows=50):
    import joblib
    import numpy as np
    import pandas as pd

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
    explain = explain_data(est, xt, onx)
    if explain is not None:
        files["explain.json"] = (json.dumps(explain, allow_nan=False, separators=(",", ":")) + "\n").encode()
        manifest["explain"] = "explain.json"
    return write_bundle(out_dir, manifest, files)


# ---------------------------------------------------------------------------------------------
# Wrapping any ONNX graph (--onnx)


def one_line(e):
    """An exception as one short line (onnxruntime's source location and C++ signature dropped)."""
    import re

    text = " ".join(str(e).split())
    text = re.sub(r"\S*onnxruntime_src/\S+:\d+ .*?\) (?=[A-Z])", "", text)
    return text if len(text) <= 300 else text[:297] + "..."


def parse_classes(text):
    """`--classes A,B,C`: integers when every label is one, else strings."""
    labels = [c.strip() for c in text.split(",")]
    if any(not c for c in labels):
        raise ExportError(f"--classes {text!r} has an empty label")
    try:
        return [int(c) for c in labels]
    except ValueError:
        return labels


def _tensor_type_name(elem_type):
    from onnx import TensorProto

    return TensorProto.DataType.Name(elem_type) if elem_type in TensorProto.DataType.values() else str(elem_type)


def _unique_namer(graph):
    taken = {i.name for i in graph.input} | {o.name for o in graph.output} | {i.name for i in graph.initializer}
    for node in graph.node:
        taken.update(node.output)
        taken.add(node.name)

    def unique(base):
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    return unique


def export_onnx(onnx_path, sample_path, name, out_dir, version="1.0.0", description=None, golden_rows=50, task=None, classes=None, output=None, logits=False):
    """Wraps an ONNX graph with one float32 input [N, F] as a bundle (see the module docstring)."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    import pandas as pd
    from onnx import TensorProto, helper, numpy_helper

    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ExportError(f"invalid bundle name {name!r}")
    if task not in (None, "classification", "regression"):
        raise ExportError(f"task must be classification or regression, got {task!r}")

    # The graph.
    try:
        with open(onnx_path, "rb") as fh:
            raw = fh.read()
        model = onnx.load_model_from_string(raw)
        onnx.checker.check_model(model)
    except Exception as e:
        raise ExportError(f"cannot load {onnx_path} as an ONNX model: {one_line(e)}") from e
    graph = model.graph
    if not graph.node or not graph.output:
        raise ExportError(f"cannot load {onnx_path} as an ONNX model: the graph has no nodes or no outputs")
    domains = sorted({n.domain for n in graph.node if n.domain not in ("", "ai.onnx", "ai.onnx.ml")})
    if domains:
        raise ExportError(f"the graph uses operators of domain {', '.join(domains)}, which tract does not run; export it with standard ONNX operators only")
    missing_ops = sorted({n.op_type for n in graph.node if n.op_type in TRACT_MISSING_OPS})
    if missing_ops:
        raise ExportError(f"the graph uses {', '.join(missing_ops)}, which wasmpredict's tract engine does not include (see vendor/README.md); supported are dense layers (MatMul/Gemm), activations, Softmax, arithmetic, shape and indexing ops")

    # Its single float32 [N, F] input.
    initializers = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ExportError(f"the graph has {len(inputs)} runtime inputs ({', '.join(i.name for i in inputs) or 'none'}); wasmpredict feeds exactly one float32 input of shape [N, F]")
    graph_input = inputs[0]
    tensor_type = graph_input.type.tensor_type
    if not graph_input.type.HasField("tensor_type") or tensor_type.elem_type != TensorProto.FLOAT:
        kind = _tensor_type_name(tensor_type.elem_type) if graph_input.type.HasField("tensor_type") else "not a tensor"
        raise ExportError(f"the graph's input {graph_input.name!r} is {kind}; wasmpredict feeds float32 [N, F] (export the network in float32)")
    width = None
    if tensor_type.HasField("shape"):
        dims = tensor_type.shape.dim
        if len(dims) != 2:
            raise ExportError(f"the graph's input {graph_input.name!r} has rank {len(dims)}; wasmpredict feeds a matrix [N, F] (one row of F features per example)")
        if dims[0].HasField("dim_value"):
            raise ExportError(
                f"the graph's input {graph_input.name!r} has a fixed batch size of {dims[0].dim_value}; export it with a dynamic first dimension "
                "(PyTorch: torch.onnx.export(..., dynamic_axes={'input': {0: 'N'}}))"
            )
        if dims[1].HasField("dim_value"):
            width = int(dims[1].dim_value)

    # The sample: the raw schema, F numeric columns.
    try:
        df = pd.read_csv(sample_path)
    except Exception as e:
        raise ExportError(f"cannot read {sample_path}: {one_line(e)}") from e
    if len(df) == 0:
        raise ExportError(f"{sample_path} has no rows")
    non_numeric = [str(c) for c in df.columns if pd_types().is_bool_dtype(df[c].dtype) or not pd_types().is_numeric_dtype(df[c].dtype)]
    if non_numeric:
        raise ExportError(f"every sample column must be numeric (the graph reads float32 features); these are not: {non_numeric}")
    fields = [str(c) for c in df.columns]
    if width is not None and width != len(fields):
        raise ExportError(f"the graph's input {graph_input.name!r} takes {width} columns but the sample has {len(fields)}: {fields}")
    n_features = len(fields)
    complete = df[df.notna().all(axis=1)]
    if len(complete) == 0:
        raise ExportError(f"{sample_path} has no row without missing values")
    golden_frame = complete.head(golden_rows)
    x = golden_frame.to_numpy(dtype=np.float32)

    # The output.
    names = [o.name for o in graph.output]
    if output is not None and output not in names:
        raise ExportError(f"output {output!r} not found; the graph's outputs: {', '.join(names)}")
    if output is None and len(names) > 1:
        raise ExportError(f"the graph has {len(names)} outputs ({', '.join(names)}); choose one with --output")
    output = output or names[0]
    try:
        session = ort.InferenceSession(raw, providers=["CPUExecutionProvider"])
        (out,) = session.run([output], {graph_input.name: x})
    except Exception as e:
        hint = " (save the model with an older IR version, e.g. model.ir_version = 10)" if "IR version" in str(e) else ""
        raise ExportError(f"onnxruntime cannot run the graph on {len(x)} sample rows: {one_line(e)}{hint}") from e
    out = np.asarray(out)
    if out.dtype != np.float32:
        raise ExportError(f"output {output!r} is {out.dtype}; wasmpredict reads a float32 output ([N] or [N, 1] for regression, [N, C] for classification)")
    shown = "[" + ", ".join(["N"] + [str(d) for d in out.shape[1:]]) + "]"
    if out.ndim not in (1, 2) or out.shape[0] != len(x) or (out.ndim == 2 and out.shape[1] == 0):
        shown = f"{list(out.shape)} for {len(x)} rows"
        raise ExportError(f"unsupported output shape: {output!r} has shape {shown}; expected [N] or [N, 1] (regression) or [N, C] (classification)")
    width_out = 1 if out.ndim == 1 else int(out.shape[1])
    task = task or ("classification" if width_out >= 2 else "regression")
    if task == "regression" and width_out != 1:
        raise ExportError(f"unsupported output shape for regression: {output!r} has shape {shown}; regression reads one value per row ([N] or [N, 1])")
    if task == "classification" and width_out < 2:
        raise ExportError(f"unsupported output shape for classification: {output!r} has shape {shown}; classification reads one column per class ([N, C], C >= 2)")
    if not np.isfinite(out).all():
        raise ExportError(f"output {output!r} is not finite on some sample rows")
    if task == "regression" and (classes is not None or logits):
        raise ExportError("--classes and --logits apply only to classification")

    if task == "classification":
        if classes is None:
            classes = list(range(width_out))
        classes = list(classes)
        if len(classes) != width_out:
            raise ExportError(f"--classes gives {len(classes)} labels but output {output!r} has {width_out} columns (one per class)")
        is_int = all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in classes)
        if not is_int and not all(isinstance(c, str) for c in classes):
            raise ExportError("class labels must be all integers or all strings")
        classes = [int(c) for c in classes] if is_int else [str(c) for c in classes]
        if len(set(classes)) != len(classes):
            raise ExportError(f"class labels must be distinct, got {classes}")
        if not logits:
            rows_sum = out.sum(axis=1)
            if out.min() < -1e-5 or out.max() > 1 + 1e-5 or np.max(np.abs(rows_sum - 1)) > 1e-3:
                raise ExportError(f"output {output!r} does not hold probabilities (rows do not sum to 1); pass --logits if it holds raw scores")

    # The bundle's graph: the user's, plus (classification) Softmax, ArgMax and the label lookup.
    wrapped = onnx.ModelProto()
    wrapped.CopyFrom(model)
    g = wrapped.graph
    g.name = WRAPPED_GRAPH_NAME
    model_spec = {"file": "model.onnx", "input": graph_input.name, "accepts_nan": False}
    if task == "classification":
        unique = _unique_namer(g)
        out_info = next(o for o in g.output if o.name == output)
        if logits:
            probabilities = unique("probabilities")
            g.node.append(helper.make_node("Softmax", [output], [probabilities], name=unique("wasmpredict_softmax"), axis=1))
            prob_info = helper.make_tensor_value_info(probabilities, TensorProto.FLOAT, [None, width_out])
        else:
            probabilities = output
            prob_info = onnx.ValueInfoProto()
            prob_info.CopyFrom(out_info)
        index, table, label = unique("label_index"), unique("class_labels"), unique("label")
        g.node.append(helper.make_node("ArgMax", [probabilities], [index], name=unique("wasmpredict_argmax"), axis=1, keepdims=0))
        if isinstance(classes[0], int):
            g.initializer.append(numpy_helper.from_array(np.array(classes, dtype=np.int64), table))
            label_type = TensorProto.INT64
        else:
            g.initializer.append(helper.make_tensor(table, TensorProto.STRING, [len(classes)], [c.encode("utf-8") for c in classes]))
            label_type = TensorProto.STRING
        g.node.append(helper.make_node("Gather", [table, index], [label], name=unique("wasmpredict_label"), axis=0))
        del g.output[:]
        g.output.extend([helper.make_tensor_value_info(label, label_type, [None]), prob_info])
        if not any(o.domain in ("", "ai.onnx") for o in wrapped.opset_import):
            wrapped.opset_import.append(helper.make_opsetid("", 13))
        model_spec["label"] = label
        model_spec["probabilities"] = probabilities
    else:
        model_spec["value"] = output
    try:
        onnx.checker.check_model(wrapped)
        data = wrapped.SerializeToString()
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        answers = session.run([model_spec.get("label") or output] + ([model_spec["probabilities"]] if task == "classification" else []), {graph_input.name: x})
    except Exception as e:
        raise ExportError(f"internal: the wrapped graph does not run: {one_line(e)}") from e

    # Golden rows: onnxruntime's answers on the first complete sample rows.
    golden = {
        "tolerance": CLASSIFICATION_TOLERANCE if task == "classification" else REGRESSION_TOLERANCE,
        "relative_tolerance": 0.0 if task == "classification" else REGRESSION_RELATIVE_TOLERANCE,
        "rows": [],
    }
    records = golden_frame.to_dict("records")
    if task == "classification":
        labels, probs = answers[0].reshape(-1), np.asarray(answers[1], dtype=np.float64)
        expected = out.astype(np.float64)
        if logits:
            e = np.exp(expected - expected.max(axis=1, keepdims=True))
            expected = e / e.sum(axis=1, keepdims=True)
        if np.max(np.abs(probs - expected)) > CLASSIFICATION_TOLERANCE or [to_label(v) for v in labels] != [classes[i] for i in np.argmax(probs, axis=1)]:
            raise ExportError("internal: the appended Softmax/ArgMax/label nodes disagree with the graph's output")
        for i, record in enumerate(records):
            golden["rows"].append({"input": to_py_record(record), "prediction": to_label(labels[i]), "probabilities": [float(p) for p in probs[i]]})
    else:
        values = answers[0].reshape(-1)
        for i, record in enumerate(records):
            golden["rows"].append({"input": to_py_record(record), "prediction": float(values[i])})

    # The profile: every sample row; the predictions of the complete ones (the others have no
    # answer: a wrapped graph takes no missing value), as onnxruntime gives them.
    try:
        (all_answers,) = session.run([model_spec.get("label") or output], {graph_input.name: complete.to_numpy(dtype=np.float32)})
    except Exception as e:
        raise ExportError(f"onnxruntime cannot run the graph on the {len(complete)} complete sample rows: {one_line(e)}") from e
    if task == "classification":
        predicted = class_histogram(classes, [to_label(v) for v in all_answers.reshape(-1)], len(df))
    else:
        values_all = np.full(len(df), np.nan)
        values_all[np.flatnonzero(df.notna().all(axis=1).to_numpy())] = all_answers.reshape(-1)
        predicted = number_histogram(values_all, prediction_margin)
    input_fields = [{"name": f, "type": "number", "nullable": False, "stats": field_stats(df[c], "number")} for f, c in zip(fields, df.columns)]
    featurizer = {"type": "pipeline", "steps": []}
    profile = training_profile(df.rename(columns=dict(zip(df.columns, fields))), input_fields, {}, predicted)

    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p) or "unknown producer"
    files = {
        "model.onnx": data,
        "golden.json": (json.dumps(golden, allow_nan=False, ensure_ascii=False) + "\n").encode(),
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "description": description,
        "created_by": f"{EXPORTER}, wrapped from ONNX ({producer}; onnx {onnx.__version__}, onnxruntime {ort.__version__})",
        "task": task,
        "estimator": "ONNX",
        "classes": classes if task == "classification" else None,
        "input": input_fields,
        "featurizer": featurizer,
        "n_features": n_features,
        "model": model_spec,
        "profile": profile,
    }
    return write_bundle(out_dir, manifest, files)


def to_label(value):
    """A label from an onnxruntime output (int64 or bytes/str) as JSON."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return to_py(value)


def write_bundle(out_dir, manifest, files):
    """Adds the sha256 of every file to `manifest`, then writes the bundle atomically."""
    manifest["files"] = {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())}
    files = dict(files, **{"manifest.json": (json.dumps(manifest, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode()})
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
    parser = argparse.ArgumentParser(
        description="Export a fitted scikit-learn model (--model), or wrap an ONNX graph with one float32 input [N, F] (--onnx), as a wasmpredict bundle.",
        epilog=f"Supported estimators: {', '.join(SUPPORTED_ESTIMATORS)}. Transformers: {SUPPORTED_TRANSFORMERS}.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="fitted estimator or Pipeline saved with joblib")
    source.add_argument("--onnx", help="an ONNX graph with one float32 input [N, F] (e.g. a network exported from PyTorch or Keras) to wrap as is")
    parser.add_argument("--sample", required=True, help="CSV of raw rows with a header: the raw input schema; golden predictions and field statistics come from it (with --onnx: F numeric columns)")
    parser.add_argument("--name", required=True, help="bundle name (used in URLs: /models/NAME/predict)")
    parser.add_argument("--out", required=True, help="bundle directory to write (replaced atomically)")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--description", default=None)
    parser.add_argument("--golden-rows", type=int, default=50, help="sample rows to store in golden.json (default 50)")
    wrap = parser.add_argument_group("with --onnx")
    wrap.add_argument("--task", choices=["classification", "regression"], help="default: an output [N] or [N, 1] is regression, [N, C] with C >= 2 classification")
    wrap.add_argument("--classes", help="class labels of the C output columns, comma-separated integers or strings (default 0..C-1)")
    wrap.add_argument("--output", help="the graph output to use when it has several")
    wrap.add_argument("--logits", action="store_true", help="the output holds raw scores: append a Softmax so the bundle answers probabilities")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        if args.onnx is not None:
            classes = parse_classes(args.classes) if args.classes is not None else None
            manifest = export_onnx(
                args.onnx, args.sample, args.name, args.out, args.version, args.description, args.golden_rows,
                task=args.task, classes=classes, output=args.output, logits=args.logits,
            )
        else:
            used = [flag for flag, value in (("--task", args.task), ("--classes", args.classes), ("--output", args.output), ("--logits", args.logits)) if value]
            if used:
                raise ExportError(f"{', '.join(used)} apply only with --onnx")
            manifest = export(args.model, args.sample, args.name, args.out, args.version, args.description, args.golden_rows)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {manifest['estimator']} ({manifest['task']}), {len(manifest['input'])} fields -> {manifest['n_features']} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
