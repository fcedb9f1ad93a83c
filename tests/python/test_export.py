"""The exporter and the bundled models, tested against scikit-learn itself."""

import hashlib
import json
import os
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import export  # noqa: E402
import train  # noqa: E402

# ./test.sh exports the binary cargo test built (honouring CARGO_TARGET_DIR).
BIN = os.environ.get("WASMPREDICT_BIN", os.path.join(ROOT, "target", "debug", "wasmpredict"))


def run_export(tmp_path, model, sample, name="m", extra=()):
    mpath, spath = tmp_path / "model.joblib", tmp_path / "sample.csv"
    joblib.dump(model, mpath)
    sample.to_csv(spath, index=False)
    out = tmp_path / "bundle"
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "models", "export.py"), "--model", str(mpath), "--sample", str(spath), "--name", name, "--out", str(out), *extra],
        capture_output=True,
        text=True,
    )
    return proc, out


def small_frame():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = (X["a"] + X["b"] > 0).astype(int)
    return X, y


def test_unsupported_estimator_is_refused_with_the_supported_list(tmp_path):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = small_frame()
    proc, out = run_export(tmp_path, KNeighborsClassifier().fit(X, y), X)
    assert proc.returncode == 2
    assert "KNeighborsClassifier is not supported" in proc.stderr
    assert "RandomForestClassifier" in proc.stderr and "HistGradientBoostingRegressor" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_unsupported_transformer_is_refused_with_the_supported_list(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    X, y = small_frame()
    proc, out = run_export(tmp_path, make_pipeline(PolynomialFeatures(), LogisticRegression()).fit(X, y), X)
    assert proc.returncode == 2
    assert "PolynomialFeatures is not supported" in proc.stderr
    assert "OneHotEncoder" in proc.stderr and "TfidfVectorizer" in proc.stderr
    assert not out.exists()


def test_a_failed_export_leaves_the_existing_bundle_untouched(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    X, y = small_frame()
    proc, out = run_export(tmp_path, LogisticRegression().fit(X, y), X)
    assert proc.returncode == 0, proc.stderr
    before = {f: (out / f).read_bytes() for f in os.listdir(out)}
    proc, out = run_export(tmp_path, SVC().fit(X, y), X)
    assert proc.returncode == 2
    assert {f: (out / f).read_bytes() for f in os.listdir(out)} == before
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".export-") or p.startswith(".old-")]


def test_sample_must_hold_the_fitted_columns(tmp_path):
    from sklearn.linear_model import LogisticRegression

    X, y = small_frame()
    proc, out = run_export(tmp_path, LogisticRegression().fit(X, y), X.drop(columns=["b"]))
    assert proc.returncode == 2
    assert "lacks the columns" in proc.stderr and "'b'" in proc.stderr
    assert not out.exists()


def test_manifest_records_schema_stats_and_hashes(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = small_frame()
    X["kind"] = np.where(X["c"] > 0, "up", "down")
    pipe = Pipeline([("ct", ColumnTransformer([("n", StandardScaler(), ["a", "b"]), ("k", OneHotEncoder(), ["kind"])])), ("lr", LogisticRegression())]).fit(X, y)
    proc, out = run_export(tmp_path, pipe, X, name="demo", extra=["--version", "2.1.0"])
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["format_version"] == 1 and m["name"] == "demo" and m["version"] == "2.1.0"
    assert [f["name"] for f in m["input"]] == ["a", "b", "c", "kind"]
    kinds = {f["name"]: f["type"] for f in m["input"]}
    assert kinds == {"a": "number", "b": "number", "c": "number", "kind": "category"}
    stats = {f["name"]: f["stats"] for f in m["input"]}
    assert stats["a"]["min"] == pytest.approx(X["a"].min()) and stats["a"]["std"] == pytest.approx(X["a"].std(ddof=0))
    assert dict((v, c) for v, c in stats["kind"]["frequencies"]) == X["kind"].value_counts().to_dict()
    for fname, digest in m["files"].items():
        assert hashlib.sha256((out / fname).read_bytes()).hexdigest() == digest
    assert m["classes"] == [0, 1]


def test_bundled_models_are_reproducible(tmp_path):
    """models/train.py must rebuild the committed bundles byte for byte."""
    assert train.main(["--out", str(tmp_path)]) == 0
    for name in train.MODELS:
        for fname in ["manifest.json", "model.onnx", "golden.json"]:
            committed = open(os.path.join(ROOT, "models", name, fname), "rb").read()
            rebuilt = (tmp_path / name / fname).read_bytes()
            assert committed == rebuilt, f"models/{name}/{fname} differs from what models/train.py builds"


def cli_predict(bundle, bodies):
    proc = subprocess.run([BIN, "predict", bundle], input="".join(json.dumps(b) + "\n" for b in bodies), capture_output=True, text=True)
    return proc, [json.loads(line) for line in proc.stdout.splitlines()]


def test_cli_matches_sklearn_on_fresh_churn_records():
    """Not the golden rows: new random customers, with unseen categories and missing fields."""
    model, _, _, _ = train.churn(None)
    df, _ = train.churn_frame(n=400, seed=99)
    rng = np.random.default_rng(4)
    df.loc[rng.random(len(df)) < 0.1, "contract"] = "weekly"  # never seen: handle_unknown=ignore
    df.loc[rng.random(len(df)) < 0.1, "tenure"] = np.nan
    df.loc[rng.random(len(df)) < 0.1, "payment_method"] = np.nan
    expected = model.predict_proba(df)
    records = [{k: v for k, v in export.to_py_record(r).items() if v is not None} for r in df.to_dict("records")]
    proc, lines = cli_predict(os.path.join(ROOT, "models", "churn"), [{"instances": records}])
    assert proc.returncode == 0, proc.stderr
    got = np.array(lines[0]["probabilities"])
    assert np.max(np.abs(got - expected)) < 1e-5
    assert lines[0]["predictions"] == [int(c) for c in model.predict(df)]


def test_cli_matches_sklearn_on_fresh_reviews():
    model, sample, _, _ = train.news(None)
    texts = [
        "An utterly charming, funny and heartfelt film that never puts a foot wrong.",
        "Tedious, overlong, and badly acted; I wanted my two hours back.",
        "It's fine. Not great, not terrible -- the score is the best part.",
        "Spielberg's best since E.T.: thrilling!!!",
    ]
    proc, lines = cli_predict(os.path.join(ROOT, "models", "news"), [{"features": [[t] for t in texts]}])
    assert proc.returncode == 0, proc.stderr
    assert lines[0]["predictions"] == list(model.predict(texts))
    assert np.max(np.abs(np.array(lines[0]["probabilities"]) - model.predict_proba(texts))) < 1e-5
