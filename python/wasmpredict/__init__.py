"""wasmpredict in Python: a fitted scikit-learn model (or an XGBoost / LightGBM one, or any ONNX
graph with one float32 input) exported as a bundle, and a bundle loaded into the Rust core with
the estimator API (`predict`, `predict_proba`, ...).

    import wasmpredict
    wasmpredict.export(model, sample_frame, name="churn", out="models/churn", version="1.0.0")
    m = wasmpredict.load("models/churn/1.0.0")
    m.predict_proba(frame)

`export` checks the converted graph against the model (onnxruntime), then replays the golden
rows through wasmpredict itself (the Rust core, in process) before it writes anything. The same
is a command: `wasmpredict-export --model M.joblib --sample S.csv --name N --out DIR`. Spark:
`wasmpredict.spark.predict(df, path)`.
"""

from .errors import BundleError, ExportError, PredictError
from .model import FORMAT_VERSION, Model, load
from .exporter import export  # noqa: I001 (after .model, whose import explains a missing native module)
from .onnx_wrap import export_onnx

__all__ = ["BundleError", "ExportError", "FORMAT_VERSION", "Model", "PredictError", "export", "export_onnx", "load"]
__version__ = "0.1.0"
