//! From a TreeEnsembleClassifier/Regressor node's attributes to the compact layout, in three
//! stages, each refusing what it cannot trust with a reason:
//!
//! - `validate`: the node attributes (one entry per node in every array, known modes, each
//!   node id defined once, children that exist, one root per tree, the node count limit);
//! - `leaves`: the `class_*` / `target_*` weights, the outputs they add up to (class labels,
//!   or targets and their aggregation), base values, and the dense leaves × outputs table;
//! - `build`: each tree relabelled depth-first into the compact node array, with its depth,
//!   comparisons rewritten into `x <= t` where that is exact, and NaN routing kept.

mod build;
mod leaves;
mod validate;

use super::Ensemble;
use crate::infer::onnx::Node as OnnxNode;
use crate::infer::GraphError;
use leaves::{Aggregation, LeafAttributes, LeafWeights};
use validate::NodeAttributes;

fn invalid(msg: impl Into<String>) -> GraphError {
    GraphError::Invalid(msg.into())
}

fn floats(node: &OnnxNode, name: &str) -> Result<Vec<f32>, GraphError> {
    if node.attr(&format!("{name}_as_tensor")).is_some() {
        return Err(GraphError::Unsupported(format!(
            "{name}_as_tensor (double precision trees) is not supported; export with float thresholds"
        )));
    }
    Ok(node.floats(name).to_vec())
}

impl Ensemble {
    pub fn parse(node: &OnnxNode) -> Result<Ensemble, GraphError> {
        let is_classifier = match node.op_type.as_str() {
            "TreeEnsembleClassifier" => true,
            "TreeEnsembleRegressor" => false,
            other => return Err(invalid(format!("{other} is not a tree ensemble"))),
        };
        parse(node, is_classifier).map_err(|e| match e {
            GraphError::Invalid(m) => invalid(format!("{}: {m}", node.describe())),
            other => other,
        })
    }
}

/// The stages run in this order because a graph with several faults is refused for the first
/// one checked, and that must not depend on how the checks are grouped.
fn parse(node: &OnnxNode, is_classifier: bool) -> Result<Ensemble, GraphError> {
    let attributes = NodeAttributes::read(node)?;
    let leaf_attributes = LeafAttributes::read(node, is_classifier)?;
    let aggregation = Aggregation::read(node, is_classifier, &leaf_attributes)?;
    let n_outputs = aggregation.n_outputs;
    leaves::check_table_size(&attributes.modes, n_outputs)?;
    let roots = attributes.roots()?;
    let weights = LeafWeights::group(&attributes, &leaf_attributes)?;
    let forest = build::forest(&attributes, &roots)?;
    let (leaf_values, leaf_present) = weights.table(&forest.leaves, n_outputs);
    let (leaf_has, static_has) = leaves::has_score(
        &forest.trees,
        &forest.leaf_of,
        leaf_present,
        n_outputs,
        aggregation.skips_missing_outputs(),
    );
    Ok(Ensemble {
        by_depth: forest.by_depth,
        trees: forest.trees,
        nodes: forest.nodes,
        leaf_of: forest.leaf_of,
        leaf_values,
        leaf_has,
        static_has,
        routes_nan: forest.routes_nan,
        modes: forest.modes,
        n_outputs,
        n_features: forest.n_features,
        base_values: aggregation.base_values,
        post_transform: aggregation.post_transform,
        kind: aggregation.kind,
    })
}
