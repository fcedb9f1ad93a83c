"""Drift checks (`wasmpredict drift`) against the training profile the exporter writes, with the
statistics recomputed here in numpy (PSI, as Evidently defines it) and scipy (jensenshannon)."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402
import make_fixtures  # noqa: E402
from test_export import BIN, run_export  # noqa: E402

MODELS = os.path.join(ROOT, "models")


def drift(bundle, rows_path, *extra):
    proc = subprocess.run([BIN, "drift", str(bundle), "--input", str(rows_path), *extra], capture_output=True, text=True)
    return proc


def drift_json(bundle, rows_path):
    proc = drift(bundle, rows_path, "--json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


# ---- the reference: slots by the documented rules, then the statistics ---------------------


def slot_counts(histogram, values):
    """Counts per slot (bins or listed values, other, missing) of raw `values` (None = missing)."""
    missing = sum(v is None or (isinstance(v, float) and np.isnan(v)) for v in values)
    present = [v for v in values if not (v is None or (isinstance(v, float) and np.isnan(v)))]
    if "edges" in histogram:
        idx = np.searchsorted(np.asarray(histogram["edges"], dtype=float), np.asarray(present, dtype=float), side="left")
        counts = list(np.bincount(idx, minlength=len(histogram["edges"]) + 1))
        return counts + [missing]
    listed = histogram["values"]
    counts = [0] * (len(listed) + 1)
    for v in present:
        counts[listed.index(v) if v in listed else len(listed)] += 1
    return counts + [missing]


def training_slots(histogram):
    return histogram["counts"] + ([histogram["other"]] if "values" in histogram else []) + [histogram["missing"]]


def psi(training, current):
    e = np.asarray(training, float) / sum(training)
    a = np.asarray(current, float) / sum(current)
    e[e == 0] = 0.0001
    a[a == 0] = 0.0001
    return float(np.sum((a - e) * np.log(a / e)))


def churn_samples():
    return make_fixtures.churn_drift_samples()


# ---- the committed bundles: their own training sample shows no drift at all -----------------


@pytest.fixture(scope="module")
def training_samples(tmp_path_factory):
    """Each committed bundle's training sample, as models/train.py builds it."""
    work = tmp_path_factory.mktemp("samples")
    out = {}
    for key, (fn, _name, _version, directory) in train.MODELS.items():
        _model, sample, _desc, _golden = fn(str(work))
        path = work / f"{key}.csv"
        sample.to_csv(path, index=False)
        out[key] = (os.path.join(MODELS, directory), path, len(sample))
    return out


@pytest.mark.parametrize("key", sorted(train.MODELS))
def test_a_bundles_own_training_sample_has_no_drift(training_samples, key):
    """Rust puts every training row in the slot the exporter counted it in (numbers, categories,
    text lengths, out-of-vocabulary shares and predictions): every statistic is exactly zero."""
    bundle, path, rows = training_samples[key]
    code, report = drift_json(bundle, path)
    assert code == 0 and report["rows"] == rows == report["training_rows"]
    for entry in report["fields"] + [report["predictions"]]:
        assert entry["psi"] == pytest.approx(0, abs=1e-12) and entry["js"] == pytest.approx(0, abs=1e-7), entry
        assert entry["verdict"] == "stable"


# ---- the statistics equal numpy's PSI and scipy's Jensen-Shannon distance --------------------


def test_statistics_match_numpy_and_scipy(tmp_path):
    fresh, shifted = churn_samples()
    manifest = json.load(open(os.path.join(MODELS, "churn", "1.0.0", "manifest.json")))
    for frame in (fresh, shifted):
        path = tmp_path / "rows.csv"
        frame.to_csv(path, index=False)
        _, report = drift_json(os.path.join(MODELS, "churn", "1.0.0"), path)
        for fp, got in zip(manifest["profile"]["fields"], report["fields"]):
            values = [None if pd.isna(v) else (float(v) if isinstance(v, (int, float, np.number)) else v) for v in frame[fp["name"]]]
            current = slot_counts(fp["values"], values)
            training = training_slots(fp["values"])
            assert got["name"] == fp["name"]
            assert got["values"]["current"] == pytest.approx(list(np.asarray(current) / sum(current)), abs=1e-15)
            assert got["psi"] == pytest.approx(psi(training, current), rel=1e-12, abs=1e-15)
            assert got["js"] == pytest.approx(float(jensenshannon(training, current)), rel=1e-9, abs=1e-12)


# ---- a shifted sample is flagged on exactly its shifted fields ------------------------------


