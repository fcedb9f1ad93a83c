//! One schema field's column as the Python package hands it over (`wasmpredict/columns.py`
//! writes these tuples): numbers as float64 with NaN for missing, booleans and strings in
//! Arrow's layout (values, offsets into UTF-8 bytes, a validity mask). Each buffer is copied
//! once, in bulk, while the GIL is held; the cells of a row are read from it afterwards.

use pyo3::buffer::{Element, PyBuffer};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use wasmpredict::bundle::Field;
use wasmpredict::error::{ApiError, ErrorCode};
use wasmpredict::input::{self, Cell, Raw};

#[derive(Debug)]
pub enum Column {
    /// The table has no column of this field's name.
    Absent,
    /// Numbers; NaN is a missing value (pandas' convention).
    Numbers(Vec<f64>),
    /// Booleans as 0/1 bytes, with Arrow's validity (1: present) where some are missing.
    Bools {
        values: Vec<u8>,
        valid: Option<Vec<u8>>,
    },
    /// Arrow's large_string layout: row i is `data[offsets[i]..offsets[i + 1]]`. The bytes
    /// are checked as UTF-8 once, as a whole (Err: where they are not); a row's offsets must
    /// then fall on character boundaries.
    Strings {
        offsets: Vec<i64>,
        data: Result<String, std::string::FromUtf8Error>,
        valid: Option<Vec<u8>>,
    },
    /// A column of a type no field takes (dates, lists, ...): its Arrow type's name.
    Unsupported(String),
}

fn buffer<T: Element + Copy>(tuple: &Bound<'_, PyTuple>, at: usize) -> PyResult<Vec<T>> {
    let item = tuple.get_item(at)?;
    let buffer = PyBuffer::<T>::get(&item)?;
    buffer.to_vec(tuple.py())
}

fn optional_buffer(tuple: &Bound<'_, PyTuple>, at: usize) -> PyResult<Option<Vec<u8>>> {
    if tuple.get_item(at)?.is_none() {
        return Ok(None);
    }
    buffer::<u8>(tuple, at).map(Some)
}

impl Column {
    /// Reads one `(kind, buffers...)` tuple.
    pub fn from_python(tuple: &Bound<'_, PyTuple>) -> PyResult<Column> {
        let kind: String = tuple.get_item(0)?.extract()?;
        Ok(match kind.as_str() {
            "absent" => Column::Absent,
            "num" => Column::Numbers(buffer::<f64>(tuple, 1)?),
            "bool" => Column::Bools {
                values: buffer::<u8>(tuple, 1)?,
                valid: optional_buffer(tuple, 2)?,
            },
            "str" => Column::Strings {
                offsets: buffer::<i64>(tuple, 1)?,
                data: String::from_utf8(buffer::<u8>(tuple, 2)?),
                valid: optional_buffer(tuple, 3)?,
            },
            "type" => Column::Unsupported(tuple.get_item(1)?.extract()?),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "wasmpredict._native: unknown column kind {other:?}"
                )))
            }
        })
    }

    /// How many rows the column holds (`None`: as many as the table says).
    pub fn len(&self) -> Option<usize> {
        match self {
            Column::Absent | Column::Unsupported(_) => None,
            Column::Numbers(v) => Some(v.len()),
            Column::Bools { values, .. } => Some(values.len()),
            Column::Strings { offsets, .. } => Some(offsets.len().saturating_sub(1)),
        }
    }

    fn present(valid: &Option<Vec<u8>>, row: usize) -> bool {
        valid
            .as_ref()
            .is_none_or(|v| v.get(row).is_some_and(|&b| b != 0))
    }

    /// Row `row`'s cell, typed against `field` by the core's one set of rules.
    pub fn cell(&self, field: &Field, row: usize) -> Result<Cell<'_>, ApiError> {
        let raw = match self {
            Column::Absent => return input::absent(field),
            Column::Unsupported(arrow_type) => {
                return Err(input::wrong_type(
                    field,
                    &format!("a column of {arrow_type}"),
                ))
            }
            Column::Numbers(v) => v.get(row).map_or(Raw::Null, |&x| Raw::Num(x)),
            Column::Bools { values, valid } => match values.get(row) {
                Some(&b) if Column::present(valid, row) => Raw::Bool(b != 0),
                _ => Raw::Null,
            },
            Column::Strings {
                offsets,
                data,
                valid,
            } => {
                if !Column::present(valid, row) {
                    Raw::Null
                } else {
                    Raw::Str(string_at(offsets, data, row).ok_or_else(|| {
                        ApiError::for_field(
                            ErrorCode::WrongType,
                            field.name.clone(),
                            format!("field '{}' holds a string that is not UTF-8", field.name),
                        )
                    })?)
                }
            }
        };
        input::typed(raw, field)
    }
}

fn string_at<'a>(
    offsets: &[i64],
    data: &'a Result<String, std::string::FromUtf8Error>,
    row: usize,
) -> Option<&'a str> {
    let start = usize::try_from(*offsets.get(row)?).ok()?;
    let end = usize::try_from(*offsets.get(row + 1)?).ok()?;
    match data {
        Ok(text) => text.get(start..end),
        // Some row holds bytes that are not UTF-8: check this row's own.
        Err(bytes) => std::str::from_utf8(bytes.as_bytes().get(start..end)?).ok(),
    }
}
