"""XGBoost and LightGBM for the exporter: onnxmltools' converters registered with skl2onnx (so a
booster can be a Pipeline's last step like any sklearn estimator), the settings a graph cannot
carry refused by name, the booster's missing-value routing checked against the graph, and the
trees' node covers for explanations.

Nothing here imports xgboost, lightgbm or onnxmltools unless such a model is exported.
"""

from __future__ import annotations

import copy
import json
import math
import warnings

from .errors import ExportError

XGBOOST_ESTIMATORS = ("XGBClassifier", "XGBRegressor")
LIGHTGBM_ESTIMATORS = ("LGBMClassifier", "LGBMRegressor")
BOOSTER_ESTIMATORS = XGBOOST_ESTIMATORS + LIGHTGBM_ESTIMATORS
# Checked with the missing-value routing: enough rows to reach most default directions.
MISSING_CHECK_ROWS = 200


def is_booster(est):
    return type(est).__name__ in BOOSTER_ESTIMATORS


def check_booster(est):
    """Refuses, by name, what onnxmltools' graphs cannot compute as the booster does."""
    name = type(est).__name__
    if name in XGBOOST_ESTIMATORS:
        booster = est.get_booster()
        config = json.loads(booster.save_config())
        kind = config["learner"]["gradient_booster"]["name"]
        if kind == "gblinear":
            raise ExportError(f"{name}(booster='gblinear') is not supported: only tree boosters (gbtree, dart)")
        missing = est.missing
        if missing is not None and not (isinstance(missing, float) and math.isnan(missing)):
            raise ExportError(f"{name}(missing={missing!r}) is not supported: a graph routes only NaN as missing; use missing=np.nan")
        targets = int(config["learner"]["learner_model_param"].get("num_target", "1"))
        if targets != 1:
            raise ExportError(f"{name} with {targets} targets is not supported; only single-target models")
        if "c" in (booster.feature_types or []):
            raise ExportError(f"{name} with categorical features (enable_categorical) is not supported; one-hot encode those columns in the pipeline")
        return
    params = est.get_params()
    if params.get("linear_tree"):
        raise ExportError(f"{name}(linear_tree=True) is not supported: its leaves are linear models")
    if params.get("zero_as_missing"):
        raise ExportError(f"{name}(zero_as_missing=True) is not supported: a graph tells zero from missing")
    for tree in est.booster_.dump_model()["tree_info"]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_index" not in node:
                continue
            if node.get("decision_type") != "<=":
                raise ExportError(f"{name} with categorical splits is not supported; one-hot encode those columns in the pipeline")
            stack += [node["left_child"], node["right_child"]]


def convertible(est):
    """The booster as onnxmltools' converter reads it, its converter registered with skl2onnx.
    XGBoost's converter reads split features only as `f<i>`: a model fitted on a DataFrame is
    converted from a copy without feature names (the graph's input is positional anyway)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    name = type(est).__name__
    try:
        if name in XGBOOST_ESTIMATORS:
            from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost as convert
        else:
            from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm as convert
    except ImportError as e:
        raise ExportError(f"exporting {name} needs onnxmltools: pip install onnxmltools ({e})") from e
    classifier = hasattr(est, "classes_")
    shapes = calculate_linear_classifier_output_shapes if classifier else calculate_linear_regressor_output_shapes
    options = {"nocl": [True, False], "zipmap": [True, False, "columns"]} if classifier else None
    library = "XGBoost" if name in XGBOOST_ESTIMATORS else "LightGbm"
    update_registered_converter(type(est), library + name, shapes, convert, options=options)
    if name in XGBOOST_ESTIMATORS and est.get_booster().feature_names is not None:
        est = copy.deepcopy(est)
        est.get_booster().feature_names = None
    return est


def routes_missing_like_the_graph(est, onx, xt):
    """Whether the graph sends NaN where the booster does: each feature in turn set to NaN on the
    sample's first rows, the graph's answers (onnxruntime) against the booster's. Where they
    differ (a LightGBM split that treats missing as zero, say), the bundle must not feed NaN."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    rows = np.asarray(xt[:MISSING_CHECK_ROWS], dtype=np.float64)
    classifier = hasattr(est, "classes_")
    with warnings.catch_warnings():
        # A booster fitted on a DataFrame warns at every array; the columns are in its order.
        warnings.simplefilter("ignore", UserWarning)
        return all(_same_with_nan(est, session, rows, j, classifier) for j in range(rows.shape[1]))


