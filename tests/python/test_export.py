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
sys.path.insert(0, os.path.join(ROOT, "python"))
from wasmpredict.jsonable import to_py, to_py_record  # noqa: E402
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


def test_unsupported_estimator_is_refused_in_one_line_naming_it(tmp_path):
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.svm import SVC

    X, y = small_frame()
    proc, out = run_export(tmp_path, GaussianProcessClassifier().fit(X, y), X)
    assert proc.returncode == 2
    assert "estimator GaussianProcessClassifier is not supported (docs/models.md lists every supported class)" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
    # With the closest supported alternative where there is one.
    proc, out = run_export(tmp_path, SVC().fit(X, y), X)
    assert proc.returncode == 2
    assert "estimator SVC is not supported; the closest supported is LinearSVC" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unsupported_transformer_or_option_is_refused_with_the_alternative(tmp_path):
    from sklearn.impute import KNNImputer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = small_frame()
    proc, out = run_export(tmp_path, make_pipeline(KNNImputer(), LogisticRegression()).fit(X, y), X)
    assert proc.returncode == 2
    assert "transformer KNNImputer is not supported; the closest supported is SimpleImputer" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
    proc, _ = run_export(tmp_path, make_pipeline(FunctionTransformer(np.tanh), LogisticRegression()).fit(X, y), X)
    assert proc.returncode == 2
    assert "FunctionTransformer(func=tanh) is not supported; supported: numpy's log1p, expm1, sqrt, abs, exp, log" in proc.stderr
    proc, _ = run_export(tmp_path, SGDClassifier(loss="modified_huber").fit(X, y), X)
    assert proc.returncode == 2
    assert "SGDClassifier(loss='modified_huber') is not supported" in proc.stderr and "use loss='log_loss'" in proc.stderr
    # A text option outside what the featurizer reimplements: a custom token pattern.
    from sklearn.feature_extraction.text import CountVectorizer

    texts = pd.DataFrame({"text": ["good film", "bad film", "great movie", "awful movie"] * 5})
    labels = [1, 0, 1, 0] * 5
    model = make_pipeline(CountVectorizer(token_pattern=r"\b\w+\b"), LogisticRegression()).fit(texts["text"], labels)
    proc, _ = run_export(tmp_path, model, texts)
    assert proc.returncode == 2
    assert "CountVectorizer with token_pattern=" in proc.stderr and "'char' and 'char_wb'" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


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
    assert m["format_version"] == 4 and m["name"] == "demo" and m["version"] == "2.1.0"
    assert m["explain"] == "explain.json" and json.loads((out / "explain.json").read_text())["kind"] == "linear"
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
    for _, _, _, directory in train.MODELS.values():
        for fname in sorted(os.listdir(os.path.join(ROOT, "models", directory))):
            committed = open(os.path.join(ROOT, "models", directory, fname), "rb").read()
            rebuilt = (tmp_path / directory / fname).read_bytes()
            assert committed == rebuilt, f"models/{directory}/{fname} differs from what models/train.py builds"


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
    records = [{k: v for k, v in to_py_record(r).items() if v is not None} for r in df.to_dict("records")]
    proc, lines = cli_predict(os.path.join(ROOT, "models", "churn", "1.0.0"), [{"instances": records}])
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


# ---------------------------------------------------------------------------------------------
# MLPs (tract engine)


def cli_check(bundle):
    return subprocess.run([BIN, "check", str(bundle)], capture_output=True, text=True)


def op_types(bundle):
    import onnx

    return [n.op_type for n in onnx.load(str(bundle / "model.onnx")).graph.node]


def multiclass_frame(n=150, seed=3):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)) * [1, 10, 100, 0.1] + [0, 5, -50, 1], columns=["a", "b", "c", "d"])
    z = X["a"] + X["b"] / 10 - X["c"] / 100
    y = np.digitize(z + rng.normal(0, 0.3, n), [-0.7, 0.7])
    return X, y


