"""The Rust core in Python (`wasmpredict.load`): the estimator API over every table a user has
(pandas, pyarrow, polars, records, numpy, a list of texts), answering what scikit-learn answers,
refusing bad input with the HTTP API's codes, and computing without the GIL.

The module is the one `cargo xtask test` builds into python/wasmpredict/ (the wheel a user
installs is tested in test_package.py)."""

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train  # noqa: E402
import wasmpredict  # noqa: E402

BIN = os.environ.get("WASMPREDICT_BIN", os.path.join(ROOT, "target", "debug", "wasmpredict"))
CHURN = os.path.join(ROOT, "models", "churn", "1.0.0")
CHURN_TREES = os.path.join(ROOT, "models", "churn", "1.1.0")


@pytest.fixture(scope="module")
def churn_sklearn():
    """The pipeline models/churn/1.0.0 was exported from, trained again (the kernels are pinned)."""
    model, _, _, _ = train.churn(None)
    return model


@pytest.fixture(scope="module")
def fresh_rows():
    """Rows the model never saw, with the training table's missing values (NaN and None)."""
    df, _ = train.churn_frame(5000, seed=11)
    return df


def test_every_table_kind_answers_what_sklearn_answers(churn_sklearn, fresh_rows):
    m = wasmpredict.load(CHURN)
    want_proba = churn_sklearn.predict_proba(fresh_rows)
    want_label = churn_sklearn.predict(fresh_rows)
    assert list(m.classes_) == list(churn_sklearn.classes_)
    shuffled = fresh_rows[list(reversed(fresh_rows.columns))].assign(customer_id=np.arange(len(fresh_rows)))
    records = json.loads(fresh_rows.to_json(orient="records"))
    tables = {
        "pandas": fresh_rows,
        "pandas, columns reordered, an id column beside them": shuffled,
        "pyarrow Table": pa.Table.from_pandas(fresh_rows, preserve_index=False),
        "pyarrow RecordBatch": pa.RecordBatch.from_pandas(fresh_rows, preserve_index=False),
        "polars": pl.from_pandas(fresh_rows),
        "polars, categorical strings": pl.from_pandas(fresh_rows).with_columns(pl.col("contract").cast(pl.Categorical)),
        "records": records,
    }
    for kind, table in tables.items():
        proba = m.predict_proba(table)
        assert proba.shape == want_proba.shape and proba.dtype == np.float64, kind
        assert np.abs(proba - want_proba).max() <= 1e-5, kind
        assert (m.predict(table) == want_label).all(), kind


def test_a_regression_a_forest_and_positional_numpy(tmp_path):
    """A 2-D array answers for a model of number fields, as `{"features": [...]}` does; a
    regressor's predict is its values."""
    from sklearn.datasets import make_regression
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import Ridge

    X, y = make_regression(n_samples=300, n_features=5, random_state=3)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    ridge = Ridge().fit(frame, y)
    wasmpredict.export(ridge, frame, name="ridge", out=str(tmp_path / "ridge"))
    m = wasmpredict.load(tmp_path / "ridge")
    assert m.classes_ is None
    got = m.predict(X)
    assert got.shape == (300,) and np.allclose(got, ridge.predict(frame), rtol=1e-5, atol=1e-4)
    with pytest.raises(AttributeError):
        m.predict_proba  # noqa: B018 (a regressor has none, as in sklearn)

    forest = wasmpredict.load(os.path.join(ROOT, "models", "rf-classification"))
    golden = json.load(open(os.path.join(ROOT, "models", "rf-classification", "golden.json")))
    rows = np.array([[r["input"][f"feature_{i}"] for i in range(10)] for r in golden["rows"]])
    proba = forest.predict_proba(rows)
    assert np.abs(proba - np.array([r["probabilities"] for r in golden["rows"]])).max() <= golden["tolerance"]
    assert forest.predict(rows).tolist() == [r["prediction"] for r in golden["rows"]]


def test_a_text_model_takes_a_list_of_texts_as_sklearn_does():
    m = wasmpredict.load(os.path.join(ROOT, "models", "news"))
    golden = json.load(open(os.path.join(ROOT, "models", "news", "golden.json")))
    texts = [r["input"]["text"] for r in golden["rows"]]
    for table in [texts, pd.Series(texts), pd.DataFrame({"text": texts})]:
        assert m.predict(table).tolist() == [r["prediction"] for r in golden["rows"]]
        assert np.abs(m.predict_proba(table) - np.array([r["probabilities"] for r in golden["rows"]])).max() <= golden["tolerance"]


def test_decision_scores_where_the_estimator_has_no_probabilities(tmp_path):
    from sklearn.svm import LinearSVC

    x, y = train.churn_frame(400, seed=5)
    numeric = x[["tenure", "monthly_charges"]]
    svc = LinearSVC().fit(numeric, y)
    wasmpredict.export(svc, numeric, name="svc", out=str(tmp_path / "svc"))
    m = wasmpredict.load(tmp_path / "svc")
    assert not hasattr(m, "predict_proba")
    scores = m.decision_function(numeric)
    assert scores.shape == (400,)
    assert np.allclose(scores, svc.decision_function(numeric), atol=1e-4)
    assert (m.predict(numeric) == svc.predict(numeric)).all()


def refusal(m, table):
    with pytest.raises(wasmpredict.PredictError) as e:
        m.predict(table)
    assert isinstance(e.value, ValueError)
    return e.value


