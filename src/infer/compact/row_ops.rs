//! The small row-wise operators found around sklearn estimators in skl2onnx graphs: Normalizer,
//! Scaler, Sub/Div/Add/Mul by a constant, ArrayFeatureExtractor. Each works on row-major float
//! rows of a known width, as onnxruntime computes it.

use crate::infer::onnx::{Node, Tensor};
use crate::infer::GraphError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Norm {
    Max,
    L1,
    L2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// A row-wise operator on float rows of width `cols_in`, giving rows of `cols_out`.
#[derive(Debug, Clone)]
pub enum RowOp {
    Normalizer(Norm),
    /// `(x - offset) * scale`, each one value per column (broadcast when given once).
    Scaler {
        offset: Vec<f32>,
        scale: Vec<f32>,
    },
    /// `x op c`, `c` one value per column.
    Arith {
        op: Arith,
        constant: Vec<f32>,
    },
    /// Columns picked by index (ArrayFeatureExtractor on the last axis).
    Select(Vec<usize>),
}

impl RowOp {
    pub fn normalizer(node: &Node) -> Result<RowOp, GraphError> {
        Ok(RowOp::Normalizer(
            match node.string("norm")?.as_deref().unwrap_or("MAX") {
                "MAX" => Norm::Max,
                "L1" => Norm::L1,
                "L2" => Norm::L2,
                other => {
                    return Err(GraphError::Invalid(format!(
                        "{}: norm {other}",
                        node.describe()
                    )))
                }
            },
        ))
    }

    pub fn scaler(node: &Node, cols: usize) -> Result<RowOp, GraphError> {
        let per_column = |name: &str, default: f32| -> Result<Vec<f32>, GraphError> {
            match node.floats(name) {
                [] => Ok(vec![default; cols]),
                [v] => Ok(vec![*v; cols]),
                v if v.len() == cols => Ok(v.to_vec()),
                v => Err(GraphError::Invalid(format!(
                    "{}: {name} has {} values for {cols} columns",
                    node.describe(),
                    v.len()
                ))),
            }
        };
        Ok(RowOp::Scaler {
            offset: per_column("offset", 0.0)?,
            scale: per_column("scale", 1.0)?,
        })
    }

    /// `x op c` where `c` broadcasts along the last axis (a scalar, `[cols]` or `[1, cols]`).
    pub fn arith(
        node: &Node,
        op: Arith,
        constant: &Tensor,
        cols: usize,
    ) -> Result<RowOp, GraphError> {
        let dims_ok = match constant.dims.as_slice() {
            [] => true,
            [n] => *n == 1 || *n as usize == cols,
            [1, n] => *n == 1 || *n as usize == cols,
            _ => false,
        };
        let values = constant.to_f32()?;
        if !dims_ok {
            return Err(GraphError::Unsupported(format!(
                "{} with a constant of shape {:?} on rows of {cols}",
                node.describe(),
                constant.dims
            )));
        }
        let constant = if values.len() == 1 {
            vec![values[0]; cols]
        } else {
            values
        };
        Ok(RowOp::Arith { op, constant })
    }

    pub fn select(node: &Node, indices: &Tensor, cols: usize) -> Result<RowOp, GraphError> {
        let picked = indices
            .to_i64()?
            .into_iter()
            .map(|i| usize::try_from(i).ok().filter(|&i| i < cols))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                GraphError::Invalid(format!(
                    "{}: an index is outside 0..{cols}",
                    node.describe()
                ))
            })?;
        if picked.is_empty() {
            return Err(GraphError::Invalid(format!(
                "{}: no indices",
                node.describe()
            )));
        }
        Ok(RowOp::Select(picked))
    }

    pub fn cols_out(&self, cols_in: usize) -> usize {
        match self {
            RowOp::Select(picked) => picked.len(),
            _ => cols_in,
        }
    }

    /// Applies the operator to `rows` rows of `cols_in` values.
    pub fn apply(&self, x: &[f32], cols_in: usize) -> Vec<f32> {
        match self {
            RowOp::Select(picked) => x
                .chunks_exact(cols_in)
                .flat_map(|row| picked.iter().map(move |&c| row[c]))
                .collect(),
            RowOp::Normalizer(norm) => {
                let mut out = x.to_vec();
                out.chunks_exact_mut(cols_in)
                    .for_each(|row| normalize(*norm, row));
                out
            }
            RowOp::Scaler { offset, scale } => x
                .chunks_exact(cols_in)
                .flat_map(|row| {
                    row.iter()
                        .zip(offset)
                        .zip(scale)
                        .map(|((&v, &o), &s)| (v - o) * s)
                })
                .collect(),
            RowOp::Arith { op, constant } => x
                .chunks_exact(cols_in)
                .flat_map(|row| {
                    row.iter().zip(constant).map(|(&v, &c)| match op {
                        Arith::Add => v + c,
                        Arith::Sub => v - c,
                        Arith::Mul => v * c,
                        Arith::Div => v / c,
                    })
                })
                .collect(),
        }
    }
}

