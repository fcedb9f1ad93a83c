//! From an ONNX graph to steps over value slots: each node the wanted outputs depend on becomes
//! one [`Step`] reading one slot and writing one slot per output. Widths and label tables are
//! fixed here, so that a graph the engine cannot run is refused at load, not at a request.
//! What each op family makes of its node is in `op_families`.

mod op_families;

use super::{invalid, unsupported, CompactGraph, Kernel, Step, INPUT_SLOT};
use crate::infer::onnx::{self, dtype, Node, Tensor};
use crate::infer::trees::Labels;
use crate::infer::GraphError;
use std::collections::HashMap;

/// What is known at compile time about a named value.
#[derive(Debug, Clone, Copy)]
enum Meta<'g> {
    Dense { slot: usize, cols: usize },
    Labels { slot: usize, table: usize },
    Const(&'g Tensor),
}

/// An output of a node before it has a slot.
enum Produces {
    Dense { cols: usize },
    Labels(Labels),
}

/// A node made into a kernel: the `(slot, cols)` it reads and what each of its outputs is.
struct Compiled {
    kernel: Kernel,
    input: (usize, usize),
    produces: Vec<Produces>,
}

/// The graph being built and the names defined so far (ONNX lists nodes in topological order).
struct Compiler<'g> {
    names: HashMap<&'g str, Meta<'g>>,
    graph: CompactGraph,
}

impl CompactGraph {
    /// Compiles `model` for rows of `n_features` columns, computing the outputs `wanted`.
    pub fn compile(
        model: &onnx::Model,
        wanted: &[&str],
        n_features: usize,
    ) -> Result<CompactGraph, GraphError> {
        let graph = &model.graph;
        let mut compiler = Compiler {
            names: HashMap::new(),
            graph: CompactGraph {
                steps: Vec::new(),
                n_slots: 1,
                outputs: Vec::new(),
                output_tables: Vec::new(),
                label_tables: Vec::new(),
                accepts_sparse: false,
                n_features,
            },
        };
        for t in &graph.initializers {
            compiler.names.insert(t.name.as_str(), Meta::Const(t));
        }
        let input = graph_input(graph, &compiler.names, n_features)?;
        compiler.names.insert(
            input,
            Meta::Dense {
                slot: INPUT_SLOT,
                cols: n_features,
            },
        );
        let needed = needed_nodes(&graph.nodes, wanted)?;
        for (node, _) in graph.nodes.iter().zip(&needed).filter(|(_, &n)| n) {
            compiler.node(node)?;
        }
        compiler.finish(wanted)
    }
}

/// The name of the graph's one runtime input (an initializer may also be listed as an input),
/// once its type and width are the featurizer's.
fn graph_input<'g>(
    graph: &'g onnx::Graph,
    names: &HashMap<&str, Meta<'_>>,
    n_features: usize,
) -> Result<&'g str, GraphError> {
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
    match input.shape.as_deref() {
        Some([_, Some(c)]) if *c as usize != n_features => Err(invalid(format!(
            "the graph reads {c} columns but the featurizer produces {n_features}"
        ))),
        None | Some([_, _]) => Ok(input.name.as_str()),
        Some(other) => Err(unsupported(format!(
            "the graph input has rank {}, not 2",
            other.len()
        ))),
    }
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

impl<'g> Compiler<'g> {
    /// Compiles one node: its op family's kernel, or an alias for the ops that copy.
    fn node(&mut self, node: &'g Node) -> Result<(), GraphError> {
        if node.attributes.iter().any(|a| a.unsupported) {
            return Err(unsupported(format!(
                "{} has a subgraph or tensor-list attribute",
                node.describe()
            )));
        }
        let ml = node.domain == "ai.onnx.ml";
        let std_op = node.domain.is_empty() || node.domain == "ai.onnx";
        let compiled = match (node.op_type.as_str(), ml, std_op) {
            ("Identity", _, true) => return self.identity(node),
            ("Cast", _, true) => return self.cast(node),
            ("LinearClassifier", true, _) => self.linear_classifier(node)?,
            ("LinearRegressor", true, _) => self.linear_regressor(node)?,
            ("TreeEnsembleClassifier" | "TreeEnsembleRegressor", true, _) => self.trees(node)?,
            ("Normalizer", true, _) => self.normalizer(node)?,
            ("Scaler", true, _) => self.scaler(node)?,
            ("ArrayFeatureExtractor", true, _) => self.feature_extractor(node)?,
            ("Add" | "Sub" | "Mul" | "Div", _, true) => self.arithmetic(node)?,
            (op, _, _) => {
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
        self.push(node, compiled)
    }

    /// Gives each named output of a compiled node a slot, and appends its step.
    fn push(&mut self, node: &'g Node, compiled: Compiled) -> Result<(), GraphError> {
        if node.outputs.len() > compiled.produces.len() {
            return Err(invalid(format!(
                "{} has {} outputs, expected {}",
                node.describe(),
                node.outputs.len(),
                compiled.produces.len()
            )));
        }
        let g = &mut self.graph;
        let mut outputs = Vec::with_capacity(node.outputs.len());
        for (name, produced) in node.outputs.iter().zip(compiled.produces) {
            if name.is_empty() {
                outputs.push(None);
                continue;
            }
            let slot = g.n_slots;
            g.n_slots += 1;
            let meta = match produced {
                Produces::Dense { cols } => Meta::Dense { slot, cols },
                Produces::Labels(labels) => {
                    g.label_tables.push(labels);
                    Meta::Labels {
                        slot,
                        table: g.label_tables.len() - 1,
                    }
                }
            };
            self.names.insert(name.as_str(), meta);
            outputs.push(Some(slot));
        }
        let (input, cols_in) = compiled.input;
        g.steps.push(Step {
            kernel: compiled.kernel,
            input,
            cols_in,
            outputs,
        });
        Ok(())
    }

    /// The wanted outputs' slots; sparse rows are allowed when only linear ops read the input.
    fn finish(mut self, wanted: &[&str]) -> Result<CompactGraph, GraphError> {
        let g = &mut self.graph;
        for name in wanted {
            let (slot, table) = match self.names.get(name) {
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
        g.accepts_sparse = !g.outputs.contains(&INPUT_SLOT)
            && g.steps.iter().filter(|s| s.input == INPUT_SLOT).all(|s| {
                matches!(
                    s.kernel,
                    Kernel::LinearClassifier { .. } | Kernel::LinearRegressor(_)
                )
            });
        Ok(self.graph)
    }
}
