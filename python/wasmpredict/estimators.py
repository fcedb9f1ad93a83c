"""The last step of a Pipeline: which estimators are supported, their conversion by skl2onnx
(or onnxmltools for boosters), the converted graph checked against them, and what explanations
need beside the graph."""

from __future__ import annotations

from .boosters import BOOSTER_ESTIMATORS, booster_covers, check_booster, convertible, is_booster
from .errors import ExportError
from .linear_family import LINEAR_REGRESSORS, head_of, linear_classifier_graph


# Classifiers whose graph is one LinearClassifier (written by skl2onnx, or by linear_family).
LINEAR_CLASSIFIERS = (
    "LogisticRegression", "LogisticRegressionCV", "LinearSVC", "SGDClassifier", "Perceptron",
    "PassiveAggressiveClassifier", "RidgeClassifier", "RidgeClassifierCV", "LinearDiscriminantAnalysis",
    "MultinomialNB", "ComplementNB", "BernoulliNB",
)
SUPPORTED_ESTIMATORS = LINEAR_CLASSIFIERS + LINEAR_REGRESSORS + (
    "QuadraticDiscriminantAnalysis", "GaussianNB",
    "DecisionTreeClassifier", "DecisionTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor",
    "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
    "MLPClassifier", "MLPRegressor",
    "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor",
)
# Estimators whose graphs the compact engine does not cover: their bundles run on tract.
TRACT_ESTIMATORS = ("QuadraticDiscriminantAnalysis", "GaussianNB", "MLPClassifier", "MLPRegressor")
# Estimators whose exported graph routes NaN features itself (nodes_missing_value_tracks_true).
# A booster's routing is also checked against the booster column by column before it is trusted.
ACCEPTS_NAN = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor") + BOOSTER_ESTIMATORS
# Estimators whose predictions wasmpredict explains (docs/explanations.md): exact linear
# contributions against the sample's feature means, TreeSHAP with the trees' node covers.
# SGDClassifier(loss="modified_huber") is the one whose graph is not a linear node (its scores
# are clipped): explain_data checks the graph, not only the name.
LINEAR_ESTIMATORS = LINEAR_CLASSIFIERS + LINEAR_REGRESSORS
TREE_ESTIMATORS = (
    "DecisionTreeClassifier", "DecisionTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor",
    "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
) + BOOSTER_ESTIMATORS

# What to use instead of an unsupported estimator, where something close is supported.
ALTERNATIVES = {
    "SVC": "LinearSVC (a linear kernel), or LogisticRegression for probabilities",
    "NuSVC": "LinearSVC (a linear kernel), or LogisticRegression for probabilities",
    "SVR": "LinearSVR (a linear kernel)",
    "NuSVR": "LinearSVR (a linear kernel)",
    "KernelRidge": "Ridge",
    "OneVsRestClassifier": "the estimator itself (LogisticRegression, LinearSVC and SGDClassifier are one-vs-rest already)",
    "CategoricalNB": "OneHotEncoder + BernoulliNB",
    "PoissonRegressor": "HistGradientBoostingRegressor",
    "GammaRegressor": "HistGradientBoostingRegressor",
    "TweedieRegressor": "HistGradientBoostingRegressor",
    "QuantileRegressor": "HuberRegressor",
    "TheilSenRegressor": "HuberRegressor",
    "RANSACRegressor": "HuberRegressor",
    "OrthogonalMatchingPursuit": "Lars",
}


def refusal(kind, name, alternatives):
    """The one line an unsupported class is refused with."""
    alt = alternatives.get(name)
    closest = f"; the closest supported is {alt}" if alt else ""
    return f"{kind} {name} is not supported{closest} (docs/models.md lists every supported class)"


CLASSIFICATION_TOLERANCE = 1e-5
REGRESSION_TOLERANCE = 1e-4
REGRESSION_RELATIVE_TOLERANCE = 1e-5


def _patch_skl2onnx_bool_attributes():
    """skl2onnx 1.20 + sklearn 1.9 put Python bools in nodes_missing_value_tracks_true, which
    onnx refuses ('Expected an int, got a boolean') for HistGradientBoosting: cast them to int."""
    from skl2onnx.common import _container

    original = _container.ModelComponentContainer.add_node
    if getattr(original, "_wasmpredict_patched", False):
        return

    def add_node(self, op_type, inputs, outputs, op_domain="", op_version=None, name=None, **attrs):
        for key, value in list(attrs.items()):
            if key.endswith("missing_value_tracks_true") and value is not None:
                attrs[key] = [int(v) for v in value]
        return original(self, op_type, inputs, outputs, op_domain=op_domain, op_version=op_version, name=name, **attrs)

    add_node._wasmpredict_patched = True
    _container.ModelComponentContainer.add_node = add_node


