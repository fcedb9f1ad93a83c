//! The one request handler. Every adapter (CLI, native server, Worker, browser) builds a
//! [`Predictor`] from a bundle and hands it request bodies; nothing here knows about HTTP,
//! wasm-bindgen or files.

mod describe;
mod numeric_body;
mod paced;
pub mod request;
pub mod response;

pub use response::{BatchResponse, ErrorBody, Prediction, Response, SingleResponse};

pub use describe::describe;
use response::ResponseJson;

use crate::bundle::{limits, Bundle, Manifest};
use crate::decimal::{decimal, decimals};
use crate::error::{ApiError, BundleError, ErrorCode};
use crate::explain::{self, ExplainError, Explainer, Explanation};
use crate::featurize::{Featurizer, SparseRows};
use crate::infer::{Engine, Features, LoadError, Model, Outputs, Second};
use crate::input::Cell;
use std::sync::OnceLock;

/// Where the time of one request went, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    pub featurize_ms: f64,
    pub inference_ms: f64,
}

/// What [`Predictor::answer_json`] answers.
#[derive(Debug)]
pub struct JsonAnswer {
    /// The response body.
    pub json: Vec<u8>,
    pub timings: Timings,
    pub outputs: Outputs,
    pub rows: usize,
    /// The body was a one-row shape (the answer has `prediction`, not `predictions`).
    pub single: bool,
}

pub use paced::{run_now, NoPause, Pace};

/// A body's rows evaluated: the graph's outputs, the row count, whether the body was a
/// single-row shape, the time spent parsing and featurizing and the time spent running and
/// explaining (pauses excluded), and the explanations it asked for.
struct Evaluated {
    outputs: Outputs,
    rows: usize,
    single: bool,
    featurize_ms: f64,
    inference_ms: f64,
    explanations: Option<Vec<Explanation>>,
}

/// A classifier's per-row probabilities or decision scores.
type SecondRows = (Second, Vec<Vec<f64>>);

/// A bundle made ready to answer requests: featurizer compiled, graph loaded on an engine.
#[derive(Debug)]
pub struct Predictor {
    bundle: Bundle,
    featurizer: Featurizer,
    model: Model,
    /// Featurize into sparse rows (a wide featurizer feeding a linear model).
    sparse: bool,
    /// Every field is a number: positional bodies can take the fast path (`numeric_body`).
    numeric: bool,
    response_json: ResponseJson,
    /// Built on the first `"explain": true`.
    explainer: OnceLock<Result<Explainer, ExplainError>>,
}

/// A batch of featurized rows, as the graph takes them.
enum FeatureBatch {
    Dense(Vec<f32>),
    Sparse(SparseRows),
}

impl FeatureBatch {
    fn features(&self) -> Features<'_> {
        match self {
            FeatureBatch::Dense(x) => Features::Dense(x),
            FeatureBatch::Sparse(s) => Features::Sparse(s),
        }
    }
}

/// The engine a bundle gets by default (without loading it, and without tract): what decides
/// whether a build must include tract to serve it.
pub fn default_engine(bundle: &Bundle) -> Result<Engine, BundleError> {
    let m = &bundle.manifest;
    crate::infer::default_engine(
        bundle.model_bytes(),
        &m.model,
        m.task,
        m.classes.as_deref(),
        m.n_features,
    )
    .map_err(|e| BundleError::Model(e.to_string()))
}

/// A request body as a JSON tree, or `invalid_json`.
pub fn parse_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    crate::input::strict_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

impl Predictor {
    /// A batch's features are allocated rows × `n_features` wide: past
    /// [`limits::MAX_BATCH_VALUES`] the request is refused, naming how many rows this model takes.
    fn check_batch_values(&self, rows: usize) -> Result<(), ApiError> {
        let width = self.manifest().n_features.max(1);
        if rows.saturating_mul(width) <= limits::MAX_BATCH_VALUES {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::TooManyRows,
            format!(
                "the request has {rows} rows of {width} features; this model takes at most {} rows per request",
                limits::MAX_BATCH_VALUES / width
            ),
        ))
    }
}

