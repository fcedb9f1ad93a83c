//! Paced evaluation: a batch featurized, run and explained slice by slice, awaiting the
//! adapter's `pause()` between slices. A Worker isolate serves all its requests on one thread,
//! so a 10,000-row batch evaluated in one go holds up every other request for its whole length;
//! paced, a health check or a single row waits for one slice at most. The native server runs
//! each request on its own thread and passes [`NoPause`] (one slice, nothing awaited), which
//! [`run_now`] completes without an executor: there is one implementation of evaluation, and
//! the sync API is this one run to its end.

use super::{check_rows, numeric_body, parse_body, request, response, Evaluated, JsonAnswer};
use super::{FeatureBatch, Predictor, Response, Timings};
use crate::error::{ApiError, ErrorCode};
use crate::explain::{self, Explanation};
use crate::infer::Outputs;
use crate::input::Cell;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// How an adapter lets other requests run during a long batch.
pub trait Pace {
    /// Rows predicted per slice; `None`: the whole batch in one slice, never pausing.
    fn slice_rows(&self) -> Option<usize>;
    /// Lets other work run (the Worker: a zero-delay timer).
    fn pause(&self) -> Pin<Box<dyn Future<Output = ()> + '_>>;
}

/// No pacing: what the native server, the CLI and the JS predictor evaluate with.
pub struct NoPause;

