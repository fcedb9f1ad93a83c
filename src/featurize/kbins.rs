//! `KBinsDiscretizer`'s bin index of each value; its one-hot encodings are a `one_hot_encoder`
//! step after this one.

use super::elementwise::ValueMap;
use super::{check_width, field_error, Columns, FieldNames};
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
pub(crate) struct Kbins {
    /// Per column, the inner edges (sklearn's `bin_edges_[i][1:-1]`), ascending.
    inner: Vec<Vec<f64>>,
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
        Ok(Kbins { inner })
    }
}

impl ValueMap for Kbins {
    fn map(
        &self,
        i: usize,
        x: f64,
        field: Option<usize>,
        names: &FieldNames,
    ) -> Result<f64, ApiError> {
        if x.is_nan() {
            // sklearn's KBinsDiscretizer refuses NaN ("Input X contains NaN").
            return Err(field_error(
                ErrorCode::MissingValue,
                field,
                names,
                "is missing and the model's binning has no bin for it",
            ));
        }
        Ok(self.inner[i].partition_point(|&edge| edge <= x) as f64)
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
            .map(|&v| k.map(0, v, Some(0), &names).unwrap())
            .collect();
        assert_eq!(bins, [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]);
    }

    #[test]
    fn unsorted_edges_are_refused() {
        assert!(Kbins::compile(&[vec![0.0, 2.0, 1.0]], &Columns::fields(1)).is_err());
    }
}
