#!/usr/bin/env bash
# wasmpredict side by side with onnxruntime (web, node, Python), scikit-learn and the textbook
# Flask + pickle app: `cargo xtask bench [--quick]` (xtask/src/bench.rs). Writes BENCHMARKS.md
# and bench/chart.svg.
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo >/dev/null || { echo "error: cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
exec cargo xtask bench "$@"
