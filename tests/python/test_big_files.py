"""`wasmpredict predict BUNDLE --input rows.csv --output answers.csv` as a user meets it: a churn
file with a few bad rows is answered row for row in input order, equal to sklearn, the bad rows
answered with their error and reported by line while the rest go on; JSON lines in and out;
every thread count gives the same bytes; memory stays flat as the file grows tenfold; and a
terminal sees a progress bar.
"""

import csv
import io
import json
import os
import pty
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train  # noqa: E402
from test_export import BIN  # noqa: E402

CHURN = os.path.join(ROOT, "models", "churn", "1.0.0")
# Lines (1-based, the header is line 1) made bad on purpose, and why.
BAD = {5: "tenure", 1234: "cells", 7777: "monthly_charges"}


@pytest.fixture(scope="module")
def churn_model(tmp_path_factory):
    """The committed churn 1.0.0 bundle's sklearn pipeline, rebuilt as models/train.py builds it."""
    model, _, _, _ = train.churn(str(tmp_path_factory.mktemp("train")))
    return model


def churn_csv(path, n, seed=21, bad=True):
    frame, _ = train.churn_frame(n, seed=seed)
    text = frame.to_csv(index=False, lineterminator="\n").splitlines()
    if bad:
        cells = text[4].split(",")
        cells[0] = "twelve"
        text[4] = ",".join(cells)  # line 5: a word for a number
        text[1233] = text[1233].rsplit(",", 1)[0]  # line 1234: a cell short
        cells = text[7776].split(",")
        cells[1] = "1e999"  # line 7777: beyond any float
        text[7776] = ",".join(cells)
    path.write_text("\n".join(text) + "\n")
    return frame


def predict(*args):
    return subprocess.run([BIN, "predict", *map(str, args)], capture_output=True, text=True)


def test_a_csv_of_churn_customers_is_answered_row_for_row(churn_model, tmp_path):
    rows = tmp_path / "customers.csv"
    frame = churn_csv(rows, 20000)
    out = tmp_path / "answers.csv"
    proc = predict(CHURN, "--input", rows, "--output", out)
    assert proc.returncode == 1, proc.stderr  # bad rows: answered, reported, exit 1
    reported = [line for line in proc.stderr.splitlines() if line.startswith("line ")]
    assert [int(r.split()[1].rstrip(":")) for r in reported] == sorted(BAD), proc.stderr
    assert "'tenure' must be a number" in reported[0]
    assert "19997 rows predicted" in proc.stderr and "3 bad rows" in proc.stderr, proc.stderr

    answers = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(answers) == 20000
    assert [int(a["line"]) for a in answers] == list(range(2, 20002))
    assert list(answers[0]) == ["line", "prediction", "probability_0", "probability_1", "error"]
    good = [i for i, a in enumerate(answers) if not a["error"]]
    assert len(good) == 19997 and all(answers[line - 2]["error"] and not answers[line - 2]["prediction"] for line in BAD)
    want = churn_model.predict_proba(frame.iloc[good])
    got = np.array([[float(answers[i]["probability_0"]), float(answers[i]["probability_1"])] for i in good])
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert [int(answers[i]["prediction"]) for i in good] == [int(p) for p in churn_model.predict(frame.iloc[good])]


def test_json_lines_in_and_out_and_every_thread_count_gives_the_same_bytes(tmp_path):
    frame, _ = train.churn_frame(3000, seed=8)
    records = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]
    lines = [json.dumps(r) for r in records]
    lines[10] = json.dumps({"instances": records[10:13]})  # a body of three rows on one line
    lines[20] = "{not json"
    lines[30] = json.dumps({"tenure": 3, "contrakt": "one-year"})  # a misspelt field
    rows = tmp_path / "customers.jsonl"
    rows.write_text("\n".join(lines) + "\n")
    outputs = []
    for threads in ["1", "2", "5"]:
        out = tmp_path / f"answers-{threads}.jsonl"
        proc = predict(CHURN, "--input", rows, "--output", out, "--threads", threads)
        assert proc.returncode == 1, proc.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    answers = [json.loads(line) for line in outputs[0].decode().splitlines()]
    assert len(answers) == 3000 + 2  # the three-row line answers three rows
    assert [a["line"] for a in answers[10:13]] == [11, 11, 11]
    assert answers[22]["line"] == 21 and answers[22]["error"]["code"] == "invalid_json"
    assert answers[32]["line"] == 31 and answers[32]["error"]["code"] == "unknown_body_shape" and "'contrakt' is not" in answers[32]["error"]["message"]
    # The same answer the API gives for the same record.
    single = subprocess.run([BIN, "predict", CHURN], input=json.dumps({"record": records[0]}), capture_output=True, text=True)
    api = json.loads(single.stdout)
    assert answers[0] == {"line": 1, "prediction": api["prediction"], "probabilities": api["probabilities"]}


def peak_rss_kb(args):
    """The peak resident memory of `wasmpredict args` (kB), measured by the kernel."""
    code = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    proc = subprocess.run([sys.executable, "-c", code, BIN, *map(str, args)], capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_memory_stays_flat_as_the_file_grows_tenfold(tmp_path):
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    churn_csv(small, 20000, bad=False)
    churn_csv(big, 200000, bad=False)
    assert big.stat().st_size > 9 * small.stat().st_size
    rss = {name: peak_rss_kb(["predict", CHURN, "--input", path, "--output", tmp_path / f"{name}.csv"]) for name, path in (("small", small), ("big", big))}
    # The input and output of the big file are ~20 MB: holding either would show.
    assert rss["big"] < rss["small"] + 8 * 1024, rss


def test_a_terminal_sees_a_progress_bar(tmp_path):
    rows = tmp_path / "customers.csv"
    churn_csv(rows, 60000, bad=False)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([BIN, "predict", CHURN, "--input", str(rows), "--output", str(tmp_path / "out.csv")], stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0
    text = seen.decode(errors="replace")
    assert "rows/s" in text and "60000 rows predicted" in text, text
    assert "%" in text and "[#" in text and "\r" in text, text
    # Without a terminal: the summary only.
    proc = predict(CHURN, "--input", rows, "--output", tmp_path / "again.csv")
    assert proc.returncode == 0 and "\r" not in proc.stderr and "%" not in proc.stderr


def test_quoted_cells_and_crlf_lines_read_as_their_plain_twins(tmp_path):
    """Plain lines take the reader's fast path, quoted and CRLF lines the full parser: the same
    rows answer the same either way, and as JSON lines."""
    frame, _ = train.churn_frame(500, seed=13)
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False, lineterminator="\n")
    quoted = tmp_path / "quoted.csv"
    frame.to_csv(quoted, index=False, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}) + "\n" for r in frame.to_dict("records")))
    answers = {}
    for path in (plain, quoted, jsonl):
        out = tmp_path / (path.stem + "-answers.jsonl")
        proc = predict(CHURN, "--input", path, "--output", out)
        assert proc.returncode == 0, proc.stderr
        answers[path.name] = [{k: v for k, v in json.loads(line).items() if k != "line"} for line in out.read_text().splitlines()]
    assert len(answers["plain.csv"]) == 500
    assert answers["plain.csv"] == answers["quoted.csv"] == answers["rows.jsonl"]
