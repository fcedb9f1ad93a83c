"""Whatever table a user has, as the native module reads it: one column per schema field, by
name (any column order; columns the model does not use are ignored), in one of four buffer
layouts (numbers as float64 with NaN for missing; booleans and strings in Arrow's layout), or a
request body for lists of records (`{"instances": [...]}`), checked exactly as `/predict` checks them.

Typing a value against its field happens once, in Rust (the same rules as the HTTP API): here
only the layout is chosen, from the column's Arrow type."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import PredictError

NUMERIC = (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal)
STRING = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)


def table_of(X, fields):
    """`X` as `(table, rows)` for the native module: `table` a list of column tuples (rows the
    row count) or request body bytes (rows None)."""
    if isinstance(X, dict):
        return body_of([X]), None
    texts = _texts(X)
    if texts is not None:
        return text_column(texts, fields)
    if isinstance(X, (list, tuple)) and all(isinstance(r, dict) for r in X):
        return body_of(list(X)), None
    if isinstance(X, (pa.Table, pa.RecordBatch)):
        return arrow_columns(X, fields), X.num_rows
    if type(X).__module__.split(".")[0] == "polars":
        return table_of(X.to_arrow(), fields)
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return pandas_columns(X, fields), len(X)
    if isinstance(X, np.ndarray):
        return positional_columns(X, fields)
    if isinstance(X, (list, tuple)) and X and isinstance(X[0], (list, tuple)):
        return positional_columns(np.asarray(X, dtype=object), fields)
    raise TypeError(
        f"cannot read a {type(X).__name__}: pass a pandas or polars DataFrame, a pyarrow Table or RecordBatch, "
        "a list of dict records, or a 2-D numpy array for a model of number fields"
    )


def _texts(X):
    """A plain sequence of strings (a list, a pandas Series): what sklearn's text pipelines
    take, as the news classifier's `pipeline.predict(["a review", ...])`."""
    if isinstance(X, str):
        return [X]
    if hasattr(X, "iloc") and not hasattr(X, "columns"):
        return X
    if isinstance(X, (list, tuple)) and X and all(isinstance(v, str) for v in X):
        return X
    return None


def text_column(texts, fields):
    if len(fields) != 1 or fields[0]["type"] != "text":
        names = ", ".join(f["name"] for f in fields)
        raise PredictError(
            f"a sequence of strings is one text per row, for a model of one text field; this model takes: {names}",
            "unknown_body_shape",
        )
    array = arrow_array(texts if hasattr(texts, "iloc") else list(texts), fields[0])
    return [arrow_column(array)], len(array)


def _plain(value):
    """A record's value as JSON writes it: numpy scalars as Python numbers, NaN as null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def body_of(records):
    try:
        clean = [{str(k): _plain(v) for k, v in r.items()} for r in records]
        return json.dumps({"instances": clean}, allow_nan=False).encode()
    except (TypeError, ValueError) as e:
        raise PredictError(f"the records cannot be read as field values: {e}", "wrong_type") from e


def arrow_columns(table, fields):
    names = table.schema.names
    return [arrow_column(table.column(names.index(f["name"]))) if f["name"] in names else ("absent",) for f in fields]


def arrow_column(column):
    """One column (Array or ChunkedArray) in the layout its Arrow type calls for."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, kind.value_type)
        kind = column.type
    if pa.types.is_null(kind):
        return ("num", np.full(len(column), np.nan))
    if any(test(kind) for test in NUMERIC):
        numbers = pc.cast(column, pa.float64())
        if numbers.null_count:
            numbers = pc.fill_null(numbers, math.nan)
        return ("num", np.ascontiguousarray(numbers.to_numpy(), dtype=np.float64))
    if pa.types.is_boolean(kind):
        values = pc.fill_null(column, False).to_numpy(zero_copy_only=False).astype(np.uint8)
        return ("bool", values, _validity(column))
    if any(test(kind) for test in STRING):
        strings = pc.cast(column, pa.large_string())
        if isinstance(strings, pa.ChunkedArray):
            strings = pa.concat_arrays(strings.chunks) if strings.num_chunks else pa.array([], pa.large_string())
        _, offsets, data = strings.buffers()
        offsets = np.frombuffer(offsets, dtype=np.int64)[strings.offset : strings.offset + len(strings) + 1] if offsets else np.zeros(1, np.int64)
        data = np.frombuffer(data, dtype=np.uint8) if data else np.zeros(0, np.uint8)
        return ("str", np.ascontiguousarray(offsets), data, _validity(strings))
    return ("type", str(kind))


def _validity(column):
    if not column.null_count:
        return None
    return pc.is_valid(column).to_numpy(zero_copy_only=False).astype(np.uint8)


def pandas_columns(frame, fields):
    out = []
    for f in fields:
        name = f["name"]
        if name not in frame.columns:
            out.append(("absent",))
            continue
        out.append(arrow_column(arrow_array(frame[name], f)))
    return out


def arrow_array(values, field):
    """`values` (a pandas Series or a list) as one Arrow array (NaN and None missing), or the
    refusal naming the first row whose value does not fit the field."""
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise mixed_column(field["name"], list(values), field) from None


def mixed_column(name, values, field):
    """The refusal of a column Arrow cannot read as one type (strings and numbers mixed): names
    the first row whose value is not of the field's kind, as the Rust core would."""
    fits = {
        "number": lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)),
        "category": lambda v: isinstance(v, str),
        "text": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, (bool, np.bool_)),
    }.get(field["type"], lambda v: False)
    missing = lambda v: v is None or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    row, value = next(((i, v) for i, v in enumerate(values) if not missing(v) and not fits(v)), (0, values[0] if values else None))
    return PredictError(
        f"row {row}: field '{name}' must be {EXPECTED.get(field['type'], field['type'])}, got the {type(value).__name__} {value!r}",
        "wrong_type",
        name,
    )


EXPECTED = {
    "number": "a number",
    "category": "a string (a category)",
    "text": "a non-empty string (a text)",
    "bool": "a boolean",
}


def positional_columns(array, fields):
    """A 2-D array whose columns are the fields, in schema order."""
    if array.ndim != 2:
        raise PredictError(
            f"expected a 2-D array of rows, got {array.ndim} dimension(s); use X.reshape(1, -1) for one row",
            "unknown_body_shape",
        )
    rows, width = array.shape
    if width != len(fields):
        raise PredictError(
            f"rows have {width} values; the model takes {len(fields)} fields ({', '.join(f['name'] for f in fields)})",
            "wrong_feature_count",
            "features",
        )
    columns = []
    for j, f in enumerate(fields):
        column = array[:, j]
        if column.dtype.kind == "b":
            columns.append(("bool", np.ascontiguousarray(column, dtype=np.uint8), None))
        elif column.dtype.kind in "fiu":
            columns.append(("num", np.ascontiguousarray(column, dtype=np.float64)))
        else:
            columns.append(arrow_column(arrow_array(column.tolist(), f)))
    return columns, rows
