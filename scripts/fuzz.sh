#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/) for a set time, one after the other on one core, and
# writes executions, coverage and findings to the "## Fuzzing" section of docs/reliability.md
# (the rest of that file is left as it is).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     # default 300 s, every target
#
# Needs a nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz (installed from
# crates.io when missing). Builds into fuzz/target, never the main target dir. Each target keeps
# its growing corpus in fuzz/target/corpus/<target> (the committed seeds in fuzz/corpus/<target>
# are only read) and its findings in fuzz/artifacts/<target>/. Every run is appended to
# fuzz/runs.tsv, whose per-target totals the report also shows.
#
# Environment: FUZZ_TOOLCHAIN (default nightly), FUZZ_SANITIZER (default address; `none` is
# ~2x faster but misses out-of-bounds reads in unsafe code), FUZZ_RSS_MB (default 4096),
# FUZZ_TIMEOUT (seconds per input before libFuzzer calls it a hang, default 20),
# FUZZ_NO_REPORT=1 (leave docs/reliability.md alone).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-300}
shift || true
ALL_TARGETS=(request csv admin_bodies onnx bundle_compact bundle_tract)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly}
SANITIZER=${FUZZ_SANITIZER:-address}
RSS_MB=${FUZZ_RSS_MB:-4096}
TIMEOUT=${FUZZ_TIMEOUT:-20}
LOGS=$ROOT/fuzz/target/logs
mkdir -p "$LOGS"

step_start=0
step() { step_start=$(date +%s); echo "==> $*"; }
done_step() { echo "    took $(( $(date +%s) - step_start )) s"; }

step "cargo-fuzz"
if ! cargo "+$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo "+$TOOLCHAIN" fuzz --version
done_step

# One build for every target: debug assertions (and so overflow checks) on, the sanitizer above.
BUILD_FLAGS=(--debug-assertions --sanitizer "$SANITIZER")
step "build (${BUILD_FLAGS[*]})"
cargo "+$TOOLCHAIN" fuzz build "${BUILD_FLAGS[@]}"
done_step

dict_of() {
    case $1 in
        request) echo fuzz/dict/request.dict ;;
        csv) echo fuzz/dict/csv.dict ;;
        admin_bodies) echo fuzz/dict/admin_bodies.dict ;;
        onnx | bundle_compact | bundle_tract) echo fuzz/dict/bundle.dict ;;
    esac
}

