"""Training profile (docs/bundle-format.md, "Training profile"): histograms of the sample that
the drift checks (src/drift/) compare new rows with. The slot rules are Rust's: a value goes
in bin i when edges[i-1] < x <= edges[i] (numpy's searchsorted, side='left')."""

from __future__ import annotations

import json

from .estimators import REGRESSION_RELATIVE_TOLERANCE, REGRESSION_TOLERANCE
from .jsonable import to_py


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
