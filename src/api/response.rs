//! Response bodies. One row: `prediction` (+ `probabilities` or `scores`); several rows:
//! `predictions` (+ a row of probabilities/scores per prediction). Both carry the model's
//! `classes` (classification), `model` and `version`.

use serde::Serialize;

/// A class label exactly as in sklearn's `classes_`, or a regression value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Prediction {
    Class(serde_json::Value),
    /// Serialized with f32's shortest round-trip digits.
    Value(f32),
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
    pub probabilities: Option<Vec<f32>>,
    /// Decision-function scores, for classifiers without `predict_proba` (LinearSVC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<f32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<serde_json::Value>>,
    pub model: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchResponse {
    pub predictions: Vec<Prediction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<Vec<f32>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<Vec<f32>>>,
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