RESULTS=$LOGS/results.tsv
: >"$RESULTS"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE=$(date -u +%Y-%m-%d)
for target in "${TARGETS[@]}"; do
    step "fuzz $target for $SECONDS_PER_TARGET s"
    work=fuzz/target/corpus/$target
    artifacts=fuzz/artifacts/$target
    mkdir -p "$work" "$artifacts"
    before=$(ls "$artifacts" | sort)
    log=$LOGS/$target.log
    # -fork=1: one child at a time (one core), which libFuzzer restarts after a crash, a hang
    # or an out-of-memory, so one frequent finding does not stop the run.
    args=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
        -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout="$TIMEOUT"
        -rss_limit_mb="$RSS_MB" -dict="$(dict_of "$target")" -artifact_prefix="$artifacts/")
    cmd="cargo +$TOOLCHAIN fuzz run ${BUILD_FLAGS[*]} $target $work fuzz/corpus/$target -- ${args[*]}"
    echo "    $cmd"
    started=$(date +%s)
    set +e
    cargo "+$TOOLCHAIN" fuzz run "${BUILD_FLAGS[@]}" "$target" "$work" "fuzz/corpus/$target" \
        -- "${args[@]}" >"$log" 2>&1
    status=$?
    set -e
    elapsed=$(( $(date +%s) - started ))
    # The parent's status lines: "#N: cov: C ft: F corp: ... exec/s: E oom/timeout/crash: a/b/c
    # time: Ts ..." (fork mode), or the plain mode's "#N ... cov: C ft: F ..." and final stats.
    last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1 || true)
    execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
    [ -n "$execs" ] || execs=$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#' || true)
    cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+' || true)
    ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+' || true)
    counters=$(grep -oE 'Loaded [0-9]+ modules +\([0-9]+ inline 8-bit counters' "$log" | head -1 | grep -oE '\([0-9]+' | tr -d '(' || true)
    otc=$(echo "$last" | grep -oE 'oom/timeout/crash: [0-9]+/[0-9]+/[0-9]+' | grep -oE '[0-9/]+$' || echo "0/0/0")
    after=$(ls "$artifacts" | sort)
    # What libFuzzer saved (crash-, timeout-, oom-, slow-unit-), not `cargo fuzz tmin`'s output.
    new=$(comm -13 <(echo "$before") <(echo "$after") | grep -E '^(crash|timeout|oom|slow-unit|leak)-' | tr '\n' ' ' || true)
    # Seconds spent fuzzing (libFuzzer's own count, without the build `fuzz run` may do first).
    fuzzed=$(echo "$last" | grep -oE 'time: [0-9]+s' | grep -oE '[0-9]+' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$DATE" "$COMMIT" "$target" \
        "${fuzzed:-$elapsed}" "${execs:-0}" "${cov:-0}" "${ft:-0}" "${counters:-0}" "$otc" "$status" \
        "${new:-}" "$cmd" >>"$RESULTS"
    echo "    executions ${execs:-?}, cov ${cov:-?} of ${counters:-?} counters, ft ${ft:-?}, oom/timeout/crash $otc, exit $status${new:+, new artifacts: $new}"
    done_step
done

cat "$RESULTS" >>fuzz/runs.tsv

if [ "${FUZZ_NO_REPORT:-}" != 1 ]; then
    step "report (docs/reliability.md, ## Fuzzing)"
    python3 - "$RESULTS" fuzz/runs.tsv docs/reliability.md "$SANITIZER" "$TOOLCHAIN" <<'PY'
import os, subprocess, sys, textwrap
results, ledger, doc, sanitizer, toolchain = sys.argv[1:6]

def rows(path):
    out = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 12:
            out.append(f)
    return out

def n(x):
    return f"{int(x):,}"

rustc = subprocess.run(["rustc", f"+{toolchain}", "--version"], capture_output=True, text=True).stdout.strip()
order = ["request", "csv", "admin_bodies", "onnx", "bundle_compact", "bundle_tract"]
latest = {}
for f in rows(ledger):
    latest[f[2]] = f
run = sorted(latest.values(), key=lambda f: (order.index(f[2]) if f[2] in order else 99, f[2]))
lines = ["## Fuzzing", "",
         "cargo-fuzz targets under `fuzz/` (libFuzzer), each run on one core by `scripts/fuzz.sh "
         "[SECONDS_PER_TARGET] [TARGET...]`; inputs that crashed are minimized into "
         "`fuzz/regressions/<target>/` and replayed by `tests/fuzz_regressions.rs` (which also "
         "replays the committed seeds). What each target feeds where is documented in "
         "`fuzz/src/harness.rs`:", "",
         "- `request`: a request body, on each committed model (compact and tract) and 12 fixture "
         "bundles, through `answer_json` (checked byte for byte against `handle`), the OIP v2 "
         "`infer` mapping, `features` and the drift tally;",
         "- `bundle_compact`, `bundle_tract`: a bundle (manifest, model.onnx, golden.json, "
         "explain.json: a mutated file of a real bundle or all four raw, hashes recomputed) loaded "
         "on that engine, then described, golden rows replayed and explained, drift profile "
         "compiled, requests answered;",
         "- `onnx`: the compact engine's own ONNX reader and compiler on raw model.onnx bytes, then "
         "rows with NaN and infinities;",
         "- `csv`: the app's CSV parser (whole text vs pieces, quote round trip), header, records, "
         "predictions and drift tally as the batch view runs them;",
         "- `admin_bodies`: traffic and feedback bodies, the state store's answers (metrics, score "
         "rows, monitoring windows), metrics and window deltas, prediction ids, the admin "
         "`Authorization` header, and any method and path through the service's router.", "",
         f"Each target's latest run ({rustc}, sanitizer `{sanitizer}`, debug assertions and so "
         "overflow checks on, one core). Coverage is libFuzzer's `cov` (edges reached) out of the "
         "binary's instrumented edges (which include all of tract and serde_json), `ft` its "
         "feature count; oom/timeout/crash counts inputs that hit the limits (`-rss_limit_mb`, "
         "`-timeout`) or crashed, each saved under `fuzz/artifacts/<target>/`.", "",
         "| target | run | seconds | executions | exec/s | coverage (edges) | features | oom/timeout/crash | new findings |",
         "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
for f in run:
    date, commit, target, secs, execs, cov, ft, counters, otc, status, new, cmd = f[:12]
    rate = int(execs) / max(int(secs), 1)
    cov_text = f"{n(cov)} of {n(counters)} ({100 * int(cov) / max(int(counters), 1):.1f}%)"
    lines.append(f"| `{target}` | {date}, {commit} | {secs} | {n(execs)} | {rate:,.0f} | {cov_text} | {n(ft)} | {otc} | {new.strip() or 'none'} |")
lines += ["", "Commands (run from the repository root):", ""]
for f in run:
    lines.append(f"- `{f[11]}`")
totals = {}
for f in rows(ledger):
    t = totals.setdefault(f[2], [0, 0, 0])
    t[0] += int(f[3]); t[1] += int(f[4]); t[2] += 1
lines += ["", "All runs so far (`fuzz/runs.tsv`):", "",
          "| target | runs | seconds | executions |", "| --- | ---: | ---: | ---: |"]
for target, (secs, execs, runs) in sorted(totals.items()):
    lines.append(f"| `{target}` | {runs} | {n(secs)} | {n(execs)} |")
notes = os.path.join(os.path.dirname(doc), "..", "fuzz", "FINDINGS.md")
if os.path.exists(notes):
    lines += ["", open(notes).read().strip()]
def wrap(line):
    if line.startswith(("|", "#", "- `cargo")) or len(line) <= 100:
        return line
    indent = "  " if line.startswith("- ") else ""
    return textwrap.fill(line, 100, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)
section = "\n".join(wrap(l) for l in lines) + "\n"

intro = ("# Reliability\n\n"
         "Evidence that wasmpredict holds up against bad input, hostile bundles and long runs "
         "(issue 12): what was tried, how much of it, and what it found. Each section is written by "
         "the script or test it names, so the numbers can be produced again.\n")
text = open(doc).read() if os.path.exists(doc) else intro
if "## Fuzzing" in text:
    start = text.index("## Fuzzing")
    nxt = text.find("\n## ", start + 1)
    text = text[:start] + section + (text[nxt + 1:] if nxt >= 0 else "")
    if nxt >= 0 and not section.endswith("\n\n"):
        text = text.replace(section, section + "\n", 1)
else:
    text = text.rstrip("\n") + "\n\n" + section
open(doc, "w").write(text)
print(f"wrote {doc}")
PY
    done_step
fi
