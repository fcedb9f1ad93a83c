//! The compact engine: evaluates the graphs skl2onnx writes for the estimators we export, with
//! weights laid out for the CPU at load, and nothing else. A graph it does not cover is refused
//! with [`GraphError::Unsupported`] naming why, and the caller falls back to tract.
//!
//! Covered: LinearClassifier, LinearRegressor, TreeEnsembleClassifier/Regressor (ai.onnx.ml),
//! Normalizer, Scaler, ArrayFeatureExtractor, and Identity, Cast to float, Add/Sub/Mul/Div by a
//! constant (ai.onnx) around them: every op type of the fixture matrix. The graph is compiled
//! into a list of steps over value slots; only the nodes the wanted outputs depend on are kept.

mod linear;
mod ops;

use crate::featurize::SparseRows;
use crate::infer::onnx::{self, dtype, Node, Tensor};
use crate::infer::trees::{Ensemble, Labels};
use crate::infer::{Features, GraphError};
use linear::{ClassifierHead, Linear};
use ops::{Arith, RowOp};
use std::collections::HashMap;

/// A compiled graph.
#[derive(Debug, Clone)]
pub struct CompactGraph {
    steps: Vec<Step>,
    n_slots: usize,
    outputs: Vec<usize>,
    /// For each wanted output that is a label: its table.
    output_tables: Vec<Option<usize>>,
    label_tables: Vec<Labels>,
    accepts_sparse: bool,
    n_features: usize,
}

/// One output of a run.
#[derive(Debug, Clone, PartialEq)]
pub enum RawOutput {
    /// Row-major `[rows, cols]`.
    Dense { data: Vec<f32>, cols: usize },
    /// Per row, an index into the output's label table ([`CompactGraph::output_labels`]).
    Labels { indices: Vec<u32> },
}

#[derive(Debug, Clone)]
enum Kernel {
    LinearClassifier {
        linear: Linear,
        head: ClassifierHead,
        table: usize,
    },
    LinearRegressor(Linear),
    Trees {
        ensemble: Box<Ensemble>,
        table: Option<usize>,
    },
    Row(RowOp),
}

#[derive(Debug, Clone)]
struct Step {
    kernel: Kernel,
    input: usize,
    cols_in: usize,
    /// Slot of each node output (None when nothing reads it).
    outputs: Vec<Option<usize>>,
}

/// What is known at compile time about a named value.
#[derive(Debug, Clone, Copy)]
enum Meta {
    Dense { slot: usize, cols: usize },
    Labels { slot: usize, table: usize },
    Const(usize),
}

#[derive(Debug, Clone)]
enum Value {
    Dense { data: Vec<f32>, cols: usize },
    Labels { indices: Vec<u32> },
}

const INPUT_SLOT: usize = 0;

fn unsupported(msg: impl Into<String>) -> GraphError {
    GraphError::Unsupported(msg.into())
}

fn invalid(msg: impl Into<String>) -> GraphError {
    GraphError::Invalid(msg.into())
}

impl CompactGraph {
    /// Compiles `model` for rows of `n_features` columns, computing the outputs `wanted`.
    pub fn compile(
        model: &onnx::Model,
        wanted: &[&str],
        n_features: usize,
    ) -> Result<CompactGraph, GraphError> {
        let graph = &model.graph;
        let consts: Vec<&Tensor> = graph.initializers.iter().collect();
        let mut names: HashMap<&str, Meta> = HashMap::new();
        for (i, t) in consts.iter().enumerate() {
            names.insert(t.name.as_str(), Meta::Const(i));
        }
        let runtime_inputs: Vec<&onnx::ValueInfo> = graph
            .inputs
            .iter()
            .filter(|i| !names.contains_key(i.name.as_str()))
            .collect();
        let [input] = runtime_inputs.as_slice() else {
            return Err(unsupported(format!(
                "the graph has {} inputs; the compact engine reads one",
                runtime_inputs.len()
            )));
        };
        if input.elem_type != dtype::FLOAT {
            return Err(unsupported(format!(
                "the graph input has element type {}, not float",
                input.elem_type
            )));
        }
        if let Some(shape) = &input.shape {
            match shape.as_slice() {
                [_, Some(c)] if *c as usize != n_features => {
                    return Err(invalid(format!(
                        "the graph reads {c} columns but the featurizer produces {n_features}"
                    )))
                }
                [_, _] => {}
                other => {
                    return Err(unsupported(format!(
                        "the graph input has rank {}, not 2",
                        other.len()
                    )))
                }
            }
        }
        names.insert(
            input.name.as_str(),
            Meta::Dense {
                slot: INPUT_SLOT,
                cols: n_features,
            },
        );

        let needed = needed_nodes(&graph.nodes, wanted)?;
        let mut g = CompactGraph {
            steps: Vec::new(),
            n_slots: 1,
            outputs: Vec::new(),
            output_tables: Vec::new(),
            label_tables: Vec::new(),
            accepts_sparse: false,
            n_features,
        };
        for (node, _) in graph.nodes.iter().zip(&needed).filter(|(_, &n)| n) {
            g.compile_node(node, &mut names, &consts)?;
        }
        for name in wanted {
            let (slot, table) = match names.get(name) {
                Some(Meta::Dense { slot, .. }) => (*slot, None),
                Some(Meta::Labels { slot, table }) => (*slot, Some(*table)),
                Some(Meta::Const(_)) => {
                    return Err(unsupported(format!("output '{name}' is a constant")))
                }
                None => return Err(invalid(format!("the graph has no output '{name}'"))),
            };
            g.outputs.push(slot);
            g.output_tables.push(table);
        }
        // Sparse rows can go straight into linear ops, if nothing else reads the input.
        g.accepts_sparse = !g.outputs.contains(&INPUT_SLOT)
            && g.steps.iter().filter(|s| s.input == INPUT_SLOT).all(|s| {
                matches!(
                    s.kernel,
                    Kernel::LinearClassifier { .. } | Kernel::LinearRegressor(_)
                )
            });
        Ok(g)
    }

