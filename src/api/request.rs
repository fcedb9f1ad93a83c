//! Request bodies: every accepted shape becomes a list of raw rows, each a [`Cell`] per schema
//! field. Values are checked against the field's type here, so that the message names the
//! field and what was expected.
//!
//! Accepted shapes (exactly one key):
//! - `{"features": [v, ...]}`: one row, positional, in manifest order (the textbook shape);
//! - `{"features": [[v, ...], ...]}`: several positional rows;
//! - `{"record": {"field": v, ...}}`: one row by name;
//! - `{"instances": [{...} | [...], ...]}`: several rows, each named or positional;
//! - `{"dataframe_split": {"columns": [...], "data": [[...], ...]}}`: pandas' split orient.
//!
//! Beside any of them, `"explain": true` asks for each row's explanation ([`explain_requested`]).

use crate::bundle::manifest::Field;
use crate::error::{ApiError, ErrorCode};
use crate::input::{cell, fill_row, named_row, record, unknown_field, Cell};
use serde_json::{Map, Value};

/// The parsed rows, and whether the body was a single-row shape (which gets a single response).
#[derive(Debug)]
pub struct Rows<'a> {
    pub rows: Vec<Vec<Cell<'a>>>,
    pub single: bool,
}

pub const SHAPES: &str =
    "{\"features\": [...]}, {\"features\": [[...], ...]}, {\"record\": {...}}, \
{\"instances\": [...]}, {\"dataframe_split\": {\"columns\": [...], \"data\": [[...]]}} \
or the record itself (every key a field of the model)";

/// The keys of the explicit shapes: a body with one of them is that shape, even for a model
/// that has a field of the same name.
const SHAPE_KEYS: [&str; 4] = ["features", "record", "instances", "dataframe_split"];

/// The key that asks for explanations, beside a body's shape.
pub const EXPLAIN: &str = "explain";

/// Whether the body asks for explanations (`"explain": true`); anything but a boolean there is
/// refused.
pub fn explain_requested(body: &Value) -> Result<bool, ApiError> {
    match body.get(EXPLAIN) {
        None | Some(Value::Bool(false)) => Ok(false),
        Some(Value::Bool(true)) => Ok(true),
        Some(other) => Err(ApiError::for_field(
            ErrorCode::WrongType,
            EXPLAIN,
            format!("'explain' must be true or false, got {other}"),
        )),
    }
}

pub fn parse<'a>(body: &'a Value, fields: &[Field]) -> Result<Rows<'a>, ApiError> {
    let object = body.as_object().ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnknownBodyShape,
            format!("the body must be a JSON object: {SHAPES}"),
        )
    })?;
    if let Some(rows) = bare_record(object, fields)? {
        return Ok(rows);
    }
    let mut keys = object.keys().filter(|k| k.as_str() != EXPLAIN);
    let (key, extra) = (keys.next(), keys.next());
    let key = match (key, extra) {
        (Some(k), None) => k.as_str(),
        (None, _) => {
            return Err(ApiError::new(
                ErrorCode::UnknownBodyShape,
                format!("the body is empty; send {SHAPES}"),
            ))
        }
        (Some(a), Some(b)) => {
            // Some keys are fields: the caller probably meant a bare record; say which key is not.
            let not_field = object
                .keys()
                .filter(|k| k.as_str() != EXPLAIN)
                .find(|k| !is_field(k, fields));
            let hint = match not_field {
                Some(k) if object.keys().any(|k| is_field(k, fields)) => format!(
                    "; as the record itself, every key must be a field, and '{k}' is not (fields: {})",
                    field_list(fields)
                ),
                _ => String::new(),
            };
            return Err(ApiError::new(
                ErrorCode::UnknownBodyShape,
                format!(
                    "the body must have exactly one key, got '{a}' and '{b}'; send {SHAPES}{hint}"
                ),
            ));
        }
    };
    let value = &object[key];
    let result = match key {
        "features" => parse_features(value, fields),
        "record" => Ok(Rows {
            rows: vec![record(value, fields)?],
            single: true,
        }),
        "instances" => parse_instances(value, fields),
        "dataframe_split" => parse_dataframe_split(value, fields),
        other => Err(ApiError::new(
            ErrorCode::UnknownBodyShape,
            format!("unknown key '{other}'; send {SHAPES}"),
        )),
    }?;
    if result.rows.is_empty() {
        return Err(ApiError::new(
            ErrorCode::EmptyBatch,
            "the request has no rows",
        ));
    }
    Ok(result)
}

fn is_field(key: &str, fields: &[Field]) -> bool {
    fields.iter().any(|f| f.name == key)
}

