//! A table of raw rows, and its rows worked through in slices on every core: each slice is
//! typed into cells and handed to the core's `*_slice` methods, whose errors name the row in
//! the whole table. The first bad row (in table order) is the one reported.

use crate::columns::Column;
use serde_json::Value;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use wasmpredict::api::request;
use wasmpredict::bundle::Field;
use wasmpredict::error::{ApiError, ErrorCode};
use wasmpredict::input::Cell;

/// Rows typed and predicted together: large enough to amortize a batch, small enough to keep
/// every core busy and the cells of a slice in cache.
const SLICE_ROWS: usize = 8192;

/// What the Python side sent.
#[derive(Debug)]
pub enum Table {
    /// One column per schema field, in schema order, of `rows` rows.
    Columns { columns: Vec<Column>, rows: usize },
    /// A request body as the HTTP API takes it (`{"instances": [...]}` from a list of dicts).
    Body(Value),
}

/// A table's rows, ready to be cut into slices of cells.
pub enum Rows<'t> {
    Columns(&'t [Column], usize),
    Typed(Vec<Vec<Cell<'t>>>),
}

impl Table {
    /// Checks the table's shape and, for a body, types its rows (as `/predict` would).
    pub fn rows<'t>(&'t self, fields: &[Field]) -> Result<Rows<'t>, ApiError> {
        let rows = match self {
            Table::Columns { columns, rows } => {
                if columns.len() != fields.len() {
                    return Err(ApiError::new(
                        ErrorCode::WrongFeatureCount,
                        format!(
                            "{} columns for a model of {} fields",
                            columns.len(),
                            fields.len()
                        ),
                    ));
                }
                if let Some((c, f)) = columns
                    .iter()
                    .zip(fields)
                    .find(|(c, _)| c.len().is_some_and(|n| n != *rows))
                {
                    return Err(ApiError::for_field(
                        ErrorCode::WrongFeatureCount,
                        f.name.clone(),
                        format!(
                            "column '{}' has {} values for a table of {rows} rows",
                            f.name,
                            c.len().unwrap_or(0)
                        ),
                    ));
                }
                Rows::Columns(columns, *rows)
            }
            Table::Body(body) => Rows::Typed(request::parse(body, fields)?.rows),
        };
        if rows.len() == 0 {
            return Err(ApiError::new(
                ErrorCode::EmptyBatch,
                "the table has no rows",
            ));
        }
        Ok(rows)
    }
}

impl<'t> Rows<'t> {
    pub fn len(&self) -> usize {
        match self {
            Rows::Columns(_, n) => *n,
            Rows::Typed(rows) => rows.len(),
        }
    }

    /// The cells of rows `range`, typed against their fields, laid end to end (row i of the
    /// range is the i-th run of `fields.len()` cells).
    pub fn flat_cells(
        &self,
        fields: &[Field],
        range: Range<usize>,
    ) -> Result<Vec<Cell<'t>>, ApiError> {
        match self {
            Rows::Typed(rows) => Ok(rows.get(range).unwrap_or_default().concat()),
            Rows::Columns(columns, total) => {
                let mut cells = Vec::with_capacity(range.len() * fields.len());
                for row in range {
                    push_row(columns, fields, row, *total, &mut cells)?;
                }
                Ok(cells)
            }
        }
    }

    /// The cells of rows `range`, each typed against its field.
    pub fn cells(
        &self,
        fields: &[Field],
        range: Range<usize>,
    ) -> Result<Vec<Vec<Cell<'t>>>, ApiError> {
        match self {
            Rows::Typed(rows) => Ok(rows.get(range).unwrap_or_default().to_vec()),
            Rows::Columns(columns, total) => range
                .map(|row| {
                    let mut cells = Vec::with_capacity(fields.len());
                    push_row(columns, fields, row, *total, &mut cells)?;
                    Ok(cells)
                })
                .collect(),
        }
    }
}

/// Appends row `row`'s cells, each typed against its field; an error names the row in the
/// table of `total` rows.
fn push_row<'t>(
    columns: &'t [Column],
    fields: &[Field],
    row: usize,
    total: usize,
    cells: &mut Vec<Cell<'t>>,
) -> Result<(), ApiError> {
    for (c, f) in columns.iter().zip(fields) {
        cells.push(c.cell(f, row).map_err(|e| e.in_row(row, total))?);
    }
    Ok(())
}

/// Runs `each` over `0..rows` in slices on every core; the results in table order, or the
/// error of the first failing slice.
pub fn in_slices<T: Send>(
    rows: usize,
    each: impl Fn(Range<usize>) -> Result<T, ApiError> + Sync,
) -> Result<Vec<T>, ApiError> {
    let slices = rows.div_ceil(SLICE_ROWS);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(slices)
        .max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let done: Mutex<Vec<(usize, Result<T, ApiError>)>> = Mutex::new(Vec::with_capacity(slices));
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= slices || failed.load(Ordering::Relaxed) {
            break;
        }
        let start = i * SLICE_ROWS;
        let result = each(start..(start + SLICE_ROWS).min(rows));
        if result.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        if let Ok(mut done) = done.lock() {
            done.push((i, result));
        }
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let mut done = done
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    done.sort_by_key(|(i, _)| *i);
    // Slices after a failure may be missing; the first failure in table order is reported
    // (a slice before it that was skipped cannot exist: slices are taken in order).
    let mut out = Vec::with_capacity(done.len());
    for (_, result) in done {
        out.push(result?);
    }
    if out.len() != slices {
        return Err(ApiError::new(
            ErrorCode::InferenceFailed,
            "a slice of the table was not evaluated",
        ));
    }
    Ok(out)
}
