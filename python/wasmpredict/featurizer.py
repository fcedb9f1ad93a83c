"""The fitted preprocessing steps of a Pipeline as the manifest's featurizer: their fitted
parameters only; the rules that apply them live once, in Rust (src/featurize/)."""

from __future__ import annotations

import math
import sys
import unicodedata

from .errors import ExportError
from .jsonable import floats, to_py


DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# The scikit-learn classes a Pipeline's steps may be (docs/models.md lists them, with fixtures).
SELECTORS = (
    "SelectKBest", "SelectPercentile", "VarianceThreshold", "SelectFromModel", "GenericUnivariateSelect",
    "SelectFpr", "SelectFdr", "SelectFwe", "RFE", "RFECV", "SequentialFeatureSelector",
)
SUPPORTED_TRANSFORMER_CLASSES = (
    "ColumnTransformer", "StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler", "SimpleImputer",
    "MissingIndicator", "OneHotEncoder", "OrdinalEncoder", "Binarizer", "Normalizer", "FunctionTransformer",
    "PolynomialFeatures", "PCA", "TruncatedSVD", "DictVectorizer", "CountVectorizer", "TfidfVectorizer",
    "TfidfTransformer", "PowerTransformer", "KBinsDiscretizer", "TargetEncoder",
    "QuantileTransformer",
) + SELECTORS
SUPPORTED_TRANSFORMERS = (
    ", ".join(SUPPORTED_TRANSFORMER_CLASSES) + ", nested Pipeline, 'passthrough' (docs/models.md)"
)
# What to use instead of an unsupported transformer, where something close is supported.
TRANSFORMER_ALTERNATIVES = {
    "KNNImputer": "SimpleImputer",
    "IterativeImputer": "SimpleImputer",
    "FeatureUnion": "a ColumnTransformer whose parts read the same columns",
    "LabelEncoder": "OrdinalEncoder (LabelEncoder is for the target)",
    "LabelBinarizer": "OneHotEncoder (LabelBinarizer is for the target)",
    "HashingVectorizer": "CountVectorizer or TfidfVectorizer",
    "SplineTransformer": "PolynomialFeatures",
    "KernelPCA": "PCA",
    "NMF": "TruncatedSVD",
    "FastICA": "PCA",
    "Nystroem": "PolynomialFeatures",
    "RBFSampler": "PolynomialFeatures",
}
# FunctionTransformer: the numpy functions the featurizer applies (src/featurize/elementwise.rs).
NUMPY_FUNCTIONS = ("log1p", "expm1", "sqrt", "abs", "exp", "log")


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
        steps, names = convert_steps([sub for _, sub in t.steps], in_names)
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
        stats = [to_py(v) for v in t.statistics_]
        if any(v is None for v in stats):
            raise ExportError("SimpleImputer has an all-missing column (its statistic is NaN); drop that column")
        imputer = {"type": "simple_imputer", "statistics": stats}
        if t.add_indicator:
            # [imputed columns, indicators]: both read the input as it came.
            every = list(range(len(in_names)))
            parts = [
                {"name": "imputer", "columns": every, "transformer": imputer},
                {"name": "indicator", "columns": every, "transformer": missing_indicator(t.indicator_)},
            ]
            return {"type": "column_transformer", "transformers": parts}, list(in_names) + [None] * len(t.indicator_.features_)
        return imputer, list(in_names)
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
    if name == "TfidfTransformer":
        raise ExportError("TfidfTransformer is supported right after a CountVectorizer (or use TfidfVectorizer)")
    converted = convert_numeric_step(t, in_names)
    if converted is not None:
        return converted
    from .estimators import refusal

    raise ExportError(refusal("transformer", name, TRANSFORMER_ALTERNATIVES))


