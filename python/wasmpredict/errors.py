"""wasmpredict's exceptions: the exporter's, and the bundle's at prediction time."""


class ExportError(Exception):
    """A model or sample this exporter cannot turn into a correct bundle."""


class PredictError(ValueError):
    """Input the model refuses. `code` is the HTTP API's error code (`wrong_type`,
    `missing_field`, `unknown_category`, ...: docs/api.md), `field` the raw field it names (or
    None); the message names the field, the row and what was expected."""

    def __init__(self, message, code, field=None):
        super().__init__(message)
        self.code = code
        self.field = field

    def __reduce__(self):
        return (PredictError, (str(self), self.code, self.field))


class BundleError(ValueError):
    """A bundle that does not load (a missing file, a wrong sha256, a graph no engine runs) or
    whose golden rows do not replay."""
