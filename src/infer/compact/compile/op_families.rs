//! Each op family's node made into its kernel, with the type and width of each output: the
//! linear models, tree ensembles, the row-wise ops (Normalizer, Scaler, ArrayFeatureExtractor,
//! arithmetic by a constant), and the ops that only rename a value (Identity, Cast to float).

use super::{Compiled, Compiler, Meta, Produces};
use crate::infer::compact::linear::Linear;
use crate::infer::compact::row_ops::{Arith, RowOp};
use crate::infer::compact::{invalid, unsupported, Kernel};
use crate::infer::onnx::{dtype, Node, Tensor};
use crate::infer::trees::Ensemble;
use crate::infer::GraphError;

impl<'g> Compiler<'g> {
    pub(super) fn identity(&mut self, node: &'g Node) -> Result<(), GraphError> {
        arity(node, 1)?;
        self.alias(node)
    }

    pub(super) fn cast(&mut self, node: &'g Node) -> Result<(), GraphError> {
        arity(node, 1)?;
        if node.int("to") != Some(i64::from(dtype::FLOAT)) {
            return Err(unsupported(format!(
                "{}: only casts to float are covered",
                node.describe()
            )));
        }
        self.dense_input(node, 0)?;
        self.alias(node)
    }

    /// Identity-like nodes: the output names the input's value, no step runs.
    fn alias(&mut self, node: &'g Node) -> Result<(), GraphError> {
        let meta = self
            .names
            .get(node.inputs[0].as_str())
            .copied()
            .ok_or_else(|| {
                invalid(format!(
                    "{}: its input is not defined before the node",
                    node.describe()
                ))
            })?;
        self.names.insert(node.outputs[0].as_str(), meta);
        Ok(())
    }

    pub(super) fn linear_classifier(&self, node: &Node) -> Result<Compiled, GraphError> {
        arity(node, 1)?;
        let (linear, head) = Linear::classifier(node)?;
        let input = self.dense_input(node, 0)?;
        linear_width(node, &linear, input.1)?;
        let width = if head.add_second_class {
            2
        } else {
            linear.n_targets
        };
        Ok(Compiled {
            produces: vec![
                Produces::Labels(head.labels.clone()),
                Produces::Dense { cols: width },
            ],
            kernel: Kernel::LinearClassifier { linear, head },
            input,
        })
    }

    pub(super) fn linear_regressor(&self, node: &Node) -> Result<Compiled, GraphError> {
        arity(node, 1)?;
        let linear = Linear::regressor(node)?;
        let input = self.dense_input(node, 0)?;
        linear_width(node, &linear, input.1)?;
        Ok(Compiled {
            produces: vec![Produces::Dense {
                cols: linear.n_targets,
            }],
            kernel: Kernel::LinearRegressor(linear),
            input,
        })
    }

    pub(super) fn trees(&self, node: &Node) -> Result<Compiled, GraphError> {
        arity(node, 1)?;
        let ensemble = Ensemble::parse(node)?;
        let input = self.dense_input(node, 0)?;
        if ensemble.n_features() > input.1 {
            return Err(invalid(format!(
                "{} reads feature {} of {}",
                node.describe(),
                ensemble.n_features() - 1,
                input.1
            )));
        }
        let mut produces: Vec<Produces> = ensemble
            .labels()
            .cloned()
            .map(Produces::Labels)
            .into_iter()
            .collect();
        produces.push(Produces::Dense {
            cols: ensemble.n_outputs(),
        });
        Ok(Compiled {
            kernel: Kernel::Trees(Box::new(ensemble)),
            input,
            produces,
        })
    }

    pub(super) fn normalizer(&self, node: &Node) -> Result<Compiled, GraphError> {
        arity(node, 1)?;
        let op = RowOp::normalizer(node)?;
        Ok(row_op(op, self.dense_input(node, 0)?))
    }

    pub(super) fn scaler(&self, node: &Node) -> Result<Compiled, GraphError> {
        arity(node, 1)?;
        let input = self.dense_input(node, 0)?;
        Ok(row_op(RowOp::scaler(node, input.1)?, input))
    }

    pub(super) fn feature_extractor(&self, node: &Node) -> Result<Compiled, GraphError> {
        arity(node, 2)?;
        let input = self.dense_input(node, 0)?;
        let op = RowOp::select(node, self.const_input(node, 1)?, input.1)?;
        Ok(row_op(op, input))
    }

    pub(super) fn arithmetic(&self, node: &Node) -> Result<Compiled, GraphError> {
        arity(node, 2)?;
        let input = self.dense_input(node, 0)?;
        let arith = match node.op_type.as_str() {
            "Add" => Arith::Add,
            "Sub" => Arith::Sub,
            "Mul" => Arith::Mul,
            _ => Arith::Div,
        };
        let op = RowOp::arith(node, arith, self.const_input(node, 1)?, input.1)?;
        Ok(row_op(op, input))
    }

    /// The `(slot, cols)` of the node's input `i`, a float tensor computed before it.
    fn dense_input(&self, node: &Node, i: usize) -> Result<(usize, usize), GraphError> {
        match node.inputs.get(i).and_then(|n| self.names.get(n.as_str())) {
            Some(Meta::Dense { slot, cols }) => Ok((*slot, *cols)),
            Some(_) => Err(unsupported(format!(
                "{}: input {i} is not a float tensor",
                node.describe()
            ))),
            None => Err(invalid(format!(
                "{}: input {i} is not defined before the node",
                node.describe()
            ))),
        }
    }

    /// The node's input `i`, an initializer.
    fn const_input(&self, node: &Node, i: usize) -> Result<&'g Tensor, GraphError> {
        match node.inputs.get(i).and_then(|n| self.names.get(n.as_str())) {
            Some(Meta::Const(t)) => Ok(t),
            Some(_) => Err(unsupported(format!(
                "{}: input {i} is computed, not a constant",
                node.describe()
            ))),
            None => Err(invalid(format!(
                "{}: input {i} is not defined before the node",
                node.describe()
            ))),
        }
    }
}

fn arity(node: &Node, n: usize) -> Result<(), GraphError> {
    if node.inputs.len() != n || node.outputs.is_empty() {
        return Err(invalid(format!(
            "{} has {} inputs and {} outputs",
            node.describe(),
            node.inputs.len(),
            node.outputs.len()
        )));
    }
    Ok(())
}

fn linear_width(node: &Node, linear: &Linear, cols_in: usize) -> Result<(), GraphError> {
    if linear.n_features != cols_in {
        return Err(invalid(format!(
            "{} has weights for {} features, its input has {cols_in}",
            node.describe(),
            linear.n_features
        )));
    }
    Ok(())
}

/// A row-wise op reading `(slot, cols)`: one float output.
fn row_op(op: RowOp, (slot, cols): (usize, usize)) -> Compiled {
    Compiled {
        produces: vec![Produces::Dense {
            cols: op.cols_out(cols),
        }],
        kernel: Kernel::Row(op),
        input: (slot, cols),
    }
}