fn check_rows(n: usize, max_rows: usize) -> Result<(), ApiError> {
    if n > max_rows {
        return Err(ApiError::new(
            ErrorCode::TooManyRows,
            format!("the request has {n} rows; at most {max_rows} are accepted per request"),
        ));
    }
    Ok(())
}

/// From this many model features on, rows go to a linear model as (column, value) pairs:
/// below it, writing the zeros costs less than keeping indices.
const SPARSE_MIN_FEATURES: usize = 64;

impl Predictor {
    /// Prepares a bundle on the engine that covers its graph (see [`crate::infer`]).
    pub fn new(bundle: Bundle) -> Result<Predictor, BundleError> {
        Predictor::with_engine(bundle, None)
    }

    /// Prepares a bundle on a given engine, or on the one that covers it (`None`).
    pub fn with_engine(bundle: Bundle, engine: Option<Engine>) -> Result<Predictor, BundleError> {
        let m = &bundle.manifest;
        let featurizer =
            Featurizer::compile(&m.featurizer, &m.input, m.n_features, m.model.accepts_nan)
                .map_err(BundleError::Featurizer)?;
        let model = Model::load(
            bundle.model_bytes(),
            &m.model,
            m.task,
            m.classes.as_deref(),
            m.n_features,
            engine,
        )
        .map_err(|e| match e {
            LoadError::NeedsTract(_) => BundleError::NeedsTract(e.to_string()),
            LoadError::Graph(why) => BundleError::Model(why),
        })?;
        let sparse = model.accepts_sparse() && m.n_features >= SPARSE_MIN_FEATURES;
        let numeric = m
            .input
            .iter()
            .all(|f| f.kind == crate::bundle::FieldKind::Number);
        let response_json = ResponseJson::new(m.classes.as_deref(), &m.name, &m.version);
        Ok(Predictor {
            bundle,
            featurizer,
            model,
            sparse,
            numeric,
            response_json,
            explainer: OnceLock::new(),
        })
    }

    /// The engine evaluating the bundle's graph.
    pub fn engine(&self) -> Engine {
        self.model.engine()
    }

    /// Why tract evaluates the graph (what the compact engine does not cover), if it does.
    pub fn why_tract(&self) -> Option<&str> {
        self.model.why_tract()
    }

    pub fn manifest(&self) -> &Manifest {
        &self.bundle.manifest
    }

    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Handles a raw request body (JSON bytes).
    pub fn handle(&self, body: &[u8]) -> Result<Response, ApiError> {
        self.predict(&parse_body(body)?)
    }

    /// Handles a request body (JSON bytes) and answers the response's JSON bytes, as `/predict`
    /// does: the same as serializing [`Predictor::handle`]'s response, faster. Positional rows of
    /// numbers skip the JSON tree; timings as in [`Predictor::predict_timed`].
    pub fn handle_json(
        &self,
        body: &[u8],
        max_rows: usize,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Vec<u8>, Timings), ApiError> {
        self.answer_json(body, max_rows, clock)
            .map(|a| (a.json, a.timings))
    }

    /// [`Predictor::handle_json`], keeping the graph's outputs (for prediction ids and shadow
    /// comparisons).
    pub fn answer_json(
        &self,
        body: &[u8],
        max_rows: usize,
        clock: &dyn Fn() -> f64,
    ) -> Result<JsonAnswer, ApiError> {
        run_now(self.answer_json_paced(body, max_rows, clock, &NoPause))
    }

    /// Row `row`'s answer as JSON text: the class label as in `classes_` (`1`, `"fresh"`) or
    /// the regression value, as the response body writes it.
    pub fn prediction_text(&self, outputs: &Outputs, row: usize) -> Option<String> {
        match outputs {
            Outputs::Classification { labels, .. } => {
                let label = *labels.get(row)?;
                self.manifest()
                    .classes
                    .as_ref()?
                    .get(label)
                    .map(|c| c.to_string())
            }
            Outputs::Regression { values } => {
                let mut out = Vec::new();
                crate::decimal::write_f32(*values.get(row)?, &mut out);
                String::from_utf8(out).ok()
            }
        }
    }

