//! Response bodies. One row: `prediction` (+ `probabilities` or `scores`); several rows:
//! `predictions` (+ a row of probabilities/scores per prediction). Both carry the model's
//! `classes` (classification), `model` and `version`.

use crate::decimal::write_f32;
use crate::explain::Explanation;
use serde::Serialize;

/// A class label exactly as in sklearn's `classes_`, or a regression value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Prediction {
    Class(serde_json::Value),
    /// A regression value (see [`crate::decimal::decimal`]).
    Value(f64),
}

/// Adds `"name": value` as the last member of the JSON object in `json` (which ends with its
/// `}`), where serializing the response struct would put a member declared last.
pub fn push_member(
    json: &mut Vec<u8>,
    name: &str,
    value: &impl Serialize,
) -> serde_json::Result<()> {
    let close = json.pop();
    json.push(b',');
    serde_json::to_writer(&mut *json, name)?;
    json.push(b':');
    serde_json::to_writer(&mut *json, value)?;
    json.extend(close);
    Ok(())
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
    /// With `"explain": true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
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
    /// With `"explain": true`: one per row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanations: Option<Vec<Explanation>>,
}

/// The error body: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a crate::error::ApiError,
}

/// Writes a response's JSON straight from the graph's outputs: the bytes serde_json writes for
/// the same [`Response`] (tests/api.rs checks it on every bundle), without building the
/// response's vectors. A value prints as f32's shortest round-trip decimal, as [`crate::decimal::decimal`] does.
#[derive(Debug, Clone)]
pub(crate) struct ResponseJson {
    /// Each class label as JSON.
    labels: Vec<String>,
    /// `,"classes":[...]` or nothing.
    classes: String,
    /// `,"model":"...","version":"..."}`.
    tail: String,
}

impl ResponseJson {
    pub fn new(classes: Option<&[serde_json::Value]>, model: &str, version: &str) -> ResponseJson {
        let json = |v: &dyn erased::Json| v.to_json();
        let labels = classes
            .unwrap_or_default()
            .iter()
            .map(|c| json(c))
            .collect();
        let classes = classes
            .map(|c| format!(",\"classes\":{}", json(&c.to_vec())))
            .unwrap_or_default();
        let tail = format!(
            ",\"model\":{},\"version\":{}}}",
            json(&model.to_string()),
            json(&version.to_string())
        );
        ResponseJson {
            labels,
            classes,
            tail,
        }
    }

    /// The answer for `rows` rows of `outputs` (`single`: the one-row shape).
    pub fn write(&self, outputs: &crate::infer::Outputs, single: bool, out: &mut Vec<u8>) {
        use crate::infer::{Outputs, Second};
        let number = |out: &mut Vec<u8>, x: f32| write_f32(x, out);
        let (key, plural) = if single {
            ("{\"prediction\":", "")
        } else {
            ("{\"predictions\":[", "]")
        };
        out.extend_from_slice(key.as_bytes());
        match outputs {
            Outputs::Regression { values } => {
                for (i, &v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    number(out, v);
                }
                out.extend_from_slice(plural.as_bytes());
            }
            Outputs::Classification {
                labels,
                values,
                width,
                kind,
            } => {
                for (i, &l) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(
                        self.labels.get(l).map_or("null", String::as_str).as_bytes(),
                    );
                }
                out.extend_from_slice(plural.as_bytes());
                out.extend_from_slice(match kind {
                    Second::Probabilities => b",\"probabilities\":",
                    Second::Scores => b",\"scores\":",
                });
                if !single {
                    out.push(b'[');
                }
                for (r, row) in values.chunks((*width).max(1)).enumerate() {
                    if r > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    for (k, &v) in row.iter().enumerate() {
                        if k > 0 {
                            out.push(b',');
                        }
                        number(out, v);
                    }
                    out.push(b']');
                }
                if !single {
                    out.push(b']');
                }
            }
        }
        out.extend_from_slice(self.classes.as_bytes());
        out.extend_from_slice(self.tail.as_bytes());
    }
}

/// serde_json's compact encoding of a value, for the precomputed parts of a response.
mod erased {
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".into())
        }
    }
}
