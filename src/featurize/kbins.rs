//! `KBinsDiscretizer`'s bin index of each value; its one-hot encodings are a `one_hot_encoder`
//! step after this one.

use super::{check_width, field_error, numeric, Cell, Columns, FieldNames};
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
pub(crate) struct Kbins {
    /// Per column, the inner edges (sklearn's `bin_edges_[i][1:-1]`), ascending.
    inner: Vec<Vec<f64>>,
    lineage: Vec<Option<usize>>,
}

impl Kbins {
    pub fn compile(edges: &[Vec<f64>], input: &Columns) -> Result<Self, String> {
        check_width("kbins.edges", edges.len(), input)?;
        let mut inner = Vec::with_capacity(edges.len());
        for (i, e) in edges.iter().enumerate() {
            if e.len() < 2 || e.iter().any(|x| !x.is_finite()) || e.windows(2).any(|w| w[0] > w[1])
            {
                return Err(format!(
                    "kbins.edges[{i}] must be two or more finite edges in ascending order"
                ));
            }
            inner.push(e[1..e.len() - 1].to_vec());
        }
        Ok(Kbins {
            inner,
            lineage: input.lineage.clone(),
        })
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        for ((cell, lineage), inner) in input.iter().zip(&self.lineage).zip(&self.inner) {
            let x = numeric(*cell, *lineage, names)?;
            if x.is_nan() {
                // sklearn's KBinsDiscretizer refuses NaN ("Input X contains NaN").
                return Err(field_error(
                    ErrorCode::MissingValue,
                    *lineage,
                    names,
                    "is missing and the model's binning has no bin for it",
                ));
            }
            let bin = inner.partition_point(|&edge| edge <= x);
            out.push(Cell::Num(bin as f64));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_on_an_edge_goes_to_the_bin_above_as_searchsorted_right() {
        let k = Kbins::compile(&[vec![0.0, 1.0, 2.0, 3.0]], &Columns::fields(1)).unwrap();
        let names = ["x".to_string()];
        let bins: Vec<f64> = [-5.0, 0.5, 1.0, 1.5, 2.0, 9.0]
            .iter()
            .map(|&v| {
                let mut out = Vec::new();
                k.transform(&[Cell::Num(v)], &mut out, &names).unwrap();
                match out[0] {
                    Cell::Num(b) => b,
                    _ => f64::NAN,
                }
            })
            .collect();
        assert_eq!(bins, [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]);
    }

    #[test]
    fn unsorted_edges_are_refused() {
        assert!(Kbins::compile(&[vec![0.0, 2.0, 1.0]], &Columns::fields(1)).is_err());
    }
}
