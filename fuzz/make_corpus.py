#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (fuzz/corpus/<target>/) and the dictionaries
(fuzz/dict/<target>.dict) from the committed models and fuzz/bundles/. Standard library only.

    python3 fuzz/make_corpus.py

The input formats are documented in fuzz/src/harness.rs; the indices below must follow its
MODELS / FIXTURES order and the request target's predictor order.
"""
import hashlib
import json
import os
import shutil

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
SEP = b"\n--8<--\n"

MODELS = ["models/iris", "models/churn/1.0.0", "models/churn/1.1.0", "models/news",
          "models/rf-classification"]
FIXTURES = ["dt-binary", "dt-regressor-branch-gte", "linear-regression", "lr-binary",
            "mlp-classifier", "onnx-net-regressor", "linear-svc-multiclass", "hgb-binary-nan",
            "gb-multiclass-branch-gte", "scaler-op-in-graph", "dict-vectorizer",
            "onehot-nan-category"]
BASES = [os.path.join(ROOT, m) for m in MODELS] + [os.path.join(FUZZ, "bundles", f) for f in FIXTURES]
N_BASES = len(BASES)


def load(d):
    m = json.load(open(os.path.join(d, "manifest.json")))
    g = json.load(open(os.path.join(d, "golden.json")))
    return m, g


def dumps(v):
    return json.dumps(v, separators=(",", ":")).encode()


def write(target, name, data):
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def positional(m, row):
    return [row.get(f["name"]) for f in m["input"]]


def request_corpus():
    # Predictor order (harness::request_predictors): each committed model on compact then
    # tract, then each fixture.
    predictors = []
    for i, d in enumerate(BASES[:len(MODELS)]):
        predictors += [(2 * i, d), (2 * i + 1, d)]
    for j, d in enumerate(BASES[len(MODELS):]):
        predictors.append((2 * len(MODELS) + j, d))
    for idx, d in predictors:
        m, g = load(d)
        rows = [r["input"] for r in g["rows"][:3]]
        name = os.path.basename(d.rstrip("/"))
        if "churn" in d:
            name = "churn-" + name
        tract = idx < 2 * len(MODELS) and idx % 2 == 1
        tag = f"{idx:02d}-{name}{'-tract' if tract else ''}"
        call = lambda c: bytes([idx | (c << 5)])
        write("request", f"{tag}-record", call(0) + dumps({"record": rows[0]}))
        if tract:
            continue  # the rest would duplicate the compact predictor's seeds
        write("request", f"{tag}-instances", call(2) + dumps({"instances": rows}))
        write("request", f"{tag}-explain", call(3) + dumps({"record": rows[1], "explain": True}))
        numeric = all(f["type"] == "number" for f in m["input"])
        if numeric:
            write("request", f"{tag}-features", call(0) + dumps({"features": positional(m, rows[0])}))
            write("request", f"{tag}-features-batch-max3",
                  call(1) + dumps({"features": [positional(m, r) for r in rows] * 2}))
            oip = {"inputs": [{"name": "input", "shape": [2, len(m["input"])], "datatype": "FP32",
                               "data": positional(m, rows[0]) + positional(m, rows[1])}]}
        else:
            inputs = []
            for f in m["input"]:
                v = rows[0].get(f["name"])
                dt = {"number": "FP64", "bool": "BOOL"}.get(f["type"], "BYTES")
                inputs.append({"name": f["name"], "shape": [1], "datatype": dt, "data": [v]})
            oip = {"inputs": inputs, "parameters": {"explain": True}}
        write("request", f"{tag}-oip", call(4) + dumps(oip))
        write("request", f"{tag}-features-call", call(6) + dumps({"record": rows[2]}))
        write("request", f"{tag}-tally", call(7) + dumps(rows))


def bundle_corpus():
    for target in ["bundle_compact", "bundle_tract"]:
        for i, d in enumerate(BASES):
            name = os.path.basename(d.rstrip("/"))
            if "churn" in d:
                name = "churn-" + name
            onnx = open(os.path.join(d, "model.onnx"), "rb").read()
            manifest = open(os.path.join(d, "manifest.json"), "rb").read()
            m, g = load(d)
            compact_only = name in ("mlp-classifier", "onnx-net-regressor", "scaler-op-in-graph")
            if target == "bundle_compact" and compact_only:
                continue
            # Replace mode: the base's model.onnx (small ones only: the corpus stays small).
            if len(onnx) < 40_000:
                write(target, f"{i:02d}-{name}-onnx", bytes([i, 0]) + onnx)
            # Replace mode: the base's manifest (not news: its vocabulary makes it 330 KB).
            if len(manifest) < 12_000:
                write(target, f"{i:02d}-{name}-manifest", bytes([i, 1]) + manifest)
                g["rows"] = g["rows"][:2]
                write(target, f"{i:02d}-{name}-golden", bytes([i, 2]) + dumps(g))
            # Raw mode: manifest, model, golden (2 rows).
            if len(onnx) < 10_000 and len(manifest) < 12_000:
                m["files"] = {}
                g["rows"] = g["rows"][:2]
                raw = dumps(m) + SEP + onnx + SEP + dumps(g)
                write(target, f"raw-{name}", bytes([N_BASES, 0]) + raw)


def onnx_corpus():
    for i, d in enumerate(BASES):
        onnx = open(os.path.join(d, "model.onnx"), "rb").read()
        name = os.path.basename(d.rstrip("/"))
        if "churn" in d:
            name = "churn-" + name
        if len(onnx) < 40_000:
            write("onnx", f"{i:02d}-{name}", bytes([i]) + onnx)


def csv_corpus():
    for i, d in enumerate(MODELS):
        m, g = load(os.path.join(ROOT, d))
        names = [f["name"] for f in m["input"]]

        def cell(v):
            s = "" if v is None else (json.dumps(v) if isinstance(v, bool) else str(v))
            if any(c in s for c in ",\"\n\r"):
                s = '"' + s.replace('"', '""') + '"'
            return s

        lines = [",".join(names)]
        for r in g["rows"][:4]:
            lines.append(",".join(cell(r["input"].get(n)) for n in names))
        name = d.split("/", 1)[1].replace("/", "-")
        write("csv", f"{i}-{name}", bytes([i]) + ("\r\n".join(lines) + "\r\n").encode())
        # Reordered columns, a missing value, a bad row and a quoted cell with a newline.
        rev = list(reversed(names))
        row = g["rows"][0]["input"]
        text = ",".join(rev) + "\n" + ",".join(cell(row.get(n)) for n in rev[:-1]) + ",\n"
        text += ",".join(["x"] * len(rev)) + "\n" + '"a\nb",""""\n\n'
        write("csv", f"{i}-{name}-odd", bytes([i + 8]) + text.encode())
    write("csv", "bom-quotes", bytes([0]) + '\ufeffsepal_length,"sepal_width"\n1,"2""x"\n'.encode())


