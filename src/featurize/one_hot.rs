//! `OneHotEncoder`: one indicator column per fitted category (minus a dropped one), unknown
//! categories refused or encoded as all zeros per `handle_unknown`.

use super::categories::Categories;
use super::{check_width, Cell, Columns, Entry, FieldNames};
use crate::bundle::manifest::HandleUnknown;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct OneHotEncoder {
    columns: Vec<EncodedColumn>,
    handle_unknown: HandleUnknown,
}

#[derive(Debug, Clone)]
struct EncodedColumn {
    categories: Categories,
    drop: Option<usize>,
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
            let col = EncodedColumn {
                categories: Categories::compile("one_hot_encoder", cats, i, input, names)?,
                drop: drop_idx.and_then(|d| d[i]),
            };
            if col.drop.is_some_and(|d| d >= cats.len()) {
                return Err(format!("one_hot_encoder.drop_idx[{i}] is out of range"));
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
                return c.categories.category(k);
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
            let hit = col.categories.lookup(cell);
            if hit.is_none() && self.handle_unknown == HandleUnknown::Error {
                return Err(col.categories.unknown(cell));
            }
            for k in 0..col.categories.len() {
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
            let hit = col.categories.lookup(cell);
            if hit.is_none() && self.handle_unknown == HandleUnknown::Error {
                return Err(col.categories.unknown(cell));
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
        self.categories.len() - usize::from(self.drop.is_some())
    }
}
