"""Values from numpy, pandas and onnxruntime as plain JSON-able Python."""

from __future__ import annotations

import math

from .errors import ExportError


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


def to_label(value):
    """A label from an onnxruntime output (int64 or bytes/str) as JSON."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return to_py(value)
