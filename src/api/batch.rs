//! A batch of rows through the featurizer and the graph: the per-request limits, featurizing
//! into dense or sparse rows (an error names its row among the whole body, even when the batch
//! is evaluated slice by slice), and running the graph.

use super::Predictor;
use crate::bundle::limits;
use crate::error::{ApiError, ErrorCode};
use crate::featurize::{Scratch, SparseRows};
use crate::infer::{Features, Outputs};
use crate::input::Cell;

/// A batch of featurized rows, as the graph takes them.
pub(super) enum FeatureBatch {
    Dense(Vec<f32>),
    Sparse(SparseRows),
}

impl FeatureBatch {
    pub(super) fn features(&self) -> Features<'_> {
        match self {
            FeatureBatch::Dense(x) => Features::Dense(x),
            FeatureBatch::Sparse(s) => Features::Sparse(s),
        }
    }
}

/// The adapter's limit on rows per request; [`Predictor::check_batch_values`] is the model's.
pub(super) fn check_rows(n: usize, max_rows: usize) -> Result<(), ApiError> {
    if n > max_rows {
        return Err(ApiError::new(
            ErrorCode::TooManyRows,
            format!("the request has {n} rows; at most {max_rows} are accepted per request"),
        ));
    }
    Ok(())
}

impl Predictor {
    /// A batch's features are allocated rows × `n_features` wide: past
    /// [`limits::MAX_BATCH_VALUES`] the request is refused, naming how many rows this model takes.
    pub(super) fn check_batch_values(&self, rows: usize) -> Result<(), ApiError> {
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

    /// The graph's input for positional rows of numbers (`values`: whole rows of the schema's
    /// width, the first of them row `first` of a body of `total` rows, for error messages).
    pub(super) fn featurize_numeric(
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
    pub(super) fn featurize_rows(
        &self,
        rows: &[Vec<Cell<'_>>],
        range: std::ops::Range<usize>,
        total: usize,
    ) -> Result<FeatureBatch, ApiError> {
        self.featurize_each(range, total, |i| &rows[i])
    }

    pub(super) fn featurize_slice(
        &self,
        rows: &[Vec<Cell<'_>>],
        first: usize,
        total: usize,
    ) -> Result<FeatureBatch, ApiError> {
        self.featurize_each(first..first + rows.len(), total, |i| &rows[i - first])
    }

    pub(super) fn featurize_each<'c, 'a: 'c>(
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
        let mut scratch = Scratch::default();
        for i in range {
            self.featurizer
                .transform_into(row(i), &mut features, &mut scratch)
                .map_err(|e| e.in_row(i, total))?;
        }
        Ok(FeatureBatch::Dense(features))
    }

    pub(super) fn run(&self, features: Features<'_>, rows: usize) -> Result<Outputs, ApiError> {
        self.model.run(features, rows).map_err(|e| {
            ApiError::new(
                ErrorCode::InferenceFailed,
                format!("the model failed to evaluate: {e:#}"),
            )
        })
    }
}
