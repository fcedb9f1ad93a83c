"""Estimators whose answer is a linear function of the features, written as one `ai.onnx.ml`
LinearClassifier (or LinearRegressor) node: the compact engine runs it, sparse text rows stay
sparse, and explanations are exact contributions.

skl2onnx writes MatMul graphs for some of these (SGDClassifier, Perceptron, PassiveAggressive),
which only tract runs, and naive Bayes graphs that densify a text row; here each is the same
node whatever sklearn class it came from, with the head that reproduces the estimator's own
`predict_proba` or `decision_function`:

- `decision`: no probabilities, the decision function as scores (one column for two classes);
- `logistic`: sigmoid of each class's score, normalised to sum 1 (SGDClassifier(log_loss),
  LinearDiscriminantAnalysis with two classes);
- `softmax`: softmax of the scores (LinearDiscriminantAnalysis with more classes; naive Bayes,
  whose `predict_proba` is `exp(jll - logsumexp(jll))` of the joint log-likelihood)."""

from __future__ import annotations

from .errors import ExportError

# Final estimators whose graph is written here, by the head their answer needs.
DECISION_CLASSIFIERS = ("Perceptron", "PassiveAggressiveClassifier", "RidgeClassifier", "RidgeClassifierCV")
NAIVE_BAYES_LINEAR = ("MultinomialNB", "ComplementNB", "BernoulliNB")
# Regressors skl2onnx writes as one LinearRegressor from coef_ and intercept_.
LINEAR_REGRESSORS = (
    "LinearRegression", "Ridge", "RidgeCV", "SGDRegressor", "PassiveAggressiveRegressor",
    "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "Lars", "LarsCV", "LassoLars",
    "BayesianRidge", "ARDRegression", "HuberRegressor", "LinearSVR",
)


def head_of(est):
    """How the estimator's answer comes out of its linear scores, or None when the graph is not
    written here (skl2onnx's own converter is exact for it)."""
    name = type(est).__name__
    if name in DECISION_CLASSIFIERS:
        return "decision"
    if name == "SGDClassifier":
        # check_estimator refuses modified_huber (its probabilities are clipped scores).
        return "logistic" if est.loss == "log_loss" else "decision"
    if name == "LinearDiscriminantAnalysis":
        return "logistic" if len(est.classes_) == 2 else "softmax"
    if name in NAIVE_BAYES_LINEAR:
        return "softmax"
    return None


def naive_bayes_weights(est):
    """(coefficients [k, n], intercepts [k]) of the joint log-likelihood sklearn's
    `_joint_log_likelihood` computes, on features already binarized for BernoulliNB."""
    import numpy as np

    name = type(est).__name__
    flp = np.asarray(est.feature_log_prob_, dtype=np.float64)
    prior = np.asarray(est.class_log_prior_, dtype=np.float64)
    if name == "MultinomialNB":
        return flp, prior
    if name == "ComplementNB":
        # sklearn adds the prior only when there is a single class.
        return flp, prior if len(est.classes_) == 1 else np.zeros_like(prior)
    if name == "BernoulliNB":
        neg = np.log(1 - np.exp(flp))
        return flp - neg, prior + neg.sum(axis=1)
    raise ExportError(f"internal: {name} is not a linear naive Bayes model")


def weights_of(est, head):
    """(coefficients [k, n], intercepts [k]) in float64."""
    import numpy as np

    if type(est).__name__ in NAIVE_BAYES_LINEAR:
        return naive_bayes_weights(est)
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    if intercept.shape == (1,) and coef.shape[0] > 1:
        intercept = np.repeat(intercept, coef.shape[0])
    return coef, intercept


def linear_classifier_graph(est, n_features):
    """The ONNX graph of a linear classifier with head `head_of(est)`: outputs `label` and
    `probabilities` (or `scores`)."""
    import numpy as np
    from onnx import TensorProto, helper

    head = head_of(est)
    coef, intercept = weights_of(est, head)
    classes = list(est.classes_)
    if coef.shape[1] != n_features:
        raise ExportError(f"{type(est).__name__} has {coef.shape[1]} coefficients per class for {n_features} features")
    if len(classes) < 2:
        raise ExportError(f"{type(est).__name__} was fitted on a single class; a classifier needs at least two")
    one_score = coef.shape[0] == 1
    if one_score:
        # Two classes, one score s: rows [-s, s] make the label argmax = (s > 0) as sklearn,
        # and the logistic of each is [1 - p, p].
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    if head == "softmax" and len(classes) > 1:
        # Softmax only sees differences between classes: subtracting class 0's row leaves the
        # answer as it is and keeps the float32 weights small (log-probabilities of a large
        # vocabulary are around -10 each; their differences are a few units).
        coef = coef - coef[0]
        intercept = intercept - intercept[0]
    attrs = {
        "coefficients": [float(v) for v in coef.reshape(-1)],
        "intercepts": [float(v) for v in intercept],
        "multi_class": 0,
        "post_transform": {"decision": "NONE", "logistic": "LOGISTIC", "softmax": "SOFTMAX"}[head],
    }
    if all(isinstance(c, str) for c in classes):
        attrs["classlabels_strings"] = [str(c) for c in classes]
        label_type = TensorProto.STRING
    else:
        attrs["classlabels_ints"] = [int(c) for c in classes]
        label_type = TensorProto.INT64
    nodes = [helper.make_node("LinearClassifier", ["input"], ["label", "raw"], domain="ai.onnx.ml", **attrs)]
    inits = []
    second = "probabilities" if head != "decision" else "scores"
    width = len(classes)
    if head == "decision" and one_score:
        inits.append(helper.make_tensor("positive", TensorProto.INT64, [1], [1]))
        nodes.append(helper.make_node("ArrayFeatureExtractor", ["raw", "positive"], [second], domain="ai.onnx.ml"))
        width = 1
    elif head == "logistic" and not one_score:
        nodes.append(helper.make_node("Normalizer", ["raw"], [second], domain="ai.onnx.ml", norm="L1"))
    else:
        nodes[0].output[1] = second
    graph = helper.make_graph(
        nodes,
        type(est).__name__,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, n_features])],
        [
            helper.make_tensor_value_info("label", label_type, [None]),
            helper.make_tensor_value_info(second, TensorProto.FLOAT, [None, width]),
        ],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
        producer_name="wasmpredict",
    )
    model.ir_version = 8  # what skl2onnx writes for these opsets, and what onnxruntime reads
    return model
