//! Golden replay: a bundle's `golden.json` holds sklearn's answers to raw records; every replay
//! (`wasmpredict check` in process, `wasmpredict check --url` against a server, the deploy gate
//! against the built Worker) compares each answer with its row through [`compare`], so labels,
//! probabilities, scores and regression values are judged the same way everywhere.

use crate::api::{Prediction, Predictor, Response};
use crate::bundle::{Golden, GoldenRow};

/// One answer to one golden record, wherever it was computed.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub prediction: &'a Prediction,
    pub probabilities: Option<&'a [f64]>,
    pub scores: Option<&'a [f64]>,
}

/// How one answer compares with its golden row.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Largest absolute difference seen in probabilities, scores or the regression value.
    pub max_abs_diff: f64,
    /// What differs beyond the golden file's tolerance, human readable (empty: it matches).
    pub problems: Vec<String>,
}

/// Compares one answer with one golden row. Labels compare as JSON (integral numbers equal
/// whatever their spelling); a regression value within `tolerance + relative_tolerance *
/// |expected|`; probabilities and scores element by element within `tolerance` alone (the
/// relative tolerance is for regression values, whose scale the model sets); a missing or
/// extra `probabilities` or `scores` is a difference.
pub fn compare(answer: &Answer, row: &GoldenRow, golden: &Golden) -> Comparison {
    let mut out = Comparison::default();
    match (answer.prediction, &row.prediction) {
        (Prediction::Class(got), expected) => {
            if !same_label(got, expected) {
                out.problems
                    .push(format!("label {got} != sklearn's {expected}"));
            }
        }
        (Prediction::Value(got), expected) => match expected.as_f64() {
            Some(e) => {
                let d = (got - e).abs();
                out.max_abs_diff = out.max_abs_diff.max(d);
                if d.is_nan() || d > golden.tolerance + golden.relative_tolerance * e.abs() {
                    out.problems
                        .push(format!("value {got} != sklearn's {e} (diff {d:.3e})"));
                }
            }
            None => out
                .problems
                .push(format!("sklearn's prediction {expected} is not a number")),
        },
    }
    for (name, got, expected) in [
        (
            "probabilities",
            answer.probabilities,
            row.probabilities.as_deref(),
        ),
        ("scores", answer.scores, row.scores.as_deref()),
    ] {
        match (got, expected) {
            (None, None) => {}
            (Some(g), Some(e)) if g.len() == e.len() => {
                for (a, b) in g.iter().zip(e) {
                    let d = (a - b).abs();
                    out.max_abs_diff = out.max_abs_diff.max(d);
                    if d.is_nan() || d > golden.tolerance {
                        out.problems
                            .push(format!("{name} {g:?} != sklearn's {e:?} (diff {d:.3e})"));
                        break;
                    }
                }
            }
            _ => out
                .problems
                .push(format!("{name}: got {got:?}, sklearn gave {expected:?}")),
        }
    }
    out
}

/// The outcome of a golden replay.
#[derive(Debug, Clone, Default)]
pub struct GoldenReport {
    pub rows: usize,
    pub matched: usize,
    /// Largest absolute difference seen in probabilities, scores or regression values.
    pub max_abs_diff: f64,
    /// One line per mismatching row, human readable.
    pub mismatches: Vec<String>,
    /// The tolerance of the golden file (what `max_abs_diff` is judged against).
    pub tolerance: f64,
}

impl GoldenReport {
    pub fn new(golden: &Golden) -> GoldenReport {
        GoldenReport {
            rows: golden.rows.len(),
            tolerance: golden.tolerance,
            ..Default::default()
        }
    }

    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.rows > 0
    }

    /// Adds golden row `i`'s outcome: its answer compared with the row, or why there was none.
    pub fn add(&mut self, i: usize, answer: Result<Answer, String>, golden: &Golden) {
        let Some(row) = golden.rows.get(i) else {
            self.mismatches
                .push(format!("row {i}: golden.json has no such row"));
            return;
        };
        match answer {
            Ok(answer) => {
                let c = compare(&answer, row, golden);
                self.max_abs_diff = self.max_abs_diff.max(c.max_abs_diff);
                if c.problems.is_empty() {
                    self.matched += 1;
                } else {
                    self.mismatches
                        .push(format!("row {i}: {}", c.problems.join("; ")));
                }
            }
            Err(why) => self.mismatches.push(format!("row {i}: {why}")),
        }
    }
}