def convert_steps(steps, in_names):
    """A list of fitted steps as manifest steps; a TfidfTransformer after a CountVectorizer
    becomes the vectorizer's tf-idf parameters (the two are a TfidfVectorizer)."""
    out = []
    names = list(in_names)
    for sub in steps:
        if type(sub).__name__ == "TfidfTransformer" and out and out[-1]["type"] == "text_vectorizer" and out[-1]["idf"] is None and out[-1]["norm"] is None:
            out[-1].update(tfidf_parameters(sub))
            continue
        step, names = convert_step(sub, names)
        out.append(step)
    return out, names


def tfidf_parameters(t):
    """A TfidfVectorizer's or TfidfTransformer's part of the text_vectorizer step."""
    if t.norm not in (None, "l1", "l2"):
        raise ExportError(f"{type(t).__name__}(norm={t.norm!r}) is not supported")
    return {"idf": floats(t.idf_) if t.use_idf else None, "sublinear_tf": bool(t.sublinear_tf), "norm": t.norm}


def convert_numeric_step(t, in_names):
    """The numeric transformers of format 4, or None for another class."""
    import numpy as np

    name = type(t).__name__
    same = list(in_names)
    if name == "RobustScaler":
        center = floats(t.center_) if t.with_centering else None
        scale = floats(t.scale_) if t.with_scaling else None
        return {"type": "standard_scaler", "mean": center, "scale": scale}, same
    if name == "MaxAbsScaler":
        return {"type": "standard_scaler", "mean": None, "scale": floats(t.scale_)}, same
    if name == "Binarizer":
        return {"type": "binarizer", "threshold": float(t.threshold)}, same
    if name == "Normalizer":
        return {"type": "normalizer", "norm": t.norm}, same
    if name == "FunctionTransformer":
        func = next((f for f in NUMPY_FUNCTIONS if t.func is getattr(np, f)), None)
        if func is None:
            shown = getattr(t.func, "__name__", repr(t.func))
            raise ExportError(f"FunctionTransformer(func={shown}) is not supported; supported: numpy's {', '.join(NUMPY_FUNCTIONS)}")
        if t.kw_args:
            raise ExportError(f"FunctionTransformer(func={func}, kw_args=...) is not supported")
        return {"type": "function", "func": func}, same
    if name == "OrdinalEncoder":
        if t.min_frequency is not None or t.max_categories is not None:
            raise ExportError("OrdinalEncoder with min_frequency/max_categories (infrequent categories) is not supported")
        nan_or = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)  # noqa: E731
        step = {
            "type": "ordinal_encoder",
            "categories": [[to_py(v) for v in cats] for cats in t.categories_],
            "handle_unknown": t.handle_unknown,
            "unknown_value": nan_or(t.unknown_value),
            "encoded_missing_value": nan_or(t.encoded_missing_value),
        }
        return step, [None] * len(in_names)
    if name == "PolynomialFeatures":
        return {"type": "polynomial", "powers": [[int(p) for p in row] for row in t.powers_]}, [None] * len(t.powers_)
    if name in ("PCA", "TruncatedSVD"):
        components = np.asarray(t.components_, dtype=np.float64)
        step = {"type": "projection", "components": [floats(c) for c in components], "offset": None, "scale": None}
        if name == "PCA":
            step["offset"] = floats((np.asarray(t.mean_, dtype=np.float64).reshape(1, -1) @ components.T).reshape(-1))
            if t.whiten:
                scale = np.sqrt(t.explained_variance_)
                scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
                step["scale"] = floats(scale)
        return step, [None] * len(components)
    if name in SELECTORS:
        idx = [int(i) for i in t.get_support(indices=True)]
        return {"type": "select", "columns": idx}, [in_names[i] for i in idx]
    if name == "MissingIndicator":
        return missing_indicator(t), [None] * len(t.features_)
    if name == "PowerTransformer":
        power = {"type": "power", "method": t.method, "lambdas": floats(t.lambdas_)}
        if not t.standardize:
            return power, same
        scaler = t._scaler  # fitted by sklearn on the transformed training data
        standardize = {"type": "standard_scaler", "mean": floats(scaler.mean_), "scale": floats(scaler.scale_)}
        return {"type": "pipeline", "steps": [power, standardize]}, same
    if name == "KBinsDiscretizer":
        return kbins(t, in_names)
    if name == "QuantileTransformer":
        import numpy as np

        quantiles = np.asarray(t.quantiles_, dtype=np.float64)
        step = {
            "type": "quantile",
            "output": t.output_distribution,
            "quantiles": [floats(quantiles[:, i]) for i in range(quantiles.shape[1])],
            "references": floats(t.references_),
        }
        return step, same
    if name == "TargetEncoder":
        import numpy as np

        means = np.atleast_1d(np.asarray(t.target_mean_, dtype=np.float64))
        step = {
            "type": "target_encoder",
            "categories": [[to_py(v) for v in cats] for cats in t.categories_],
            "encodings": [floats(e) for e in t.encodings_],
            "target_mean": floats(means),
        }
        return step, [None] * len(t.encodings_)
    return None


