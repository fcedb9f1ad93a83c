//! `NativeModel`: a loaded bundle ([`Predictor`]) and the four things Python asks of it
//! (predict, explain, drift, check). Each takes a table (columns or a request body), works
//! with the GIL released, and answers in packed arrays or JSON text.

use crate::columns::Column;
use crate::errors::{bundle_error, predict_error};
use crate::table::{in_slices, Table};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use std::collections::BTreeMap;
use std::path::PathBuf;
use wasmpredict::bundle::{Bundle, MANIFEST_FILE};
use wasmpredict::drift::Tally;
use wasmpredict::error::ApiError;
use wasmpredict::infer::Outputs;
use wasmpredict::input::Cell;
use wasmpredict::Predictor;

#[pyclass(frozen, module = "wasmpredict._native")]
pub struct NativeModel {
    predictor: Predictor,
}

/// What `predict` answers: `(labels, values, width, second)`. Classification: `labels` are
/// u32 indices into `classes_`, `values` the `width` probabilities or scores of each row
/// (`second` says which); regression: no labels, one value per row. Values are float64 as
/// the HTTP API's JSON reads (the f32 the model computed, printed and read back).
type Answer<'py> = (
    Option<Bound<'py, PyBytes>>,
    Bound<'py, PyBytes>,
    usize,
    &'static str,
);

fn packed<T: Copy, const N: usize>(values: &[T], bytes: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * N);
    for &v in values {
        out.extend_from_slice(&bytes(v));
    }
    out
}

/// Reads the table argument: a list of column tuples with a row count, or request body bytes.
fn table(arg: &Bound<'_, PyAny>, rows: Option<usize>) -> PyResult<Table> {
    if let Ok(body) = arg.cast::<PyBytes>() {
        let body = wasmpredict::api::parse_body(body.as_bytes())
            .map_err(|e| predict_error(arg.py(), e))?;
        return Ok(Table::Body(body));
    }
    let list = arg
        .cast::<PyList>()
        .map_err(|_| PyTypeError::new_err("expected a list of columns or request body bytes"))?;
    let columns = list
        .iter()
        .map(|item| {
            let tuple = item
                .cast::<PyTuple>()
                .map_err(|_| PyTypeError::new_err("a column must be a tuple"))?;
            Column::from_python(tuple)
        })
        .collect::<PyResult<Vec<Column>>>()?;
    let rows = rows.ok_or_else(|| PyTypeError::new_err("columns need a row count"))?;
    Ok(Table::Columns { columns, rows })
}

