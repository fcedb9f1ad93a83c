//! Reading raw input, below every layer that takes it (the request shapes of [`crate::api`],
//! drift tallies, the admin bodies of [`crate::ops`]): strict JSON, CSV, and typing a value
//! against its schema field into the [`Cell`] the featurizer reads. The messages name the
//! field and what was expected, whatever brought the value.

pub mod csv;
pub mod strict_json;

use crate::bundle::manifest::{Field, FieldKind};
use crate::error::{ApiError, ErrorCode};
use serde_json::{Map, Value};

/// One value flowing through the featurizer. Strings borrow from the request or the bundle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Num(f64),
    Str(&'a str),
    Bool(bool),
    Missing,
}

impl Cell<'_> {
    /// Missing as sklearn sees it: `None` or `NaN`.
    pub fn is_missing(&self) -> bool {
        match self {
            Cell::Missing => true,
            Cell::Num(x) => x.is_nan(),
            _ => false,
        }
    }
}

/// One row from the value of `{"record": ...}`: an object of field values. For callers that
/// hold records rather than request bodies (the CLI's files, the page's rows, drift tallies).
pub fn record<'a>(value: &'a Value, fields: &[Field]) -> Result<Vec<Cell<'a>>, ApiError> {
    let record = value.as_object().ok_or_else(|| {
        ApiError::for_field(
            ErrorCode::UnknownBodyShape,
            "record",
            "'record' must be an object of field values",
        )
    })?;
    named_row(record, fields)
}

/// One row from a record's object of field values: every key must be a field.
pub fn named_row<'a>(
    record: &'a Map<String, Value>,
    fields: &[Field],
) -> Result<Vec<Cell<'a>>, ApiError> {
    if let Some(unknown) = record
        .keys()
        .find(|k| !fields.iter().any(|f| &f.name == *k))
    {
        return Err(unknown_field(unknown, fields));
    }
    let slots: Vec<Option<&'a Value>> = fields.iter().map(|f| record.get(&f.name)).collect();
    fill_row(&slots, fields)
}

/// Turns per-field values (None = absent), in the schema's order, into cells; absent fields
/// must be nullable. The one check of a row's values, whatever shape brought them.
pub fn fill_row<'a>(
    slots: &[Option<&'a Value>],
    fields: &[Field],
) -> Result<Vec<Cell<'a>>, ApiError> {
    slots
        .iter()
        .zip(fields)
        .map(|(slot, field)| match slot {
            Some(v) => cell(v, field),
            None => absent(field),
        })
        .collect()
}

/// The cell of a field a row leaves out: missing where the model imputes it, else refused.
pub fn absent<'a>(field: &Field) -> Result<Cell<'a>, ApiError> {
    if field.nullable {
        return Ok(Cell::Missing);
    }
    Err(ApiError::for_field(
        ErrorCode::MissingField,
        field.name.clone(),
        format!(
            "field '{}' is missing; expected {}",
            field.name,
            field.kind.expected()
        ),
    ))
}

/// The cell of a string for a category or text field (a text must not be blank).
pub fn text_cell<'a>(field: &Field, s: &'a str) -> Result<Cell<'a>, ApiError> {
    if field.kind == FieldKind::Text && s.trim().is_empty() {
        return Err(ApiError::for_field(
            ErrorCode::EmptyText,
            field.name.clone(),
            format!(
                "field '{}' is an empty text; expected a non-empty string",
                field.name
            ),
        ));
    }
    Ok(Cell::Str(s))
}

/// The refusal of a key that is not one of the model's fields.
pub fn unknown_field(name: &str, fields: &[Field]) -> ApiError {
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    ApiError::for_field(
        ErrorCode::UnknownField,
        name,
        format!(
            "unknown field '{name}'; the model's fields are: {}",
            names.join(", ")
        ),
    )
}

/// A raw value before it is typed against its schema field: what a JSON value or a column's
/// cell (the Python module's arrays) carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Raw<'a> {
    /// `null`, `None`; a NaN number means the same (pandas' missing value).
    Null,
    Num(f64),
    Str(&'a str),
    Bool(bool),
}

/// Checks one JSON value against its field.
pub fn cell<'a>(value: &'a Value, field: &Field) -> Result<Cell<'a>, ApiError> {
    let raw = match value {
        Value::Null => Raw::Null,
        // A number JSON cannot hold in f64 is refused as non-finite, never read as missing.
        Value::Number(n) => Raw::Num(n.as_f64().unwrap_or(f64::INFINITY)),
        Value::String(s) => Raw::Str(s),
        Value::Bool(b) => Raw::Bool(*b),
        Value::Array(_) => return Err(wrong_type(field, "an array")),
        Value::Object(_) => return Err(wrong_type(field, "an object")),
    };
    typed(raw, field)
}

/// Types one raw value against its field: the one set of rules, whatever brought the value.
pub fn typed<'a>(raw: Raw<'a>, field: &Field) -> Result<Cell<'a>, ApiError> {
    let name = &field.name;
    match (field.kind, raw) {
        (_, Raw::Null) if field.nullable => Ok(Cell::Missing),
        (_, Raw::Num(x)) if x.is_nan() && field.nullable => Ok(Cell::Missing),
        (_, Raw::Null) => Err(missing_value(field)),
        (_, Raw::Num(x)) if x.is_nan() => Err(missing_value(field)),
        (FieldKind::Number, Raw::Num(x)) if x.is_finite() => Ok(Cell::Num(x)),
        (FieldKind::Number, Raw::Num(_)) => Err(ApiError::for_field(
            ErrorCode::NonFiniteNumber,
            name.clone(),
            format!("field '{name}' must be a finite number"),
        )),
        (FieldKind::Category | FieldKind::Text, Raw::Str(s)) => text_cell(field, s),
        (FieldKind::Bool, Raw::Bool(b)) => Ok(Cell::Bool(b)),
        (_, Raw::Str(s)) => Err(wrong_type(field, &format!("the string {s:?}"))),
        (_, Raw::Num(x)) => Err(wrong_type(field, &format!("the number {x}"))),
        (_, Raw::Bool(b)) => Err(wrong_type(field, &format!("the boolean {b}"))),
    }
}

fn missing_value(field: &Field) -> ApiError {
    let name = &field.name;
    ApiError::for_field(
        ErrorCode::MissingValue,
        name.clone(),
        format!(
            "field '{name}' is null and the model has no imputer for it; expected {}",
            field.kind.expected()
        ),
    )
}

/// The refusal of a value of the wrong type for its field; `got` says what came ("the number
/// 3", "a column of timestamp[ns]").
pub fn wrong_type(field: &Field, got: &str) -> ApiError {
    let name = &field.name;
    ApiError::for_field(
        ErrorCode::WrongType,
        name.clone(),
        format!(
            "field '{name}' must be {}, got {got}",
            field.kind.expected()
        ),
    )
}
