//! The one request handler. Every adapter (CLI, native server, Worker, browser) builds a
//! [`Predictor`] from a bundle and hands it request bodies; nothing here knows about HTTP,
//! wasm-bindgen or files.

mod batch;
mod describe;
mod numeric_body;
mod paced;
pub mod request;
pub mod response;

pub use response::{BatchResponse, ErrorBody, Prediction, Response, SingleResponse};

pub use describe::describe;
use response::ResponseJson;

use crate::bundle::{Bundle, Manifest};
use crate::error::{ApiError, BundleError, ErrorCode};
use crate::explain::{self, ExplainError, Explainer, Explanation};
use crate::featurize::Featurizer;
use crate::infer::{Engine, Features, LoadError, Model, Outputs};
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

/// From this many model features on, rows go to a linear model as (column, value) pairs:
/// below it, writing the zeros costs less than keeping indices.
const SPARSE_MIN_FEATURES: usize = 64;

/// The public methods are what the adapters call, one per shape of input: a parsed body
/// ([`Predictor::predict`]), body bytes answered as JSON bytes ([`Predictor::answer_json`] and
/// its paced form), already-typed rows ([`Predictor::predict_rows`]) and typed arrays
/// ([`Predictor::predict_f32`]). All of them go through the same featurize-and-run path.
impl Predictor {
    /// Prepares a bundle on the engine that covers its graph (see [`crate::infer`]); used by
    /// tests and the fuzz harness.
    pub fn new(bundle: Bundle) -> Result<Predictor, BundleError> {
        Predictor::with_engine(bundle, None)
    }

    /// Prepares a bundle on a given engine, or on the one that covers it (`None`); used by
    /// every adapter (the CLI's `--engine`, the service's config, the JS predictor).
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

    /// The engine evaluating the bundle's graph (`wasmpredict info`, bench, the JS predictor).
    pub fn engine(&self) -> Engine {
        self.model.engine()
    }

    /// Why tract evaluates the graph (what the compact engine does not cover), if it does
    /// (`wasmpredict info`).
    pub fn why_tract(&self) -> Option<&str> {
        self.model.why_tract()
    }

    /// The bundle's manifest (every adapter: schema, classes, name and version).
    pub fn manifest(&self) -> &Manifest {
        &self.bundle.manifest
    }

    /// The bundle itself (`wasmpredict info`, bench and check read its sizes and golden rows).
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Body bytes to the response's JSON bytes, as `/predict` answers them (the JS predictor,
    /// `wasmpredict bench`; the service runs the paced form).
    ///
    /// The bytes are those serde_json writes for [`Predictor::predict`]'s response on the
    /// parsed body, produced faster: positional rows of numbers skip the JSON tree. Refuses
    /// more than `max_rows` rows; `clock` (milliseconds) times featurization and inference, as
    /// adapters pass their own (`std::time::Instant` does not exist on wasm32-unknown-unknown).
    /// The graph's outputs are kept for prediction ids and shadow comparisons.
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
    pub(crate) fn prediction_text(&self, outputs: &Outputs, row: usize) -> Option<String> {
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

    /// The typed response to a parsed request body (`wasmpredict predict`, golden replay in
    /// [`crate::check`]; tests compare [`Predictor::answer_json`] with it).
    pub fn predict(&self, body: &serde_json::Value) -> Result<Response, ApiError> {
        run_now(self.predict_timed_paced(body, usize::MAX, &|| 0.0, &NoPause)).map(|(r, _)| r)
    }

    /// Each row's explanation: its raw fields' contributions to the model's raw score
    /// ([`crate::explain`]).
    pub(crate) fn explain_rows(
        &self,
        rows: &[Vec<Cell<'_>>],
    ) -> Result<Vec<Explanation>, ApiError> {
        self.explain_range(rows, 0..rows.len())
    }

    /// The explanations of `rows[range]`; errors name the row among all of `rows`.
    fn explain_range(
        &self,
        rows: &[Vec<Cell<'_>>],
        range: std::ops::Range<usize>,
    ) -> Result<Vec<Explanation>, ApiError> {
        let n = rows.len();
        self.explain_each(range, n, |i| &rows[i])
    }

    /// The explanations of rows `first..first + rows.len()` of a table of `total` rows (one
    /// slice of a table split over threads: the Python module); errors name the row in the
    /// table.
    pub fn explain_slice(
        &self,
        rows: &[Vec<Cell<'_>>],
        first: usize,
        total: usize,
    ) -> Result<Vec<Explanation>, ApiError> {
        self.explain_each(first..first + rows.len(), total, |i| &rows[i - first])
    }

    fn explain_each<'c, 'a: 'c>(
        &self,
        range: std::ops::Range<usize>,
        total: usize,
        row: impl Fn(usize) -> &'c [Cell<'a>],
    ) -> Result<Vec<Explanation>, ApiError> {
        let explainer = self
            .explainer
            .get_or_init(|| Explainer::new(&self.bundle, &self.featurizer))
            .as_ref()
            .map_err(explain::unavailable)?;
        range
            .map(|i| {
                explainer
                    .explain(&self.featurizer, row(i))
                    .map_err(|e| e.in_row(i, total))
            })
            .collect()
    }

    /// The features the model would see for a request body, in float64 (the featurizer parity
    /// tests and the fuzz harness).
    pub fn features(&self, body: &serde_json::Value) -> Result<Vec<Vec<f64>>, ApiError> {
        let rows = request::parse(body, &self.manifest().input)?;
        let n = rows.rows.len();
        rows.rows
            .iter()
            .enumerate()
            .map(|(i, row)| self.featurizer.transform(row).map_err(|e| e.in_row(i, n)))
            .collect()
    }

    /// Featurizes and predicts already-typed rows (`wasmpredict predict --file` and `drift`,
    /// which read CSV and JSON lines into cells themselves).
    pub fn predict_rows(&self, rows: &[Vec<Cell<'_>>]) -> Result<Outputs, ApiError> {
        self.predict_slice(rows, 0, rows.len())
    }

    /// Predicts rows `first..first + rows.len()` of a table of `total` rows (one slice of a
    /// table split over threads: the Python module); errors name the row in the table.
    pub fn predict_slice(
        &self,
        rows: &[Vec<Cell<'_>>],
        first: usize,
        total: usize,
    ) -> Result<Outputs, ApiError> {
        let features = self.featurize_slice(rows, first, total)?;
        self.run(features.features(), rows.len())
    }

    /// [`Predictor::predict_slice`] of rows laid end to end, a row per schema-width run of
    /// `cells` (a table read column by column needs no `Vec` per row).
    pub fn predict_flat_slice(
        &self,
        cells: &[Cell<'_>],
        first: usize,
        total: usize,
    ) -> Result<Outputs, ApiError> {
        let width = self.manifest().input.len();
        if width == 0 || !cells.len().is_multiple_of(width) {
            return Err(ApiError::new(
                ErrorCode::WrongFeatureCount,
                format!(
                    "{} cells do not make rows of the schema's {width} fields",
                    cells.len()
                ),
            ));
        }
        let rows = cells.len() / width;
        let features = self.featurize_each(first..first + rows, total, |i| {
            let at = (i - first) * width;
            &cells[at..at + width]
        })?;
        self.run(features.features(), rows)
    }

    /// Predicts positional rows of numbers given as float32 (`rows` rows of the schema's width,
    /// row-major), NaN meaning a missing value: the JS predictor's `predictArray`. Values are
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
}