impl NativeModel {
    /// Runs `each` on the table's rows, typed slice by slice on every core: `each` gets a
    /// slice's cells, the index of its first row and the table's row count.
    fn in_slices<T: Send>(
        &self,
        table: &Table,
        each: impl Fn(&[Vec<Cell<'_>>], usize, usize) -> Result<T, ApiError> + Sync,
    ) -> Result<Vec<T>, ApiError> {
        let fields = &self.predictor.manifest().input;
        let rows = table.rows(fields)?;
        let total = rows.len();
        in_slices(total, |range| {
            let first = range.start;
            each(&rows.cells(fields, range)?, first, total)
        })
    }

    fn outputs(&self, table: &Table) -> Result<Outputs, ApiError> {
        let fields = &self.predictor.manifest().input;
        let rows = table.rows(fields)?;
        let total = rows.len();
        let parts = in_slices(total, |range| {
            let first = range.start;
            let cells = rows.flat_cells(fields, range)?;
            self.predictor.predict_flat_slice(&cells, first, total)
        })?;
        let mut parts = parts.into_iter();
        let Some(mut all) = parts.next() else {
            return Err(ApiError::new(
                wasmpredict::error::ErrorCode::EmptyBatch,
                "the table has no rows",
            ));
        };
        for more in parts {
            all.append(more);
        }
        Ok(all)
    }
}

#[pymethods]
impl NativeModel {
    /// Loads a bundle directory (`manifest.json` and the files it lists, each checked).
    #[staticmethod]
    fn from_dir(py: Python<'_>, path: PathBuf) -> PyResult<NativeModel> {
        let loaded = py.detach(|| Bundle::from_dir(&path).and_then(Predictor::new));
        loaded
            .map(|predictor| NativeModel { predictor })
            .map_err(|e| bundle_error(py, format!("{}: {e}", path.display())))
    }

    /// Loads a bundle from its files' bytes by name (a bundle broadcast to Spark executors).
    #[staticmethod]
    fn from_files(
        py: Python<'_>,
        files: BTreeMap<String, Bound<'_, PyBytes>>,
    ) -> PyResult<NativeModel> {
        let mut files: BTreeMap<String, Vec<u8>> = files
            .into_iter()
            .map(|(name, bytes)| (name, bytes.as_bytes().to_vec()))
            .collect();
        let Some(manifest) = files.remove(MANIFEST_FILE) else {
            return Err(bundle_error(
                py,
                format!("the bundle has no {MANIFEST_FILE}"),
            ));
        };
        let loaded = py.detach(|| Bundle::from_files(&manifest, files).and_then(Predictor::new));
        loaded
            .map(|predictor| NativeModel { predictor })
            .map_err(|e| bundle_error(py, e.to_string()))
    }

    /// The manifest as JSON text: name, version, task, classes, the input schema.
    fn manifest_json(&self) -> PyResult<String> {
        serde_json::to_string(self.predictor.manifest())
            .map_err(|e| PyTypeError::new_err(e.to_string()))
    }

    /// The engine evaluating the graph: "compact" or "tract".
    fn engine(&self) -> String {
        self.predictor.engine().to_string()
    }

    /// Predicts a table; see [`Answer`].
    #[pyo3(signature = (table, rows=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        table: &Bound<'py, PyAny>,
        rows: Option<usize>,
    ) -> PyResult<Answer<'py>> {
        let table = self::table(table, rows)?;
        let outputs = py
            .detach(|| self.outputs(&table))
            .map_err(|e| predict_error(py, e))?;
        Ok(match outputs {
            Outputs::Classification {
                labels,
                values,
                width,
                kind,
            } => {
                let labels: Vec<u32> = labels
                    .iter()
                    .map(|&l| u32::try_from(l).unwrap_or(u32::MAX))
                    .collect();
                (
                    Some(PyBytes::new(py, &packed(&labels, u32::to_le_bytes))),
                    PyBytes::new(py, &packed(&values, |v| f64::from(v).to_le_bytes())),
                    width,
                    kind.name(),
                )
            }
            Outputs::Regression { values } => (
                None,
                PyBytes::new(py, &packed(&values, |v| f64::from(v).to_le_bytes())),
                1,
                "values",
            ),
        })
    }

    /// Each row's explanation, as the HTTP API's `explanation` objects (a JSON list).
    #[pyo3(signature = (table, rows=None))]
    fn explain(
        &self,
        py: Python<'_>,
        table: &Bound<'_, PyAny>,
        rows: Option<usize>,
    ) -> PyResult<String> {
        let table = self::table(table, rows)?;
        let explained = py.detach(|| {
            self.in_slices(&table, |cells, first, total| {
                self.predictor.explain_slice(cells, first, total)
            })
        });
        let explained: Vec<_> = explained
            .map_err(|e| predict_error(py, e))?
            .into_iter()
            .flatten()
            .collect();
        serde_json::to_string(&explained).map_err(|e| PyTypeError::new_err(e.to_string()))
    }

    /// The table compared with the training profile: the drift report as JSON text (the
    /// report `wasmpredict drift --json` prints).
    #[pyo3(signature = (table, rows=None))]
    fn drift(
        &self,
        py: Python<'_>,
        table: &Bound<'_, PyAny>,
        rows: Option<usize>,
    ) -> PyResult<String> {
        let table = self::table(table, rows)?;
        let manifest = self.predictor.manifest();
        let tally = Tally::new(manifest).map_err(|e| bundle_error(py, e.to_string()))?;
        let counted = py.detach(|| -> Result<Tally, ApiError> {
            let parts = self.in_slices(&table, |cells, first, total| {
                let outputs = self.predictor.predict_slice(cells, first, total)?;
                let mut part = tally.clone();
                part.add_rows(cells, &outputs);
                Ok(part)
            })?;
            let mut all = tally.clone();
            for part in &parts {
                all.merge(part);
            }
            Ok(all)
        });
        let counted = counted.map_err(|e| predict_error(py, e))?;
        serde_json::to_string(&counted.report()).map_err(|e| PyTypeError::new_err(e.to_string()))
    }

    /// The bundle checked as `wasmpredict check` does (profile, explanations, golden replay):
    /// `(rows, matched, max_abs_diff, tolerance, mismatches)`; `BundleError` when it cannot be
    /// checked at all.
    fn check(&self, py: Python<'_>) -> PyResult<(usize, usize, f64, f64, Vec<String>)> {
        let report = py
            .detach(|| wasmpredict::check::bundle(&self.predictor))
            .map_err(|e| bundle_error(py, e))?;
        Ok((
            report.rows,
            report.matched,
            report.max_abs_diff,
            report.tolerance,
            report.mismatches,
        ))
    }
}
