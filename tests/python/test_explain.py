"""Explanations (`"explain": true`) against the shap package: TreeSHAP (path-dependent) equal to
`shap.TreeExplainer` and linear contributions equal to `shap.LinearExplainer` on the same fitted
models, to 1e-5; and for every family, the base value plus the contributions equal to the raw
score sklearn computes (decision function, log-odds, a forest's probability, a regressor's value).
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import shap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wasmpredict  # noqa: E402
from wasmpredict.estimators import BOOSTER_ESTIMATORS, LINEAR_ESTIMATORS, dense, split_pipeline  # noqa: E402
from wasmpredict.schema import Source  # noqa: E402
import make_fixtures  # noqa: E402
import train  # noqa: E402
from test_export import BIN  # noqa: E402

TOLERANCE = 1e-5
ROWS = 25


def answers(bundle, bodies, tmp_path):
    """The CLI's answers (one JSON line per body)."""
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(b) + "\n" for b in bodies))
    proc = subprocess.run([BIN, "predict", str(bundle), "--input", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def to_json(value):
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def records(frame):
    return [{k: to_json(v) for k, v in r.items()} for r in frame.to_dict("records")]


def as_outputs(values, n):
    """shap's answer for n rows as [rows, features, outputs]."""
    if isinstance(values, list):
        values = np.stack(values, axis=-1)
    values = np.asarray(values, dtype=np.float64)
    return values if values.ndim == 3 else values.reshape(n, -1, 1)


def reported(values, base, classes):
    """Our API's outputs: a two-class classifier's positive class, else every output."""
    base = np.atleast_1d(np.asarray(base, dtype=np.float64))
    if classes == 2 and values.shape[2] == 2:
        return values[:, :, 1:], base[1:]
    return values, base


def gb_multiclass_reference(est, x):
    """shap has no multiclass GradientBoostingClassifier; its own TreeSHAP on each class's trees
    (as a dict model), with the class's initial raw score as the base offset."""
    init = est._raw_predict_init(x[:1])[0]
    phis, bases = [], []
    for k in range(est.estimators_.shape[1]):
        trees = []
        for e in est.estimators_[:, k]:
            t = e.tree_
            trees.append({
                "children_left": t.children_left, "children_right": t.children_right,
                "children_default": t.children_left, "features": t.feature,
                "thresholds": t.threshold, "values": t.value[:, 0, :] * est.learning_rate,
                "node_sample_weight": t.weighted_n_node_samples,
            })
        ex = shap.TreeExplainer({"trees": trees, "base_offset": float(init[k]), "tree_output": "raw_value", "input_dtype": np.float32})
        phis.append(np.asarray(ex.shap_values(x.astype(np.float32))))
        bases.append(float(np.atleast_1d(ex.expected_value)[0]))
    return np.stack(phis, axis=-1), np.asarray(bases)


def reference(est, xt_background, xt):
    name = type(est).__name__
    classes = len(getattr(est, "classes_", [])) or None
    if name == "GradientBoostingClassifier" and est.estimators_.shape[1] > 1:
        phi, base = gb_multiclass_reference(est, xt)
        return reported(phi, base, classes)
    if name in LINEAR_ESTIMATORS:
        ex = shap.LinearExplainer(est, shap.maskers.Independent(xt_background, max_samples=len(xt_background)))
        phi = as_outputs(ex.shap_values(xt), len(xt))
    else:
        ex = shap.TreeExplainer(est)
        phi = as_outputs(ex.shap_values(xt), len(xt))
    return reported(phi, ex.expected_value, classes)


def raw_scores(est, xt):
    """sklearn's raw score per reported output: [rows, outputs]."""
    name = type(est).__name__
    classes = len(getattr(est, "classes_", [])) or None
    if name in BOOSTER_ESTIMATORS:
        # The booster's margin: log-odds for binary, per-class scores, the regressor's value.
        margin = est.predict(xt, output_margin=True) if name.startswith("XGB") else est.predict(xt, raw_score=True)
        return np.asarray(margin, dtype=np.float64).reshape(len(xt), -1)
    if classes is None:
        return est.predict(xt).reshape(-1, 1)
    if name.startswith(("RandomForest", "ExtraTrees", "DecisionTree")):
        p = est.predict_proba(xt)
        return p[:, 1:] if classes == 2 else p
    d = est.decision_function(xt)
    return d.reshape(len(xt), -1)


def ours(answer, fields, outputs):
    """An answer's explanations as (base [rows, outputs], phi [rows, fields, outputs])."""
    ex = answer["explanations"]
    base = np.asarray([np.atleast_1d(e["base_value"]) for e in ex], dtype=np.float64)
    phi = np.asarray([[np.atleast_1d(e["contributions"][f]) for f in fields] for e in ex], dtype=np.float64)
    assert phi.shape[2] == outputs and base.shape[1] == outputs
    return base, phi


def fit_and_export(name, est, data, y, tmp_path):
    import joblib

    est.fit(data, y)
    mp, sp = tmp_path / f"{name}.joblib", tmp_path / f"{name}.csv"
    joblib.dump(est, mp)
    data.to_csv(sp, index=False)
    wasmpredict.export(str(mp), str(sp), name, str(tmp_path / name), golden_rows=10)
    return tmp_path / name


@pytest.mark.parametrize("name", sorted(make_fixtures.estimator_cases()))
def test_every_estimator_matches_shap_and_sums_to_its_raw_score(name, tmp_path):
    est, data, y = make_fixtures.estimator_cases()[name]
    bundle = fit_and_export(name, est, data, y, tmp_path)
    rows = data.head(ROWS)
    [answer] = answers(bundle, [{"instances": records(rows), "explain": True}], tmp_path)
    xt = rows.to_numpy(dtype=np.float64)
    phi_ref, base_ref = reference(est, data.to_numpy(dtype=np.float64), xt)
    base, phi = ours(answer, list(data.columns), phi_ref.shape[2])
    raw = raw_scores(est, xt)
    for i in range(len(rows)):
        np.testing.assert_allclose(base[i], base_ref, atol=TOLERANCE, rtol=0, err_msg=f"{name} base value")
        np.testing.assert_allclose(phi[i], phi_ref[i], atol=TOLERANCE, rtol=0, err_msg=f"{name} row {i}")
        np.testing.assert_allclose(base[i] + phi[i].sum(axis=0), raw[i], atol=TOLERANCE * max(1.0, float(np.abs(raw[i]).max())), rtol=0, err_msg=f"{name} row {i}: base + contributions != raw score")


def fold(values, names, fields):
    """Model-feature values [rows, features, outputs] summed into raw fields by feature name
    (`num__tenure`, `cat__contract_month-to-month`, a text's terms)."""
    out = np.zeros((values.shape[0], len(fields), values.shape[2]))
    for j, feature in enumerate(names):
        plain = feature.split("__", 1)[-1]
        matches = [k for k, f in enumerate(fields) if plain == f or plain.startswith(f + "_")]
        k = max(matches, key=lambda k: len(fields[k])) if matches else 0
        out[:, k, :] += values[:, j, :]
    return out


@pytest.mark.parametrize("key", ["churn", "churn-1.1.0", "news", "iris", "rf-classification"])
def test_committed_pipelines_fold_to_their_raw_fields(key, tmp_path):
    """The committed bundles (rebuilt here by models/train.py): shap on the model features, folded
    into raw fields by sklearn's feature names, equals the API's per-field contributions; a text's
    listed terms are its strongest."""
    fn, _name, _version, directory = train.MODELS[key]
    model, sample, _desc, _golden = fn(str(tmp_path))
    bundle = os.path.join(ROOT, "models", directory)
    fields = [f["name"] for f in json.load(open(os.path.join(bundle, "manifest.json")))["input"]]
    rows = sample.head(ROWS)
    [answer] = answers(bundle, [{"instances": records(rows), "explain": True}], tmp_path)
    steps, est = split_pipeline(model)
    transform = (lambda x: model[:-1].transform(x)) if steps else (lambda x: x)
    source = Source(model, steps, sample)
    background = dense(transform(source.sklearn_input(sample)))
    xt = dense(transform(source.sklearn_input(rows)))
    phi_ref, base_ref = reference(est, background, xt)
    names = list(model[:-1].get_feature_names_out()) if steps else fields
    folded = fold(phi_ref, names, fields) if steps else phi_ref
    base, phi = ours(answer, fields, phi_ref.shape[2])
    raw = raw_scores(est, xt)
    for i in range(len(rows)):
        np.testing.assert_allclose(base[i], base_ref, atol=TOLERANCE, rtol=0)
        np.testing.assert_allclose(phi[i], folded[i], atol=TOLERANCE, rtol=0, err_msg=f"{key} row {i}")
        np.testing.assert_allclose(base[i] + phi[i].sum(axis=0), raw[i], atol=TOLERANCE, rtol=0)
    if key == "news":
        for i, e in enumerate(answer["explanations"]):
            listed = [t["term"] for t in e["terms"]["text"]]
            strongest = np.argsort(-np.abs(phi_ref[i, :, 0]), kind="stable")[: len(listed)]
            assert listed == [names[j].split("__", 1)[-1] for j in strongest], (listed, e)
            assert [t["contribution"] for t in e["terms"]["text"]] == pytest.approx([phi_ref[i, j, 0] for j in strongest], abs=TOLERANCE)


def refused(bundle, body, tmp_path):
    """The CLI's refusal of a body (exit 1): its error body, and the line on stderr."""
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(body) + "\n")
    proc = subprocess.run([BIN, "predict", str(bundle), "--input", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    return json.loads(proc.stdout)["error"], proc.stderr.splitlines()[0]


def test_single_rows_and_bad_requests(tmp_path):
    bundle = os.path.join(ROOT, "models", "churn", "1.0.0")
    record = {"tenure": 3, "monthly_charges": 80.5, "total_charges": 241.5, "senior_citizen": 0, "contract": "month-to-month", "internet_service": "fiber-optic", "payment_method": "electronic-check", "paperless_billing": "yes"}
    single, plain, batch = answers(bundle, [
        {"record": record, "explain": True},
        {"record": record, "explain": False},
        {"instances": [record], "explain": True},
    ], tmp_path)
    assert set(single["explanation"]) == {"base_value", "contributions"}
    assert list(single["explanation"]["contributions"]) == list(record)
    assert "explanation" not in plain and "explanations" not in plain
    assert batch["explanations"][0] == single["explanation"]
    error, line = refused(bundle, {"record": record, "explain": "yes"}, tmp_path)
    assert (error["code"], error["field"]) == ("wrong_type", "explain")
    assert line == "error: line 1: 'explain' must be true or false, got \"yes\""
    # A bundle exported before explanations (format 2) answers with a clear refusal.
    old = tmp_path / "old"
    old.mkdir()
    manifest = json.load(open(os.path.join(bundle, "manifest.json")))
    for f in manifest["files"]:
        if f != "explain.json":
            (old / f).write_bytes(open(os.path.join(bundle, f), "rb").read())
    manifest["format_version"] = 2
    manifest.pop("explain")
    manifest["files"].pop("explain.json")
    (old / "manifest.json").write_text(json.dumps(manifest))
    error, line = refused(old, {"record": record, "explain": True}, tmp_path)
    assert (error["code"], error["field"]) == ("explanation_unavailable", "explain")
    assert "no explanation data (format version 2)" in line, line
    [answer] = answers(old, [{"record": record}], tmp_path)
    assert answer["prediction"] == plain["prediction"]