def kbins(t, in_names):
    """KBinsDiscretizer: the bin index (`kbins`), one-hot encoded after it unless encode='ordinal'."""
    import numpy as np

    if t.dtype not in (None, np.float64):
        raise ExportError(f"KBinsDiscretizer(dtype={t.dtype.__name__}) is not supported; use the default dtype")
    step = {"type": "kbins", "edges": [floats(e) for e in t.bin_edges_]}
    if t.encode == "ordinal":
        return step, list(in_names)
    one_hot = {
        "type": "one_hot_encoder",
        "categories": [list(range(int(n))) for n in t.n_bins_],
        "handle_unknown": "error",
        "drop_idx": None,
    }
    return {"type": "pipeline", "steps": [step, one_hot]}, [None] * int(sum(t.n_bins_))


def missing_indicator(t):
    mv = t.missing_values
    if not (isinstance(mv, float) and math.isnan(mv)):
        raise ExportError(f"MissingIndicator(missing_values={mv!r}) is not supported; use missing_values=np.nan")
    return {"type": "missing_indicator", "columns": [int(i) for i in t.features_], "error_on_new": bool(t.error_on_new)}


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
    words = t.analyzer == "word"
    if t.analyzer not in ("word", "char", "char_wb"):
        problems.append(f"analyzer={getattr(t.analyzer, '__name__', t.analyzer)!r}")
    if t.tokenizer is not None or t.preprocessor is not None:
        problems.append("a custom tokenizer/preprocessor")
    if words and t.token_pattern != DEFAULT_TOKEN_PATTERN:
        problems.append(f"token_pattern={t.token_pattern!r}")
    if t.strip_accents is not None:
        problems.append(f"strip_accents={t.strip_accents!r}")
    if t.input != "content":
        problems.append(f"input={t.input!r}")
    if problems:
        raise ExportError(
            f"{type(t).__name__} with {', '.join(problems)} is not supported "
            "(the analyzers 'word' with the default token pattern, 'char' and 'char_wb')"
        )
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
    # Stop words only apply to words (sklearn's character analyzers ignore them).
    stop = t.get_stop_words() if words else None
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
    if not words:
        step["analyzer"] = t.analyzer  # absent means words, as in every manifest before it
    if isinstance(t, TfidfVectorizer):
        step.update(tfidf_parameters(t))
    return step, [None] * len(vocabulary)


def mixes_fields(step):
    """Whether some model feature is computed from several raw fields (a polynomial term, a
    principal component): explanations per field are then not exact, and the bundle carries none
    (the Rust explainer refuses such a featurizer: src/featurize's column origins)."""
    if step["type"] in ("polynomial", "projection"):
        return True
    if step["type"] == "pipeline":
        return any(mixes_fields(s) for s in step["steps"])
    if step["type"] == "column_transformer":
        return any(mixes_fields(p["transformer"]) for p in step["transformers"])
    return False
