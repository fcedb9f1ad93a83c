//! `DictVectorizer`: the raw record as a dict. A string value `v` of field `f` sets column
//! `f=v` to 1; a number (or bool) sets column `f` to its value; absent fields and names not seen
//! in training add nothing, exactly as sklearn ignores them.

use super::fast_hash::FastMap;
use super::{Cell, Columns, Entry, FieldNames};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub(crate) struct DictVectorizer {
    width: usize,
    /// Per input column: the column for a numeric value, and the columns for string values.
    columns: Vec<FieldColumns>,
}

#[derive(Debug, Clone, Default)]
struct FieldColumns {
    numeric: Option<usize>,
    strings: FastMap<String, usize>,
}

impl DictVectorizer {
    pub fn compile(
        feature_names: &[String],
        separator: &str,
        input: &Columns,
        names: &FieldNames,
    ) -> Result<Self, String> {
        let index: HashMap<&str, usize> = feature_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut columns = Vec::with_capacity(input.width());
        for lineage in &input.lineage {
            let name = lineage
                .and_then(|f| names.get(f))
                .ok_or("dict_vectorizer must read raw fields (it has to be the first step)")?;
            let prefix = format!("{name}{separator}");
            let strings = feature_names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| n.strip_prefix(&prefix).map(|v| (v.to_string(), i)))
                .collect();
            columns.push(FieldColumns {
                numeric: index.get(name.as_str()).copied(),
                strings,
            });
        }
        Ok(DictVectorizer {
            width: feature_names.len(),
            columns,
        })
    }

    /// Per output column, the input column whose key it encodes.
    pub fn output_sources(&self) -> Vec<Option<usize>> {
        let mut sources = vec![None; self.width];
        for (i, c) in self.columns.iter().enumerate() {
            for j in c.numeric.iter().chain(c.strings.values()) {
                if let Some(s) = sources.get_mut(*j) {
                    *s = Some(i);
                }
            }
        }
        sources
    }

    /// The string value an output column stands for (none for a numeric key's column).
    pub fn label(&self, column: usize) -> Option<String> {
        self.columns.iter().find_map(|c| {
            c.strings
                .iter()
                .find(|(_, &j)| j == column)
                .map(|(v, _)| v.clone())
        })
    }

    pub fn transform<'a>(&self, input: &[Cell<'a>], out: &mut Vec<Cell<'a>>) {
        let start = out.len();
        out.resize(start + self.width, Cell::Num(0.0));
        for (i, x) in self.hits(input) {
            out[start + i] = Cell::Num(x);
        }
    }

    /// The non-zero columns, as entries from `offset` on (unsorted: the caller sorts).
    pub fn transform_sparse<'a>(
        &self,
        input: &[Cell<'a>],
        offset: usize,
        out: &mut Vec<Entry<'a>>,
    ) {
        out.extend(
            self.hits(input)
                .filter(|&(_, x)| x != 0.0)
                .map(|(i, x)| ((offset + i) as u32, Cell::Num(x))),
        );
    }

    /// The column each present value sets, and to what.
    fn hits<'s>(&'s self, input: &'s [Cell<'_>]) -> impl Iterator<Item = (usize, f64)> + 's {
        input
            .iter()
            .zip(&self.columns)
            .filter_map(|(cell, col)| match *cell {
                Cell::Str(s) => col.strings.get(s).map(|&i| (i, 1.0)),
                Cell::Num(x) => col.numeric.map(|i| (i, x)),
                Cell::Bool(b) => col.numeric.map(|i| (i, f64::from(u8::from(b)))),
                Cell::Missing => None,
            })
    }
}
