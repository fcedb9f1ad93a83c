//! Asking the server: a version's answers to a version's golden inputs, in batches, each row's
//! answer (or why there was none) ready for the comparator.

use super::models::Model;
use crate::http_client::Server;
use wasmpredict::api::Prediction;
use wasmpredict::check::Answer;

/// Golden rows per request: well under every server's default row and body limits.
const BATCH_ROWS: usize = 200;

/// One row's answer, owned.
pub struct RowAnswer {
    pub prediction: Prediction,
    pub probabilities: Option<Vec<f64>>,
    pub scores: Option<Vec<f64>>,
}

impl RowAnswer {
    pub fn answer(&self) -> Answer<'_> {
        Answer {
            prediction: &self.prediction,
            probabilities: self.probabilities.as_deref(),
            scores: self.scores.as_deref(),
        }
    }
}

/// Every golden row's answer (or why the server gave none).
pub type Answers = Vec<Result<RowAnswer, String>>;

/// Version `version`'s answers to version `source`'s golden inputs, in batches.
pub async fn ask(
    server: &Server,
    model: &Model,
    version: usize,
    source: usize,
) -> Result<Answers, String> {
    let v = &model.versions[version];
    let path = format!("/models/{}/versions/{}/predict", model.name, v.version);
    let rows = &model.versions[source].golden.rows;
    let mut answers = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(BATCH_ROWS) {
        let instances: Vec<&serde_json::Map<String, serde_json::Value>> =
            chunk.iter().map(|r| &r.input).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "instances": instances }))
            .map_err(|e| e.to_string())?;
        let (status, bytes) = server.post_json(&path, body).await?;
        match batch_answers(status, &bytes, chunk.len(), v.regression) {
            Ok(batch) => answers.extend(batch),
            Err(why) => answers.extend(chunk.iter().map(|_| Err(why.clone()))),
        }
    }
    Ok(answers)
}

/// A batch response's rows, or why it is not one of `rows` answers.
fn batch_answers(
    status: u16,
    body: &[u8],
    rows: usize,
    regression: bool,
) -> Result<Answers, String> {
    let json: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}, not JSON: {}", String::from_utf8_lossy(body)))?;
    if status != 200 {
        let message = json["error"]["message"]
            .as_str()
            .map_or_else(|| json.to_string(), str::to_string);
        return Err(format!("refused: HTTP {status}: {message}"));
    }
    let predictions = json["predictions"]
        .as_array()
        .filter(|p| p.len() == rows)
        .ok_or_else(|| format!("the answer holds no {rows} predictions: {json}"))?;
    let per_row = |name: &str| -> Result<Option<Vec<Vec<f64>>>, String> {
        match json.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => serde_json::from_value::<Vec<Vec<f64>>>(v.clone())
                .ok()
                .filter(|rows_of| rows_of.len() == rows)
                .map(Some)
                .ok_or_else(|| format!("`{name}` is not {rows} rows of numbers: {v}")),
        }
    };
    let mut probabilities = per_row("probabilities")?.map(Vec::into_iter);
    let mut scores = per_row("scores")?.map(Vec::into_iter);
    Ok(predictions
        .iter()
        .map(|p| {
            let prediction = if regression {
                Prediction::Value(
                    p.as_f64()
                        .ok_or_else(|| format!("prediction {p} is not a number"))?,
                )
            } else {
                Prediction::Class(p.clone())
            };
            Ok(RowAnswer {
                prediction,
                probabilities: probabilities.as_mut().and_then(Iterator::next),
                scores: scores.as_mut().and_then(Iterator::next),
            })
        })
        .collect())
}
