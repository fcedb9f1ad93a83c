//! Response bodies. One row: `prediction` (+ `probabilities` or `scores`); several rows:
//! `predictions` (+ a row of probabilities/scores per prediction). Both carry the model's
//! `classes` (classification), `model` and `version`.

use serde::Serialize;

/// A class label exactly as in sklearn's `classes_`, or a regression value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Prediction {
    Class(serde_json::Value),
    /// A regression value (see [`decimal`]).
    Value(f64),
}

/// The graph computes in f32; widening 0.97f32 to f64 would print 0.9700000286102295 in every
/// JSON encoder (serde_json's Value, serde-wasm-bindgen). This keeps f32's shortest round-trip
/// decimal instead, so responses read like sklearn's numbers.
pub fn decimal(x: f32) -> f64 {
    if !x.is_finite() {
        return f64::from(x);
    }
    let mut buf = ryu::Buffer::new();
    buf.format_finite(x).parse().unwrap_or(f64::from(x))
}

pub fn decimals(xs: &[f32]) -> Vec<f64> {
    xs.iter().copied().map(decimal).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    Single(SingleResponse),
    Batch(BatchResponse),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SingleResponse {
    pub prediction: Prediction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    /// Decision-function scores, for classifiers without `predict_proba` (LinearSVC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<serde_json::Value>>,
    pub model: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchResponse {
    pub predictions: Vec<Prediction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<serde_json::Value>>,
    pub model: String,
    pub version: String,
}

/// The error body: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a crate::error::ApiError,
}