def test_bad_input_names_the_field_the_row_and_what_was_expected(fresh_rows):
    m = wasmpredict.load(CHURN)
    rows = fresh_rows.head(10).copy()

    bad = rows.astype({"contract": object})
    bad.loc[7, "contract"] = 3
    e = refusal(m, bad)
    assert (e.code, e.field) == ("wrong_type", "contract") and "row 7" in str(e), str(e)

    e = refusal(m, rows.assign(tenure=rows["tenure"].astype(str)))
    assert (e.code, e.field) == ("wrong_type", "tenure") and "row 0" in str(e) and "a number" in str(e), str(e)

    e = refusal(m, rows.assign(tenure=np.where(np.arange(10) == 4, np.inf, rows["tenure"])))
    assert (e.code, e.field) == ("non_finite_number", "tenure") and "row 4" in str(e), str(e)

    e = refusal(m, rows.assign(tenure=pd.Timestamp("2026-01-01")))
    assert (e.code, e.field) == ("wrong_type", "tenure") and "timestamp" in str(e), str(e)

    e = refusal(m, [{"tenure": 3, "colour": "red"}])
    assert (e.code, e.field) == ("unknown_field", "colour"), str(e)

    e = refusal(m, rows.iloc[:0])
    assert e.code == "empty_batch"

    iris = wasmpredict.load(os.path.join(ROOT, "models", "iris"))
    e = refusal(iris, np.zeros((3, 5)))
    assert e.code == "wrong_feature_count" and "4 fields" in str(e), str(e)
    e = refusal(iris, pd.DataFrame({"sepal_length": [1.0], "sepal_width": [2.0], "petal_length": [1.0]}))
    assert (e.code, e.field) == ("missing_field", "petal_width"), str(e)
    e = refusal(iris, pd.DataFrame({"sepal_length": [1.0, None], "sepal_width": [2.0, 1.0], "petal_length": [1.0, 1.0], "petal_width": [1.0, 1.0]}))
    assert (e.code, e.field) == ("missing_value", "sepal_length") and "row 1" in str(e), str(e)

    # The same refusals as the HTTP API: the CLI's answer to the same record names the same code.
    record = {"sepal_length": "wide", "sepal_width": 2.0, "petal_length": 1.0, "petal_width": 1.0}
    e = refusal(iris, [record])
    cli = subprocess.run([BIN, "predict", os.path.join(ROOT, "models", "iris"), "--input", "-"], input=json.dumps({"record": record}) + "\n", capture_output=True, text=True)
    assert e.code in cli.stdout + cli.stderr and str(e) in cli.stdout + cli.stderr, (str(e), cli.stdout, cli.stderr)

    with pytest.raises(wasmpredict.BundleError):
        wasmpredict.load(os.path.join(ROOT, "models"))


def test_explanations_add_up_to_the_linear_score(churn_sklearn, fresh_rows):
    """For the linear churn model, base value plus contributions is sklearn's decision value."""
    m = wasmpredict.load(CHURN)
    rows = fresh_rows.head(50)
    explained = m.explain(rows)
    assert len(explained) == 50
    assert explained == m.explain(json.loads(rows.to_json(orient="records")))
    decision = churn_sklearn.decision_function(rows)
    for e, want in zip(explained, decision):
        base = e["base_value"][-1] if isinstance(e["base_value"], list) else e["base_value"]
        total = base + sum(v[-1] if isinstance(v, list) else v for v in e["contributions"].values())
        assert abs(total - want) <= 1e-4, (total, want)


def test_drift_is_the_report_the_cli_writes(tmp_path, fresh_rows):
    m = wasmpredict.load(CHURN_TREES)
    shifted = fresh_rows.assign(tenure=fresh_rows["tenure"] + 40, contract="month-to-month")
    csv = tmp_path / "shifted.csv"
    shifted.to_csv(csv, index=False)
    cli = subprocess.run([BIN, "drift", CHURN_TREES, "--input", str(csv), "--json"], capture_output=True, text=True)
    assert cli.returncode in (0, 1), cli.stderr
    report = m.drift(shifted)
    assert report == json.loads(cli.stdout)
    assert report["rows"] == len(shifted)
    same = m.drift(train.churn_frame(3000, seed=7)[0])
    assert json.dumps(same) != json.dumps(report)


def test_the_gil_is_released_while_predicting():
    """A Python thread keeps running while another predicts a large table."""
    m = wasmpredict.load(CHURN_TREES)
    big = pd.concat([train.churn_frame(5000, seed=s)[0] for s in range(40)], ignore_index=True)
    ticks, done = [0], threading.Event()

    def count():
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    table = pa.Table.from_pandas(big, preserve_index=False)
    counter.start()
    started = time.perf_counter()
    before = ticks[0]
    m.predict_proba(table)
    elapsed = time.perf_counter() - started
    during = ticks[0] - before
    done.set()
    counter.join()
    # Held for the whole call, the GIL would let the counter tick at most a few times.
    assert during >= max(5, elapsed / 0.001 * 0.2), (during, elapsed)


def test_a_bundle_travels_as_bytes():
    """What Spark broadcasts: the bundle's files by name, loaded without the path."""
    from wasmpredict.model import bundle_files, from_files

    files = bundle_files(CHURN)
    assert set(files) == {"manifest.json", *json.loads(files["manifest.json"])["files"]}
    m = from_files(files)
    rows = train.churn_frame(20, seed=3)[0]
    assert (m.predict_proba(rows) == wasmpredict.load(CHURN).predict_proba(rows)).all()
    broken = dict(files, **{"model.onnx": files["model.onnx"][:-1]})
    with pytest.raises(wasmpredict.BundleError) as e:
        from_files(broken)
    assert "model.onnx" in str(e.value)
