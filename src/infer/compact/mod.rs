//! The compact engine: evaluates the graphs skl2onnx writes for the estimators we export, with
//! weights laid out for the CPU at load, and nothing else. A graph it does not cover is refused
//! with [`GraphError::Unsupported`] naming why, and the caller falls back to tract.
//!
//! Covered: LinearClassifier, LinearRegressor, TreeEnsembleClassifier/Regressor (ai.onnx.ml),
//! Normalizer, Scaler, ArrayFeatureExtractor, and Identity, Cast to float, Add/Sub/Mul/Div by a
//! constant (ai.onnx) around them: every op type of the fixture matrix.
//!
//! - `compile`: the graph into a list of steps over value slots, keeping only the nodes the
//!   wanted outputs depend on, with every width and label table known before a row is seen;
//! - `run`: the steps over a batch of rows;
//! - `linear` (linear models' weights and scores) and `row_ops` (the row-wise ops around
//!   estimators) hold the arithmetic; trees live in [`crate::infer::trees`].

mod compile;
mod linear;
mod row_ops;
mod run;

use crate::infer::trees::{Ensemble, Labels};
use crate::infer::GraphError;
use linear::{ClassifierHead, Linear};
use row_ops::RowOp;

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

/// One output of a run (also what a slot holds during one).
#[derive(Debug, Clone, PartialEq)]
pub enum RawOutput {
    /// Row-major `[rows, cols]`.
    Dense { data: Vec<f32>, cols: usize },
    /// Per row, an index into the output's label table ([`CompactGraph::output_labels`]).
    Labels { indices: Vec<u32> },
}

/// What a step computes: one kernel per op family.
#[derive(Debug, Clone)]
enum Kernel {
    LinearClassifier {
        linear: Linear,
        head: ClassifierHead,
    },
    LinearRegressor(Linear),
    Trees(Box<Ensemble>),
    Row(RowOp),
}

/// One node of the graph, compiled.
#[derive(Debug, Clone)]
struct Step {
    kernel: Kernel,
    input: usize,
    cols_in: usize,
    /// Slot of each node output (None when nothing reads it).
    outputs: Vec<Option<usize>>,
}

/// The graph input's slot: read from the caller's rows, never stored.
const INPUT_SLOT: usize = 0;

fn unsupported(msg: impl Into<String>) -> GraphError {
    GraphError::Unsupported(msg.into())
}

fn invalid(msg: impl Into<String>) -> GraphError {
    GraphError::Invalid(msg.into())
}

impl CompactGraph {
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
}
