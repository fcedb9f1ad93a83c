#!/usr/bin/env bash
# Sets up everything wasmpredict's tests need and runs every test: `cargo xtask test`
# (xtask/src/test.rs says what runs, in which order, beside what).
# First run on a fresh machine: ~40-50 minutes on 2 cores (tract compiles natively and for wasm32,
# wasm-bindgen-cli installs from crates.io, pip installs scikit-learn & co. into .venv, npm
# installs wrangler & co.; docs/setup.md has the measured steps). Later runs: a few minutes.
# Each step's time is printed, kept in target/setup-times.tsv, and tabled at the end.
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo >/dev/null || { echo "error: cargo not found: install Rust with rustup (https://rustup.rs), then rerun ./test.sh" >&2; exit 1; }
exec cargo xtask test