def split_pipeline(model):
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        steps = [s for _, s in model.steps]
        return steps[:-1], steps[-1]
    return [], model


def check_estimator(est):
    name = type(est).__name__
    if name not in SUPPORTED_ESTIMATORS:
        raise ExportError(refusal("estimator", name, ALTERNATIVES))
    if is_booster(est):
        check_booster(est)
    if getattr(est, "is_categorical_", None) is not None and bool(est.is_categorical_.any()):
        raise ExportError(f"{name} with categorical_features is not supported; one-hot encode those columns in the pipeline")
    if name == "SGDClassifier" and est.loss == "modified_huber":
        raise ExportError("SGDClassifier(loss='modified_huber') is not supported (its probabilities are clipped scores); use loss='log_loss' for probabilities or loss='hinge' for decision scores")
    if name == "MLPRegressor" and est.loss != "squared_error":
        raise ExportError(f"MLPRegressor(loss={est.loss!r}) is not supported (skl2onnx cannot convert its output activation); use loss='squared_error'")
    if name == "MLPClassifier" and est._label_binarizer.y_type_ == "multilabel-indicator":
        raise ExportError("a multilabel MLPClassifier (fitted on a 2-D indicator target) is not supported; fit one label column of integers or strings")
    classes = getattr(est, "classes_", None)
    if classes is not None:
        import numpy as np

        for c in classes:
            if isinstance(c, (bool, np.bool_)) or not isinstance(c, (str, int, np.integer)):
                raise ExportError(f"class labels must be integers or strings, got {c!r} ({type(c).__name__}); encode the target first")
            if name == "MLPClassifier" and isinstance(c, (int, np.integer)) and not -(2**31) <= int(c) < 2**31:
                raise ExportError(f"MLPClassifier class label {int(c)} does not fit in 32 bits (skl2onnx stores MLP labels as int32); encode the target as 0..n-1 first")
    elif getattr(est, "n_outputs_", 1) != 1 or (hasattr(est, "coef_") and getattr(est.coef_, "ndim", 1) > 1):
        raise ExportError("only single-target regression is supported")


def convert_estimator(est, n_features):
    _patch_skl2onnx_bool_attributes()
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    if head_of(est) is not None:
        return linear_classifier_graph(est, n_features)
    if is_booster(est):
        est = convertible(est)
    options = {id(est): {"zipmap": False}} if hasattr(est, "predict_proba") else None
    try:
        onx = convert_sklearn(
            est,
            initial_types=[("input", FloatTensorType([None, n_features]))],
            options=options,
            target_opset={"": 17, "ai.onnx.ml": 3},
        )
    except Exception as e:  # skl2onnx raises many types
        raise ExportError(f"skl2onnx could not convert {type(est).__name__}: {e}") from e
    # skl2onnx names the graph with a random UUID; a fixed name keeps bundles reproducible.
    onx.graph.name = type(est).__name__
    return onx


def f32_number(x):
    """A float64 as the shortest decimal that reads back as the same float32: the graph computes
    in float32, and ~9 digits keep explain.json small."""
    import numpy as np

    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def sklearn_trees(est):
    """The fitted trees of a tree estimator as (children_left, feature, cover) arrays (a leaf has
    children_left -1), in every order skl2onnx may number them."""
    import numpy as np

    def tree_arrays(t):
        return t.children_left, t.feature, t.weighted_n_node_samples

    def hgb_arrays(predictor):
        nodes = predictor.nodes
        left = np.where(nodes["is_leaf"].astype(bool), -1, nodes["left"].astype(np.int64))
        return left, nodes["feature_idx"].astype(np.int64), nodes["count"].astype(np.float64)

    name = type(est).__name__
    if name.startswith("DecisionTree"):
        return [[tree_arrays(est.tree_)]]
    if name.startswith(("RandomForest", "ExtraTrees")):
        return [[tree_arrays(e.tree_) for e in est.estimators_]]
    if name.startswith("GradientBoosting"):
        grid = est.estimators_
        by_iteration = [tree_arrays(grid[i, k].tree_) for i in range(grid.shape[0]) for k in range(grid.shape[1])]
        by_class = [tree_arrays(grid[i, k].tree_) for k in range(grid.shape[1]) for i in range(grid.shape[0])]
        return [by_iteration, by_class]
    if name.startswith("HistGradientBoosting"):
        grid = est._predictors
        k_n = len(grid[0])
        by_iteration = [hgb_arrays(grid[i][k]) for i in range(len(grid)) for k in range(k_n)]
        by_class = [hgb_arrays(grid[i][k]) for k in range(k_n) for i in range(len(grid))]
        return [by_iteration, by_class]
    return []


