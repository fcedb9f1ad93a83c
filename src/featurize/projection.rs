//! `PCA` and `TruncatedSVD`: each output is a dot product with a fitted component, minus the
//! projected mean and divided by a whitening scale, in that order, as sklearn's `transform`.

use super::{check_width, numeric_row, Cell, Columns, FieldNames};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct Projection {
    components: Vec<Vec<f64>>,
    offset: Option<Vec<f64>>,
    scale: Option<Vec<f64>>,
    lineage: Vec<Option<usize>>,
}

impl Projection {
    pub fn compile(
        components: &[Vec<f64>],
        offset: &Option<Vec<f64>>,
        scale: &Option<Vec<f64>>,
        input: &Columns,
    ) -> Result<Self, String> {
        for c in components {
            check_width("a projection component", c.len(), input)?;
        }
        let outputs = Columns::encoded(input, vec![None; components.len()]);
        for (what, v) in [("projection.offset", offset), ("projection.scale", scale)] {
            if let Some(v) = v {
                check_width(what, v.len(), &outputs)?;
            }
        }
        if scale.iter().flatten().any(|s| *s == 0.0 || !s.is_finite()) {
            return Err("projection.scale must be finite and non-zero".into());
        }
        Ok(Projection {
            components: components.to_vec(),
            offset: offset.clone(),
            scale: scale.clone(),
            lineage: input.lineage.clone(),
        })
    }

    pub fn width(&self) -> usize {
        self.components.len()
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        let x = numeric_row(input, &self.lineage, names)?;
        for (k, component) in self.components.iter().enumerate() {
            let mut v: f64 = x.iter().zip(component).map(|(a, b)| a * b).sum();
            if let Some(offset) = &self.offset {
                v -= offset[k];
            }
            if let Some(scale) = &self.scale {
                v /= scale[k];
            }
            out.push(Cell::Num(v));
        }
        Ok(())
    }
}
