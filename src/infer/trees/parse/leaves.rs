//! The leaf side of an ensemble: the `class_*` (classifier) or `target_*` (regressor) weights,
//! saying how much each leaf gives to which output; what the outputs are (class labels, or
//! targets and how the trees' values aggregate) with their base values and post transform; and
//! the dense leaves × outputs table evaluation reads.

use super::validate::NodeAttributes;
use super::{floats, invalid};
use crate::bundle::limits;
use crate::infer::onnx::Node as OnnxNode;
use crate::infer::post_transform::PostTransform;
use crate::infer::trees::{Aggregate, Kind, Labels, Mode, Tree};
use crate::infer::GraphError;

/// The `{class,target}_{treeids,nodeids,ids,weights}` attributes, one entry per weight.
pub(super) struct LeafAttributes<'a> {
    trees: &'a [i64],
    nodes: &'a [i64],
    /// The output (class or target) each weight adds to.
    ids: &'a [i64],
    weights: Vec<f32>,
}

impl<'a> LeafAttributes<'a> {
    pub fn read(node: &'a OnnxNode, is_classifier: bool) -> Result<LeafAttributes<'a>, GraphError> {
        let prefix = if is_classifier { "class" } else { "target" };
        let trees = node.ints(&format!("{prefix}_treeids"));
        let nodes = node.ints(&format!("{prefix}_nodeids"));
        let ids = node.ints(&format!("{prefix}_ids"));
        let weights = floats(node, &format!("{prefix}_weights"))?;
        let m = trees.len();
        if nodes.len() != m || ids.len() != m || weights.len() != m {
            return Err(invalid(format!("{prefix}_* attributes differ in length")));
        }
        Ok(LeafAttributes {
            trees,
            nodes,
            ids,
            weights,
        })
    }
}

/// How leaf weights become a row's outputs.
pub(super) struct Aggregation {
    pub kind: Kind,
    /// Classes or regression targets.
    pub n_outputs: usize,
    pub base_values: Vec<f32>,
    pub post_transform: PostTransform,
}

impl Aggregation {
    pub fn read(
        node: &OnnxNode,
        is_classifier: bool,
        leaves: &LeafAttributes<'_>,
    ) -> Result<Aggregation, GraphError> {
        let (kind, n_outputs) = if is_classifier {
            classifier(node, leaves)?
        } else {
            regressor(node)?
        };
        if leaves.ids.iter().any(|&c| c < 0 || c as usize >= n_outputs) {
            return Err(invalid(format!(
                "a leaf weight names a class/target outside 0..{n_outputs}"
            )));
        }
        let base_values = floats(node, "base_values")?;
        if !base_values.is_empty() && base_values.len() != n_outputs {
            // ORT accepts one base value for a binary classifier (skl2onnx writes that).
            let binary_single = is_classifier && n_outputs == 2 && base_values.len() == 1;
            if !binary_single {
                return Err(invalid(format!(
                    "base_values has {} entries for {n_outputs} outputs",
                    base_values.len()
                )));
            }
        }
        let post_transform = PostTransform::parse(node.string("post_transform")?.as_deref())?;
        Ok(Aggregation {
            kind,
            n_outputs,
            base_values,
            post_transform,
        })
    }

