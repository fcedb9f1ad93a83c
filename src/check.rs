//! Replays a bundle's `golden.json` through the predictor and compares with sklearn's answers.

use crate::api::{Prediction, Predictor, Response};
use crate::bundle::Golden;

/// The outcome of a golden replay.
#[derive(Debug, Clone, Default)]
pub struct GoldenReport {
    pub rows: usize,
    pub matched: usize,
    /// Largest absolute difference seen in probabilities, scores or regression values.
    pub max_abs_diff: f64,
    /// One line per mismatching row, human readable.
    pub mismatches: Vec<String>,
}

impl GoldenReport {
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.rows > 0
    }
}

pub fn replay(predictor: &Predictor, golden: &Golden) -> GoldenReport {
    let mut report = GoldenReport {
        rows: golden.rows.len(),
        ..Default::default()
    };
    for (i, row) in golden.rows.iter().enumerate() {
        let body = serde_json::json!({ "record": row.input });
        let response = match predictor.predict(&body) {
            Ok(Response::Single(r)) => r,
            Ok(Response::Batch(_)) => {
                report
                    .mismatches
                    .push(format!("row {i}: got a batch response for one record"));
                continue;
            }
            Err(e) => {
                report.mismatches.push(format!("row {i}: refused: {e}"));
                continue;
            }
        };
        let mut problems = Vec::new();
        match (&response.prediction, &row.prediction) {
            (Prediction::Class(got), expected) => {
                if !same_label(got, expected) {
                    problems.push(format!("label {got} != sklearn's {expected}"));
                }
            }
            (Prediction::Value(got), expected) => match expected.as_f64() {
                Some(e) => {
                    let d = (got - e).abs();
                    report.max_abs_diff = report.max_abs_diff.max(d);
                    if d > golden.tolerance + golden.relative_tolerance * e.abs() {
                        problems.push(format!("value {got} != sklearn's {e} (diff {d:.3e})"));
                    }
                }
                None => problems.push(format!("sklearn's prediction {expected} is not a number")),
            },
        }
        for (name, got, expected) in [
            ("probabilities", &response.probabilities, &row.probabilities),
            ("scores", &response.scores, &row.scores),
        ] {
            match (got, expected) {
                (None, None) => {}
                (Some(g), Some(e)) if g.len() == e.len() => {
                    for (a, b) in g.iter().zip(e) {
                        let d = (a - b).abs();
                        report.max_abs_diff = report.max_abs_diff.max(d);
                        if d > golden.tolerance {
                            problems
                                .push(format!("{name} {g:?} != sklearn's {e:?} (diff {d:.3e})"));
                            break;
                        }
                    }
                }
                _ => problems.push(format!("{name}: got {got:?}, sklearn gave {expected:?}")),
            }
        }
        if problems.is_empty() {
            report.matched += 1;
        } else {
            report
                .mismatches
                .push(format!("row {i}: {}", problems.join("; ")));
        }
    }
    report
}

/// Labels compare as JSON, with integral numbers equal whatever their JSON spelling (1 == 1.0).
fn same_label(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Explains every golden row of a bundle that carries explanation data, so that a bundle whose
/// `explain.json` does not fit its graph is refused by `wasmpredict check` (and the deploy
/// gate), not by a request. Returns the rows explained (0 without explanation data).
pub fn explanations(predictor: &Predictor, golden: &Golden) -> Result<usize, String> {
    let m = predictor.manifest();
    if m.explain.is_none() {
        return Ok(0);
    }
    for (i, row) in golden.rows.iter().enumerate() {
        let record = serde_json::Value::Object(row.input.clone());
        let cells = crate::input::record(&record, &m.input)
            .map_err(|e| format!("golden row {i}: {}", e.message))?;
        let explained = predictor
            .explain_rows(&[cells])
            .map_err(|e| format!("golden row {i} cannot be explained: {}", e.message))?;
        let finite = explained.iter().all(|e| {
            e.base_value.iter().all(|x| x.is_finite())
                && e.contributions
                    .iter()
                    .all(|(_, v)| v.iter().all(|x| x.is_finite()))
        });
        if !finite {
            return Err(format!("golden row {i}: the explanation is not finite"));
        }
    }
    Ok(golden.rows.len())
}
