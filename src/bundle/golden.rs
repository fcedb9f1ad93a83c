//! `golden.json`: raw inputs with sklearn's answers, replayed by `wasmpredict check` and tests.

use crate::error::BundleError;
use serde::Deserialize;

pub const GOLDEN_FILE: &str = "golden.json";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Golden {
    /// Largest absolute difference allowed between our probabilities/scores/values and sklearn's
    /// (sklearn computes in float64, the ONNX graph in float32).
    pub tolerance: f64,
    /// Relative tolerance added for regression values (`tolerance + rel * |expected|`).
    #[serde(default)]
    pub relative_tolerance: f64,
    pub rows: Vec<GoldenRow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenRow {
    /// The raw record as `{"field": value}`.
    pub input: serde_json::Map<String, serde_json::Value>,
    /// sklearn's `predict` (a class label or a regression value).
    pub prediction: serde_json::Value,
    #[serde(default)]
    pub probabilities: Option<Vec<f64>>,
    #[serde(default)]
    pub scores: Option<Vec<f64>>,
}

impl Golden {
    pub fn parse(bytes: &[u8]) -> Result<Golden, BundleError> {
        serde_json::from_slice(bytes).map_err(|e| BundleError::Golden(e.to_string()))
    }
}