def test_shifted_fields_are_flagged_and_an_unshifted_sample_is_not(tmp_path):
    fresh, shifted = churn_samples()
    bundle = os.path.join(MODELS, "churn", "1.0.0")
    fresh.to_csv(tmp_path / "fresh.csv", index=False)
    shifted.to_csv(tmp_path / "shifted.csv", index=False)

    code, report = drift_json(bundle, tmp_path / "fresh.csv")
    assert code == 0 and not report["drifted"]
    assert [f["name"] for f in report["fields"] if f["drifted"]] == []

    code, report = drift_json(bundle, tmp_path / "shifted.csv")
    assert code == 1 and report["drifted"] and report["verdict"] == "drift"
    assert [f["name"] for f in report["fields"] if f["drifted"]] == ["tenure", "payment_method"]
    payment = next(f for f in report["fields"] if f["name"] == "payment_method")
    other = payment["values"]["labels"].index("other")
    assert payment["values"]["training"][other] == 0 and payment["values"]["current"][other] > 0.3

    # The table names them too; JSON lines give the same report as the CSV.
    table = drift(bundle, tmp_path / "shifted.csv")
    assert table.returncode == 1 and "drift in: tenure, payment_method" in table.stdout
    jsonl = tmp_path / "shifted.jsonl"
    with open(jsonl, "w") as fh:
        for record in shifted.to_dict("records"):
            fh.write(json.dumps({k: (None if pd.isna(v) else v) for k, v in record.items()}) + "\n")
    code, from_jsonl = drift_json(bundle, jsonl)
    assert code == 1 and from_jsonl == report


# ---- every field kind and regression, through a pipeline exported here ----------------------


def test_every_field_kind_and_a_regressor_have_no_drift_on_their_own_sample(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(4)
    n = 400
    words = "good bad plot actor music scene long short funny dull the a of".split()
    frame = pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n).round(3)),
            "colour": rng.choice(["red", "green", "blue"], n),
            "flag": rng.random(n) < 0.3,
            "review": [" ".join(rng.choice(words, rng.integers(1, 12))) for _ in range(n)],
        }
    )
    y = np.nan_to_num(frame["x"]) * 3 + (frame["colour"] == "red") + frame["review"].str.len() / 10
    model = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [
                        ("num", SimpleImputer(), ["x"]),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
                        ("flag", "passthrough", ["flag"]),
                        ("text", TfidfVectorizer(min_df=2), "review"),
                    ]
                ),
            ),
            ("est", GradientBoostingRegressor(n_estimators=20, random_state=0)),
        ]
    ).fit(frame, y)
    proc, bundle = run_export(tmp_path, model, frame)
    assert proc.returncode == 0, proc.stderr
    manifest = json.load(open(bundle / "manifest.json"))
    assert manifest["format_version"] == 4
    kinds = {f["name"]: f["type"] for f in manifest["input"]}
    assert kinds == {"x": "number", "colour": "category", "flag": "bool", "review": "text"}
    assert "oov" in manifest["profile"]["fields"][3] and "edges" in manifest["profile"]["predictions"]

    frame.to_csv(tmp_path / "sample.csv", index=False)
    code, report = drift_json(bundle, tmp_path / "sample.csv")
    assert code == 0 and report["rows"] == n
    for entry in report["fields"] + [report["predictions"]]:
        assert entry["psi"] == pytest.approx(0, abs=1e-12), entry

    # Texts from another vocabulary: the out-of-vocabulary share drifts, and only the text.
    other = frame.copy()
    other["review"] = [" ".join(rng.choice(["zebra", "quantum", "ledger", "orbit"], 6)) for _ in range(n)]
    other.to_csv(tmp_path / "other.csv", index=False)
    code, report = drift_json(bundle, tmp_path / "other.csv")
    review = next(f for f in report["fields"] if f["name"] == "review")
    assert code == 1 and review["drifted"] and review["oov"]["verdict"] == "drift"
    assert [f["name"] for f in report["fields"] if f["drifted"]] == ["review"]


# ---- bad input ------------------------------------------------------------------------------


def test_bad_input_gets_one_readable_line_and_exit_2(tmp_path):
    bundle = os.path.join(MODELS, "churn", "1.0.0")
    (tmp_path / "bad.csv").write_text("tenure,colour\n1,red\n")
    proc = drift(bundle, tmp_path / "bad.csv")
    assert proc.returncode == 2 and "line 1: unknown column 'colour'" in proc.stderr
    (tmp_path / "rows.txt").write_text("x\n")
    proc = drift(bundle, tmp_path / "rows.txt")
    assert proc.returncode == 2 and "--format csv" in proc.stderr
    proc = drift(bundle, tmp_path / "absent.csv")
    assert proc.returncode == 2 and "cannot read" in proc.stderr

    # Bad rows are reported by line and left out; the others are compared.
    (tmp_path / "some-bad.csv").write_text("tenure,contract\n12,one-year\nabc,one-year\n30,two-year\n")
    proc = drift(bundle, tmp_path / "some-bad.csv", "--json")
    assert proc.returncode in (0, 1)
    assert "line 3: field 'tenure' must be a number" in proc.stderr and "1 of 3 rows were refused" in proc.stderr
    assert json.loads(proc.stdout)["rows"] == 2


def test_a_format_1_bundle_loads_but_has_no_profile_to_compare_with(tmp_path):
    import shutil

    bundle = tmp_path / "v1"
    shutil.copytree(os.path.join(MODELS, "iris"), bundle)
    manifest = json.load(open(bundle / "manifest.json"))
    manifest["format_version"] = 1
    del manifest["profile"]
    del manifest["explain"]
    del manifest["files"]["explain.json"]
    os.remove(bundle / "explain.json")
    json.dump(manifest, open(bundle / "manifest.json", "w"))
    check = subprocess.run([BIN, "check", str(bundle)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    (tmp_path / "rows.csv").write_text("sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n")
    proc = drift(bundle, tmp_path / "rows.csv")
    assert proc.returncode == 2 and "no training profile (format version 1)" in proc.stderr
