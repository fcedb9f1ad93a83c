"""The exporter's command line (`wasmpredict-export`, `python -m wasmpredict`, models/export.py)."""

from __future__ import annotations

import argparse
import sys
import warnings

from .errors import ExportError
from .estimators import SUPPORTED_ESTIMATORS
from .exporter import export
from .featurizer import SUPPORTED_TRANSFORMERS
from .onnx_wrap import export_onnx, parse_classes


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Export a fitted scikit-learn model (--model), or wrap an ONNX graph with one float32 input [N, F] (--onnx), as a wasmpredict bundle.",
        epilog=f"Supported estimators: {', '.join(SUPPORTED_ESTIMATORS)}. Transformers: {SUPPORTED_TRANSFORMERS}.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="fitted estimator or Pipeline saved with joblib")
    source.add_argument("--onnx", help="an ONNX graph with one float32 input [N, F] (e.g. a network exported from PyTorch or Keras) to wrap as is")
    parser.add_argument("--sample", required=True, help="CSV of raw rows with a header: the raw input schema; golden predictions and field statistics come from it (with --onnx: F numeric columns)")
    parser.add_argument("--name", required=True, help="bundle name (used in URLs: /models/NAME/predict)")
    parser.add_argument("--out", required=True, help="bundle directory to write (replaced atomically)")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--description", default=None)
    parser.add_argument("--golden-rows", type=int, default=50, help="sample rows to store in golden.json (default 50)")
    wrap = parser.add_argument_group("with --onnx")
    wrap.add_argument("--task", choices=["classification", "regression"], help="default: an output [N] or [N, 1] is regression, [N, C] with C >= 2 classification")
    wrap.add_argument("--classes", help="class labels of the C output columns, comma-separated integers or strings (default 0..C-1)")
    wrap.add_argument("--output", help="the graph output to use when it has several")
    wrap.add_argument("--logits", action="store_true", help="the output holds raw scores: append a Softmax so the bundle answers probabilities")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        if args.onnx is not None:
            classes = parse_classes(args.classes) if args.classes is not None else None
            manifest = export_onnx(
                args.onnx, args.sample, args.name, args.out, args.version, args.description, args.golden_rows,
                task=args.task, classes=classes, output=args.output, logits=args.logits,
            )
        else:
            used = [flag for flag, value in (("--task", args.task), ("--classes", args.classes), ("--output", args.output), ("--logits", args.logits)) if value]
            if used:
                raise ExportError(f"{', '.join(used)} apply only with --onnx")
            manifest = export(args.model, args.sample, args.name, args.out, args.version, args.description, args.golden_rows)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {manifest['estimator']} ({manifest['task']}), {len(manifest['input'])} fields -> {manifest['n_features']} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
