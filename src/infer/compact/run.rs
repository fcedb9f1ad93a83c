//! Running compiled steps over a batch of rows: each step reads its input slot (the caller's
//! rows for the graph input, dense or sparse), runs its kernel and fills its output slots.

use super::linear::{ClassifierHead, Linear};
use super::row_ops::RowOp;
use super::{invalid, CompactGraph, Kernel, RawOutput, Step, INPUT_SLOT};
use crate::featurize::SparseRows;
use crate::infer::trees::Ensemble;
use crate::infer::{Features, GraphError};

/// What a kernel reads: only the graph input can be sparse.
#[derive(Clone, Copy)]
enum Operand<'a> {
    Dense(&'a [f32]),
    Sparse(&'a SparseRows),
}

impl CompactGraph {
    /// Runs the graph on `rows` rows; returns the wanted outputs in the order asked.
    pub fn run(&self, features: Features<'_>, rows: usize) -> Result<Vec<RawOutput>, GraphError> {
        self.check_input(features, rows)?;
        let mut values: Vec<Option<RawOutput>> = vec![None; self.n_slots];
        for step in &self.steps {
            let operand = if step.input == INPUT_SLOT {
                match features {
                    Features::Dense(x) => Operand::Dense(x),
                    Features::Sparse(s) => Operand::Sparse(s),
                }
            } else {
                match &values[step.input] {
                    Some(RawOutput::Dense { data, .. }) => Operand::Dense(data),
                    _ => {
                        return Err(invalid(
                            "internal: a step reads a value that was not computed",
                        ))
                    }
                }
            };
            let results = eval(step, operand, rows)?;
            for (slot, value) in step.outputs.iter().zip(results) {
                if let Some(slot) = slot {
                    values[*slot] = Some(value);
                }
            }
        }
        self.outputs
            .iter()
            .map(|&slot| {
                if slot == INPUT_SLOT {
                    let data = match features {
                        Features::Dense(x) => x.to_vec(),
                        Features::Sparse(s) => s.to_dense(),
                    };
                    return Ok(RawOutput::Dense {
                        data,
                        cols: self.n_features,
                    });
                }
                values[slot]
                    .take()
                    .ok_or_else(|| invalid("internal: an output was not computed"))
            })
            .collect()
    }

    fn check_input(&self, features: Features<'_>, rows: usize) -> Result<(), GraphError> {
        match features {
            Features::Dense(x) if x.len() != rows * self.n_features => Err(invalid(format!(
                "expected {rows} rows of {} features, got {} values",
                self.n_features,
                x.len()
            ))),
            Features::Sparse(s) if s.rows() != rows || s.cols() != self.n_features => {
                Err(invalid(format!(
                    "sparse rows are {}x{}, expected {rows}x{}",
                    s.rows(),
                    s.cols(),
                    self.n_features
                )))
            }
            Features::Sparse(_) if !self.accepts_sparse => {
                Err(invalid("this graph needs dense rows"))
            }
            _ => Ok(()),
        }
    }
}

/// One step's outputs, in the node's output order.
fn eval(step: &Step, x: Operand<'_>, rows: usize) -> Result<Vec<RawOutput>, GraphError> {
    match &step.kernel {
        Kernel::LinearClassifier { linear, head } => linear_classifier(linear, head, x, rows),
        Kernel::LinearRegressor(linear) => linear_regressor(linear, x, rows),
        Kernel::Trees(ensemble) => trees(ensemble, dense(x)?, rows, step.cols_in),
        Kernel::Row(op) => Ok(row_op(op, dense(x)?, step.cols_in)),
    }
}

fn dense(x: Operand<'_>) -> Result<&[f32], GraphError> {
    match x {
        Operand::Dense(d) => Ok(d),
        Operand::Sparse(_) => Err(invalid("internal: sparse rows reached a dense-only op")),
    }
}

fn scores(linear: &Linear, x: Operand<'_>, rows: usize) -> Result<Vec<f32>, GraphError> {
    let mut out = vec![0f32; rows * linear.n_targets];
    match x {
        Operand::Dense(d) => linear.scores_dense(d, &mut out),
        Operand::Sparse(s) => linear.scores_sparse(s, &mut out)?,
    }
    Ok(out)
}

fn linear_classifier(
    linear: &Linear,
    head: &ClassifierHead,
    x: Operand<'_>,
    rows: usize,
) -> Result<Vec<RawOutput>, GraphError> {
    let (indices, data) = linear.finish_classification(head, scores(linear, x, rows)?);
    let cols = data.len() / rows.max(1);
    Ok(vec![
        RawOutput::Labels { indices },
        RawOutput::Dense { data, cols },
    ])
}

fn linear_regressor(
    linear: &Linear,
    x: Operand<'_>,
    rows: usize,
) -> Result<Vec<RawOutput>, GraphError> {
    let mut data = scores(linear, x, rows)?;
    linear.finish_regression(&mut data);
    Ok(vec![RawOutput::Dense {
        data,
        cols: linear.n_targets,
    }])
}

/// A classifier's labels then its values; a regressor's values.
fn trees(
    ensemble: &Ensemble,
    x: &[f32],
    rows: usize,
    cols_in: usize,
) -> Result<Vec<RawOutput>, GraphError> {
    let out = ensemble.eval(x, rows, cols_in)?;
    let values = RawOutput::Dense {
        data: out.values,
        cols: ensemble.n_outputs(),
    };
    Ok(if ensemble.is_classifier() {
        vec![
            RawOutput::Labels {
                indices: out.labels,
            },
            values,
        ]
    } else {
        vec![values]
    })
}

fn row_op(op: &RowOp, x: &[f32], cols_in: usize) -> Vec<RawOutput> {
    vec![RawOutput::Dense {
        data: op.apply(x, cols_in),
        cols: op.cols_out(cols_in),
    }]
}
