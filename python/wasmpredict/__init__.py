"""wasmpredict's exporter: a fitted scikit-learn model (or an XGBoost / LightGBM one, or any ONNX
graph with one float32 input) and a sample of raw rows to a bundle that wasmpredict serves in the
browser, at the edge and natively, answering exactly what the model answers.

    import wasmpredict
    wasmpredict.export(model, sample_frame, name="churn", out="models/churn", version="1.0.0")

`export` checks the converted graph against the model (onnxruntime), then replays the golden
rows through wasmpredict itself (`wasmpredict check`) before it writes anything. The same is a
command: `wasmpredict-export --model M.joblib --sample S.csv --name N --out DIR`.
"""

from .errors import ExportError
from .exporter import FORMAT_VERSION, export
from .onnx_wrap import export_onnx

__all__ = ["ExportError", "FORMAT_VERSION", "export", "export_onnx"]
__version__ = "0.1.0"
