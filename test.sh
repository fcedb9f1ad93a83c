#!/usr/bin/env bash
# Sets up everything wasmpredict's tests need and runs every test.
# First run on a fresh machine: ~15-25 minutes (tract compiles natively and for wasm32, pip
# installs scikit-learn & co. into .venv). Later runs: ~1-2 minutes.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

need_rust
need_wasm_target
need_venv

say "formatting (cargo fmt --check)"
cargo fmt --check

say "generating test fixtures with scikit-learn (target/fixtures)"
rm -rf target/fixtures
"$PY" tests/python/make_fixtures.py target/fixtures >&2

say "Rust tests (golden replay, featurizer parity, API errors, bundle refusals, CLI)"
cargo test --all-targets

say "core library builds for wasm32-unknown-unknown without native features"
cargo build --lib --no-default-features --target wasm32-unknown-unknown

say "Python tests (exporter, bundle reproducibility, CLI against sklearn)"
target_dir="$(cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
export WASMPREDICT_BIN="$target_dir/debug/wasmpredict"
"$PY" -m pytest -q tests/python
