"""The exporter's last step before a bundle is written: its golden rows replayed through
wasmpredict itself (`wasmpredict check`: the Rust featurizer and evaluator that will serve it),
so that a bundle that exists is a bundle that works."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .errors import ExportError

HOW_TO_GET_IT = (
    "put wasmpredict on PATH (`cargo install --path .` in a wasmpredict checkout), build it in the "
    "checkout this package sits in (`cargo build --release`; ./test.sh builds target/debug/wasmpredict) "
    "or set WASMPREDICT_BIN to it"
)


def find_binary():
    """WASMPREDICT_BIN, else `wasmpredict` on PATH, else the newest build of the checkout this
    package sits in (python/wasmpredict/ of the repository)."""
    chosen = os.environ.get("WASMPREDICT_BIN")
    if chosen:
        if not (os.path.isfile(chosen) and os.access(chosen, os.X_OK)):
            raise ExportError(f"WASMPREDICT_BIN={chosen} is not an executable file")
        return chosen
    found = shutil.which("wasmpredict")
    if found:
        return found
    checkout = Path(__file__).resolve().parents[2]
    targets = [Path(os.environ["CARGO_TARGET_DIR"])] if os.environ.get("CARGO_TARGET_DIR") else []
    targets.append(checkout / "target")
    builds = [t / profile / "wasmpredict" for t in targets for profile in ("release", "debug")]
    builds = [b for b in builds if b.is_file() and os.access(b, os.X_OK)]
    if builds:
        return str(max(builds, key=lambda b: b.stat().st_mtime))
    raise ExportError(f"the golden rows are replayed through wasmpredict before the bundle is written, and no wasmpredict binary was found: {HOW_TO_GET_IT}")


def replay_goldens(bundle_dir, shown_as):
    """Runs `wasmpredict check` on the bundle written in `bundle_dir`; its refusal, worded with
    `shown_as` (the directory the user asked for), as an ExportError."""
    binary = find_binary()
    try:
        proc = subprocess.run([binary, "check", str(bundle_dir)], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ExportError(f"cannot run {binary} check: {e}") from e
    if proc.returncode != 0:
        said = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
        detail = "; ".join(said[:3]).replace(str(bundle_dir), str(shown_as))
        raise ExportError(f"wasmpredict ({binary}) does not reproduce the bundle's golden rows, so it was not written: {detail}")
