#!/usr/bin/env python3
"""Export a fitted scikit-learn estimator or Pipeline (its last step may be XGBoost or LightGBM), or
wrap an ONNX graph, as a wasmpredict bundle:

    python3 models/export.py --model FITTED.joblib --sample SAMPLE.csv --name NAME --out DIR [--version V]
    python3 models/export.py --onnx NET.onnx --sample SAMPLE.csv --name NAME --out DIR [--task T]
        [--classes A,B,...] [--output NAME] [--logits] [--version V]

A thin wrapper: the exporter is the `wasmpredict` Python package in python/ (`pip install ./python`
gives the same as `wasmpredict-export`, and `wasmpredict.export(model, frame, ...)` in a notebook).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))

from wasmpredict import ExportError, export, export_onnx  # noqa: E402,F401
from wasmpredict.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
