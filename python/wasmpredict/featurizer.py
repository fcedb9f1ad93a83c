"""The fitted preprocessing steps of a Pipeline as the manifest's featurizer: their fitted
parameters only; the rules that apply them live once, in Rust (src/featurize/)."""

from __future__ import annotations

import math
import sys
import unicodedata

from .errors import ExportError
from .jsonable import floats, to_py


DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
SUPPORTED_TRANSFORMERS = (
    "StandardScaler, MinMaxScaler, SimpleImputer (missing_values=nan), OneHotEncoder "
    "(handle_unknown error|ignore), DictVectorizer (first step), CountVectorizer / TfidfVectorizer "
    "(word analyzer, default token pattern), ColumnTransformer (passthrough/drop), nested Pipeline, "
    "'passthrough'"
)


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