    pub fn accepts_sparse(&self) -> bool {
        self.accepts_sparse
    }

    /// The labels of the first wanted output, if it is a label output.
    pub fn output_labels(&self) -> Option<&Labels> {
        self.output_tables
            .first()
            .copied()
            .flatten()
            .map(|t| &self.label_tables[t])
    }

    fn slot(&mut self) -> usize {
        self.n_slots += 1;
        self.n_slots - 1
    }

    fn compile_node<'g>(
        &mut self,
        node: &'g Node,
        names: &mut HashMap<&'g str, Meta>,
        consts: &[&Tensor],
    ) -> Result<(), GraphError> {
        let ml = node.domain == "ai.onnx.ml";
        let std_op = node.domain.is_empty() || node.domain == "ai.onnx";
        let what = node.describe();
        let dense_input = |i: usize| -> Result<(usize, usize), GraphError> {
            match node.inputs.get(i).and_then(|n| names.get(n.as_str())) {
                Some(Meta::Dense { slot, cols }) => Ok((*slot, *cols)),
                Some(_) => Err(unsupported(format!(
                    "{what}: input {i} is not a float tensor"
                ))),
                None => Err(invalid(format!(
                    "{what}: input {i} is not defined before the node"
                ))),
            }
        };
        let const_input = |i: usize| -> Result<&Tensor, GraphError> {
            match node.inputs.get(i).and_then(|n| names.get(n.as_str())) {
                Some(Meta::Const(c)) => Ok(consts[*c]),
                Some(_) => Err(unsupported(format!(
                    "{what}: input {i} is computed, not a constant"
                ))),
                None => Err(invalid(format!(
                    "{what}: input {i} is not defined before the node"
                ))),
            }
        };
        let arity = |n: usize| -> Result<(), GraphError> {
            if node.inputs.len() != n || node.outputs.is_empty() {
                return Err(invalid(format!(
                    "{what} has {} inputs and {} outputs",
                    node.inputs.len(),
                    node.outputs.len()
                )));
            }
            Ok(())
        };
        if node.attributes.iter().any(|a| a.unsupported) {
            return Err(unsupported(format!(
                "{what} has a subgraph or tensor-list attribute"
            )));
        }
        let op = node.op_type.as_str();
        let (kernel, (input, cols_in)) = match (op, ml, std_op) {
            ("Identity", _, true) => {
                arity(1)?;
                return self.alias(node, names);
            }
            ("Cast", _, true) => {
                arity(1)?;
                if node.int("to") != Some(i64::from(dtype::FLOAT)) {
                    return Err(unsupported(format!(
                        "{what}: only casts to float are covered"
                    )));
                }
                dense_input(0)?;
                return self.alias(node, names);
            }
            ("LinearClassifier", true, _) => {
                arity(1)?;
                let (linear, head) = Linear::classifier(node)?;
                let table = self.table(head.labels.clone());
                (
                    Kernel::LinearClassifier {
                        linear,
                        head,
                        table,
                    },
                    dense_input(0)?,
                )
            }
            ("LinearRegressor", true, _) => {
                arity(1)?;
                (
                    Kernel::LinearRegressor(Linear::regressor(node)?),
                    dense_input(0)?,
                )
            }
            ("TreeEnsembleClassifier" | "TreeEnsembleRegressor", true, _) => {
                arity(1)?;
                let ensemble = Ensemble::parse(node)?;
                let table = ensemble.labels().cloned().map(|l| self.table(l));
                (
                    Kernel::Trees {
                        ensemble: Box::new(ensemble),
                        table,
                    },
                    dense_input(0)?,
                )
            }
            ("Normalizer", true, _) => {
                arity(1)?;
                (Kernel::Row(RowOp::normalizer(node)?), dense_input(0)?)
            }
            ("Scaler", true, _) => {
                arity(1)?;
                let (slot, cols) = dense_input(0)?;
                (Kernel::Row(RowOp::scaler(node, cols)?), (slot, cols))
            }
            ("ArrayFeatureExtractor", true, _) => {
                arity(2)?;
                let (slot, cols) = dense_input(0)?;
                (
                    Kernel::Row(RowOp::select(node, const_input(1)?, cols)?),
                    (slot, cols),
                )
            }
            ("Add" | "Sub" | "Mul" | "Div", _, true) => {
                arity(2)?;
                let (slot, cols) = dense_input(0)?;
                let arith = match op {
                    "Add" => Arith::Add,
                    "Sub" => Arith::Sub,
                    "Mul" => Arith::Mul,
                    _ => Arith::Div,
                };
                (
                    Kernel::Row(RowOp::arith(node, arith, const_input(1)?, cols)?),
                    (slot, cols),
                )
            }
            _ => {
                let domain = if node.domain.is_empty() {
                    "ai.onnx"
                } else {
                    node.domain.as_str()
                };
                return Err(unsupported(format!(
                    "operator {op} ({domain}) is not covered by the compact engine"
                )));
            }
        };
        // Output types and widths.
        let metas: Vec<Meta> = match &kernel {
            Kernel::LinearClassifier {
                linear,
                head,
                table,
            } => {
                if linear.n_features != cols_in {
                    return Err(invalid(format!(
                        "{what} has weights for {} features, its input has {cols_in}",
                        linear.n_features
                    )));
                }
                let width = if head.add_second_class {
                    2
                } else {
                    linear.n_targets
                };
                vec![
                    Meta::Labels {
                        slot: 0,
                        table: *table,
                    },
                    Meta::Dense {
                        slot: 0,
                        cols: width,
                    },
                ]
            }
            Kernel::LinearRegressor(linear) => {
                if linear.n_features != cols_in {
                    return Err(invalid(format!(
                        "{what} has weights for {} features, its input has {cols_in}",
                        linear.n_features
                    )));
                }
                vec![Meta::Dense {
                    slot: 0,
                    cols: linear.n_targets,
                }]
            }
            Kernel::Trees { ensemble, table } => {
                if ensemble.n_features() > cols_in {
                    return Err(invalid(format!(
                        "{what} reads feature {} of {cols_in}",
                        ensemble.n_features() - 1
                    )));
                }
                let values = Meta::Dense {
                    slot: 0,
                    cols: ensemble.n_outputs(),
                };
                match table {
                    Some(t) => vec![Meta::Labels { slot: 0, table: *t }, values],
                    None => vec![values],
                }
            }
            Kernel::Row(op) => vec![Meta::Dense {
                slot: 0,
                cols: op.cols_out(cols_in),
            }],
        };
        if node.outputs.len() > metas.len() {
            return Err(invalid(format!(
                "{what} has {} outputs, expected {}",
                node.outputs.len(),
                metas.len()
            )));
        }
        let mut outputs = Vec::with_capacity(node.outputs.len());
        for (name, meta) in node.outputs.iter().zip(metas) {
            if name.is_empty() {
                outputs.push(None);
                continue;
            }
            let slot = self.slot();
            let meta = match meta {
                Meta::Dense { cols, .. } => Meta::Dense { slot, cols },
                Meta::Labels { table, .. } => Meta::Labels { slot, table },
                Meta::Const(c) => Meta::Const(c),
            };
            names.insert(name.as_str(), meta);
            outputs.push(Some(slot));
        }
        self.steps.push(Step {
            kernel,
            input,
            cols_in,
            outputs,
        });
        Ok(())
    }

    /// Identity-like nodes: the output names the input's value.
    fn alias<'g>(
        &mut self,
        node: &'g Node,
        names: &mut HashMap<&'g str, Meta>,
    ) -> Result<(), GraphError> {
        let meta = names.get(node.inputs[0].as_str()).copied().ok_or_else(|| {
            invalid(format!(
                "{}: its input is not defined before the node",
                node.describe()
            ))
        })?;
        names.insert(node.outputs[0].as_str(), meta);
        Ok(())
    }

    fn table(&mut self, labels: Labels) -> usize {
        self.label_tables.push(labels);
        self.label_tables.len() - 1
    }

    /// Runs the graph on `rows` rows; returns the wanted outputs in the order asked.
    pub fn run(&self, features: Features<'_>, rows: usize) -> Result<Vec<RawOutput>, GraphError> {
        match features {
            Features::Dense(x) if x.len() != rows * self.n_features => {
                return Err(invalid(format!(
                    "expected {rows} rows of {} features, got {} values",
                    self.n_features,
                    x.len()
                )))
            }
            Features::Sparse(s) if s.rows() != rows || s.cols() != self.n_features => {
                return Err(invalid(format!(
                    "sparse rows are {}x{}, expected {rows}x{}",
                    s.rows(),
                    s.cols(),
                    self.n_features
                )))
            }
            Features::Sparse(_) if !self.accepts_sparse => {
                return Err(invalid("this graph needs dense rows"))
            }
            _ => {}
        }
        let mut values: Vec<Option<Value>> = vec![None; self.n_slots];
        for step in &self.steps {
            let operand = if step.input == INPUT_SLOT {
                match features {
                    Features::Dense(x) => Operand::Dense(x),
                    Features::Sparse(s) => Operand::Sparse(s),
                }
            } else {
                match &values[step.input] {
                    Some(Value::Dense { data, .. }) => Operand::Dense(data),
                    _ => {
                        return Err(invalid(
                            "internal: a step reads a value that was not computed",
                        ))
                    }
                }
            };
            let results = self.eval(step, operand, rows)?;
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
                    return match features {
                        Features::Dense(x) => Ok(RawOutput::Dense {
                            data: x.to_vec(),
                            cols: self.n_features,
                        }),
                        Features::Sparse(s) => Ok(RawOutput::Dense {
                            data: s.to_dense(),
                            cols: self.n_features,
                        }),
                    };
                }
                match values[slot].take() {
                    Some(Value::Dense { data, cols }) => Ok(RawOutput::Dense { data, cols }),
                    Some(Value::Labels { indices }) => Ok(RawOutput::Labels { indices }),
                    None => Err(invalid("internal: an output was not computed")),
                }
            })
            .collect()
    }

    fn eval(&self, step: &Step, x: Operand<'_>, rows: usize) -> Result<Vec<Value>, GraphError> {
        fn dense<'a>(x: Operand<'a>) -> Result<&'a [f32], GraphError> {
            match x {
                Operand::Dense(d) => Ok(d),
                Operand::Sparse(_) => Err(invalid("internal: sparse rows reached a dense-only op")),
            }
        }
        let scores = |linear: &Linear, x: Operand<'_>| -> Result<Vec<f32>, GraphError> {
            let mut out = vec![0f32; rows * linear.n_targets];
            match x {
                Operand::Dense(d) => linear.scores_dense(d, &mut out),
                Operand::Sparse(s) => linear.scores_sparse(s, &mut out)?,
            }
            Ok(out)
        };
        Ok(match &step.kernel {
            Kernel::LinearClassifier { linear, head, .. } => {
                let s = scores(linear, x)?;
                let (indices, data) = linear.finish_classification(head, s);
                let cols = data.len() / rows.max(1);
                vec![Value::Labels { indices }, Value::Dense { data, cols }]
            }
            Kernel::LinearRegressor(linear) => {
                let mut data = scores(linear, x)?;
                linear.finish_regression(&mut data);
                vec![Value::Dense {
                    data,
                    cols: linear.n_targets,
                }]
            }
            Kernel::Trees { ensemble, table } => {
                let out = ensemble.eval(dense(x)?, rows, step.cols_in)?;
                let values = Value::Dense {
                    data: out.values,
                    cols: ensemble.n_outputs(),
                };
                match table {
                    Some(_) => vec![
                        Value::Labels {
                            indices: out.labels,
                        },
                        values,
                    ],
                    None => vec![values],
                }
            }
            Kernel::Row(op) => {
                let data = op.apply(dense(x)?, step.cols_in);
                vec![Value::Dense {
                    data,
                    cols: op.cols_out(step.cols_in),
                }]
            }
        })
    }
}

#[derive(Clone, Copy)]
enum Operand<'a> {
    Dense(&'a [f32]),
    Sparse(&'a SparseRows),
}

/// Which nodes the wanted outputs depend on (the graph must list nodes in topological order,
/// as ONNX requires; a node reading a value defined later is reported when compiled).
fn needed_nodes(nodes: &[Node], wanted: &[&str]) -> Result<Vec<bool>, GraphError> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for o in n.outputs.iter().filter(|o| !o.is_empty()) {
            if producer.insert(o.as_str(), i).is_some() {
                return Err(invalid(format!("value '{o}' is produced twice")));
            }
        }
    }
    let mut needed = vec![false; nodes.len()];
    let mut stack: Vec<&str> = wanted.to_vec();
    while let Some(name) = stack.pop() {
        if let Some(&i) = producer.get(name) {
            if !needed[i] {
                needed[i] = true;
                stack.extend(nodes[i].inputs.iter().map(String::as_str));
            }
        }
    }
    Ok(needed)
}
