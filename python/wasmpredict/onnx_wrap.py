"""`export_onnx`: any ONNX graph with one float32 input [N, F] wrapped as a bundle (a network
exported from PyTorch or Keras), answers from onnxruntime."""

from __future__ import annotations

import json
import os

from .bundle import write_bundle
from .errors import ExportError
from .estimators import CLASSIFICATION_TOLERANCE, REGRESSION_RELATIVE_TOLERANCE, REGRESSION_TOLERANCE
from .exporter import EXPORTER, FORMAT_VERSION, load_sample
from .jsonable import to_label, to_py_record
from .profile import class_histogram, number_histogram, prediction_margin, training_profile
from .schema import field_stats, pd_types


# ONNX ops that wasmpredict's tract build does not run (left out to keep the wasm small, see
# vendor/README.md, or absent from tract): a wrapped graph with one of them is refused.
TRACT_MISSING_OPS = frozenset(
    "Conv ConvInteger ConvTranspose QLinearConv AveragePool MaxPool GlobalAveragePool GlobalLpPool "
    "GlobalMaxPool BatchNormalization GroupNormalization InstanceNormalization LayerNormalization "
    "RMSNormalization SimplifiedLayerNormalization SkipLayerNormalization "
    "SkipSimplifiedLayerNormalization LRN MeanVarianceNormalization Attention GroupQueryAttention "
    "MultiHeadAttention RotaryEmbedding Gelu BiasGelu FastGelu QuickGelu MatMulNBits "
    "GatherBlockQuantized MatMulInteger QLinearMatMul GridSample Resize NonMaxSuppression Multinomial "
    "DepthToSpace SpaceToDepth DFT STFT MelWeightMatrix BlackmanWindow HammingWindow HannWindow "
    "QuantizeLinear DequantizeLinear DynamicQuantizeLinear RandomUniform RandomUniformLike "
    "RandomNormal RandomNormalLike GRU LSTM RNN Scan Loop".split()
)
WRAPPED_GRAPH_NAME = "wasmpredict_wrapped"
WRAPPED_GRAPH_NAME = "wasmpredict_wrapped"


def one_line(e):
    """An exception as one short line (onnxruntime's source location and C++ signature dropped)."""
    import re

    text = " ".join(str(e).split())
    text = re.sub(r"\S*onnxruntime_src/\S+:\d+ .*?\) (?=[A-Z])", "", text)
    return text if len(text) <= 300 else text[:297] + "..."


def parse_classes(text):
    """`--classes A,B,C`: integers when every label is one, else strings."""
    labels = [c.strip() for c in text.split(",")]
    if any(not c for c in labels):
        raise ExportError(f"--classes {text!r} has an empty label")
    try:
        return [int(c) for c in labels]
    except ValueError:
        return labels


def _tensor_type_name(elem_type):
    from onnx import TensorProto

    return TensorProto.DataType.Name(elem_type) if elem_type in TensorProto.DataType.values() else str(elem_type)


def _unique_namer(graph):
    taken = {i.name for i in graph.input} | {o.name for o in graph.output} | {i.name for i in graph.initializer}
    for node in graph.node:
        taken.update(node.output)
        taken.add(node.name)

    def unique(base):
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    return unique