fn field_list(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bare record: the body is the record itself (`{"tenure": 1, "contract": ...}`), as services
/// that already call a model post it. Taken when every key but `"explain"` is a field of the
/// schema, unless the body is one of the explicit shapes (one key among [`SHAPE_KEYS`]).
fn bare_record<'a>(
    object: &'a Map<String, Value>,
    fields: &[Field],
) -> Result<Option<Rows<'a>>, ApiError> {
    let mut keys = object.keys().filter(|k| k.as_str() != EXPLAIN);
    let Some(first) = keys.next() else {
        return Ok(None);
    };
    let only_one = keys.next().is_none();
    if only_one && SHAPE_KEYS.contains(&first.as_str()) {
        return Ok(None);
    }
    if !object
        .keys()
        .filter(|k| k.as_str() != EXPLAIN)
        .all(|k| is_field(k, fields))
    {
        return Ok(None);
    }
    let slots: Vec<Option<&'a Value>> = fields.iter().map(|f| object.get(&f.name)).collect();
    Ok(Some(Rows {
        rows: vec![fill_row(&slots, fields)?],
        single: true,
    }))
}

fn parse_features<'a>(value: &'a Value, fields: &[Field]) -> Result<Rows<'a>, ApiError> {
    let items = value.as_array().ok_or_else(|| {
        ApiError::for_field(
            ErrorCode::UnknownBodyShape,
            "features",
            format!(
                "'features' must be an array of {} values (or an array of such arrays)",
                fields.len()
            ),
        )
    })?;
    let batch = !items.is_empty() && items.iter().all(Value::is_array);
    if batch {
        let n = items.len();
        let rows = items
            .iter()
            .enumerate()
            .map(|(i, row)| {
                positional_row(
                    row.as_array().map(Vec::as_slice).unwrap_or_default(),
                    fields,
                )
                .map_err(|e| e.in_row(i, n))
            })
            .collect::<Result<_, _>>()?;
        Ok(Rows {
            rows,
            single: false,
        })
    } else {
        Ok(Rows {
            rows: vec![positional_row(items, fields)?],
            single: true,
        })
    }
}

fn parse_instances<'a>(value: &'a Value, fields: &[Field]) -> Result<Rows<'a>, ApiError> {
    let items = value.as_array().ok_or_else(|| {
        ApiError::for_field(
            ErrorCode::UnknownBodyShape,
            "instances",
            "'instances' must be an array of records or arrays",
        )
    })?;
    let n = items.len();
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            match item {
                Value::Object(record) => named_row(record, fields),
                Value::Array(values) => positional_row(values, fields),
                _ => Err(ApiError::for_field(
                    ErrorCode::UnknownBodyShape,
                    "instances",
                    "each instance must be an object of field values or an array of values",
                )),
            }
            .map_err(|e| e.in_row(i, n))
        })
        .collect::<Result<_, _>>()?;
    Ok(Rows {
        rows,
        single: false,
    })
}

fn parse_dataframe_split<'a>(value: &'a Value, fields: &[Field]) -> Result<Rows<'a>, ApiError> {
    let shape_error = || {
        ApiError::for_field(
            ErrorCode::UnknownBodyShape,
            "dataframe_split",
            "'dataframe_split' must be {\"columns\": [names...], \"data\": [[values...], ...]}",
        )
    };
    let split = value.as_object().ok_or_else(shape_error)?;
    if let Some(k) = split
        .keys()
        .find(|k| !matches!(k.as_str(), "columns" | "data" | "index"))
    {
        return Err(ApiError::for_field(
            ErrorCode::UnknownBodyShape,
            "dataframe_split",
            format!("unknown key '{k}' in dataframe_split (expected columns, data, index)"),
        ));
    }
    let columns = split
        .get("columns")
        .and_then(Value::as_array)
        .ok_or_else(shape_error)?;
    let data = split
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(shape_error)?;
    let columns: Vec<&str> = columns
        .iter()
        .map(|c| c.as_str().ok_or_else(shape_error))
        .collect::<Result<_, _>>()?;
    let mut positions = Vec::with_capacity(columns.len());
    for (i, name) in columns.iter().enumerate() {
        let pos = fields
            .iter()
            .position(|f| f.name == *name)
            .ok_or_else(|| unknown_field(name, fields))?;
        if columns[..i].contains(name) {
            return Err(ApiError::for_field(
                ErrorCode::UnknownBodyShape,
                *name,
                format!("column '{name}' appears twice"),
            ));
        }
        positions.push(pos);
    }
    let n = data.len();
    let rows = data
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let values = row.as_array().ok_or_else(shape_error)?;
            if values.len() != columns.len() {
                return Err(ApiError::new(
                    ErrorCode::WrongFeatureCount,
                    format!("has {} values for {} columns", values.len(), columns.len()),
                )
                .in_row(r, 2));
            }
            let mut slots: Vec<Option<&'a Value>> = vec![None; fields.len()];
            for (v, &pos) in values.iter().zip(&positions) {
                slots[pos] = Some(v);
            }
            fill_row(&slots, fields).map_err(|e| e.in_row(r, n))
        })
        .collect::<Result<_, _>>()?;
    Ok(Rows {
        rows,
        single: false,
    })
}

fn positional_row<'a>(values: &'a [Value], fields: &[Field]) -> Result<Vec<Cell<'a>>, ApiError> {
    if values.len() != fields.len() {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        return Err(ApiError::for_field(
            ErrorCode::WrongFeatureCount,
            "features",
            format!(
                "expected {} values ({}), got {}",
                fields.len(),
                names.join(", "),
                values.len()
            ),
        ));
    }
    values.iter().zip(fields).map(|(v, f)| cell(v, f)).collect()
}
