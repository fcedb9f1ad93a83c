"""Writing a bundle: hashes in the manifest, every file written beside the target and swapped in
at once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile

from .rust_check import replay_goldens


def write_bundle(out_dir, manifest, files):
    """Adds the sha256 of every file to `manifest`, then writes the bundle atomically, once
    wasmpredict has replayed its golden rows."""
    manifest["files"] = {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())}
    files = dict(files, **{"manifest.json": (json.dumps(manifest, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode()})
    write_atomically(out_dir, files, before_swap=lambda tmp: replay_goldens(tmp, out_dir))
    return manifest


def write_atomically(out_dir, files, before_swap=None):
    """Writes every file into a fresh directory next to `out_dir`, calls `before_swap` on it (which
    may refuse it by raising), then swaps it in."""
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    os.chmod(tmp, 0o755)
    try:
        for fname, data in files.items():
            with open(os.path.join(tmp, fname), "wb") as fh:
                fh.write(data)
        if before_swap is not None:
            before_swap(tmp)
        old = None
        if os.path.exists(out_dir):
            old = tempfile.mkdtemp(prefix=".old-", dir=parent)
            os.rmdir(old)
            os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
