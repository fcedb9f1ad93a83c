//! A fitted column's categories, looked up by a cell's value (a string, a number, a bool, or
//! missing where the categories hold null): what `OneHotEncoder` and `OrdinalEncoder` share.

use super::fast_hash::FastMap;
use super::{Cell, Columns, FieldNames};
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
pub(crate) struct Categories {
    strings: FastMap<String, usize>,
    numbers: Vec<(f64, usize)>,
    bools: [Option<usize>; 2],
    missing: Option<usize>,
    len: usize,
    /// For error messages: the field and its categories as JSON.
    field: Option<String>,
    listing: String,
}

impl Categories {
    /// The categories of input column `i`; `what` names the step's parameter in errors.
    pub fn compile(
        what: &str,
        values: &[serde_json::Value],
        i: usize,
        input: &Columns,
        names: &FieldNames,
    ) -> Result<Self, String> {
        let mut c = Categories {
            strings: FastMap::default(),
            numbers: Vec::new(),
            bools: [None, None],
            missing: None,
            len: values.len(),
            field: input.lineage[i].and_then(|f| names.get(f)).cloned(),
            listing: listing(values),
        };
        for (k, v) in values.iter().enumerate() {
            match v {
                serde_json::Value::String(s) => {
                    c.strings.insert(s.clone(), k);
                }
                serde_json::Value::Number(n) => {
                    let x = n
                        .as_f64()
                        .ok_or_else(|| format!("{what} category is not a float"))?;
                    c.numbers.push((x, k));
                }
                serde_json::Value::Bool(b) => c.bools[usize::from(*b)] = Some(k),
                serde_json::Value::Null => c.missing = Some(k),
                other => return Err(format!("{what} category {other} not supported")),
            }
        }
        Ok(c)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether a missing value is one of the categories.
    pub fn has_missing(&self) -> bool {
        self.missing.is_some()
    }

    /// Category `k` as text.
    pub fn category(&self, k: usize) -> Option<String> {
        if let Some((s, _)) = self.strings.iter().find(|(_, &i)| i == k) {
            return Some(s.clone());
        }
        if let Some((x, _)) = self.numbers.iter().find(|(_, i)| *i == k) {
            return Some(x.to_string());
        }
        if let Some(b) = self.bools.iter().position(|&i| i == Some(k)) {
            return Some((b == 1).to_string());
        }
        (self.missing == Some(k)).then(|| "missing".to_string())
    }

    /// The index of `cell`'s category, if it is one.
    pub fn lookup(&self, cell: &Cell<'_>) -> Option<usize> {
        if cell.is_missing() {
            return self.missing;
        }
        match cell {
            Cell::Str(s) => self.strings.get(*s).copied(),
            Cell::Num(x) => self.numbers.iter().find(|(v, _)| v == x).map(|(_, k)| *k),
            Cell::Bool(b) => self.bools[usize::from(*b)],
            Cell::Missing => self.missing,
        }
    }

    /// The refusal of a value that is not one of the categories, naming the field.
    pub fn unknown(&self, cell: &Cell<'_>) -> ApiError {
        let value = match cell {
            Cell::Str(s) => format!("{s:?}"),
            Cell::Num(x) => x.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Missing => "a missing value".to_string(),
        };
        let what = format!("unknown category {value}; expected one of {}", self.listing);
        match &self.field {
            Some(name) => ApiError::for_field(
                ErrorCode::UnknownCategory,
                name.clone(),
                format!("field '{name}': {what}"),
            ),
            None => ApiError::new(ErrorCode::UnknownCategory, what),
        }
    }
}

fn listing(cats: &[serde_json::Value]) -> String {
    const SHOWN: usize = 20;
    let mut parts: Vec<String> = cats.iter().take(SHOWN).map(|v| v.to_string()).collect();
    if cats.len() > SHOWN {
        parts.push(format!("... ({} in all)", cats.len()));
    }
    parts.join(", ")
}
