//! The Open Inference Protocol's tensor datatypes, checked strictly: an infer input must name a
//! datatype the protocol defines, every data element must be a value of it, and a named input's
//! datatype must suit the field it feeds (numbers for `number` fields, BYTES for categories and
//! text, BOOL for booleans), so that no request predicts with a type that does not exist.

use crate::bundle::FieldKind;
use crate::error::{ApiError, ErrorCode};
use serde_json::Value;

/// A datatype of KServe's v2 protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    Bool,
    /// An integer type: its inclusive range.
    Int(i128, i128),
    /// FP16, FP32, FP64.
    Float,
    Bytes,
}

const NAMES: [&str; 13] = [
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16",
    "FP32", "FP64", "BYTES",
];

impl Datatype {
    pub fn parse(name: &str) -> Option<Datatype> {
        let int = |bits: u32, signed: bool| {
            if signed {
                Datatype::Int(-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                Datatype::Int(0, (1i128 << bits) - 1)
            }
        };
        Some(match name {
            "BOOL" => Datatype::Bool,
            "UINT8" => int(8, false),
            "UINT16" => int(16, false),
            "UINT32" => int(32, false),
            "UINT64" => int(64, false),
            "INT8" => int(8, true),
            "INT16" => int(16, true),
            "INT32" => int(32, true),
            "INT64" => int(64, true),
            "FP16" | "FP32" | "FP64" => Datatype::Float,
            "BYTES" => Datatype::Bytes,
            _ => return None,
        })
    }

    fn holds(self, value: &Value) -> bool {
        match (self, value) {
            (Datatype::Bool, Value::Bool(_)) => true,
            (Datatype::Int(lo, hi), Value::Number(n)) => {
                let v = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from));
                v.is_some_and(|v| (lo..=hi).contains(&v))
            }
            (Datatype::Float, Value::Number(_)) => true,
            (Datatype::Bytes, Value::String(_)) => true,
            _ => false,
        }
    }

    fn is_numeric(self) -> bool {
        matches!(self, Datatype::Int(..) | Datatype::Float)
    }
}

/// The input's datatype (as written, and parsed), after checking that it exists and that every
/// element is one of its values.
pub fn check<'a>(
    name: &str,
    datatype: Option<&'a Value>,
    data: &[&Value],
) -> Result<(&'a str, Datatype), ApiError> {
    let wrong = |message: String| ApiError::for_field(ErrorCode::WrongType, name, message);
    let text = datatype.and_then(Value::as_str).ok_or_else(|| {
        wrong(format!(
            "input '{name}' needs a datatype, one of {}",
            NAMES.join(", ")
        ))
    })?;
    let datatype = Datatype::parse(text).ok_or_else(|| {
        wrong(format!(
            "input '{name}' has datatype '{text}', which the Open Inference Protocol does not define; use one of {}",
            NAMES.join(", ")
        ))
    })?;
    if let Some((i, bad)) = data.iter().enumerate().find(|(_, v)| !datatype.holds(v)) {
        return Err(wrong(format!(
            "input '{name}' is {text}, but its element {i} is {bad}"
        )));
    }
    Ok((text, datatype))
}

/// Checks that a named input's datatype suits its field.
pub fn suits(name: &str, text: &str, datatype: Datatype, kind: FieldKind) -> Result<(), ApiError> {
    let fits = match kind {
        FieldKind::Number => datatype.is_numeric(),
        FieldKind::Bool => datatype == Datatype::Bool,
        FieldKind::Category => datatype == Datatype::Bytes || datatype.is_numeric(),
        FieldKind::Text => datatype == Datatype::Bytes,
    };
    if fits {
        return Ok(());
    }
    let field_kind = kind.name();
    let want = match kind {
        FieldKind::Number => "a numeric datatype (FP64, FP32, INT64, ...)",
        FieldKind::Bool => "BOOL",
        FieldKind::Category => "BYTES (or a numeric datatype)",
        FieldKind::Text => "BYTES",
    };
    Err(ApiError::for_field(
        ErrorCode::WrongType,
        name,
        format!(
            "input '{name}' feeds a {field_kind} field, so its datatype must be {want}, not {text}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn datatypes_and_values() {
        let ok = |dt: &str, v: Value| {
            let data: Vec<&Value> = vec![&v];
            check("x", Some(&json!(dt)), &data).is_ok()
        };
        assert!(ok("FP32", json!(1.5)) && ok("FP64", json!(3)) && ok("INT64", json!(-7)));
        assert!(ok("UINT8", json!(255)) && !ok("UINT8", json!(256)) && !ok("UINT8", json!(-1)));
        assert!(!ok("INT32", json!(1.5)) && ok("BOOL", json!(true)) && !ok("BOOL", json!(1)));
        assert!(ok("BYTES", json!("a")) && !ok("BYTES", json!(1)) && !ok("FP32", json!("1")));
        for bad in ["FP128", "fp32", "STRING", ""] {
            assert!(!ok(bad, json!(1)), "{bad}");
        }
        let e = check("x", None, &[]).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::WrongType, Some("x"))
        );
    }
}
