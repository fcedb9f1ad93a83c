//! Feedback: the true outcome of an earlier prediction, scored against what the version that
//! made it predicted. Stored in SQLite (natively a file, at the edge a Durable Object's SQLite
//! storage) through the statements below, the same text on both, so per-version accuracy (or
//! error) comes from one query.

use super::metrics::{labels, Series};
use super::prediction_id::{IdKey, PredictionId};
use crate::bundle::Task;
use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One recorded outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    pub id: String,
    pub model: String,
    pub version: String,
    /// JSON text of the predicted class label or value.
    pub predicted: String,
    /// JSON text of the true class label or value.
    pub actual: String,
    /// Classification: the outcome equals the prediction (1) or not (0).
    pub correct: Option<i64>,
    /// Regression: outcome - prediction.
    pub error: Option<f64>,
    pub issued_ms: i64,
    pub received_ms: i64,
}

/// Per-version scores of one model's recorded outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionScore {
    pub model: String,
    pub version: String,
    pub count: u64,
    /// Classification only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correct: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Regression only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_absolute_error: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_mean_squared_error: Option<f64>,
}

/// Creates the table (idempotent).
pub const SQL_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS feedback (\
    id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, predicted TEXT NOT NULL, \
    actual TEXT NOT NULL, correct INTEGER, error REAL, issued_ms INTEGER NOT NULL, \
    received_ms INTEGER NOT NULL); \
    CREATE INDEX IF NOT EXISTS feedback_received ON feedback (received_ms)";
/// Inserts a record; bindings in [`FeedbackRecord`]'s field order. Changes no row when the id
/// already has an outcome.
pub const SQL_INSERT: &str = "INSERT OR IGNORE INTO feedback \
    (id, model, version, predicted, actual, correct, error, issued_ms, received_ms) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
/// Deletes what is older than the retention; binding: the oldest `received_ms` to keep.
pub const SQL_EXPIRE: &str = "DELETE FROM feedback WHERE received_ms < ?";
/// Per (model, version): count, correct, sum |error|, sum error^2.
pub const SQL_SCORES: &str = "SELECT model, version, COUNT(*) AS n, SUM(correct) AS correct, \
    SUM(ABS(error)) AS abs_error, SUM(error * error) AS sq_error FROM feedback \
    GROUP BY model, version ORDER BY model, version";

/// A row of [`SQL_SCORES`]. Counts are read as numbers (f64): a Durable Object's SQL cursor
/// gives JavaScript numbers, SQLite's sums may be integers or reals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub model: String,
    pub version: String,
    pub n: f64,
    pub correct: Option<f64>,
    pub abs_error: Option<f64>,
    pub sq_error: Option<f64>,
}

impl From<&ScoreRow> for VersionScore {
    fn from(r: &ScoreRow) -> VersionScore {
        let n = r.n.max(0.0) as u64;
        let per_row = |x: f64| if n > 0 { x / n as f64 } else { 0.0 };
        VersionScore {
            model: r.model.clone(),
            version: r.version.clone(),
            count: n,
            correct: r.correct.map(|c| c.max(0.0) as u64),
            accuracy: r.correct.map(per_row),
            mean_absolute_error: r.abs_error.map(per_row),
            root_mean_squared_error: r.sq_error.map(|s| per_row(s).sqrt()),
        }
    }
}

/// A version's task and classes, as feedback checks outcomes against them.
pub type VersionSchema = (Task, Option<Vec<Value>>);

