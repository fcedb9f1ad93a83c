#!/usr/bin/env python3
"""The fixture matrix: which scikit-learn classes the fixtures cover, the cases added for the
estimator families beyond the first twenty, and docs/models.md rendered from the built fixtures.

make_fixtures.py builds every case (its older case lists and `matrix_cases` here) and writes
`_matrix/cases.json`: per fixture, the scikit-learn classes its model is made of. The table in
docs/models.md is rendered from that file and the bundles themselves (engine, explanations,
tolerance), so it cannot claim what no fixture shows; tests/python/test_models_doc.py fails when
the committed page differs. After changing the matrix:

    .venv/bin/python tests/python/model_matrix.py docs [target/fixtures]
"""

from __future__ import annotations

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "models.md")

# Containers: they hold the classes that matter, they are not listed themselves.
CONTAINERS = ("Pipeline",)


def subjects(model):
    """The scikit-learn (or booster) classes `model` is made of, outermost first, each once."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    found = []

    def walk(m):
        if m is None or isinstance(m, str):
            return
        name = type(m).__name__
        if name == "FunctionTransformer" and m.func is None:
            return  # how a fitted ColumnTransformer spells 'passthrough'
        if name not in CONTAINERS and name not in found:
            found.append(name)
        if isinstance(m, Pipeline):
            for _, s in m.steps:
                walk(s)
        elif isinstance(m, ColumnTransformer):
            for _, t, _ in getattr(m, "transformers_", m.transformers):
                walk(t)

    walk(model)
    return found


def matrix_cases(numeric_frame, corpus):
    """name -> (model, frame, y, to_input): the linear family, discriminant analysis and naive
    Bayes, on dense rows (binary, multiclass with string labels, regression) and, for the models
    text classifiers use, on sparse count / tf-idf rows."""
    import numpy as np
    from sklearn import discriminant_analysis as da
    from sklearn import linear_model as lm
    from sklearn import naive_bayes as nb
    from sklearn import svm
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    d2, y2 = numeric_frame(classes=2, seed=21)
    d3, y3 = numeric_frame(classes=3, seed=22)
    s3 = np.array(["low", "mid", "high"])[y3]
    dr, _ = numeric_frame(classes=2, seed=23)
    yr = dr["x0"] * 3 - dr["x1"] + 2 * dr["x4"] + np.random.default_rng(23).normal(size=len(dr)) + 10
    counts2 = d2.abs().round(1)
    counts3 = d3.abs().round(1)
    same = lambda f: f  # noqa: E731
    texts = corpus()
    tx, ty = texts[["text"]], texts["category"]
    text = lambda f: f["text"].tolist()  # noqa: E731
    scaled = lambda est: make_pipeline(StandardScaler(), est)  # noqa: E731

    cases = {}

    def both(name, make, regression=False):
        if regression:
            cases[name] = (make(), dr, yr, same)
        else:
            cases[f"{name}-binary"] = (make(), d2, y2, same)
            cases[f"{name}-multiclass"] = (make(), d3, s3, same)

    both("sgd-hinge", lambda: scaled(lm.SGDClassifier(random_state=0)))
    both("sgd-log-loss", lambda: scaled(lm.SGDClassifier(loss="log_loss", random_state=0)))
    both("perceptron", lambda: lm.Perceptron(random_state=0))
    both("passive-aggressive", lambda: lm.PassiveAggressiveClassifier(random_state=0))
    both("ridge-classifier", lambda: lm.RidgeClassifier(alpha=2.0))
    both("ridge-classifier-cv", lambda: lm.RidgeClassifierCV())
    both("logistic-regression-cv", lambda: lm.LogisticRegressionCV(max_iter=1000))
    both("lda", lambda: da.LinearDiscriminantAnalysis())
    both("qda", lambda: da.QuadraticDiscriminantAnalysis(reg_param=0.05))
    both("gaussian-nb", lambda: nb.GaussianNB())
    for name, est in {
        "sgd-regressor": lambda: scaled(lm.SGDRegressor(random_state=0)),
        "passive-aggressive-regressor": lambda: lm.PassiveAggressiveRegressor(random_state=0),
        "lasso": lambda: lm.Lasso(alpha=0.05),
        "lasso-cv": lambda: lm.LassoCV(),
        "elastic-net": lambda: lm.ElasticNet(alpha=0.05),
        "elastic-net-cv": lambda: lm.ElasticNetCV(),
        "lars": lambda: lm.Lars(),
        "lars-cv": lambda: lm.LarsCV(),
        "lasso-lars": lambda: lm.LassoLars(alpha=0.01),
        "bayesian-ridge": lambda: lm.BayesianRidge(),
        "ard-regression": lambda: lm.ARDRegression(),
        "huber": lambda: lm.HuberRegressor(),
        "ridge-cv": lambda: lm.RidgeCV(),
        "linear-svr": lambda: scaled(svm.LinearSVR(random_state=0, max_iter=5000)),
    }.items():
        both(name, est, regression=True)
    # Naive Bayes on counts: dense numbers, and the spam / news classifier's sparse text rows.
    for name, make in {"multinomial-nb": nb.MultinomialNB, "complement-nb": nb.ComplementNB}.items():
        cases[f"{name}-binary"] = (make(), counts2, y2, same)
        cases[f"{name}-multiclass"] = (make(), counts3, s3, same)
    cases["bernoulli-nb-binary"] = (nb.BernoulliNB(binarize=None), (d2 > 0).astype(float), y2, same)
    cases["count-multinomial-nb"] = (make_pipeline(CountVectorizer(), nb.MultinomialNB()), tx, ty, text)
    cases["count-bigrams-multinomial-nb"] = (make_pipeline(CountVectorizer(ngram_range=(1, 2), min_df=2), nb.MultinomialNB(alpha=0.1)), tx, ty, text)
    cases["tfidf-complement-nb"] = (make_pipeline(TfidfVectorizer(), nb.ComplementNB()), tx, ty, text)
    cases["binary-counts-bernoulli-nb"] = (make_pipeline(CountVectorizer(binary=True), nb.BernoulliNB(binarize=None)), tx, ty, text)
    cases["tfidf-sgd"] = (make_pipeline(TfidfVectorizer(), lm.SGDClassifier(random_state=0)), tx, ty, text)
    cases["tfidf-ridge-classifier"] = (make_pipeline(TfidfVectorizer(), lm.RidgeClassifier()), tx, ty, text)
    cases["tfidf-passive-aggressive"] = (make_pipeline(TfidfVectorizer(), lm.PassiveAggressiveClassifier(random_state=0)), tx, ty, text)
    return cases


def transformer_cases(numeric_frame, mixed_frame, corpus):
    """name -> (model, frame, y, to_input): each transformer of format 4 before a linear model
    (whose answer moves with every feature value, so a wrong feature shows)."""
    import numpy as np
    from sklearn import decomposition, feature_selection as fs
    from sklearn import linear_model as lm
    from sklearn import naive_bayes as nb
    from sklearn import preprocessing as pp
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.pipeline import make_pipeline

    d3, y3 = numeric_frame(classes=3, seed=31)
    dn, yn = numeric_frame(classes=2, seed=32, nan=True)
    dr, _ = numeric_frame(classes=2, seed=33)
    yr = dr["x0"] * 3 - dr["x1"] * dr["x2"] + dr["x3"] ** 2 + 10
    mixed, m2, m3, mr = mixed_frame(seed=34)
    num, cat = ["age", "income", "visits"], ["plan", "region", "smoker"]
    texts = corpus()
    tx, ty = texts[["text"]], texts["category"]
    same = lambda f: f  # noqa: E731
    text = lambda f: f["text"].tolist()  # noqa: E731
    lr = lambda: lm.LogisticRegression(max_iter=2000)  # noqa: E731
    imputed = lambda *steps: ColumnTransformer([("n", make_pipeline(SimpleImputer(), *steps), num)])  # noqa: E731
    return {
        "robust-scaler": (make_pipeline(pp.RobustScaler(quantile_range=(10, 90)), lr()), d3, y3, same),
        "max-abs-scaler": (make_pipeline(pp.MaxAbsScaler(), lr()), d3, y3, same),
        "binarizer": (make_pipeline(pp.Binarizer(threshold=0.3), lr()), d3, y3, same),
        "normalizer-l1": (make_pipeline(pp.Normalizer(norm="l1"), lr()), d3, y3, same),
        "normalizer-l2": (make_pipeline(pp.Normalizer(), lr()), d3, y3, same),
        "normalizer-max": (make_pipeline(pp.Normalizer(norm="max"), lr()), d3, y3, same),
        "ordinal-encoder": (
            make_pipeline(
                ColumnTransformer([
                    ("c", pp.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2), cat),
                    ("n", SimpleImputer(), num),
                ]),
                pp.StandardScaler(),
                lr(),
            ),
            mixed, m2, same,
        ),
        "function-log1p": (make_pipeline(imputed(pp.FunctionTransformer(np.log1p)), lr()), mixed, m2, same),
        "function-sqrt-abs": (make_pipeline(pp.FunctionTransformer(np.abs), pp.FunctionTransformer(np.sqrt), lr()), d3, y3, same),
        "polynomial-degree-2": (make_pipeline(pp.StandardScaler(), pp.PolynomialFeatures(2), lm.Ridge()), dr, yr, same),
        "polynomial-interactions": (make_pipeline(pp.PolynomialFeatures(3, interaction_only=True, include_bias=False), lr()), d3, y3, same),
        "pca": (make_pipeline(pp.StandardScaler(), decomposition.PCA(3), lr()), d3, y3, same),
        "pca-whiten": (make_pipeline(decomposition.PCA(4, whiten=True), lr()), d3, y3, same),
        "tfidf-truncated-svd": (make_pipeline(TfidfVectorizer(), decomposition.TruncatedSVD(20, random_state=0), lr()), tx, ty, text),
        "select-k-best": (make_pipeline(fs.SelectKBest(k=3), lr()), d3, y3, same),
        "select-percentile": (make_pipeline(fs.SelectPercentile(percentile=50), lr()), d3, y3, same),
        "variance-threshold": (make_pipeline(fs.VarianceThreshold(0.9), lr()), d3, y3, same),
        "select-from-model": (make_pipeline(fs.SelectFromModel(lm.Lasso(alpha=0.05)), lm.LinearRegression()), dr, yr, same),
        "selectors-chained": (
            make_pipeline(
                fs.SelectFpr(alpha=0.9), fs.SelectFdr(alpha=0.9), fs.SelectFwe(alpha=0.9),
                fs.GenericUnivariateSelect(mode="k_best", param=5), fs.RFE(lm.LogisticRegression(max_iter=1000), n_features_to_select=4), lr(),
            ),
            d3, y3, same,
        ),
        "rfecv-sequential-selector": (
            make_pipeline(fs.RFECV(lm.LinearRegression(), cv=3), fs.SequentialFeatureSelector(lm.LinearRegression(), n_features_to_select=2, cv=3), lm.LinearRegression()),
            dr, yr, same,
        ),
        "imputer-add-indicator": (make_pipeline(SimpleImputer(add_indicator=True), lr()), dn, yn, same),
        "missing-indicator": (
            make_pipeline(ColumnTransformer([("imp", SimpleImputer(), ["x0", "x1", "x2"]), ("ind", MissingIndicator(error_on_new=False), ["x0", "x1", "x2"])]), lr()),
            dn, yn, same,
        ),
        "count-tfidf-transformer": (make_pipeline(CountVectorizer(), TfidfTransformer(sublinear_tf=True), nb.ComplementNB()), tx, ty, text),
        "char-ngrams": (make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2), lr()), tx, ty, text),
        "char-wb-ngrams": (
            make_pipeline(CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False, max_features=500), nb.MultinomialNB()),
            tx, ty, text,
        ),
        "power-yeo-johnson": (make_pipeline(pp.PowerTransformer(), lr()), d3, y3, same),
        "power-box-cox": (
            make_pipeline(
                ColumnTransformer([
                    ("p", make_pipeline(SimpleImputer(), pp.PowerTransformer(method="box-cox", standardize=False)), ["income"]),
                    ("n", SimpleImputer(), ["age", "visits"]),
                ]),
                lr(),
            ),
            mixed, m2, same,
        ),
        "kbins-onehot-quantile": (
            make_pipeline(pp.KBinsDiscretizer(n_bins=5, quantile_method="averaged_inverted_cdf"), lr()), d3, y3, same,
        ),
        "kbins-ordinal-uniform": (make_pipeline(pp.KBinsDiscretizer(n_bins=4, encode="ordinal", strategy="uniform"), lr()), d3, y3, same),
        "quantile-uniform": (make_pipeline(pp.QuantileTransformer(n_quantiles=50), lr()), d3, y3, same),
        "quantile-normal-nan": (
            make_pipeline(pp.QuantileTransformer(n_quantiles=100, output_distribution="normal"), SimpleImputer(), lr()), dn, yn, same,
        ),
        "quantile-normal-repeats": (
            make_pipeline(
                ColumnTransformer([("q", make_pipeline(SimpleImputer(), pp.QuantileTransformer(n_quantiles=40, output_distribution="normal")), ["visits", "age"])]),
                lm.Ridge(),
            ),
            mixed, mr, same,
        ),
        "target-encoder-binary": (
            make_pipeline(
                ColumnTransformer([("t", pp.TargetEncoder(random_state=0), cat), ("n", SimpleImputer(), num)]), lr(),
            ),
            mixed, m2, same,
        ),
        "target-encoder-multiclass": (
            make_pipeline(ColumnTransformer([("t", pp.TargetEncoder(random_state=0), cat), ("n", SimpleImputer(), num)]), lr()),
            mixed, m3, same,
        ),
        "target-encoder-continuous": (
            make_pipeline(ColumnTransformer([("t", pp.TargetEncoder(smooth=5.0, random_state=0), cat), ("n", SimpleImputer(), num)]), lm.Ridge()),
            mixed, mr, same,
        ),
        "kbins-onehot-dense-kmeans": (
            make_pipeline(pp.KBinsDiscretizer(n_bins=3, encode="onehot-dense", strategy="kmeans"), lm.Ridge()), dr, yr, same,
        ),
    }


def record(out, name, model, matrix=False, engine=None):
    """Adds fixture `name`, its classes and the engine its bundle must land on to
    `_matrix/cases.json` under `out` (the engine tests in Rust, the Worker and the page read it);
    `matrix` marks the cases of this file (the Worker test embeds those beside its own). `model`
    is None for a plain ONNX graph, which runs on tract."""
    from wasmpredict.estimators import TRACT_ESTIMATORS

    path = os.path.join(out, "_matrix", "cases.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cases = json.load(open(path)) if os.path.exists(path) else {}
    classes = subjects(model) if model is not None else []
    if engine is None:
        engine = "tract" if model is None or any(c in TRACT_ESTIMATORS for c in classes) else "compact"
    cases[name] = {"classes": classes, "matrix": matrix, "engine": engine}
    with open(path, "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)


def coverage(fixtures):
    """class -> [(fixture, manifest, golden tolerance, relative tolerance)], from the built
    fixtures."""
    cases = json.load(open(os.path.join(fixtures, "_matrix", "cases.json")))
    by_class = {}
    for name, case in sorted(cases.items()):
        classes = case["classes"]
        d = os.path.join(fixtures, name)
        manifest = json.load(open(os.path.join(d, "manifest.json")))
        golden = json.load(open(os.path.join(d, "golden.json")))
        for c in classes:
            by_class.setdefault(c, []).append((name, manifest, golden["tolerance"], golden.get("relative_tolerance", 0.0)))
    return by_class


def render(fixtures, engine_of):
    """docs/models.md. `engine_of(fixture dir)` names the engine that runs a bundle."""
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from wasmpredict.estimators import SUPPORTED_ESTIMATORS
    from wasmpredict.featurizer import SUPPORTED_TRANSFORMER_CLASSES, mixes_fields

    by_class = coverage(fixtures)

    def explanations(manifests):
        kinds = set()
        # A pipeline whose features mix fields has none whatever its estimator (noted below).
        for m, d in [(m, d) for m, d in manifests if not mixes_fields(m["featurizer"])]:
            if "explain" not in m:
                kinds.add("no")
            else:
                kinds.add(json.load(open(os.path.join(d, m["explain"])))["kind"])
        return ", ".join(sorted({"linear": "exact (linear)", "trees": "TreeSHAP", "no": "no"}[k] for k in kinds))

    def tolerance(rows):
        out = set()
        for _, m, tol, rel in rows:
            if m["task"] == "classification":
                out.add(f"labels equal, {'probabilities' if m['model'].get('probabilities') else 'scores'} ±{tol:g}")
            else:
                out.add(f"±({tol:g} + {rel:g}·|y|)")
        return "; ".join(sorted(out))

    lines = [
        "# Supported models",
        "",
        "<!-- Generated by tests/python/model_matrix.py from the fixture matrix; do not edit. -->",
        "",
        "Every class below is exported by `wasmpredict.export` (and `models/export.py`), its bundle's",
        "golden rows replayed by wasmpredict before the bundle is written, and each row is backed by",
        "the fixtures named beside it: `./test.sh` builds them with scikit-learn and checks their",
        "answers natively, in the Worker and in the JS predictor. The table is rendered from those",
        "fixtures (`tests/python/test_models_doc.py` fails when it differs).",
        "",
        "- **engine**: `compact` is wasmpredict's own evaluator (small, in every build); `tract` runs",
        "  the graphs it does not cover (the browser fetches the tract build only for those).",
        "- **explanations**: what `\"explain\": true` answers (docs/explanations.md); `no` answers 400",
        "  `explanation_unavailable`. A pipeline with `PolynomialFeatures`, `PCA` or `TruncatedSVD` has",
        "  none whatever its estimator: their features mix raw fields.",
        "- **tolerance**: how far an answer may be from scikit-learn's own `predict_proba`,",
        "  `decision_function` or `predict` (labels are always equal).",
        "",
        "Anything else is refused at export, in one line naming it (docs/export.md).",
        "",
        "## Estimators (the pipeline's last step)",
        "",
        "| scikit-learn class | engine | explanations | tolerance | fixtures |",
        "|---|---|---|---|---|",
    ]
    missing = []
    for est in sorted(SUPPORTED_ESTIMATORS, key=str.lower):
        rows = [r for r in by_class.get(est, []) if r[1]["estimator"] == est]
        if not rows:
            missing.append(est)
            continue
        engines = ", ".join(sorted({engine_of(os.path.join(fixtures, n)) for n, *_ in rows}))
        expl = explanations([(m, os.path.join(fixtures, n)) for n, m, *_ in rows])
        names = ", ".join(f"`{n}`" for n, *_ in rows)
        lines.append(f"| `{est}` | {engines} | {expl} | {tolerance(rows)} | {names} |")
    lines += [
        "",
        "## Transformers (the steps before it)",
        "",
        "They run in wasmpredict's featurizer (Rust, `src/featurize/`), in float64 as scikit-learn does;",
        "`tests/featurize.rs` compares their output with scikit-learn's `transform` on the golden rows.",
        "",
        "| scikit-learn class | fixtures |",
        "|---|---|",
    ]
    for t in sorted(SUPPORTED_TRANSFORMER_CLASSES, key=str.lower):
        rows = by_class.get(t, [])
        if not rows:
            missing.append(t)
            continue
        lines.append(f"| `{t}` | {', '.join(f'`{n}`' for n, *_ in rows)} |")
    if missing:
        raise SystemExit(f"no fixture covers {', '.join(missing)}: add a case to the matrix")
    return "\n".join(lines) + "\n"


def native_engine(bundle_dir):
    import wasmpredict

    return wasmpredict.load(bundle_dir).engine


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "docs":
        raise SystemExit("usage: model_matrix.py docs [FIXTURES]")
    sys.path.insert(0, os.path.join(ROOT, "python"))
    fixtures = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target", "fixtures")
    with open(DOC, "w") as f:
        f.write(render(fixtures, native_engine))
    print(f"wrote {DOC}")
