"""XGBoost and LightGBM as a user meets them: a script trains a churn pipeline whose last step is
the booster and saves it with joblib, models/export.py turns it into a bundle, and the bundle
answers what the booster's own predict_proba / predict answers, missing values included (passed
through the pipeline and routed by the booster, not imputed). Settings a graph cannot carry are
refused with one line naming them.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train  # noqa: E402
from test_export import BIN, run_export, small_frame  # noqa: E402

TRAIN_SCRIPT = """
import sys
import joblib
sys.path.insert(0, {models!r})
from train import churn_frame
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from xgboost import XGBClassifier, XGBRegressor

df, y = churn_frame(1500, seed=11)
if {regression!r}:
    y = df["monthly_charges"] * 0.5 + y * 10
    df = df.drop(columns=["monthly_charges"])
categorical = ["contract", "internet_service", "payment_method", "paperless_billing"]
numeric = [c for c in df.columns if c not in categorical]
pre = ColumnTransformer([
    ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
    ("num", "passthrough", numeric),
])
model = Pipeline([("pre", pre), ("model", {estimator})]).fit(df, y)
joblib.dump(model, sys.argv[1])
df.to_csv(sys.argv[2], index=False)
"""

PIPELINES = {
    "xgb-classifier": ("XGBClassifier(n_estimators=80, max_depth=4, random_state=0)", False),
    "xgb-regressor": ("XGBRegressor(n_estimators=80, max_depth=4, random_state=0)", True),
    "lgbm-classifier": ("LGBMClassifier(n_estimators=80, num_leaves=31, random_state=0, verbose=-1)", False),
    "lgbm-regressor": ("LGBMRegressor(n_estimators=80, num_leaves=31, random_state=0, verbose=-1)", True),
}


def run(*args):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True)


def fresh_rows(regression, n=300):
    """Unseen customers, with numbers missing more often than in training."""
    df, _ = train.churn_frame(n, seed=99)
    if regression:
        df = df.drop(columns=["monthly_charges"])
    rng = np.random.default_rng(5)
    for col in ["tenure", "total_charges"]:
        df.loc[rng.random(n) < 0.2, col] = np.nan
    return df


def records(frame):
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_a_booster_pipeline_exported_from_a_script_answers_as_the_booster(name, tmp_path):
    import joblib

    estimator, regression = PIPELINES[name]
    script = tmp_path / "train_model.py"
    script.write_text(TRAIN_SCRIPT.format(models=os.path.join(ROOT, "models"), regression=regression, estimator=estimator))
    model_path, sample_path, bundle = tmp_path / "model.joblib", tmp_path / "sample.csv", tmp_path / name
    trained = run(sys.executable, script, model_path, sample_path)
    assert trained.returncode == 0, trained.stderr
    exported = run(sys.executable, os.path.join(ROOT, "models", "export.py"), "--model", model_path, "--sample", sample_path, "--name", name, "--out", bundle)
    assert exported.returncode == 0, exported.stderr

    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["estimator"] == estimator.split("(")[0]
    assert manifest["model"]["accepts_nan"] is True
    nullable = {f["name"]: f["nullable"] for f in manifest["input"]}
    assert nullable["tenure"] and nullable["total_charges"], nullable
    assert ("xgboost" if name.startswith("xgb") else "lightgbm") in manifest["created_by"]

    checked = run(BIN, "check", bundle)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    info = json.loads(run(BIN, "info", bundle, "--json").stdout)
    assert info["engine"] == "compact", info

    frame = fresh_rows(regression)
    assert frame.isna().any(axis=1).sum() > 50
    requests = tmp_path / "requests.jsonl"
    requests.write_text(json.dumps({"instances": records(frame)}) + "\n")
    predicted = run(BIN, "predict", bundle, "--input", requests)
    assert predicted.returncode == 0, predicted.stderr
    answer = json.loads(predicted.stdout)
    model = joblib.load(model_path)
    if regression:
        want = model.predict(frame)
        got = np.asarray(answer["predictions"], dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
    else:
        want = model.predict_proba(frame)
        np.testing.assert_allclose(np.asarray(answer["probabilities"]), want, atol=1e-5, rtol=0)
        assert answer["predictions"] == [int(p) for p in model.predict(frame)]

    # The native server: a customer with a missing tenure, posted as the bare record.
    customer = next(r for r in records(frame) if r["tenure"] is None)
    served = serve_once(tmp_path, bundle, f"/models/{name}/predict", customer)
    i = records(frame).index(customer)
    assert served["prediction"] == answer["predictions"][i]
    if not regression:
        assert served["probabilities"] == answer["probabilities"][i]


def serve_once(tmp_path, bundle, path, body):
    """POSTs `body` to `wasmpredict serve` with `bundle` as its only model."""
    import socket
    import time
    import urllib.request

    models = tmp_path / "served"
    models.mkdir()
    os.symlink(bundle, models / bundle.name)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([BIN, "serve", "--models", str(models), "--addr", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())
    finally:
        server.kill()
        server.wait()


def refused(tmp_path, model, sample):
    tmp_path.mkdir()
    proc, out = run_export(tmp_path, model, sample)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert not out.exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_settings_a_graph_cannot_carry_are_refused_by_name(tmp_path):
    from lightgbm import LGBMClassifier
    from xgboost import XGBClassifier

    x, y = small_frame()
    assert "booster='gblinear'" in refused(tmp_path / "a", XGBClassifier(booster="gblinear", n_estimators=5).fit(x, y), x)
    assert "missing=-1" in refused(tmp_path / "b", XGBClassifier(missing=-1.0, n_estimators=5).fit(x, y), x)
    assert "linear_tree=True" in refused(tmp_path / "c", LGBMClassifier(linear_tree=True, n_estimators=5, verbose=-1).fit(x, y), x)
    # A categorical split (the first column's values as categories).
    xc = x.assign(a=(x["a"] * 3).round().clip(-3, 3).astype(int) + 3)
    lgbm = LGBMClassifier(n_estimators=10, min_child_samples=2, min_data_per_group=2, cat_smooth=0, verbose=-1).fit(xc, y, categorical_feature=[0])
    assert "categorical splits" in refused(tmp_path / "d", lgbm, xc)


def test_a_sample_frame_fitted_booster_explains_in_raw_fields(tmp_path):
    """A booster behind a ColumnTransformer explains per raw field, like sklearn's trees."""
    from xgboost import XGBClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    df, y = train.churn_frame(600, seed=3)
    categorical = ["contract", "internet_service", "payment_method", "paperless_billing"]
    numeric = [c for c in df.columns if c not in categorical]
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical), ("num", "passthrough", numeric)])
    model = Pipeline([("pre", pre), ("model", XGBClassifier(n_estimators=30, max_depth=3, random_state=0))]).fit(df, y)
    proc, bundle = run_export(tmp_path, model, df)
    assert proc.returncode == 0, proc.stderr
    rows = df.head(5)
    requests = tmp_path / "explain.jsonl"
    requests.write_text(json.dumps({"instances": records(rows), "explain": True}) + "\n")
    predicted = run(BIN, "predict", bundle, "--input", requests)
    assert predicted.returncode == 0, predicted.stderr
    answer = json.loads(predicted.stdout)
    margin = model.predict(rows, output_margin=True)
    for e, m in zip(answer["explanations"], margin):
        assert set(e["contributions"]) == set(df.columns)
        total = np.atleast_1d(e["base_value"])[0] + sum(np.atleast_1d(v)[0] for v in e["contributions"].values())
        assert abs(total - m) < 1e-4, (total, m)