@pytest.mark.parametrize("labels", ["int", "str", "binary-int", "binary-str"])
def test_mlp_classifier_exports_and_the_cli_replays_and_predicts_like_sklearn(tmp_path, labels):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = multiclass_frame()
    if labels.startswith("binary"):
        y = (y == 2).astype(int)
    if labels.endswith("str"):
        y = np.array(["low", "mid", "high"])[y]
    else:
        y = y * 10 - 5  # integers that are not their own index: -5, 5, 15
    model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0)).fit(X, y)
    proc, out = run_export(tmp_path, model, X)
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["estimator"] == "MLPClassifier" and m["task"] == "classification"
    assert m["classes"] == [to_py(c) for c in model.classes_]
    assert m["featurizer"]["steps"][0]["type"] == "standard_scaler"
    ops = op_types(out)
    assert "MatMul" in ops and "Relu" in ops and "ArgMax" in ops and "Cast" in ops
    check = cli_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
    # Fresh rows, through the CLI: labels equal, probabilities within the golden tolerance.
    fresh, _ = multiclass_frame(n=40, seed=9)
    proc, lines = cli_predict(str(out), [{"instances": fresh.to_dict("records")}])
    assert proc.returncode == 0, proc.stderr
    assert lines[0]["predictions"] == [to_py(c) for c in model.predict(fresh)]
    assert np.max(np.abs(np.array(lines[0]["probabilities"]) - model.predict_proba(fresh))) < 1e-5


def test_mlp_regressor_exports_and_the_cli_replays_it(tmp_path):
    from sklearn.neural_network import MLPRegressor

    X, _ = multiclass_frame()
    X = X / [1, 10, 100, 0.1]
    y = 3 * X["a"] - X["b"] ** 2 + 20
    model = MLPRegressor(hidden_layer_sizes=(16, 8), activation="tanh", max_iter=500, random_state=0).fit(X, y)
    proc, out = run_export(tmp_path, model, X)
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["estimator"] == "MLPRegressor" and m["task"] == "regression" and m["featurizer"] == {"type": "pipeline", "steps": []}
    assert "Tanh" in op_types(out)
    check = cli_check(out)
    assert check.returncode == 0, check.stdout + check.stderr


def test_mlp_settings_skl2onnx_cannot_convert_are_refused_in_one_line(tmp_path):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X, y = multiclass_frame()
    proc, out = run_export(tmp_path, MLPRegressor(loss="poisson", max_iter=50, random_state=0).fit(X.abs(), y + 1), X.abs())
    assert proc.returncode == 2 and "loss='poisson'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()
    multilabel = np.stack([y == 1, y == 2], axis=1).astype(int)
    proc, out = run_export(tmp_path, MLPClassifier(max_iter=50, random_state=0).fit(X, multilabel), X)
    assert proc.returncode == 2 and "multilabel" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


# ---------------------------------------------------------------------------------------------
# --onnx: wrapping a graph that does not come from sklearn