/// ORT's NormalizeMax / NormalizeL1 / NormalizeL2: a row whose norm is zero stays as it is.
fn normalize(norm: Norm, row: &mut [f32]) {
    match norm {
        Norm::Max => {
            let max = row.iter().copied().fold(f32::MIN, f32::max);
            if max != 0.0 {
                row.iter_mut().for_each(|v| *v /= max);
            }
        }
        Norm::L1 => {
            let sum: f32 = row.iter().map(|v| v.abs()).fold(0.0, |a, b| a + b);
            if sum != 0.0 {
                row.iter_mut().for_each(|v| *v /= sum);
            }
        }
        Norm::L2 => {
            let sum: f32 = row.iter().map(|v| v * v).fold(0.0, |a, b| a + b);
            if sum != 0.0 {
                for v in row.iter_mut() {
                    let r = (*v * *v / sum).sqrt();
                    *v = if *v < 0.0 { -r } else { r };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizers_follow_onnxruntime() {
        let x = [1.0f32, -3.0, 4.0, 0.0, 0.0, 0.0];
        let l1 = RowOp::Normalizer(Norm::L1).apply(&x, 3);
        assert_eq!(l1, [1.0 / 8.0, -3.0 / 8.0, 4.0 / 8.0, 0.0, 0.0, 0.0]);
        let max = RowOp::Normalizer(Norm::Max).apply(&x, 3);
        assert_eq!(&max[..3], &[0.25, -0.75, 1.0]);
        let l2 = RowOp::Normalizer(Norm::L2).apply(&x[..3], 3);
        assert!((l2[1] - -3.0 / 26f32.sqrt()).abs() < 1e-7);
    }

    #[test]
    fn scaler_select_and_arithmetic() {
        let s = RowOp::Scaler {
            offset: vec![1.0, 2.0],
            scale: vec![2.0, 0.5],
        };
        assert_eq!(s.apply(&[3.0, 4.0, 1.0, 0.0], 2), [4.0, 1.0, 0.0, -1.0]);
        let t = Tensor {
            dims: vec![2],
            data_type: 1,
            floats: vec![10.0, 4.0],
            ..Default::default()
        };
        let d = RowOp::arith(&Node::default(), Arith::Div, &t, 2).unwrap();
        assert_eq!(d.apply(&[5.0, 2.0], 2), [0.5, 0.5]);
        let i = Tensor {
            dims: vec![],
            data_type: 7,
            ints: vec![1],
            ..Default::default()
        };
        let sel = RowOp::select(&Node::default(), &i, 2).unwrap();
        assert_eq!(sel.cols_out(2), 1);
        assert_eq!(sel.apply(&[5.0, 2.0, 7.0, 9.0], 2), [2.0, 9.0]);
        let out_of_range = Tensor {
            dims: vec![1],
            data_type: 7,
            ints: vec![2],
            ..Default::default()
        };
        assert!(RowOp::select(&Node::default(), &out_of_range, 2).is_err());
    }
}
