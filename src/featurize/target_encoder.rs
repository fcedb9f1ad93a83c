//! `TargetEncoder`: a category becomes the target statistic it was fitted with (one column per
//! input, or one per class and input for a multiclass target); an unknown category, or a
//! missing value the categories do not hold, becomes the target's mean.

use super::categories::Categories;
use super::{check_width, Cell, Columns, FieldNames};

#[derive(Debug, Clone)]
pub(crate) struct TargetEncoder {
    columns: Vec<Categories>,
    /// Output columns per input column (1, or the number of classes).
    per_input: usize,
    /// Per output column, the value of each category of its input column.
    encodings: Vec<Vec<f64>>,
    /// Per output column, the value of an unknown category.
    unknown: Vec<f64>,
}

impl TargetEncoder {
    /// Returns the encoder and, per output column, the input column it reads.
    pub fn compile(
        categories: &[Vec<serde_json::Value>],
        encodings: &[Vec<f64>],
        target_mean: &[f64],
        input: &Columns,
        names: &FieldNames,
    ) -> Result<(Self, Vec<usize>), String> {
        check_width("target_encoder.categories", categories.len(), input)?;
        let per_input = target_mean.len();
        if per_input == 0 || encodings.len() != categories.len() * per_input {
            return Err(format!(
                "target_encoder has {} encodings for {} columns and {per_input} target means",
                encodings.len(),
                categories.len()
            ));
        }
        if target_mean
            .iter()
            .chain(encodings.iter().flatten())
            .any(|x| !x.is_finite())
        {
            return Err("target_encoder encodings and target_mean must be finite".into());
        }
        let columns = categories
            .iter()
            .enumerate()
            .map(|(i, cats)| Categories::compile("target_encoder", cats, i, input, names))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sources = Vec::with_capacity(encodings.len());
        for (e, encoding) in encodings.iter().enumerate() {
            let source = e / per_input;
            if encoding.len() != columns[source].len() {
                return Err(format!(
                    "target_encoder.encodings[{e}] has {} values for {} categories",
                    encoding.len(),
                    columns[source].len()
                ));
            }
            sources.push(source);
        }
        let unknown = (0..encodings.len())
            .map(|e| target_mean[e % per_input])
            .collect();
        Ok((
            TargetEncoder {
                columns,
                per_input,
                encodings: encodings.to_vec(),
                unknown,
            },
            sources,
        ))
    }

    pub fn transform<'a>(&self, input: &[Cell<'a>], out: &mut Vec<Cell<'a>>) {
        for (i, (cell, categories)) in input.iter().zip(&self.columns).enumerate() {
            // sklearn encodes with handle_unknown="ignore": no category is ever refused.
            let k = categories.lookup(cell);
            for e in i * self.per_input..(i + 1) * self.per_input {
                let x = match k {
                    Some(k) => self.encodings[e][k],
                    None => self.unknown[e],
                };
                out.push(Cell::Num(x));
            }
        }
    }
}