def admin_corpus():
    models = ["iris", "churn", "news", "rf-classification"]
    op = lambda o, model=0, flag=0: bytes([o | (model << 3) | (flag << 5)])
    # 0 traffic
    write("admin_bodies", "traffic-split", op(0, 1, 1) + dumps(
        {"split": {"1.0.0": 90, "1.1.0": 10}, "sticky_header": "x-user-id"}))
    write("admin_bodies", "traffic-shadow", op(0, 1) + dumps(
        {"split": {"1.0.0": 100}, "shadow": "1.1.0"}))
    write("admin_bodies", "traffic-get-shape", op(0, 0) + dumps(
        {"model": "iris", "live": "1.0.0", "versions": ["1.0.0"], "split": {"1.0.0": 100}}))
    # 1 feedback
    write("admin_bodies", "feedback-label", op(1, 0) + dumps({"id": "@ID@", "label": 1}))
    write("admin_bodies", "feedback-news", op(1, 2, 1) + dumps({"id": "@ID@", "label": "fresh"}))
    write("admin_bodies", "feedback-old", op(1, 3) + dumps({"id": "@OLD@", "label": 0}))
    write("admin_bodies", "feedback-value", op(1, 1) + dumps({"id": "@ID@", "value": 1.5}))
    # 2 metrics
    metrics = {"counters": [{"name": "wasmpredict_requests_total",
                             "labels": [["model", "iris"], ["status", "200"]], "value": 3.0}],
               "histograms": [{"name": "wasmpredict_request_seconds", "labels": [["model", "iris"]],
                               "value": {"buckets": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
                                         "sum": 0.5, "count": 3}}]}
    scores = [{"model": "iris", "version": "1.0.0", "n": 4.0, "correct": 3.0,
               "abs_error": None, "sq_error": None}]
    write("admin_bodies", "metrics", op(2) + dumps(metrics) + SEP + dumps(scores))
    # 3 monitor
    window = {"1.0.0": {"requests": [{"status": 200, "ms": 1.5},
                                     {"status": 400, "error": "wrong_type", "ms": 0.2}],
                        "rows": [{"p": 1.0, "s": [1, 2, 3, 0, 1]}, {"p": 0.0}],
                        "requests_seen": 2, "rows_seen": 2}}
    write("admin_bodies", "monitor-iris", op(3, 0) + dumps(window))
    write("admin_bodies", "monitor-churn", op(3, 1) + dumps(
        {"1.1.0": {"requests": [], "rows": [{"p": 1.0, "s": [0, 1, 2, 3, 4, 5, 6, 7, 8]}]}}))
    # 4 scores
    write("admin_bodies", "scores", op(4, 1) + dumps(scores + [
        {"model": "churn", "version": "1.1.0", "n": 2.0, "correct": 1.0}]))
    # 5 state store parsing
    write("admin_bodies", "window-delta", op(5, 0, 1) + dumps(
        {"capacity": 2, "models": {"iris": window}}))
    write("admin_bodies", "metrics-delta", op(5) + dumps(metrics))
    write("admin_bodies", "id", op(5) + b"aXJpcx8xLjAuMB8xHzE3OTAwMDAwMDAwMDAfNw.0011223344556677")
    # 6 authorization
    write("admin_bodies", "bearer", op(6) + b"Bearer fuzz-admin-token")
    write("admin_bodies", "bearer-wrong", op(6) + b"bearer  fuzz-admin-toke")
    # 7 any route
    write("admin_bodies", "route-predict", op(7) + b"POST /predict\n" + dumps({"features": [0.1] * 10}))
    write("admin_bodies", "route-v2", op(7) + b"POST /v2/models/iris/versions/1.0.0/infer\n" + dumps(
        {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}))
    write("admin_bodies", "route-models", op(7) + b"GET /models/churn/versions/1.1.0\n")
    write("admin_bodies", "route-metrics", op(7, 0, 1) + b"GET /metrics\n")
    write("admin_bodies", "route-options", op(7) + b"OPTIONS /models/news/predict\n")


