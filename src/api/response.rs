//! Response bodies. One row: `prediction` (+ `probabilities` or `scores`); several rows:
//! `predictions` (+ a row of probabilities/scores per prediction). Both carry the model's
//! `classes` (classification), `model` and `version`.

use crate::bundle::Manifest;
use crate::decimal::{decimal, decimals, write_f32};
use crate::explain::Explanation;
use crate::infer::{Outputs, Second};
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

/// A classifier's per-row probabilities or decision scores.
type SecondRows = (Second, Vec<Vec<f64>>);

impl Response {
    /// The typed response to a batch's outputs (`single`: the body was a one-row shape).
    pub(crate) fn from_outputs(
        m: &Manifest,
        outputs: Outputs,
        n: usize,
        single: bool,
        explanations: Option<Vec<Explanation>>,
    ) -> Response {
        let (predictions, second): (Vec<Prediction>, Option<SecondRows>) = match outputs {
            Outputs::Regression { values } => (
                values
                    .into_iter()
                    .map(|v| Prediction::Value(decimal(v)))
                    .collect(),
                None,
            ),
            Outputs::Classification {
                labels,
                values,
                width,
                kind,
            } => {
                let classes = m.classes.as_deref().unwrap_or_default();
                let predictions = labels
                    .iter()
                    .map(|&i| Prediction::Class(classes.get(i).cloned().unwrap_or_default()))
                    .collect();
                let rows = values.chunks(width.max(1)).take(n).map(decimals).collect();
                (predictions, Some((kind, rows)))
            }
        };
        let classes = m.classes.clone();
        let (model, version) = (m.name.clone(), m.version.clone());
        let split = |second: Option<SecondRows>| match second {
            Some((Second::Probabilities, rows)) => (Some(rows), None),
            Some((Second::Scores, rows)) => (None, Some(rows)),
            None => (None, None),
        };
        if single {
            let (probabilities, scores) = split(second);
            Response::Single(SingleResponse {
                prediction: predictions
                    .into_iter()
                    .next()
                    .unwrap_or(Prediction::Value(f64::NAN)),
                probabilities: probabilities.and_then(|r| r.into_iter().next()),
                scores: scores.and_then(|r| r.into_iter().next()),
                classes,
                model,
                version,
                explanation: explanations.and_then(|e| e.into_iter().next()),
            })
        } else {
            let (probabilities, scores) = split(second);
            Response::Batch(BatchResponse {
                predictions,
                probabilities,
                scores,
                classes,
                model,
                version,
                explanations,
            })
        }
    }
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