def export_onnx(onnx_model, sample, name, out, version="1.0.0", description=None, golden_rows=50, task=None, classes=None, output=None, logits=False):
    """Wraps an ONNX graph with one float32 input [N, F] (an onnx ModelProto or a file) as a
    bundle, with `sample` (a DataFrame or a CSV of F numeric columns) as its raw input schema."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ExportError(f"invalid bundle name {name!r}")
    if task not in (None, "classification", "regression"):
        raise ExportError(f"task must be classification or regression, got {task!r}")

    # The graph.
    out_dir = out
    onnx_path = onnx_model if isinstance(onnx_model, (str, os.PathLike)) else "the ONNX model"
    try:
        if isinstance(onnx_model, (str, os.PathLike)):
            with open(onnx_model, "rb") as fh:
                raw = fh.read()
        else:
            raw = onnx_model.SerializeToString()
        model = onnx.load_model_from_string(raw)
        onnx.checker.check_model(model)
    except Exception as e:
        raise ExportError(f"cannot load {onnx_path} as an ONNX model: {one_line(e)}") from e
    graph = model.graph
    if not graph.node or not graph.output:
        raise ExportError(f"cannot load {onnx_path} as an ONNX model: the graph has no nodes or no outputs")
    domains = sorted({n.domain for n in graph.node if n.domain not in ("", "ai.onnx", "ai.onnx.ml")})
    if domains:
        raise ExportError(f"the graph uses operators of domain {', '.join(domains)}, which tract does not run; export it with standard ONNX operators only")
    missing_ops = sorted({n.op_type for n in graph.node if n.op_type in TRACT_MISSING_OPS})
    if missing_ops:
        raise ExportError(f"the graph uses {', '.join(missing_ops)}, which wasmpredict's tract engine does not include (see vendor/README.md); supported are dense layers (MatMul/Gemm), activations, Softmax, arithmetic, shape and indexing ops")

    # Its single float32 [N, F] input.
    initializers = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ExportError(f"the graph has {len(inputs)} runtime inputs ({', '.join(i.name for i in inputs) or 'none'}); wasmpredict feeds exactly one float32 input of shape [N, F]")
    graph_input = inputs[0]
    tensor_type = graph_input.type.tensor_type
    if not graph_input.type.HasField("tensor_type") or tensor_type.elem_type != TensorProto.FLOAT:
        kind = _tensor_type_name(tensor_type.elem_type) if graph_input.type.HasField("tensor_type") else "not a tensor"
        raise ExportError(f"the graph's input {graph_input.name!r} is {kind}; wasmpredict feeds float32 [N, F] (export the network in float32)")
    width = None
    if tensor_type.HasField("shape"):
        dims = tensor_type.shape.dim
        if len(dims) != 2:
            raise ExportError(f"the graph's input {graph_input.name!r} has rank {len(dims)}; wasmpredict feeds a matrix [N, F] (one row of F features per example)")
        if dims[0].HasField("dim_value"):
            raise ExportError(
                f"the graph's input {graph_input.name!r} has a fixed batch size of {dims[0].dim_value}; export it with a dynamic first dimension "
                "(PyTorch: torch.onnx.export(..., dynamic_axes={'input': {0: 'N'}}))"
            )
        if dims[1].HasField("dim_value"):
            width = int(dims[1].dim_value)

    # The sample: the raw schema, F numeric columns.
    df = load_sample(sample)
    non_numeric = [str(c) for c in df.columns if pd_types().is_bool_dtype(df[c].dtype) or not pd_types().is_numeric_dtype(df[c].dtype)]
    if non_numeric:
        raise ExportError(f"every sample column must be numeric (the graph reads float32 features); these are not: {non_numeric}")
    fields = [str(c) for c in df.columns]
    if width is not None and width != len(fields):
        raise ExportError(f"the graph's input {graph_input.name!r} takes {width} columns but the sample has {len(fields)}: {fields}")
    n_features = len(fields)
    complete = df[df.notna().all(axis=1)]
    if len(complete) == 0:
        raise ExportError(f"{sample if isinstance(sample, (str, os.PathLike)) else 'the sample frame'} has no row without missing values")
    golden_frame = complete.head(golden_rows)
    x = golden_frame.to_numpy(dtype=np.float32)

    # The output.
    names = [o.name for o in graph.output]
    if output is not None and output not in names:
        raise ExportError(f"output {output!r} not found; the graph's outputs: {', '.join(names)}")
    if output is None and len(names) > 1:
        raise ExportError(f"the graph has {len(names)} outputs ({', '.join(names)}); choose one with --output")
    output = output or names[0]
    try:
        session = ort.InferenceSession(raw, providers=["CPUExecutionProvider"])
        (out,) = session.run([output], {graph_input.name: x})
    except Exception as e:
        hint = " (save the model with an older IR version, e.g. model.ir_version = 10)" if "IR version" in str(e) else ""
        raise ExportError(f"onnxruntime cannot run the graph on {len(x)} sample rows: {one_line(e)}{hint}") from e
    out = np.asarray(out)
    if out.dtype != np.float32:
        raise ExportError(f"output {output!r} is {out.dtype}; wasmpredict reads a float32 output ([N] or [N, 1] for regression, [N, C] for classification)")
    shown = "[" + ", ".join(["N"] + [str(d) for d in out.shape[1:]]) + "]"
    if out.ndim not in (1, 2) or out.shape[0] != len(x) or (out.ndim == 2 and out.shape[1] == 0):
        shown = f"{list(out.shape)} for {len(x)} rows"
        raise ExportError(f"unsupported output shape: {output!r} has shape {shown}; expected [N] or [N, 1] (regression) or [N, C] (classification)")
    width_out = 1 if out.ndim == 1 else int(out.shape[1])
    task = task or ("classification" if width_out >= 2 else "regression")
    if task == "regression" and width_out != 1:
        raise ExportError(f"unsupported output shape for regression: {output!r} has shape {shown}; regression reads one value per row ([N] or [N, 1])")
    if task == "classification" and width_out < 2:
        raise ExportError(f"unsupported output shape for classification: {output!r} has shape {shown}; classification reads one column per class ([N, C], C >= 2)")
    if not np.isfinite(out).all():
        raise ExportError(f"output {output!r} is not finite on some sample rows")
    if task == "regression" and (classes is not None or logits):
        raise ExportError("--classes and --logits apply only to classification")

    if task == "classification":
        if classes is None:
            classes = list(range(width_out))
        classes = list(classes)
        if len(classes) != width_out:
            raise ExportError(f"--classes gives {len(classes)} labels but output {output!r} has {width_out} columns (one per class)")
        is_int = all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in classes)
        if not is_int and not all(isinstance(c, str) for c in classes):
            raise ExportError("class labels must be all integers or all strings")
        classes = [int(c) for c in classes] if is_int else [str(c) for c in classes]
        if len(set(classes)) != len(classes):
            raise ExportError(f"class labels must be distinct, got {classes}")
        if not logits:
            rows_sum = out.sum(axis=1)
            if out.min() < -1e-5 or out.max() > 1 + 1e-5 or np.max(np.abs(rows_sum - 1)) > 1e-3:
                raise ExportError(f"output {output!r} does not hold probabilities (rows do not sum to 1); pass --logits if it holds raw scores")

    # The bundle's graph: the user's, plus (classification) Softmax, ArgMax and the label lookup.
    wrapped = onnx.ModelProto()
    wrapped.CopyFrom(model)
    g = wrapped.graph
    g.name = WRAPPED_GRAPH_NAME
    model_spec = {"file": "model.onnx", "input": graph_input.name, "accepts_nan": False}
    if task == "classification":
        unique = _unique_namer(g)
        out_info = next(o for o in g.output if o.name == output)
        if logits:
            probabilities = unique("probabilities")
            g.node.append(helper.make_node("Softmax", [output], [probabilities], name=unique("wasmpredict_softmax"), axis=1))
            prob_info = helper.make_tensor_value_info(probabilities, TensorProto.FLOAT, [None, width_out])
        else:
            probabilities = output
            prob_info = onnx.ValueInfoProto()
            prob_info.CopyFrom(out_info)
        index, table, label = unique("label_index"), unique("class_labels"), unique("label")
        g.node.append(helper.make_node("ArgMax", [probabilities], [index], name=unique("wasmpredict_argmax"), axis=1, keepdims=0))
        if isinstance(classes[0], int):
            g.initializer.append(numpy_helper.from_array(np.array(classes, dtype=np.int64), table))
            label_type = TensorProto.INT64
        else:
            g.initializer.append(helper.make_tensor(table, TensorProto.STRING, [len(classes)], [c.encode("utf-8") for c in classes]))
            label_type = TensorProto.STRING
        g.node.append(helper.make_node("Gather", [table, index], [label], name=unique("wasmpredict_label"), axis=0))
        del g.output[:]
        g.output.extend([helper.make_tensor_value_info(label, label_type, [None]), prob_info])
        if not any(o.domain in ("", "ai.onnx") for o in wrapped.opset_import):
            wrapped.opset_import.append(helper.make_opsetid("", 13))
        model_spec["label"] = label
        model_spec["probabilities"] = probabilities
    else:
        model_spec["value"] = output
    try:
        onnx.checker.check_model(wrapped)
        data = wrapped.SerializeToString()
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        answers = session.run([model_spec.get("label") or output] + ([model_spec["probabilities"]] if task == "classification" else []), {graph_input.name: x})
    except Exception as e:
        raise ExportError(f"internal: the wrapped graph does not run: {one_line(e)}") from e

    # Golden rows: onnxruntime's answers on the first complete sample rows.
    golden = {
        "tolerance": CLASSIFICATION_TOLERANCE if task == "classification" else REGRESSION_TOLERANCE,
        "relative_tolerance": 0.0 if task == "classification" else REGRESSION_RELATIVE_TOLERANCE,
        "rows": [],
    }
    records = golden_frame.to_dict("records")
    if task == "classification":
        labels, probs = answers[0].reshape(-1), np.asarray(answers[1], dtype=np.float64)
        expected = out.astype(np.float64)
        if logits:
            e = np.exp(expected - expected.max(axis=1, keepdims=True))
            expected = e / e.sum(axis=1, keepdims=True)
        if np.max(np.abs(probs - expected)) > CLASSIFICATION_TOLERANCE or [to_label(v) for v in labels] != [classes[i] for i in np.argmax(probs, axis=1)]:
            raise ExportError("internal: the appended Softmax/ArgMax/label nodes disagree with the graph's output")
        for i, record in enumerate(records):
            golden["rows"].append({"input": to_py_record(record), "prediction": to_label(labels[i]), "probabilities": [float(p) for p in probs[i]]})
    else:
        values = answers[0].reshape(-1)
        for i, record in enumerate(records):
            golden["rows"].append({"input": to_py_record(record), "prediction": float(values[i])})

    # The profile: every sample row; the predictions of the complete ones (the others have no
    # answer: a wrapped graph takes no missing value), as onnxruntime gives them.
    try:
        (all_answers,) = session.run([model_spec.get("label") or output], {graph_input.name: complete.to_numpy(dtype=np.float32)})
    except Exception as e:
        raise ExportError(f"onnxruntime cannot run the graph on the {len(complete)} complete sample rows: {one_line(e)}") from e
    if task == "classification":
        predicted = class_histogram(classes, [to_label(v) for v in all_answers.reshape(-1)], len(df))
    else:
        values_all = np.full(len(df), np.nan)
        values_all[np.flatnonzero(df.notna().all(axis=1).to_numpy())] = all_answers.reshape(-1)
        predicted = number_histogram(values_all, prediction_margin)
    input_fields = [{"name": f, "type": "number", "nullable": False, "stats": field_stats(df[c], "number")} for f, c in zip(fields, df.columns)]
    featurizer = {"type": "pipeline", "steps": []}
    profile = training_profile(df.rename(columns=dict(zip(df.columns, fields))), input_fields, {}, predicted)

    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p) or "unknown producer"
    files = {
        "model.onnx": data,
        "golden.json": (json.dumps(golden, allow_nan=False, ensure_ascii=False) + "\n").encode(),
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": version,
        "description": description,
        "created_by": f"{EXPORTER}, wrapped from ONNX ({producer}; onnx {onnx.__version__}, onnxruntime {ort.__version__})",
        "task": task,
        "estimator": "ONNX",
        "classes": classes if task == "classification" else None,
        "input": input_fields,
        "featurizer": featurizer,
        "n_features": n_features,
        "model": model_spec,
        "profile": profile,
    }
    return write_bundle(out_dir, manifest, files)