impl Pace for NoPause {
    fn slice_rows(&self) -> Option<usize> {
        None
    }
    fn pause(&self) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// Explaining a row costs up to ~1,000 times predicting it (TreeSHAP over a 100-tree forest),
/// so explanations go in slices this many times smaller than predictions.
const EXPLAIN_SLICE_DIVISOR: usize = 256;

/// Runs a future whose every await is ready at once (evaluation under [`NoPause`]) to its end.
pub fn run_now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The ranges of `n` rows in slices of `size` (one range when there is no size).
fn slices(n: usize, size: Option<usize>) -> impl Iterator<Item = Range<usize>> {
    let size = size.unwrap_or(n).max(1);
    (0..n).step_by(size).map(move |a| a..(a + size).min(n))
}

impl Predictor {
    /// [`Predictor::answer_json`], pausing between slices as `pace` says.
    pub async fn answer_json_paced(
        &self,
        body: &[u8],
        max_rows: usize,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> Result<JsonAnswer, ApiError> {
        let t0 = clock();
        let width = self.manifest().input.len();
        let fast = if self.numeric {
            numeric_body::parse(body, width)
        } else {
            None
        };
        let e = match fast {
            Some(rows) => {
                check_rows(rows.rows, max_rows)?;
                self.check_batch_values(rows.rows)?;
                let parsed_ms = clock() - t0;
                let (outputs, featurize_ms, inference_ms) = self
                    .featurize_and_run(
                        rows.rows,
                        |range| {
                            let values = &rows.values[range.start * width..range.end * width];
                            self.featurize_numeric(values.iter().copied(), range.start, rows.rows)
                        },
                        clock,
                        pace,
                    )
                    .await?;
                Evaluated {
                    outputs,
                    rows: rows.rows,
                    single: rows.single,
                    featurize_ms: parsed_ms + featurize_ms,
                    inference_ms,
                    explanations: None,
                }
            }
            None => {
                let value = parse_body(body)?;
                let parsed_ms = clock() - t0;
                let mut e = self.evaluate(&value, max_rows, clock, pace).await?;
                e.featurize_ms += parsed_ms;
                e
            }
        };
        let t_write = clock();
        let mut json = Vec::with_capacity(64 + e.rows * 48);
        self.response_json.write(&e.outputs, e.single, &mut json);
        if let Some(explanations) = &e.explanations {
            let written = match (e.single, explanations.first()) {
                (true, Some(one)) => response::push_member(&mut json, "explanation", one),
                _ => response::push_member(&mut json, "explanations", explanations),
            };
            written.map_err(|err| {
                ApiError::new(
                    ErrorCode::InferenceFailed,
                    format!("cannot encode the explanation: {err}"),
                )
            })?;
        }
        let timings = Timings {
            featurize_ms: e.featurize_ms,
            inference_ms: e.inference_ms + (clock() - t_write),
        };
        Ok(JsonAnswer {
            json,
            timings,
            outputs: e.outputs,
            rows: e.rows,
            single: e.single,
        })
    }

    /// [`Predictor::predict_timed`], pausing between slices as `pace` says.
    pub async fn predict_timed_paced(
        &self,
        body: &serde_json::Value,
        max_rows: usize,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> Result<(Response, Timings), ApiError> {
        let e = self.evaluate(body, max_rows, clock, pace).await?;
        let timings = Timings {
            featurize_ms: e.featurize_ms,
            inference_ms: e.inference_ms,
        };
        Ok((
            self.respond(e.outputs, e.rows, e.single, e.explanations),
            timings,
        ))
    }

    /// Parses, checks, featurizes and runs a body's rows (and explains them when the body asks).
    pub(super) async fn evaluate(
        &self,
        body: &serde_json::Value,
        max_rows: usize,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> Result<Evaluated, ApiError> {
        let t0 = clock();
        let explain = request::explain_requested(body)?;
        let rows = request::parse(body, &self.manifest().input)?;
        let n = rows.rows.len();
        check_rows(n, max_rows)?;
        self.check_batch_values(n)?;
        if explain && n > explain::MAX_ROWS {
            return Err(ApiError::for_field(
                ErrorCode::TooManyRows,
                request::EXPLAIN,
                format!(
                    "explanations are computed for at most {} rows per request and this one has {n}: send fewer rows, or leave out \"explain\"",
                    explain::MAX_ROWS
                ),
            ));
        }
        let parsed_ms = clock() - t0;
        let (outputs, featurize_ms, mut inference_ms) = self
            .featurize_and_run(
                n,
                |range| self.featurize_rows(&rows.rows, range, n),
                clock,
                pace,
            )
            .await?;
        let explanations = if explain {
            let t = clock();
            let e = self.explain_paced(&rows.rows, pace).await?;
            inference_ms += clock() - t;
            Some(e)
        } else {
            None
        };
        Ok(Evaluated {
            outputs,
            rows: n,
            single: rows.single,
            featurize_ms: parsed_ms + featurize_ms,
            inference_ms,
            explanations,
        })
    }

    /// Featurizes and runs `n` rows slice by slice; answers the outputs and the time spent
    /// featurizing and running (pauses excluded).
    async fn featurize_and_run(
        &self,
        n: usize,
        featurize: impl Fn(Range<usize>) -> Result<FeatureBatch, ApiError>,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> Result<(Outputs, f64, f64), ApiError> {
        let (mut featurize_ms, mut inference_ms) = (0.0, 0.0);
        let mut all: Option<Outputs> = None;
        for range in slices(n, pace.slice_rows()) {
            if range.start > 0 {
                pace.pause().await;
            }
            let t0 = clock();
            let rows = range.len();
            let features = featurize(range)?;
            let t1 = clock();
            let outputs = self.run(features.features(), rows)?;
            featurize_ms += t1 - t0;
            inference_ms += clock() - t1;
            match &mut all {
                None => all = Some(outputs),
                Some(a) => a.append(outputs),
            }
        }
        let outputs = all.ok_or_else(|| ApiError::new(ErrorCode::EmptyBatch, "no rows"))?;
        Ok((outputs, featurize_ms, inference_ms))
    }

    /// [`Predictor::explain_rows`] in slices, pausing between them.
    async fn explain_paced(
        &self,
        rows: &[Vec<Cell<'_>>],
        pace: &dyn Pace,
    ) -> Result<Vec<Explanation>, ApiError> {
        let size = pace
            .slice_rows()
            .map(|s| (s / EXPLAIN_SLICE_DIVISOR).max(1));
        let mut out = Vec::with_capacity(rows.len());
        for range in slices(rows.len(), size) {
            if range.start > 0 {
                pace.pause().await;
            }
            out.extend(self.explain_range(rows, range)?);
        }
        Ok(out)
    }
}