def onnx_tree_splits(onx):
    """Per tree id of the graph's tree ensemble (in id order): {node id: (feature id, true node
    id, false node id), or None for a leaf}."""
    from onnx import helper

    node = next(n for n in onx.graph.node if n.op_type.startswith("TreeEnsemble"))
    a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
    trees = {}
    for t, n, f, mode, yes, no in zip(a["nodes_treeids"], a["nodes_nodeids"], a["nodes_featureids"], a["nodes_modes"], a["nodes_truenodeids"], a["nodes_falsenodeids"]):
        trees.setdefault(t, {})[n] = None if mode in (b"LEAF", "LEAF") else (f, yes, no)
    return [trees[t] for t in sorted(trees)]


def onnx_trees(onx):
    """Per tree id of the graph's tree ensemble: {node id: feature id, or None for a leaf}."""
    return [{n: None if split is None else split[0] for n, split in tree.items()} for tree in onnx_tree_splits(onx)]


def explain_data(est, xt, onx):
    """explain.json: what wasmpredict needs beside the graph to explain a prediction, or None for
    estimators it does not explain. Linear models: the model features' means over the sample
    (contributions are w·(x - mean), as shap's LinearExplainer computes them). Trees: each
    node's cover (training rows through it), which an ONNX tree does not carry and TreeSHAP
    weighs paths by; matched to the graph's trees node by node."""
    import numpy as np

    name = type(est).__name__
    if name in LINEAR_ESTIMATORS and any(n.op_type in ("LinearClassifier", "LinearRegressor") for n in onx.graph.node):
        means = np.asarray(xt, dtype=np.float64).mean(axis=0)
        return {"kind": "linear", "feature_means": [f32_number(m) for m in means]}
    if name not in TREE_ESTIMATORS:
        return None
    if is_booster(est):
        return {"kind": "trees", "covers": booster_covers(est, onnx_tree_splits(onx))}
    graph = onnx_trees(onx)
    for order in sklearn_trees(est):
        if len(order) != len(graph):
            continue
        same = all(
            len(g) == len(left) and all(
                (g.get(i, "absent") is None) == (left[i] == -1) and (left[i] == -1 or g.get(i) == feature[i])
                for i in range(len(left))
            )
            for g, (left, feature, _) in zip(graph, order)
        )
        if same:
            covers = [[float(c) for c in cover] for _, _, cover in order]
            return {"kind": "trees", "covers": covers}
    raise ExportError(f"internal: the ONNX trees of {name} do not match its fitted trees node by node; cannot write the node covers explanations need")


def dense(x):
    import numpy as np

    if hasattr(x, "toarray"):
        x = x.toarray()
    return np.asarray(x, dtype=np.float64)


def sklearn_answers(model, est, x):
    """predict plus predict_proba (or decision_function for classifiers without it)."""
    import numpy as np

    pred = model.predict(x)
    probs = scores = None
    if hasattr(est, "classes_"):
        if hasattr(model, "predict_proba"):
            probs = np.asarray(model.predict_proba(x), dtype=float)
        else:
            scores = np.asarray(model.decision_function(x), dtype=float)
            if scores.ndim == 1:
                scores = scores.reshape(-1, 1)
    return pred, probs, scores


def verify_with_onnxruntime(onx, est, xt, probs, scores, pred, tolerance):
    """The converted graph must agree with sklearn on the transformed sample."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    outs = session.run(None, {"input": xt.astype(np.float32)})
    if hasattr(est, "classes_"):
        second = probs if probs is not None else scores
        diff = float(np.max(np.abs(outs[1].reshape(second.shape) - second))) if len(second) else 0.0
        if diff > tolerance * 10:
            raise ExportError(f"the converted graph disagrees with sklearn (max difference {diff:.3g}); this estimator/setting is not exported faithfully by skl2onnx")
        if type(est).__name__ == "MLPClassifier" and probs is not None and len(probs):
            # An MLP's label comes from its own ArgMax/lookup path, not from the estimator op:
            # check it against sklearn's predict too; skip near-ties.
            labels = [v.decode() if isinstance(v, bytes) else v for v in outs[0].reshape(-1)]
            top2 = np.sort(probs, axis=1)[:, -2:] if probs.shape[1] > 1 else np.zeros((len(probs), 2))
            clear = (top2[:, 1] - top2[:, 0]) > tolerance * 10
            wrong = [i for i in np.flatnonzero(clear) if labels[i] != pred[i]]
            if wrong:
                raise ExportError(f"the converted graph's label disagrees with sklearn's predict on {len(wrong)} sample rows")
    else:
        got = outs[0].reshape(-1)
        diff = float(np.max(np.abs(got - pred) / (1 + np.abs(pred)))) if len(pred) else 0.0
        if diff > 1e-3:
            raise ExportError(f"the converted graph disagrees with sklearn (max relative difference {diff:.3g})")