/// `{"id": "...", "label": <class>}` (classification) or `{"id": "...", "value": <number>}`
/// (regression), checked against the model the route names and the classes of the version
/// that made the prediction (`version_of`).
pub fn parse(
    body: &Value,
    model: &str,
    version_of: &dyn Fn(&str) -> Result<VersionSchema, ApiError>,
    key: &IdKey,
    now_ms: u64,
    retention_ms: u64,
) -> Result<FeedbackRecord, ApiError> {
    let object = body.as_object().ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownBodyShape,
            "feedback is {\"id\": \"<the prediction's id>\", \"label\": <true class>} or {\"id\", \"value\": <true value>}",
        )
    })?;
    let id_text = object.get("id").and_then(Value::as_str).ok_or_else(|| {
        ApiError::for_field(
            ErrorCode::MissingField,
            "id",
            "feedback needs \"id\": the id string a prediction answered with",
        )
    })?;
    let id = PredictionId::decode(id_text, key)
        .filter(|id| id.model == model)
        .ok_or_else(|| {
            ApiError::for_field(
                ErrorCode::InvalidPredictionId,
                "id",
                format!("'{id_text}' is not the id of a prediction of model '{model}'"),
            )
        })?;
    let (task, classes) = version_of(&id.version)?;
    if now_ms.saturating_sub(id.issued_ms) > retention_ms {
        return Err(ApiError::for_field(
            ErrorCode::FeedbackExpired,
            "id",
            format!(
                "the prediction is older than the feedback retention ({} days)",
                retention_ms / 86_400_000
            ),
        ));
    }
    let (actual, correct, error) = match task {
        Task::Classification => {
            let label = object.get("label").ok_or_else(|| {
                ApiError::for_field(
                    ErrorCode::MissingField,
                    "label",
                    "feedback on a classifier needs \"label\": the true class",
                )
            })?;
            let classes = classes.unwrap_or_default();
            let classes = classes.as_slice();
            if !classes.contains(label) {
                return Err(ApiError::for_field(
                    ErrorCode::UnknownCategory,
                    "label",
                    format!(
                        "label {label} is not a class of model '{model}'; classes: {}",
                        Value::from(classes.to_vec())
                    ),
                ));
            }
            let actual = label.to_string();
            let correct = i64::from(actual == id.prediction);
            (actual, Some(correct), None)
        }
        Task::Regression => {
            let value = object
                .get("value")
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    ApiError::for_field(
                        ErrorCode::MissingField,
                        "value",
                        "feedback on a regressor needs \"value\": the true value, a finite number",
                    )
                })?;
            let predicted: f64 = id.prediction.parse().map_err(|_| {
                ApiError::for_field(
                    ErrorCode::InvalidPredictionId,
                    "id",
                    "the id does not hold a regression value",
                )
            })?;
            (
                Value::from(value).to_string(),
                None,
                Some(value - predicted),
            )
        }
    };
    if let Some(extra) = object
        .keys()
        .find(|k| !["id", "label", "value"].contains(&k.as_str()))
    {
        return Err(ApiError::for_field(
            ErrorCode::UnknownField,
            extra.as_str(),
            format!("feedback has no field '{extra}'; it takes id and label (or value)"),
        ));
    }
    Ok(FeedbackRecord {
        id: id_text.to_string(),
        model: id.model,
        version: id.version,
        predicted: id.prediction,
        actual,
        correct,
        error,
        issued_ms: id.issued_ms as i64,
        received_ms: now_ms as i64,
    })
}

/// The scores as Prometheus gauges.
pub fn gauges(scores: &[VersionScore]) -> Vec<Series<f64>> {
    let mut out = Vec::new();
    for s in scores {
        let l = labels(&[("model", &s.model), ("version", &s.version)]);
        let mut push = |name: &str, value: Option<f64>| {
            if let Some(value) = value {
                out.push(Series {
                    name: name.into(),
                    labels: l.clone(),
                    value,
                });
            }
        };
        push("wasmpredict_feedback_total", Some(s.count as f64));
        push(
            "wasmpredict_feedback_correct_total",
            s.correct.map(|c| c as f64),
        );
        push("wasmpredict_feedback_accuracy", s.accuracy);
        push(
            "wasmpredict_feedback_mean_absolute_error",
            s.mean_absolute_error,
        );
        push(
            "wasmpredict_feedback_root_mean_squared_error",
            s.root_mean_squared_error,
        );
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
