#!/usr/bin/env bash
# The soak and starvation runs of issue 12 (not part of ./test.sh): builds the release CLI and
# the Worker if needed, then scripts/soak.mjs runs wrk for SECONDS (default 300) against each
# server and writes the figures into docs/reliability.md. Takes ~2 × (SECONDS + 40) s.
#   scripts/soak.sh [SECONDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
need_rust
need_node_modules
if ! command -v wrk >/dev/null; then
    say "installing wrk (apt)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >&2 || (apt-get update >&2 && apt-get install -y wrk >&2); else sudo apt-get install -y wrk >&2; fi
fi
timed "release CLI" cargo build --release --quiet
timed "Worker build" bash scripts/build-worker.sh
timed "soak" node scripts/soak.mjs "${1:-300}"
