//! `OneHotEncoder`: one indicator column per fitted category (minus a dropped one), unknown
//! categories refused or encoded as all zeros per `handle_unknown`.

use super::fast_hash::FastMap;
use super::{check_width, Cell, Columns, Entry, FieldNames};
use crate::bundle::manifest::HandleUnknown;
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
pub(crate) struct OneHotEncoder {
    columns: Vec<EncodedColumn>,
    handle_unknown: HandleUnknown,
}

#[derive(Debug, Clone)]
struct EncodedColumn {
    strings: FastMap<String, usize>,
    numbers: Vec<(f64, usize)>,
    bools: [Option<usize>; 2],
    missing: Option<usize>,
    n_categories: usize,
    drop: Option<usize>,
    /// For error messages: the field and its categories as JSON.
    field: Option<String>,
    listing: String,
}

impl OneHotEncoder {
    pub fn compile(
        categories: &[Vec<serde_json::Value>],
        handle_unknown: HandleUnknown,
        drop_idx: Option<&[Option<usize>]>,
        input: &Columns,
        names: &FieldNames,
    ) -> Result<Self, String> {
        check_width("one_hot_encoder.categories", categories.len(), input)?;
        if let Some(d) = drop_idx {
            check_width("one_hot_encoder.drop_idx", d.len(), input)?;
        }
        let mut columns = Vec::with_capacity(categories.len());
        for (i, cats) in categories.iter().enumerate() {
            let mut col = EncodedColumn {
                strings: FastMap::default(),
                numbers: Vec::new(),
                bools: [None, None],
                missing: None,
                n_categories: cats.len(),
                drop: drop_idx.and_then(|d| d[i]),
                field: input.lineage[i].and_then(|f| names.get(f)).cloned(),
                listing: listing(cats),
            };
            if col.drop.is_some_and(|d| d >= cats.len()) {
                return Err(format!("one_hot_encoder.drop_idx[{i}] is out of range"));
            }
            for (k, v) in cats.iter().enumerate() {
                match v {
                    serde_json::Value::String(s) => {
                        col.strings.insert(s.clone(), k);
                    }
                    serde_json::Value::Number(n) => {
                        let x = n
                            .as_f64()
                            .ok_or("one_hot_encoder category is not a float")?;
                        col.numbers.push((x, k));
                    }
                    serde_json::Value::Bool(b) => col.bools[usize::from(*b)] = Some(k),
                    serde_json::Value::Null => col.missing = Some(k),
                    other => return Err(format!("one_hot_encoder category {other} not supported")),
                }
            }
            columns.push(col);
        }
        Ok(OneHotEncoder {
            columns,
            handle_unknown,
        })
    }

    /// Per output column, the input column it encodes.
    pub fn output_sources(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .flat_map(|(i, c)| std::iter::repeat_n(i, c.width()))
            .collect()
    }

    /// The category an output column stands for.
    pub fn label(&self, mut column: usize) -> Option<String> {
        for c in &self.columns {
            let width = c.width();
            if column < width {
                let k = match c.drop {
                    Some(d) if column >= d => column + 1,
                    _ => column,
                };
                return c.category(k);
            }
            column -= width;
        }
        None
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
    ) -> Result<(), ApiError> {
        for (cell, col) in input.iter().zip(&self.columns) {
            let hit = col.lookup(cell);
            if hit.is_none() && self.handle_unknown == HandleUnknown::Error {
                return Err(col.unknown(cell));
            }
            for k in 0..col.n_categories {
                if Some(k) == col.drop {
                    continue;
                }
                out.push(Cell::Num(if Some(k) == hit { 1.0 } else { 0.0 }));
            }
        }
        Ok(())
    }
}

impl OneHotEncoder {
    /// The indicator columns that are 1, as entries from `offset` on.
    pub fn transform_sparse<'a>(
        &self,
        input: &[Cell<'a>],
        offset: usize,
        out: &mut Vec<Entry<'a>>,
    ) -> Result<(), ApiError> {
        let mut base = offset;
        for (cell, col) in input.iter().zip(&self.columns) {
            let hit = col.lookup(cell);
            if hit.is_none() && self.handle_unknown == HandleUnknown::Error {
                return Err(col.unknown(cell));
            }
            if let Some(k) = hit.filter(|&k| Some(k) != col.drop) {
                let position = k - usize::from(col.drop.is_some_and(|d| d < k));
                out.push(((base + position) as u32, Cell::Num(1.0)));
            }
            base += col.width();
        }
        Ok(())
    }
}

impl EncodedColumn {
    /// Output columns: one per category, minus the dropped one.
    fn width(&self) -> usize {
        self.n_categories - usize::from(self.drop.is_some())
    }

    /// Category `k` as text.
    fn category(&self, k: usize) -> Option<String> {
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

    fn lookup(&self, cell: &Cell<'_>) -> Option<usize> {
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

    fn unknown(&self, cell: &Cell<'_>) -> ApiError {
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
