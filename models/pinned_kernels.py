"""The numeric kernels models/train.py trains with, the same on every x86-64 machine.

scikit-learn's lbfgs solver (LogisticRegression: iris, churn 1.0.0, news) sums through OpenBLAS
and numpy's SIMD loops, which pick their code by CPU at run time: an AVX-512 machine and an AVX2
one stop at coefficients that differ in the fourth decimal, so golden.json differs byte for
byte and tests/python/test_export.py's reproducibility test fails on one of them. Pinning
OpenBLAS to its Haswell (AVX2) kernels on one thread and numpy to its x86-64-v3 (AVX2) loops
gives every AVX2 or newer machine the same floats. The committed bundles were trained so.

    import pinned_kernels; pinned_kernels.pin()      # before numpy is imported
    python3 models/pinned_kernels.py --shell         # the same as `export` lines, for scripts
    python3 models/pinned_kernels.py --json          # the same as one JSON object (cargo xtask)
"""

from __future__ import annotations

import os
import sys

PINNED = {
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    # numpy 2.4's dispatch targets above x86-64-v3; disabling one the CPU lacks is a no-op.
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}


def missing() -> dict[str, str]:
    """The pinned variables this process does not have."""
    return {k: v for k, v in PINNED.items() if os.environ.get(k) != v}


def pin() -> None:
    """Sets the pinned variables before numpy loads, or says why it cannot."""
    todo = missing()
    if not todo:
        return
    if "numpy" in sys.modules:
        raise RuntimeError(
            "numpy was loaded without the pinned numeric kernels, so training would not reproduce "
            "the committed bundles; run with "
            + " ".join(f"{k}='{v}'" for k, v in PINNED.items())
            + " (cargo xtask test sets them)"
        )
    os.environ.update(todo)


if __name__ == "__main__":
    if sys.argv[1:] == ["--json"]:
        import json

        print(json.dumps(PINNED))
    elif sys.argv[1:] == ["--shell"]:
        for key, value in PINNED.items():
            print(f"export {key}='{value}'")
    else:
        raise SystemExit("usage: python3 models/pinned_kernels.py --shell | --json")