def _same_with_nan(est, session, rows, j, classifier):
    """Feature `j` missing on every row: the graph's answers equal the booster's?"""
    import numpy as np

    x = rows.copy()
    x[:, j] = np.nan
    outs = session.run(None, {"input": x.astype(np.float32)})
    if classifier:
        got, want = outs[1], est.predict_proba(x)
        tolerance = 1e-4
    else:
        got, want = outs[0].reshape(-1), est.predict(x)
        tolerance = 1e-4 * (1 + np.abs(want))
    return not np.any(np.abs(got.reshape(want.shape) - want) > tolerance)


def fitted_trees(est):
    """The booster's trees as nested dicts {feature, yes, no, cover} (a leaf: {cover}), `yes` being
    the child the graph takes when its comparison holds (XGBoost's `x < t`: yes; LightGBM's
    `x <= t`: the left child), in the booster's tree order. Covers are what shap weighs paths by:
    XGBoost's hessian sums, LightGBM's row counts."""
    name = type(est).__name__
    if name in XGBOOST_ESTIMATORS:
        booster = est.get_booster()
        names = booster.feature_names

        def feature(split):
            return names.index(split) if names is not None and split in names else int(split[1:])

        def walk(n):
            if "leaf" in n:
                return {"cover": float(n["cover"])}
            children = {c["nodeid"]: c for c in n["children"]}
            return {"feature": feature(n["split"]), "yes": walk(children[n["yes"]]), "no": walk(children[n["no"]]), "cover": float(n["cover"])}

        return [walk(json.loads(t)) for t in booster.get_dump(dump_format="json", with_stats=True)]
    trees = est.booster_.dump_model()["tree_info"]
    rows = max((t["tree_structure"].get("internal_count", 0) for t in trees), default=0) or 1

    def walk(n):
        if "split_index" not in n:
            # A one-leaf tree has no count; any positive cover gives its expected value, the leaf.
            return {"cover": float(n.get("leaf_count", rows))}
        return {"feature": int(n["split_feature"]), "yes": walk(n["left_child"]), "no": walk(n["right_child"]), "cover": float(n["internal_count"])}

    return [walk(t["tree_structure"]) for t in trees]


def booster_covers(est, graph):
    """explain.json's covers: each tree of the graph (`{node id: (feature, true id, false id) or
    None}` per tree, in tree id order) walked beside the booster's tree of the same rank, node for
    node (same split features, same leaves), each cover stored at its graph node id."""
    fitted = fitted_trees(est)
    if len(fitted) != len(graph):
        raise ExportError(f"internal: the graph of {type(est).__name__} has {len(graph)} trees, the booster {len(fitted)}")
    covers = []
    for rank, (nodes, tree) in enumerate(zip(graph, fitted)):
        mismatch = ExportError(f"internal: tree {rank} of the graph does not match the booster's node by node; cannot write the node covers explanations need")
        children = {c for split in nodes.values() if split is not None for c in split[1:]}
        roots = [n for n in nodes if n not in children]
        if len(roots) != 1:
            raise mismatch
        cover = [0.0] * (max(nodes) + 1)
        seen = 0
        stack = [(roots[0], tree)]
        while stack:
            node_id, fitted_node = stack.pop()
            if node_id not in nodes:
                raise mismatch
            split = nodes[node_id]
            if (split is None) != ("feature" not in fitted_node) or (split is not None and split[0] != fitted_node["feature"]):
                raise mismatch
            cover[node_id] = fitted_node["cover"]
            seen += 1
            if split is not None:
                stack += [(split[1], fitted_node["yes"]), (split[2], fitted_node["no"])]
        if seen != len(nodes):
            raise mismatch
        covers.append(cover)
    return covers
