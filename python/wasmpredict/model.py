"""A bundle loaded into the Rust core, with the estimator API a scikit-learn user already calls:
`wasmpredict.load("models/churn/1.0.0")` stands in for `pickle.load(...)` of the fitted
pipeline, and answers what the pipeline answers (the bundle's golden rows prove it at export).

    import wasmpredict
    m = wasmpredict.load("models/churn/1.0.0")
    m.classes_                  # sklearn's classes_
    m.predict(frame)            # labels (classifier) or values (regressor)
    m.predict_proba(frame)      # [n, n_classes] float64, in classes_ order
    m.decision_function(frame)  # where the estimator has no predict_proba (LinearSVC)
    m.explain(frame)            # per-field contributions, as the HTTP API's "explanation"
    m.drift(frame)              # the frame compared with the training profile

`frame` may be a pandas or polars DataFrame (raw fields by name, any order; NaN and None are
missing), a pyarrow Table or RecordBatch, a list of dict records, or a 2-D numpy array for a
model whose fields are all numbers. Work runs in Rust on every core, without the GIL. Bad input
raises `PredictError` (a ValueError) naming the field, the row and what was expected."""

from __future__ import annotations

import json
import os

import numpy as np

from .columns import table_of
from .errors import BundleError

try:
    from . import _native
except ImportError as e:  # a checkout on sys.path whose native module was never built
    raise ImportError(
        f"wasmpredict's native module is not built ({e}): `pip install ./python` builds it, or "
        "`cargo xtask build python` in a checkout"
    ) from e

# The bundle format the Rust core reads and the exporter writes.
FORMAT_VERSION = _native.FORMAT_VERSION


def load(path):
    """Loads the bundle directory `path` (`models/NAME/VERSION`); `BundleError` if it does not
    load (a missing file, a wrong sha256, a graph no engine runs)."""
    return Model(_native.NativeModel.from_dir(os.fspath(path)))


def bundle_files(path):
    """The bundle's files by name (manifest.json and the files it lists): what travels to Spark
    executors, which need not see `path`."""
    path = os.fspath(path)
    try:
        with open(os.path.join(path, "manifest.json"), "rb") as f:
            manifest = f.read()
        listed = json.loads(manifest).get("files", {})
        files = {"manifest.json": manifest}
        for name in listed:
            with open(os.path.join(path, name), "rb") as f:
                files[name] = f.read()
    except (OSError, ValueError) as e:
        raise BundleError(f"{path}: {e}") from e
    return files


def from_files(files):
    """A bundle from its files' bytes by name (see `bundle_files`)."""
    return Model(_native.NativeModel.from_files(files))


class Model:
    """A loaded bundle. Use `load`."""

    def __init__(self, native):
        self._native = native
        self.manifest = json.loads(native.manifest_json())
        self._fields = self.manifest["input"]
        classes = self.manifest.get("classes")
        # As sklearn keeps them: numbers in a numeric array, strings in an object array.
        numeric = classes is not None and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in classes)
        self.classes_ = None if classes is None else np.asarray(classes, dtype=None if numeric else object)
        self._model = self.manifest["model"]

    def __repr__(self):
        m = self.manifest
        return f"wasmpredict.Model({m['name']} {m['version']}: {m['estimator']}, {self.engine} engine)"

    @property
    def name(self):
        return self.manifest["name"]

    @property
    def version(self):
        return self.manifest["version"]

    @property
    def engine(self):
        """"compact" or "tract": the engine evaluating the graph."""
        return self._native.engine()

    @property
    def feature_names_in_(self):
        """The raw fields, in schema order (as sklearn's `feature_names_in_`)."""
        return np.asarray([f["name"] for f in self._fields], dtype=object)

    def _answer(self, X):
        table, rows = table_of(X, self._fields)
        labels, values, width, second = self._native.predict(table, rows)
        values = np.frombuffer(values, dtype="<f8")
        if labels is None:
            return None, values, second
        labels = np.frombuffer(labels, dtype="<u4")
        return labels, values.reshape(len(labels), width), second

    def predict(self, X):
        """The estimator's `predict`: class labels from `classes_`, or regression values."""
        labels, values, _ = self._answer(X)
        return values.copy() if labels is None else self.classes_[labels]

    @property
    def predict_proba(self):
        """The estimator's `predict_proba`: `[n, n_classes]` in `classes_` order. Absent (as on
        sklearn's estimator) when the model gives decision scores instead."""
        if not self._model.get("probabilities"):
            raise AttributeError(f"{self.manifest['estimator']} has no predict_proba; it gives decision scores (decision_function)")
        return self._second

    @property
    def decision_function(self):
        """The estimator's `decision_function` where the bundle carries scores (LinearSVC): one
        column per class, or one value per row for a binary model, as sklearn returns them."""
        if not self._model.get("scores"):
            raise AttributeError(f"{self.manifest['estimator']} has no decision_function in this bundle; use predict_proba")
        return self._second

    def _second(self, X):
        labels, values, _ = self._answer(X)
        if labels is None:
            raise AttributeError("a regressor has neither predict_proba nor decision_function")
        return values[:, 0].copy() if values.shape[1] == 1 else values.copy()

    def explain(self, X):
        """Each row's explanation, as the HTTP API's `explanation` objects: `base_value` and
        per-field `contributions` (and a text field's strongest `terms`)."""
        table, rows = table_of(X, self._fields)
        return json.loads(self._native.explain(table, rows))

    def drift(self, X):
        """`X` compared with the training profile: per field and for the predictions, PSI and
        Jensen-Shannon distance with a verdict (the report of `wasmpredict drift --json`)."""
        table, rows = table_of(X, self._fields)
        return json.loads(self._native.drift(table, rows))

    def check(self):
        """Replays the bundle's golden rows (what `wasmpredict check` does): `(rows, matched,
        max_abs_diff, tolerance, mismatches)`."""
        return self._native.check()
