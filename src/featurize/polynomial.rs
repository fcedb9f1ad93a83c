//! `PolynomialFeatures`: each output is a product of input powers (sklearn's `powers_`),
//! multiplied in sklearn's order (ascending input, one factor at a time) so that float64
//! rounding matches.

use super::{check_width, numeric_row, Cell, Columns, FieldNames};
use crate::bundle::limits;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct Polynomial {
    /// Per output: the input column of each factor, in multiplication order.
    factors: Vec<Vec<usize>>,
    lineage: Vec<Option<usize>>,
}

impl Polynomial {
    /// The compiled step and, per output, the one input column it is a power of (None for the
    /// bias and for products of several columns).
    pub fn compile(
        powers: &[Vec<u32>],
        input: &Columns,
    ) -> Result<(Self, Vec<Option<usize>>), String> {
        let mut factors = Vec::with_capacity(powers.len());
        let mut sources = Vec::with_capacity(powers.len());
        for row in powers {
            check_width("a polynomial.powers row", row.len(), input)?;
            let degree: u64 = row.iter().map(|&p| u64::from(p)).sum();
            limits::check("polynomial degree", degree, limits::MAX_POLYNOMIAL_DEGREE)?;
            let term: Vec<usize> = row
                .iter()
                .enumerate()
                .flat_map(|(i, &p)| std::iter::repeat_n(i, p as usize))
                .collect();
            let mut used = row
                .iter()
                .enumerate()
                .filter(|(_, &p)| p > 0)
                .map(|(i, _)| i);
            sources.push(match (used.next(), used.next()) {
                (Some(i), None) => Some(i),
                _ => None,
            });
            factors.push(term);
        }
        Ok((
            Polynomial {
                factors,
                lineage: input.lineage.clone(),
            },
            sources,
        ))
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        let x = numeric_row(input, &self.lineage, names)?;
        for term in &self.factors {
            let value = match term.split_first() {
                None => 1.0,
                Some((&first, rest)) => rest.iter().fold(x[first], |acc, &i| acc * x[i]),
            };
            out.push(Cell::Num(value));
        }
        Ok(())
    }
}