DICTS = {
    "request": ['"record"', '"instances"', '"features"', '"explain"', '"inputs"', '"outputs"',
                '"parameters"', '"name"', '"shape"', '"datatype"', '"data"', '"FP32"', '"FP64"',
                '"BYTES"', '"BOOL"', '"INT64"', '"input"', '"probabilities"', '"label"', "true",
                "false", "null", "1e308", "-0.0", "NaN", '"\\u0000"', '"\\ud800"', "[[", "]]",
                '"text"', '"contract"', '"tenure"', '"month-to-month"', '"sepal_length"',
                '"feature_0"'],
    "bundle": ['"format_version"', '"task"', '"classification"', '"regression"', '"classes"',
               '"input"', '"type"', '"number"', '"category"', '"text"', '"bool"', '"nullable"',
               '"featurizer"', '"pipeline"', '"steps"', '"column_transformer"', '"n_features"',
               '"model"', '"file"', '"model.onnx"', '"label"', '"probabilities"', '"scores"',
               '"value"', '"accepts_nan"', '"profile"', '"explain"', '"files"', '"golden.json"',
               '"explain.json"', '"tolerance"', '"rows"', '"prediction"', "\\x0a--8<--\\x0a",
               "TreeEnsembleClassifier", "TreeEnsembleRegressor", "LinearClassifier",
               "LinearRegressor", "ai.onnx.ml", "nodes_modes", "BRANCH_LEQ", "BRANCH_GTE", "LEAF",
               "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values",
               "nodes_truenodeids", "nodes_falsenodeids", "class_weights", "class_ids",
               "target_weights", "post_transform", "SOFTMAX", "LOGISTIC", "NONE", "coefficients",
               "intercepts", "classlabels_ints", "classlabels_strings", "Normalizer", "ZipMap",
               "Cast", "ArgMax", "Softmax", "MatMul", "Add", "Sub", "Div", "Relu", "Gemm",
               "Identity", "Reshape", "Scaler",
               # Format 4's featurizer steps and their parameters.
               '"binarizer"', '"normalizer"', '"ordinal_encoder"', '"function"', '"polynomial"',
               '"projection"', '"select"', '"missing_indicator"', '"power"', '"kbins"',
               '"target_encoder"', '"quantile"', '"analyzer"', '"char"', '"char_wb"', '"edges"',
               '"lambdas"', '"yeo-johnson"', '"box-cox"', '"quantiles"', '"references"',
               '"uniform"', '"normal"', '"encodings"', '"target_mean"', '"powers"',
               '"components"', '"columns"', '"error_on_new"', '"threshold"', '"func"',
               '"log1p"'],
    "csv": ['"', '""', ",", "\\x0d\\x0a", "\\x0a", "\\xef\\xbb\\xbf", "NaN", "inf", "1e309",
            "true", "yes", "sepal_length", "tenure", "contract", "text", "feature_0",
            "month-to-month"],
    "admin_bodies": ['"split"', '"sticky_header"', '"shadow"', '"model"', '"live"', '"versions"',
                     '"1.0.0"', '"1.1.0"', '"id"', '"label"', '"value"', '"@ID@"', '"@OLD@"',
                     '"counters"', '"histograms"', '"labels"', '"name"', '"buckets"', '"sum"',
                     '"count"', '"requests"', '"rows"', '"requests_seen"', '"rows_seen"',
                     '"status"', '"error"', '"ms"', '"p"', '"s"', '"capacity"', '"models"', '"n"',
                     '"correct"', '"abs_error"', '"sq_error"', "Bearer ", "\\x0a--8<--\\x0a",
                     "/admin/models/", "/models/", "/v2/models/", "/traffic", "/feedback",
                     "/monitor", "/predict", "/infer", "/versions/", "GET ", "PUT ", "POST ",
                     "OPTIONS ", "18446744073709551615", "1e308"],
}


def dicts():
    d = os.path.join(FUZZ, "dict")
    os.makedirs(d, exist_ok=True)
    for target, words in DICTS.items():
        with open(os.path.join(d, f"{target}.dict"), "w") as f:
            for w in words:
                f.write('"' + w.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\x", "\\x") + '"\n')


if __name__ == "__main__":
    shutil.rmtree(os.path.join(FUZZ, "corpus"), ignore_errors=True)
    request_corpus()
    bundle_corpus()
    onnx_corpus()
    csv_corpus()
    admin_corpus()
    dicts()
    for t in sorted(os.listdir(os.path.join(FUZZ, "corpus"))):
        files = os.listdir(os.path.join(FUZZ, "corpus", t))
        size = sum(os.path.getsize(os.path.join(FUZZ, "corpus", t, f)) for f in files)
        print(f"{t}: {len(files)} files, {size} bytes")