    /// Handles a parsed request body.
    pub fn predict(&self, body: &serde_json::Value) -> Result<Response, ApiError> {
        self.predict_timed(body, usize::MAX, &|| 0.0)
            .map(|(r, _)| r)
    }

    /// Handles a parsed request body, refusing more than `max_rows` rows, and reports how long
    /// featurization and inference took by `clock` (milliseconds; adapters pass their own, since
    /// `std::time::Instant` does not exist on wasm32-unknown-unknown).
    pub fn predict_timed(
        &self,
        body: &serde_json::Value,
        max_rows: usize,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Response, Timings), ApiError> {
        run_now(self.predict_timed_paced(body, max_rows, clock, &NoPause))
    }

    /// Each row's explanation: its raw fields' contributions to the model's raw score
    /// ([`crate::explain`]).
    pub fn explain_rows(&self, rows: &[Vec<Cell<'_>>]) -> Result<Vec<Explanation>, ApiError> {
        self.explain_range(rows, 0..rows.len())
    }

    /// The explanations of `rows[range]`; errors name the row among all of `rows`.
    fn explain_range(
        &self,
        rows: &[Vec<Cell<'_>>],
        range: std::ops::Range<usize>,
    ) -> Result<Vec<Explanation>, ApiError> {
        let explainer = self
            .explainer
            .get_or_init(|| Explainer::new(&self.bundle, &self.featurizer))
            .as_ref()
            .map_err(explain::unavailable)?;
        let n = rows.len();
        range
            .map(|i| {
                explainer
                    .explain(&self.featurizer, &rows[i])
                    .map_err(|e| e.in_row(i, n))
            })
            .collect()
    }

    /// The features the model would see for a request body, in float64 (for debugging and for
    /// the featurizer parity tests).
    pub fn features(&self, body: &serde_json::Value) -> Result<Vec<Vec<f64>>, ApiError> {
        let rows = request::parse(body, &self.manifest().input)?;
        let n = rows.rows.len();
        rows.rows
            .iter()
            .enumerate()
            .map(|(i, row)| self.featurizer.transform(row).map_err(|e| e.in_row(i, n)))
            .collect()
    }

    /// Featurizes and predicts already-parsed rows.
    pub fn predict_rows(&self, rows: &[Vec<Cell<'_>>]) -> Result<Outputs, ApiError> {
        let features = self.featurize_rows(rows, 0..rows.len(), rows.len())?;
        self.run(features.features(), rows.len())
    }

    /// Predicts positional rows of numbers given as float32 (`rows` rows of the schema's width,
    /// row-major), NaN meaning a missing value: the typed-array path of the JS API. Values are
    /// checked as `{"features": [[...]]}` would check them; only for models whose fields are all
    /// numbers.
    pub fn predict_f32(&self, values: &[f32], rows: usize) -> Result<Outputs, ApiError> {
        let fields = &self.manifest().input;
        if let Some(f) = fields
            .iter()
            .find(|f| f.kind != crate::bundle::FieldKind::Number)
        {
            return Err(ApiError::for_field(
                ErrorCode::WrongType,
                f.name.clone(),
                format!(
                    "typed arrays carry numbers, but field '{}' is {}; send this model JSON bodies",
                    f.name,
                    f.kind.expected()
                ),
            ));
        }
        if rows == 0 {
            return Err(ApiError::new(
                ErrorCode::EmptyBatch,
                "the request has no rows",
            ));
        }
        if rows.checked_mul(fields.len()) != Some(values.len()) {
            return Err(ApiError::for_field(
                ErrorCode::WrongFeatureCount,
                "features",
                format!(
                    "{} values do not make {rows} rows of {} fields",
                    values.len(),
                    fields.len()
                ),
            ));
        }
        let null = serde_json::Value::Null;
        for (i, row) in values.chunks_exact(fields.len()).enumerate() {
            for (&x, field) in row.iter().zip(fields) {
                if x.is_nan() {
                    // A missing value: refused where JSON's null would be.
                    crate::input::cell(&null, field).map_err(|e| e.in_row(i, rows))?;
                } else if !x.is_finite() {
                    return Err(ApiError::for_field(
                        ErrorCode::NonFiniteNumber,
                        field.name.clone(),
                        format!("field '{}' must be a finite number", field.name),
                    )
                    .in_row(i, rows));
                }
            }
        }
        if self.featurizer.is_passthrough() {
            // The rows are the graph's input as they are: no copy.
            return self.run(Features::Dense(values), rows);
        }
        let features = self.featurize_numeric(values.iter().map(|&x| f64::from(x)), 0, rows)?;
        self.run(features.features(), rows)
    }

    /// Predicts rows that are already the graph's input: row-major float32, `n_features` wide.
    pub fn predict_features(&self, features: &[f32], rows: usize) -> Result<Outputs, ApiError> {
        self.run(Features::Dense(features), rows)
    }

    /// The graph's input for positional rows of numbers (`values`: whole rows of the schema's
    /// width, the first of them row `first` of a body of `total` rows, for error messages).
    fn featurize_numeric(
        &self,
        values: impl ExactSizeIterator<Item = f64>,
        first: usize,
        total: usize,
    ) -> Result<FeatureBatch, ApiError> {
        let width = self.manifest().input.len().max(1);
        if self.featurizer.is_passthrough() {
            // Numbers reach the graph unchanged, as f32: only their range can be refused.
            let fields = &self.manifest().input;
            let mut out = Vec::with_capacity(values.len());
            for (i, x) in values.enumerate() {
                let y = x as f32;
                if y.is_infinite() && x.is_finite() {
                    let field = &fields[i % width].name;
                    return Err(
                        crate::featurize::past_float32(field, x).in_row(first + i / width, total)
                    );
                }
                out.push(y);
            }
            return Ok(FeatureBatch::Dense(out));
        }
        let cells: Vec<Cell<'_>> = values.map(Cell::Num).collect();
        let rows = cells.len() / width;
        self.featurize_each(first..first + rows, total, |i| {
            &cells[(i - first) * width..(i - first + 1) * width]
        })
    }

    /// The graph's input for `rows[range]`; errors name the row among `total`.
    fn featurize_rows(
        &self,
        rows: &[Vec<Cell<'_>>],
        range: std::ops::Range<usize>,
        total: usize,
    ) -> Result<FeatureBatch, ApiError> {
        self.featurize_each(range, total, |i| &rows[i])
    }

    fn featurize_each<'c, 'a: 'c>(
        &self,
        range: std::ops::Range<usize>,
        total: usize,
        row: impl Fn(usize) -> &'c [Cell<'a>],
    ) -> Result<FeatureBatch, ApiError> {
        if self.sparse {
            let mut out = SparseRows::new(self.featurizer.n_features());
            for i in range {
                self.featurizer
                    .transform_sparse(row(i), &mut out)
                    .map_err(|e| e.in_row(i, total))?;
            }
            return Ok(FeatureBatch::Sparse(out));
        }
        let mut features = Vec::with_capacity(range.len() * self.featurizer.n_features());
        for i in range {
            self.featurizer
                .transform_into(row(i), &mut features)
                .map_err(|e| e.in_row(i, total))?;
        }
        Ok(FeatureBatch::Dense(features))
    }

    fn run(&self, features: Features<'_>, rows: usize) -> Result<Outputs, ApiError> {
        self.model.run(features, rows).map_err(|e| {
            ApiError::new(
                ErrorCode::InferenceFailed,
                format!("the model failed to evaluate: {e:#}"),
            )
        })
    }

    fn respond(
        &self,
        outputs: Outputs,
        n: usize,
        single: bool,
        explanations: Option<Vec<Explanation>>,
    ) -> Response {
        let m = self.manifest();
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
