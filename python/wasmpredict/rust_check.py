"""The exporter's last step before a bundle is written: its golden rows replayed through
wasmpredict itself, in process (the native module: the Rust featurizer and evaluator that will
serve the bundle, checking it as `wasmpredict check` does), so that a bundle that exists is a
bundle that works."""

from __future__ import annotations

from .errors import BundleError, ExportError

SHOWN_MISMATCHES = 3


def replay_goldens(bundle_dir, shown_as):
    """Loads the bundle written in `bundle_dir` and replays its golden rows; a refusal, worded
    with `shown_as` (the directory the user asked for), as an ExportError."""
    from ._native import NativeModel

    where = lambda text: str(text).replace(str(bundle_dir), str(shown_as))  # noqa: E731
    try:
        rows, matched, _, _, mismatches = NativeModel.from_dir(str(bundle_dir)).check()
    except BundleError as e:
        raise ExportError(f"wasmpredict cannot load or check the bundle, so it was not written: {where(e)}") from None
    if mismatches or rows == 0:
        detail = "; ".join(mismatches[:SHOWN_MISMATCHES]) or "no golden rows"
        raise ExportError(f"wasmpredict does not reproduce the bundle's golden rows ({matched}/{rows} golden rows match), so it was not written: {where(detail)}")
