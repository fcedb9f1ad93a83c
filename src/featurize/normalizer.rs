//! `Normalizer`: each row divided by its l1, l2 or max norm, as `sklearn.preprocessing.normalize`.

use super::{numeric, Cell, Columns, FieldNames};
use crate::bundle::manifest::RowNorm;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct Normalizer {
    norm: RowNorm,
    lineage: Vec<Option<usize>>,
}

impl Normalizer {
    pub fn compile(norm: RowNorm, input: &Columns) -> Normalizer {
        Normalizer {
            norm,
            lineage: input.lineage.clone(),
        }
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        let start = out.len();
        for (cell, lineage) in input.iter().zip(&self.lineage) {
            out.push(Cell::Num(numeric(*cell, *lineage, names)?));
        }
        let values = || {
            out[start..].iter().map(|c| match c {
                Cell::Num(x) => *x,
                _ => 0.0,
            })
        };
        let norm = match self.norm {
            RowNorm::L1 => values().map(f64::abs).sum::<f64>(),
            RowNorm::L2 => values().map(|x| x * x).sum::<f64>().sqrt(),
            RowNorm::Max => values().map(f64::abs).fold(0.0, f64::max),
        };
        // sklearn's _handle_zeros_in_scale: a norm below 10 machine epsilons leaves the row.
        if norm < 10.0 * f64::EPSILON {
            return Ok(());
        }
        for c in &mut out[start..] {
            if let Cell::Num(x) = c {
                *x /= norm;
            }
        }
        Ok(())
    }
}
