"""Writes the "## Fuzzing" section of docs/reliability.md from one `cargo xtask fuzz` run and the
ledger of all runs (the rest of the file is left as it is).

    python3 fuzz/report.py RESULTS_TSV LEDGER_TSV DOC SANITIZER TOOLCHAIN

RESULTS_TSV: this run's rows, LEDGER_TSV: fuzz/runs.tsv (every run), one row per target run:
date, commit, target, seconds, executions, cov, ft, counters, oom/timeout/crash, exit status,
new artifacts, command.
"""
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
         "cargo-fuzz targets under `fuzz/` (libFuzzer), each run on one core by `cargo xtask fuzz "
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