    /// MIN/MAX must skip the outputs a leaf has no weight for, so they always keep the
    /// per-leaf flags.
    pub fn skips_missing_outputs(&self) -> bool {
        matches!(
            self.kind,
            Kind::Regressor {
                aggregate: Aggregate::Min | Aggregate::Max
            }
        )
    }
}

fn classifier(node: &OnnxNode, leaves: &LeafAttributes<'_>) -> Result<(Kind, usize), GraphError> {
    let ints = node.ints("classlabels_int64s");
    let strings = node.strings("classlabels_strings")?;
    let labels = match (ints.is_empty(), strings.is_empty()) {
        (false, true) => Labels::Int(ints.to_vec()),
        (true, false) => Labels::Str(strings),
        _ => {
            return Err(invalid(
                "exactly one of classlabels_int64s / classlabels_strings must be set",
            ))
        }
    };
    let n_classes = labels.len();
    limits::check(
        "the number of classes",
        n_classes as u64,
        limits::MAX_OUTPUTS,
    )
    .map_err(invalid)?;
    if n_classes < 2 {
        return Err(invalid("a classifier needs at least two classes"));
    }
    // ORT's single-score layout: two classes and every leaf weight on the same class id.
    let ids = leaves.ids;
    let one_class_id = ids.iter().all(|&c| Some(&c) == ids.first());
    let kind = Kind::Classifier {
        labels,
        binary_case: n_classes == 2 && one_class_id && !ids.is_empty(),
        weights_all_positive: leaves.weights.iter().all(|&w| w >= 0.0),
    };
    Ok((kind, n_classes))
}

fn regressor(node: &OnnxNode) -> Result<(Kind, usize), GraphError> {
    let aggregate = match node
        .string("aggregate_function")?
        .as_deref()
        .unwrap_or("SUM")
    {
        "SUM" => Aggregate::Sum,
        "AVERAGE" => Aggregate::Average,
        "MIN" => Aggregate::Min,
        "MAX" => Aggregate::Max,
        other => {
            return Err(invalid(format!(
                "aggregate_function {other} is not supported"
            )))
        }
    };
    let n_targets = node.int("n_targets").unwrap_or(1);
    let n_targets = usize::try_from(n_targets)
        .ok()
        .filter(|&t| t > 0 && t <= limits::MAX_OUTPUTS)
        .ok_or_else(|| invalid(format!("n_targets {n_targets} is out of range")))?;
    Ok((Kind::Regressor { aggregate }, n_targets))
}

/// The leaf table is leaves × outputs: a few MB of graph could otherwise ask for gigabytes.
pub(super) fn check_table_size(modes: &[Mode], n_outputs: usize) -> Result<(), GraphError> {
    let leaves = modes.iter().filter(|&&m| m == Mode::Leaf).count();
    limits::check(
        &format!("the leaf table's size ({leaves} leaves × {n_outputs} outputs)"),
        (leaves as u64).saturating_mul(n_outputs as u64),
        limits::MAX_LEAF_VALUES,
    )
    .map_err(invalid)
}

/// The weights grouped by the node they belong to (CSR), in attribute order within a node.
pub(super) struct LeafWeights {
    /// Node `i`'s weights are `weights[start[i]..start[i + 1]]`.
    start: Vec<usize>,
    /// (output, weight).
    weights: Vec<(usize, f32)>,
}

impl LeafWeights {
    /// Groups the weights (their outputs already checked against the output count).
    pub fn group(
        nodes: &NodeAttributes<'_>,
        leaves: &LeafAttributes<'_>,
    ) -> Result<LeafWeights, GraphError> {
        let n = nodes.len();
        let m = leaves.trees.len();
        let mut start = vec![0usize; n + 1];
        let mut weight_node = Vec::with_capacity(m);
        for k in 0..m {
            let i = nodes
                .position(leaves.trees[k], leaves.nodes[k])
                .ok_or_else(|| {
                    invalid(format!(
                        "a weight names node {} of tree {}, which does not exist",
                        leaves.nodes[k], leaves.trees[k]
                    ))
                })?;
            start[i + 1] += 1;
            weight_node.push(i);
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut weights: Vec<(usize, f32)> = vec![(0, 0.0); m];
        for (k, &i) in weight_node.iter().enumerate() {
            weights[fill[i]] = (leaves.ids[k] as usize, leaves.weights[k]);
            fill[i] += 1;
        }
        Ok(LeafWeights { start, weights })
    }

    fn of(&self, i: usize) -> &[(usize, f32)] {
        &self.weights[self.start[i]..self.start[i + 1]]
    }

    /// The `k` values of each leaf (`leaves`: the position of each leaf, in leaf-row order),
    /// 0 where a leaf has no weight for an output, and which of them got a weight.
    pub fn table(&self, leaves: &[usize], k: usize) -> (Vec<f32>, Vec<bool>) {
        let mut values = vec![0f32; leaves.len() * k];
        let mut present = vec![false; leaves.len() * k];
        for (row, &i) in leaves.iter().enumerate() {
            for &(c, w) in self.of(i) {
                // Several weights for one output of one leaf add up, as in ORT.
                values[row * k + c] += w;
                present[row * k + c] = true;
            }
        }
        (values, present)
    }
}

/// ORT's `has_score` (which outputs got a weight from some visited leaf): when every tree's
/// leaves carry the same outputs it is the same for every row, and computed here once; otherwise
/// the per-leaf flags are kept for evaluation.
pub(super) fn has_score(
    trees: &[Tree],
    leaf_of: &[u32],
    leaf_present: Vec<bool>,
    k: usize,
    per_leaf: bool,
) -> (Option<Vec<bool>>, Vec<bool>) {
    let mut uniform = !per_leaf;
    let mut static_has = vec![false; k];
    for (t, tree) in trees.iter().enumerate() {
        // A tree's nodes are contiguous from its root (depth-first numbering).
        let end = trees
            .get(t + 1)
            .map_or(leaf_of.len(), |next| next.root as usize);
        let mut first: Option<&[bool]> = None;
        for &leaf in &leaf_of[tree.root as usize..end] {
            if leaf == u32::MAX {
                continue;
            }
            let present = &leaf_present[leaf as usize * k..(leaf as usize + 1) * k];
            match first {
                None => first = Some(present),
                Some(p) => uniform &= p == present,
            }
        }
        for (h, &x) in static_has.iter_mut().zip(first.unwrap_or_default()) {
            *h |= x;
        }
    }
    ((!uniform).then_some(leaf_present), static_has)
}
