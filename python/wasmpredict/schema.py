"""The raw input: how the pipeline reads rows (Source) and each field's kind and statistics."""

from __future__ import annotations

from .errors import ExportError
from .jsonable import to_py


class Source:
    """How the pipeline reads raw rows: a DataFrame, a numeric array, dicts, or a list of texts."""

    def __init__(self, model, preprocess, df):
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
