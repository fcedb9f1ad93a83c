//! `ai.onnx.ml` TreeEnsembleClassifier / TreeEnsembleRegressor: parsed once from the node's
//! attributes ([`parse`]) into a compact layout evaluated in blocks ([`eval`]). Both engines use
//! it: the compact engine directly, tract through our op (`infer::tract::tree_op`).
//!
//! Semantics follow onnxruntime's `TreeAggregatorClassifier` / `TreeAggregatorSum` (ORT is the
//! reference skl2onnx tests against): base values, the binary single-score layout, the LOGISTIC /
//! SOFTMAX post transforms and missing-value routing.

mod eval;
mod parse;

pub use eval::EnsembleOutput;

use crate::infer::post_transform::PostTransform;

/// Node comparison as written in the graph. Only the general path keeps it; the fast path
/// rewrites every LEQ/LT/GT/GTE node into one `x <= t` form at load (see `parse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
    Leaf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

/// The class labels a classifier ensemble outputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    Int(Vec<i64>),
    Str(Vec<String>),
}

impl Labels {
    pub fn len(&self) -> usize {
        match self {
            Labels::Int(v) => v.len(),
            Labels::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Classifier {
        labels: Labels,
        /// Two classes and every leaf weight on one class id: ORT's single-score layout.
        binary_case: bool,
        weights_all_positive: bool,
    },
    Regressor {
        aggregate: Aggregate,
    },
}

/// Set in `Node::feature` when a missing value (NaN) goes to `children[0]`.
pub(crate) const NAN_LEFT: u32 = 1 << 31;
pub(crate) const FEATURE_MASK: u32 = !NAN_LEFT;

/// One node, 16 bytes. Branches go to `children[0]` when `x <= threshold` (fast path) or when
/// `mode` holds (general path), else to `children[1]`. A leaf points to itself twice, so that
/// a walk of fixed length stays on it: rows and trees are walked in lockstep without a branch
/// per row.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub(crate) struct Node {
    pub feature: u32,
    pub threshold: f32,
    pub children: [u32; 2],
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tree {
    pub root: u32,
    /// Longest root-to-leaf path: the walk's length.
    pub depth: u32,
}

/// A parsed, validated ensemble laid out for evaluation.
#[derive(Debug, Clone)]
pub struct Ensemble {
    pub(crate) trees: Vec<Tree>,
    /// Tree indices by increasing depth: the walk order of one row's trees.
    pub(crate) by_depth: Vec<u32>,
    pub(crate) nodes: Vec<Node>,
    /// Per node: the node's row in `leaf_values` if it is a leaf, else `u32::MAX`.
    pub(crate) leaf_of: Vec<u32>,
    /// `n_outputs` values per leaf (0 where the leaf has no weight for that output).
    pub(crate) leaf_values: Vec<f32>,
    /// Which outputs each leaf has a weight for; only kept when that varies between the leaves
    /// of one tree (ORT's `has_score` then depends on the row). Otherwise `static_has` holds.
    pub(crate) leaf_has: Option<Vec<bool>>,
    pub(crate) static_has: Vec<bool>,
    /// The graph's modes, kept only when some node cannot use the `x <= t` form (EQ, NEQ, or a
    /// threshold whose rewrite would not be exact).
    pub(crate) modes: Option<Vec<Mode>>,
    /// Some node sends NaN to `children[0]` (else NaN needs no test: `x <= t` sends it right).
    pub(crate) routes_nan: bool,
    pub(crate) n_outputs: usize,
    pub(crate) n_features: usize,
    pub(crate) base_values: Vec<f32>,
    pub(crate) post_transform: PostTransform,
    pub(crate) kind: Kind,
}

impl Ensemble {
    /// Outputs per row: classes or regression targets.
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// The smallest input width the ensemble can read (largest feature id + 1).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn is_classifier(&self) -> bool {
        matches!(self.kind, Kind::Classifier { .. })
    }

    /// Class labels, for a classifier.
    pub fn labels(&self) -> Option<&Labels> {
        match &self.kind {
            Kind::Classifier { labels, .. } => Some(labels),
            Kind::Regressor { .. } => None,
        }
    }
}