/// Everything that proves a loaded bundle works before it is served or written (`wasmpredict
/// check`, the exporter's replay through the Python module): its training profile reads, its
/// explanation data explains every golden row, and its golden rows replay. `Err` says why the
/// bundle cannot be checked at all; a report with mismatches says which rows differ.
pub fn bundle(predictor: &Predictor) -> Result<GoldenReport, String> {
    crate::bundle::Profile::of(predictor.manifest()).map_err(|e| e.to_string())?;
    let golden = match predictor.bundle().golden() {
        Some(Ok(g)) => g,
        Some(Err(e)) => return Err(e.to_string()),
        None => return Err("the bundle has no golden.json to replay".into()),
    };
    explanations(predictor, &golden)?;
    Ok(replay(predictor, &golden))
}

/// Replays every golden row through `predictor`, one record per request.
pub fn replay(predictor: &Predictor, golden: &Golden) -> GoldenReport {
    let mut report = GoldenReport::new(golden);
    for (i, row) in golden.rows.iter().enumerate() {
        let body = serde_json::json!({ "record": row.input });
        match predictor.predict(&body) {
            Ok(Response::Single(r)) => {
                let answer = Answer {
                    prediction: &r.prediction,
                    probabilities: r.probabilities.as_deref(),
                    scores: r.scores.as_deref(),
                };
                report.add(i, Ok(answer), golden);
            }
            Ok(Response::Batch(_)) => {
                report.add(i, Err("got a batch response for one record".into()), golden)
            }
            Err(e) => report.add(i, Err(format!("refused: {e}")), golden),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn golden(relative_tolerance: f64, rows: serde_json::Value) -> Golden {
        let body =
            json!({"tolerance": 1e-5, "relative_tolerance": relative_tolerance, "rows": rows});
        Golden::parse(body.to_string().as_bytes()).expect("golden parses")
    }

    fn problems(
        prediction: Prediction,
        probabilities: Option<&[f64]>,
        scores: Option<&[f64]>,
        g: &Golden,
    ) -> Vec<String> {
        let answer = Answer {
            prediction: &prediction,
            probabilities,
            scores,
        };
        compare(&answer, &g.rows[0], g).problems
    }

    #[test]
    fn scores_are_compared() {
        let g = golden(
            0.0,
            json!([{"input": {}, "prediction": 1, "scores": [0.75]}]),
        );
        assert!(problems(Prediction::Class(json!(1)), None, Some(&[0.75]), &g).is_empty());
        let wrong = problems(Prediction::Class(json!(1)), None, Some(&[0.76]), &g);
        assert!(wrong[0].starts_with("scores [0.76]"), "{wrong:?}");
        let missing = problems(Prediction::Class(json!(1)), None, None, &g);
        assert!(missing[0].starts_with("scores: got None"), "{missing:?}");
    }

    #[test]
    fn probabilities_take_the_absolute_tolerance_only() {
        // 1e-3 off: within 50% relative tolerance, beyond the absolute one.
        let g = golden(
            0.5,
            json!([{"input": {}, "prediction": "a", "probabilities": [0.2, 0.8]}]),
        );
        assert!(problems(Prediction::Class(json!("a")), Some(&[0.2, 0.8]), None, &g).is_empty());
        let wrong = problems(
            Prediction::Class(json!("a")),
            Some(&[0.201, 0.799]),
            None,
            &g,
        );
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(wrong[0].starts_with("probabilities"), "{wrong:?}");
    }

    #[test]
    fn regression_values_take_the_relative_tolerance_too() {
        let g = golden(1e-3, json!([{"input": {}, "prediction": 1000.0}]));
        assert!(problems(Prediction::Value(1000.5), None, None, &g).is_empty());
        assert_eq!(problems(Prediction::Value(1002.0), None, None, &g).len(), 1);
        assert_eq!(
            problems(Prediction::Value(f64::NAN), None, None, &g).len(),
            1
        );
    }

    #[test]
    fn labels_compare_as_json_numbers_or_strings() {
        let g = golden(0.0, json!([{"input": {}, "prediction": 2}]));
        assert!(problems(Prediction::Class(json!(2.0)), None, None, &g).is_empty());
        assert_eq!(
            problems(Prediction::Class(json!(1)), None, None, &g).len(),
            1
        );
        assert_eq!(
            problems(Prediction::Class(json!("2")), None, None, &g).len(),
            1
        );
    }

    #[test]
    fn a_report_counts_matches_and_names_rows() {
        let g = golden(
            0.0,
            json!([{"input": {}, "prediction": 0}, {"input": {}, "prediction": 1}]),
        );
        let mut report = GoldenReport::new(&g);
        let zero = Prediction::Class(json!(0));
        let answer = |prediction| Answer {
            prediction,
            probabilities: None,
            scores: None,
        };
        report.add(0, Ok(answer(&zero)), &g);
        report.add(1, Ok(answer(&zero)), &g);
        assert_eq!((report.rows, report.matched), (2, 1));
        assert!(!report.ok());
        assert!(
            report.mismatches[0].starts_with("row 1: label 0"),
            "{:?}",
            report.mismatches
        );
    }
}
