//! The core's errors as the Python package's exceptions (`wasmpredict/errors.py`):
//! `PredictError`, a `ValueError` carrying the HTTP API's error code and field, and
//! `BundleError` for a bundle that does not load. The classes are defined in Python, so that
//! they pickle and document as ordinary Python classes.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use wasmpredict::error::ApiError;

/// A refused request: `PredictError(message, code, field)`.
pub fn predict_error(py: Python<'_>, e: ApiError) -> PyErr {
    let built = py
        .import("wasmpredict.errors")
        .and_then(|m| m.getattr("PredictError"))
        .and_then(|c| c.call1((e.message.as_str(), e.code.name(), e.field.as_deref())));
    match built {
        Ok(error) => PyErr::from_value(error),
        Err(_) => PyValueError::new_err(e.message),
    }
}

/// A bundle that does not load or check: `BundleError(message)`.
pub fn bundle_error(py: Python<'_>, message: String) -> PyErr {
    let built = py
        .import("wasmpredict.errors")
        .and_then(|m| m.getattr("BundleError"))
        .and_then(|c| c.call1((message.as_str(),)));
    match built {
        Ok(error) => PyErr::from_value(error),
        Err(_) => PyValueError::new_err(message),
    }
}