def net(n_in=4, n_out=3, seed=0, out_name="logits", input_type=None, batch="N", out_shape=None, extra_input=False, extra_output=False, op="Relu"):
    """A small Gemm -> Relu -> Gemm network built with onnx.helper (as PyTorch would export it)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    inits = [
        numpy_helper.from_array(rng.normal(size=(8, n_in)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(size=8).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.normal(size=(n_out, 8)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(size=n_out).astype(np.float32), "b2"),
    ]
    if op == "LayerNormalization":
        inits.append(numpy_helper.from_array(np.ones(8, dtype=np.float32), "scale"))
    first = "input"
    nodes = []
    if input_type is not None:
        nodes.append(helper.make_node("Cast", ["input"], ["input_f"], to=TensorProto.FLOAT))
        first = "input_f"
    nodes += [
        helper.make_node("Gemm", [first, "w1", "b1"], ["h"], transB=1),
        helper.make_node(op, ["h", "scale"] if op == "LayerNormalization" else ["h"], ["a"]),
        helper.make_node("Gemm", ["a", "w2", "b2"], [out_name if out_shape is None else "raw"], transB=1),
    ]
    outputs = [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, [None] * (2 if out_shape is None else len(out_shape)))]
    if out_shape is not None:
        inits.append(numpy_helper.from_array(np.array(out_shape, dtype=np.int64), "shape"))
        nodes.append(helper.make_node("Reshape", ["raw", "shape"], [out_name]))
    inputs = [helper.make_tensor_value_info("input", input_type or TensorProto.FLOAT, [batch, n_in])]
    if extra_input:
        inputs.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, [batch, n_in]))
    if extra_output:
        outputs.append(helper.make_tensor_value_info("a", TensorProto.FLOAT, [None, 8]))
    graph = helper.make_graph(nodes, "torch_jit", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pytorch", producer_version="2.9")
    model.ir_version = 8
    return model


def net_sample(n_in=4, n=80, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, n_in)).round(5), columns=[f"f{i}" for i in range(n_in)])


def run_onnx_export(tmp_path, model, sample, name="net", extra=()):
    import onnx

    mpath, spath = tmp_path / "net.onnx", tmp_path / "sample.csv"
    if isinstance(model, bytes):
        mpath.write_bytes(model)
    else:
        onnx.save(model, str(mpath))
    sample.to_csv(spath, index=False)
    out = tmp_path / "bundle"
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "models", "export.py"), "--onnx", str(mpath), "--sample", str(spath), "--name", name, "--out", str(out), *extra],
        capture_output=True,
        text=True,
    )
    return proc, out


def ort_run(model, x, output):
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run([output], {"input": x.astype(np.float32)})[0]


@pytest.mark.parametrize("shape", [None, [-1]])
def test_onnx_regression_graph_is_wrapped_and_replayed(tmp_path, shape):
    model = net(n_out=1, out_name="value", out_shape=shape)
    sample = net_sample()
    proc, out = run_onnx_export(tmp_path, model, sample, extra=["--version", "0.3.0", "--description", "a numpy net"])
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["task"] == "regression" and m["estimator"] == "ONNX" and m["version"] == "0.3.0"
    assert "wrapped from ONNX" in m["created_by"] and "pytorch" in m["created_by"]
    assert m["featurizer"] == {"type": "pipeline", "steps": []} and m["n_features"] == 4
    assert [f["name"] for f in m["input"]] == list(sample.columns) and all(f["type"] == "number" for f in m["input"])
    assert m["input"][0]["stats"]["mean"] == pytest.approx(sample["f0"].mean())
    assert m["model"] == {"file": "model.onnx", "input": "input", "accepts_nan": False, "value": "value"}
    # The graph is the user's, unchanged but for its name.
    assert op_types(out) == [n.op_type for n in model.graph.node]
    golden = json.loads((out / "golden.json").read_text())
    want = ort_run(model, sample.head(50).to_numpy(), "value").reshape(-1)
    assert [r["prediction"] for r in golden["rows"]] == [float(v) for v in want]
    assert golden["rows"][0]["input"] == sample.iloc[0].to_dict()
    check = cli_check(out)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("classes", [["cat", "dog", "bird"], [3, 1, 2], None])
def test_onnx_classifier_with_logits_and_classes_is_wrapped_and_replayed(tmp_path, classes):
    model = net(n_out=3)
    sample = net_sample()
    extra = ["--logits"] + (["--classes", ",".join(str(c) for c in classes)] if classes else [])
    proc, out = run_onnx_export(tmp_path, model, sample, extra=extra)
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    labels = classes or [0, 1, 2]
    assert m["task"] == "classification" and m["classes"] == labels
    assert m["model"]["label"] == "label" and m["model"]["probabilities"] == "probabilities"
    assert op_types(out) == ["Gemm", "Relu", "Gemm", "Softmax", "ArgMax", "Gather"]
    golden = json.loads((out / "golden.json").read_text())
    logits = ort_run(model, sample.head(50).to_numpy(), "logits").astype(np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    assert np.max(np.abs(np.array([r["probabilities"] for r in golden["rows"]]) - probs)) < 1e-6
    assert [r["prediction"] for r in golden["rows"]] == [labels[i] for i in probs.argmax(axis=1)]
    check = cli_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
    proc, lines = cli_predict(str(out), [{"instances": sample.tail(10).to_dict("records")}])
    assert proc.returncode == 0, proc.stderr
    tail = ort_run(model, sample.tail(10).to_numpy(), "logits")
    assert lines[0]["predictions"] == [labels[i] for i in tail.argmax(axis=1)]


def test_onnx_probabilities_output_and_output_choice(tmp_path):
    """An output that already holds probabilities is used as is; --output picks among several."""
    import onnx
    from onnx import TensorProto, helper

    model = net(n_out=2, out_name="logits", extra_output=True)
    model.graph.node.append(helper.make_node("Softmax", ["logits"], ["probs"], axis=1))
    model.graph.output.append(helper.make_tensor_value_info("probs", TensorProto.FLOAT, [None, 2]))
    onnx.checker.check_model(model)
    proc, out = run_onnx_export(tmp_path, model, net_sample(), extra=["--output", "probs", "--classes", "no,yes"])
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["model"]["probabilities"] == "probs" and m["classes"] == ["no", "yes"]
    check = cli_check(out)
    assert check.returncode == 0, check.stdout + check.stderr


def test_onnx_exports_are_reproducible(tmp_path):
    model = net(n_out=3)
    sample = net_sample()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for d in (a, b):
        proc, _ = run_onnx_export(d, model, sample, extra=["--logits", "--classes", "x,y,z"])
        assert proc.returncode == 0, proc.stderr
    for fname in ["manifest.json", "model.onnx", "golden.json"]:
        assert (a / "bundle" / fname).read_bytes() == (b / "bundle" / fname).read_bytes()


def _two_by_two():
    return net(n_out=4, out_name="out", out_shape=[-1, 2, 2])


REFUSALS = {
    "not-onnx": (lambda: b"this is not a protobuf \xff\xfe", {}, [], "cannot load"),
    "two-inputs": (lambda: net(extra_input=True), {}, ["--logits"], "2 runtime inputs (input, mask)"),
    "double-input": (lambda: net(input_type=11), {}, ["--logits"], "DOUBLE"),
    "fixed-batch": (lambda: net(batch=1), {}, ["--logits"], "fixed batch size of 1"),
    "width-mismatch": (lambda: net(n_in=5), {}, ["--logits"], "takes 5 columns but the sample has 4"),
    "non-numeric-sample": (lambda: net(), {"text": True}, ["--logits"], "must be numeric"),
    "output-not-found": (lambda: net(), {}, ["--logits", "--output", "nope"], "output 'nope' not found; the graph's outputs: logits"),
    "ambiguous-outputs": (lambda: net(extra_output=True), {}, ["--logits"], "choose one with --output"),
    "classes-count": (lambda: net(), {}, ["--logits", "--classes", "a,b"], "--classes gives 2 labels but output 'logits' has 3 columns"),
    "rank-3-output": (_two_by_two, {}, [], "unsupported output shape"),
    "regression-of-3-columns": (lambda: net(), {}, ["--task", "regression"], "unsupported output shape for regression"),
    "classification-of-1-column": (lambda: net(n_out=1), {}, ["--task", "classification"], "unsupported output shape for classification"),
    "not-probabilities": (lambda: net(), {}, [], "pass --logits"),
    "op-not-in-tract": (lambda: net(op="LayerNormalization"), {}, ["--logits"], "uses LayerNormalization, which wasmpredict's tract engine does not include"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_onnx_refusals_are_one_line_and_write_nothing(tmp_path, case):
    make, sample_opts, extra, message = REFUSALS[case]
    sample = net_sample()
    if sample_opts.get("text"):
        sample["f3"] = np.where(sample["f3"] > 0, "up", "down")
    proc, out = run_onnx_export(tmp_path, make(), sample, extra=extra)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("error: ")
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".export-") or p.startswith(".old-")]


def test_model_and_onnx_are_exclusive_and_wrap_flags_need_onnx(tmp_path):
    X, y = small_frame()
    from sklearn.linear_model import LogisticRegression

    proc, out = run_export(tmp_path, LogisticRegression().fit(X, y), X, extra=["--logits"])
    assert proc.returncode == 2 and "--logits apply only with --onnx" in proc.stderr and not out.exists()
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "models", "export.py"), "--model", "m.joblib", "--onnx", "n.onnx", "--sample", "s.csv", "--name", "x", "--out", str(tmp_path / "b")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr
