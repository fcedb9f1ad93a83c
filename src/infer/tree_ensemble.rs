//! `ai.onnx.ml` TreeEnsembleClassifier / TreeEnsembleRegressor, registered in tract's ONNX op
//! registry in place of tract's own implementation.
//!
//! Why our own op (see TOOLCHAIN.md): tract-onnx-opl 0.23.9 walks every leaf of a tree per row
//! and builds an error per visited leaf (~3 ms for a 100-tree forest), computes the binary label
//! from unprocessed scores (always class 0 for a forest, inverted for boosting), refuses binary
//! boosting exports with one base value per model, has no TreeEnsembleRegressor, and treats
//! `BRANCH_GTE` nodes as leaves.
//!
//! This op descends each tree in O(depth) over flat arrays and finalizes scores exactly as
//! onnxruntime's `TreeAggregatorClassifier` / `TreeAggregatorSum` do (ORT is the reference
//! implementation skl2onnx tests against): base values, the binary single-score layout, the
//! LOGISTIC / SOFTMAX post transforms and missing-value routing.

use std::sync::Arc;
use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::{AttributeProto, NodeProto};
use tract_onnx::tract_hir::internal::*;

/// Registers our tree ensembles, replacing tract's.
pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("TreeEnsembleClassifier", classifier_builder);
    reg.insert("TreeEnsembleRegressor", regressor_builder);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
    Leaf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostTransform {
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    feature: u32,
    threshold: f32,
    true_child: u32,
    false_child: u32,
    mode: Mode,
    missing_true: bool,
    /// Leaves: the range of `weights` this leaf contributes.
    weights_start: u32,
    weights_end: u32,
}

#[derive(Debug, Clone)]
pub enum Labels {
    Int(Vec<i64>),
    Str(Vec<String>),
}

impl Labels {
    fn len(&self) -> usize {
        match self {
            Labels::Int(v) => v.len(),
            Labels::Str(v) => v.len(),
        }
    }
    fn datum_type(&self) -> DatumType {
        match self {
            Labels::Int(_) => i64::datum_type(),
            Labels::Str(_) => String::datum_type(),
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
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

/// A parsed, validated ensemble.
#[derive(Debug, Clone)]
pub struct Ensemble {
    roots: Vec<u32>,
    nodes: Vec<Node>,
    weights: Vec<(u32, f32)>,
    n_outputs: usize,
    n_features: usize,
    base_values: Vec<f32>,
    post_transform: PostTransform,
    kind: Kind,
}

fn attr<'a>(node: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn ints(node: &NodeProto, name: &str) -> TractResult<Vec<i64>> {
    Ok(attr(node, name).map(|a| a.ints.clone()).unwrap_or_default())
}

fn floats(node: &NodeProto, name: &str) -> TractResult<Vec<f32>> {
    if attr(node, &format!("{name}_as_tensor")).is_some() {
        bail!("{name}_as_tensor (double precision trees) is not supported; export with float thresholds");
    }
    Ok(attr(node, name)
        .map(|a| a.floats.clone())
        .unwrap_or_default())
}

fn strings(node: &NodeProto, name: &str) -> TractResult<Vec<String>> {
    attr(node, name)
        .map(|a| {
            a.strings
                .iter()
                .map(|s| String::from_utf8(s.clone()).map_err(|e| format_err!("{name}: {e}")))
                .collect()
        })
        .unwrap_or(Ok(vec![]))
}

fn string(node: &NodeProto, name: &str) -> TractResult<Option<String>> {
    attr(node, name)
        .map(|a| String::from_utf8(a.s.clone()).map_err(|e| format_err!("{name}: {e}")))
        .transpose()
}

fn to_u32(v: i64, what: &str) -> TractResult<u32> {
    u32::try_from(v).map_err(|_| format_err!("{what} {v} out of range"))
}

impl Ensemble {
    pub fn parse(node: &NodeProto, is_classifier: bool) -> TractResult<Ensemble> {
        let tree_ids = ints(node, "nodes_treeids")?;
        let node_ids = ints(node, "nodes_nodeids")?;
        let feature_ids = ints(node, "nodes_featureids")?;
        let thresholds = floats(node, "nodes_values")?;
        let modes = strings(node, "nodes_modes")?;
        let true_ids = ints(node, "nodes_truenodeids")?;
        let false_ids = ints(node, "nodes_falsenodeids")?;
        let missing = ints(node, "nodes_missing_value_tracks_true")?;
        let n = tree_ids.len();
        if n == 0 {
            bail!("tree ensemble without nodes");
        }
        for (name, len) in [
            ("nodes_nodeids", node_ids.len()),
            ("nodes_featureids", feature_ids.len()),
            ("nodes_values", thresholds.len()),
            ("nodes_modes", modes.len()),
            ("nodes_truenodeids", true_ids.len()),
            ("nodes_falsenodeids", false_ids.len()),
        ] {
            if len != n {
                bail!("{name} has {len} entries, nodes_treeids {n}");
            }
        }
        if !missing.is_empty() && missing.len() != n {
            bail!(
                "nodes_missing_value_tracks_true has {} entries for {n} nodes",
                missing.len()
            );
        }

        // (tree, node id) -> position in `nodes`.
        let mut index = std::collections::HashMap::with_capacity(n);
        for i in 0..n {
            if index.insert((tree_ids[i], node_ids[i]), i).is_some() {
                bail!(
                    "node {} of tree {} is defined twice",
                    node_ids[i],
                    tree_ids[i]
                );
            }
        }

        let prefix = if is_classifier { "class" } else { "target" };
        let leaf_trees = ints(node, &format!("{prefix}_treeids"))?;
        let leaf_nodes = ints(node, &format!("{prefix}_nodeids"))?;
        let leaf_ids = ints(node, &format!("{prefix}_ids"))?;
        let leaf_weights = floats(node, &format!("{prefix}_weights"))?;
        let m = leaf_trees.len();
        if leaf_nodes.len() != m || leaf_ids.len() != m || leaf_weights.len() != m {
            bail!("{prefix}_* attributes differ in length");
        }
        let mut per_leaf: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for k in 0..m {
            let &i = index
                .get(&(leaf_trees[k], leaf_nodes[k]))
                .ok_or_else(|| format_err!("weight for unknown node {}", leaf_nodes[k]))?;
            per_leaf[i].push((to_u32(leaf_ids[k], "class/target id")?, leaf_weights[k]));
        }

        let (kind, n_outputs) = if is_classifier {
            let int_labels = ints(node, "classlabels_int64s")?;
            let str_labels = strings(node, "classlabels_strings")?;
            let labels = match (int_labels.is_empty(), str_labels.is_empty()) {
                (false, true) => Labels::Int(int_labels),
                (true, false) => Labels::Str(str_labels),
                _ => bail!("exactly one of classlabels_int64s / classlabels_strings must be set"),
            };
            let n_classes = labels.len();
            if n_classes < 2 {
                bail!("a classifier needs at least two classes");
            }
            let mut used: Vec<u32> = leaf_ids.iter().map(|&c| c as u32).collect();
            used.sort_unstable();
            used.dedup();
            let kind = Kind::Classifier {
                labels,
                binary_case: n_classes == 2 && used.len() == 1,
                weights_all_positive: leaf_weights.iter().all(|&w| w >= 0.0),
            };
            (kind, n_classes)
        } else {
            let n_targets = attr(node, "n_targets").map(|a| a.i).unwrap_or(1);
            let aggregate = match string(node, "aggregate_function")?
                .as_deref()
                .unwrap_or("SUM")
            {
                "SUM" => Aggregate::Sum,
                "AVERAGE" => Aggregate::Average,
                "MIN" => Aggregate::Min,
                "MAX" => Aggregate::Max,
                other => bail!("aggregate_function {other} is not supported"),
            };
            let n_targets = usize::try_from(n_targets)
                .ok()
                .filter(|&t| t > 0)
                .ok_or_else(|| format_err!("n_targets must be positive"))?;
            (Kind::Regressor { aggregate }, n_targets)
        };
        if leaf_ids.iter().any(|&c| c < 0 || c as usize >= n_outputs) {
            bail!("a leaf weight names class/target outside 0..{n_outputs}");
        }

        let base_values = floats(node, "base_values")?;
        if !base_values.is_empty() && base_values.len() != n_outputs {
            // ORT accepts one base value for a binary classifier (skl2onnx writes that).
            let binary_single = is_classifier && n_outputs == 2 && base_values.len() == 1;
            if !binary_single {
                bail!(
                    "base_values has {} entries for {n_outputs} outputs",
                    base_values.len()
                );
            }
        }
        let post_transform = match string(node, "post_transform")?.as_deref().unwrap_or("NONE") {
            "NONE" => PostTransform::None,
            "LOGISTIC" => PostTransform::Logistic,
            "SOFTMAX" => PostTransform::Softmax,
            "SOFTMAX_ZERO" => PostTransform::SoftmaxZero,
            other => bail!("post_transform {other} is not supported"),
        };

        let mut nodes = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(m);
        for i in 0..n {
            let mode = match modes[i].as_str() {
                "BRANCH_LEQ" => Mode::Leq,
                "BRANCH_LT" => Mode::Lt,
                "BRANCH_GTE" => Mode::Gte,
                "BRANCH_GT" => Mode::Gt,
                "BRANCH_EQ" => Mode::Eq,
                "BRANCH_NEQ" => Mode::Neq,
                "LEAF" => Mode::Leaf,
                other => bail!("node mode {other} is not supported"),
            };
            let child = |id: i64| -> TractResult<u32> {
                index
                    .get(&(tree_ids[i], id))
                    .map(|&c| c as u32)
                    .ok_or_else(|| {
                        format_err!(
                            "node {} of tree {} points to missing node {id}",
                            node_ids[i],
                            tree_ids[i]
                        )
                    })
            };
            let (true_child, false_child) = if mode == Mode::Leaf {
                (0, 0)
            } else {
                (child(true_ids[i])?, child(false_ids[i])?)
            };
            let start = weights.len() as u32;
            weights.extend_from_slice(&per_leaf[i]);
            nodes.push(Node {
                feature: to_u32(feature_ids[i], "feature id")?,
                threshold: thresholds[i],
                true_child,
                false_child,
                mode,
                missing_true: missing.get(i).is_some_and(|&v| v != 0),
                weights_start: start,
                weights_end: weights.len() as u32,
            });
        }

        // Roots: per tree, the one node no other node points to. Also rejects cycles.
        let mut is_child = vec![false; n];
        for node in nodes.iter().filter(|n| n.mode != Mode::Leaf) {
            is_child[node.true_child as usize] = true;
            is_child[node.false_child as usize] = true;
        }
        let mut roots_by_tree = std::collections::BTreeMap::new();
        for i in 0..n {
            if !is_child[i] && roots_by_tree.insert(tree_ids[i], i as u32).is_some() {
                bail!("tree {} has more than one root", tree_ids[i]);
            }
        }
        let roots: Vec<u32> = roots_by_tree.into_values().collect();
        let trees: std::collections::BTreeSet<i64> = tree_ids.iter().copied().collect();
        if roots.len() != trees.len() {
            bail!(
                "every tree needs exactly one root (found {} roots for {} trees)",
                roots.len(),
                trees.len()
            );
        }
        let ensemble = Ensemble {
            n_features: nodes
                .iter()
                .filter(|n| n.mode != Mode::Leaf)
                .map(|n| n.feature as usize + 1)
                .max()
                .unwrap_or(0),
            roots,
            nodes,
            weights,
            n_outputs,
            base_values,
            post_transform,
            kind,
        };
        ensemble.check_acyclic()?;
        Ok(ensemble)
    }

    /// Every walk from a root must end at a leaf within `nodes.len()` steps.
    fn check_acyclic(&self) -> TractResult<()> {
        let mut depth = vec![u32::MAX; self.nodes.len()];
        let mut stack: Vec<(u32, u32)> = self.roots.iter().map(|&r| (r, 0)).collect();
        while let Some((i, d)) = stack.pop() {
            if d as usize > self.nodes.len() {
                bail!("tree ensemble has a cycle");
            }
            if depth[i as usize] <= d {
                continue;
            }
            depth[i as usize] = d;
            let node = &self.nodes[i as usize];
            if node.mode != Mode::Leaf {
                stack.push((node.true_child, d + 1));
                stack.push((node.false_child, d + 1));
            }
        }
        Ok(())
    }

    fn leaf_for(&self, root: u32, x: &[f32]) -> &Node {
        let mut node = &self.nodes[root as usize];
        while node.mode != Mode::Leaf {
            let v = x[node.feature as usize];
            let t = node.threshold;
            let hit = match node.mode {
                Mode::Leq => v <= t,
                Mode::Lt => v < t,
                Mode::Gte => v >= t,
                Mode::Gt => v > t,
                Mode::Eq => v == t,
                Mode::Neq => v != t,
                // Excluded by the loop condition.
                Mode::Leaf => false,
            };
            let go_true = hit || (node.missing_true && v.is_nan());
            node = &self.nodes[if go_true {
                node.true_child
            } else {
                node.false_child
            } as usize];
        }
        node
    }

    /// Raw per-output scores of a block of rows (`xs` holds them, `cols` wide), with ORT's
    /// `has_score` flags, `n_outputs` per row. Tree-major, so that a tree's nodes stay in cache
    /// for the whole block; each row still sees the trees in the same order as row by row, so
    /// sums (and min/max ties) are bit-identical.
    fn raw_scores_block(&self, xs: &[f32], cols: usize, scores: &mut [f32], has: &mut [bool]) {
        scores.fill(0.0);
        has.fill(false);
        let k = self.n_outputs;
        let aggregate = match self.kind {
            Kind::Classifier { .. } => Aggregate::Sum,
            Kind::Regressor { aggregate } => aggregate,
        };
        for &root in &self.roots {
            for (r, x) in xs.chunks_exact(cols).enumerate() {
                let leaf = self.leaf_for(root, x);
                let (s, h) = (
                    &mut scores[r * k..(r + 1) * k],
                    &mut has[r * k..(r + 1) * k],
                );
                self.add_leaf(leaf, aggregate, s, h);
            }
        }
    }

    /// Adds one leaf's weights to a row's scores (sum, or ORT's min/max with `has_score`).
    fn add_leaf(&self, leaf: &Node, aggregate: Aggregate, scores: &mut [f32], has: &mut [bool]) {
        for &(c, w) in &self.weights[leaf.weights_start as usize..leaf.weights_end as usize] {
            let (s, h) = (&mut scores[c as usize], &mut has[c as usize]);
            *s = match aggregate {
                Aggregate::Sum | Aggregate::Average => *s + w,
                Aggregate::Min if !*h || w < *s => w,
                Aggregate::Max if !*h || w > *s => w,
                Aggregate::Min | Aggregate::Max => *s,
            };
            *h = true;
        }
    }

    /// Classifier: from a row's raw scores, returns the label index and writes the
    /// `n_outputs` probabilities.
    fn classify_row(&self, scores: &mut [f32], has: &mut [bool], out: &mut [f32]) -> usize {
        let Kind::Classifier {
            binary_case,
            weights_all_positive,
            ..
        } = self.kind
        else {
            return 0;
        };
        let base = &self.base_values;
        if self.n_outputs > 2 {
            for (k, b) in base.iter().enumerate() {
                scores[k] = if has[k] { scores[k] + b } else { *b };
                has[k] = true;
            }
            // First maximum among classes that have a score.
            let mut best: Option<usize> = None;
            for k in 0..self.n_outputs {
                if has[k] && best.is_none_or(|b| scores[k] > scores[b]) {
                    best = Some(k);
                }
            }
            write_scores(&scores[..self.n_outputs], self.post_transform, out);
            return best.unwrap_or(0);
        }
        // Two classes.
        let mut write_additional = -1;
        let mut len = 2;
        if base.len() == 2 {
            if has[1] {
                scores[1] = base[1] + scores[0];
                scores[0] = -scores[1];
                has[1] = true;
            } else {
                scores[1] += base[1];
                scores[0] += base[0];
            }
        } else if base.len() == 1 {
            scores[0] += base[0];
            if !has[1] {
                len = 1;
            }
        } else {
            write_additional = 3;
            if !has[1] {
                len = 1;
            }
        }
        let pos_weight = if len == 2 && has[1] {
            scores[1]
        } else if has[0] {
            scores[0]
        } else {
            0.0
        };
        let label = if binary_case {
            if weights_all_positive {
                write_additional = if pos_weight > 0.5 { 0 } else { 1 };
                usize::from(pos_weight > 0.5)
            } else {
                write_additional = if pos_weight > 0.0 { 2 } else { 3 };
                usize::from(pos_weight > 0.0)
            }
        } else {
            usize::from(pos_weight > 0.0)
        };
        if len == 2 {
            write_scores(&scores[..2], self.post_transform, out);
        } else {
            let s = scores[0];
            let (a, b) = match write_additional {
                0 | 1 => (1.0 - s, s),
                2 | 3 if self.post_transform == PostTransform::Logistic => {
                    (logistic(-s), logistic(s))
                }
                _ => (-s, s),
            };
            out[0] = a;
            out[1] = b;
        }
        label
    }

    fn regress_row(&self, scores: &mut [f32], has: &mut [bool], out: &mut [f32]) {
        let Kind::Regressor { aggregate } = self.kind else {
            return;
        };
        let n_trees = self.roots.len() as f32;
        for k in 0..self.n_outputs {
            let base = self.base_values.get(k).copied().unwrap_or(0.0);
            scores[k] = match aggregate {
                Aggregate::Sum => scores[k] + base,
                Aggregate::Average => scores[k] / n_trees + base,
                Aggregate::Min | Aggregate::Max => {
                    if has[k] {
                        scores[k] + base
                    } else {
                        base
                    }
                }
            };
        }
        write_scores(&scores[..self.n_outputs], self.post_transform, out);
    }
}

/// ORT's ComputeLogistic.
fn logistic(x: f32) -> f32 {
    let v = 1.0 / (1.0 + (-x.abs()).exp());
    if x < 0.0 {
        1.0 - v
    } else {
        v
    }
}

fn write_scores(scores: &[f32], post: PostTransform, out: &mut [f32]) {
    match post {
        PostTransform::None => out.copy_from_slice(scores),
        PostTransform::Logistic => {
            for (o, s) in out.iter_mut().zip(scores) {
                *o = logistic(*s);
            }
        }
        PostTransform::Softmax | PostTransform::SoftmaxZero => {
            let zero_aware = post == PostTransform::SoftmaxZero;
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0f32;
            for (o, s) in out.iter_mut().zip(scores) {
                *o = if zero_aware && *s == 0.0 {
                    0.0
                } else {
                    (s - max).exp()
                };
                sum += *o;
            }
            for o in out.iter_mut() {
                *o = if sum > 0.0 { *o / sum } else { 0.0 };
            }
        }
    }
}

/// Rows per tree-major block: the block's raw scores stay small while a tree's nodes are reused.
const BLOCK_ROWS: usize = 64;

/// The tract op: one node per ensemble, evaluating a batch `[N, F]`.
#[derive(Debug, Clone)]
pub struct TreeEnsembleOp {
    ensemble: Arc<Ensemble>,
}

impl PartialEq for TreeEnsembleOp {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.ensemble, &other.ensemble)
    }
}
impl Eq for TreeEnsembleOp {}

impl Op for TreeEnsembleOp {
    fn name(&self) -> StaticName {
        match self.ensemble.kind {
            Kind::Classifier { .. } => "WasmpredictTreeEnsembleClassifier".into(),
            Kind::Regressor { .. } => "WasmpredictTreeEnsembleRegressor".into(),
        }
    }
    op_as_typed_op!();
}

impl EvalOp for TreeEnsembleOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let input = input.cast_to::<f32>()?;
        let view = input.to_plain_array_view::<f32>()?;
        if view.ndim() != 2 {
            bail!("tree ensemble input must be [N, F], got {:?}", view.shape());
        }
        let (rows, cols) = (view.shape()[0], view.shape()[1]);
        let e = &self.ensemble;
        if cols < e.n_features {
            bail!(
                "tree ensemble reads feature {} but the input has {cols} columns",
                e.n_features - 1
            );
        }
        let contiguous;
        let data: &[f32] = match view.as_slice() {
            Some(s) => s,
            None => {
                contiguous = view.iter().copied().collect::<Vec<f32>>();
                &contiguous
            }
        };
        let k = e.n_outputs;
        let block = rows.clamp(1, BLOCK_ROWS);
        let (mut scores, mut has) = (vec![0f32; block * k], vec![false; block * k]);
        let mut values = vec![0f32; rows * k];
        let mut label_ix = Vec::with_capacity(rows);
        for start in (0..rows).step_by(block) {
            let end = (start + block).min(rows);
            let n = end - start;
            let (scores, has) = (&mut scores[..n * k], &mut has[..n * k]);
            e.raw_scores_block(&data[start * cols..end * cols], cols, scores, has);
            for r in 0..n {
                let (s, h) = (
                    &mut scores[r * k..(r + 1) * k],
                    &mut has[r * k..(r + 1) * k],
                );
                let out = &mut values[(start + r) * k..(start + r + 1) * k];
                match e.kind {
                    Kind::Classifier { .. } => label_ix.push(e.classify_row(s, h, out)),
                    Kind::Regressor { .. } => e.regress_row(s, h, out),
                }
            }
        }
        match &e.kind {
            Kind::Classifier { labels, .. } => {
                let labels = match labels {
                    Labels::Int(l) => {
                        tensor1(&label_ix.iter().map(|&i| l[i]).collect::<Vec<i64>>())
                    }
                    Labels::Str(l) => tensor1(
                        &label_ix
                            .iter()
                            .map(|&i| l[i].clone())
                            .collect::<Vec<String>>(),
                    ),
                };
                let probs = tensor1(&values).into_shape(&[rows, k])?;
                Ok(tvec!(labels.into_tvalue(), probs.into_tvalue()))
            }
            Kind::Regressor { .. } => Ok(tvec!(tensor1(&values)
                .into_shape(&[rows, k])?
                .into_tvalue())),
        }
    }
}

impl TypedOp for TreeEnsembleOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let n = inputs[0].shape[0].clone();
        let k: TDim = self.ensemble.n_outputs.into();
        Ok(match &self.ensemble.kind {
            Kind::Classifier { labels, .. } => {
                tvec!(
                    labels.datum_type().fact(std::slice::from_ref(&n)),
                    f32::fact(&[n, k])
                )
            }
            Kind::Regressor { .. } => tvec!(f32::fact(&[n, k])),
        })
    }
    as_op!();
}

/// The inference-time face of the op: type rules, then wiring of the typed op.
#[derive(Debug, Clone)]
struct TreeEnsembleExpansion {
    op: TreeEnsembleOp,
}

impl Expansion for TreeEnsembleExpansion {
    fn name(&self) -> StaticName {
        self.op.name()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        let e = &self.op.ensemble;
        match &e.kind {
            Kind::Classifier { labels, .. } => {
                check_output_arity(outputs, 2)?;
                s.equals(&outputs[0].datum_type, labels.datum_type())?;
                s.equals(&outputs[0].rank, 1)?;
                s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[1].datum_type, f32::datum_type())?;
                s.equals(&outputs[1].rank, 2)?;
                s.equals(&outputs[1].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[1].shape[1], e.n_outputs.to_dim())?;
            }
            Kind::Regressor { .. } => {
                check_output_arity(outputs, 1)?;
                s.equals(&outputs[0].datum_type, f32::datum_type())?;
                s.equals(&outputs[0].rank, 2)?;
                s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[0].shape[1], e.n_outputs.to_dim())?;
            }
        }
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, self.op.clone(), inputs)
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(match self.op.ensemble.kind {
            Kind::Classifier { .. } => 2,
            Kind::Regressor { .. } => 1,
        })
    }
}

fn build(
    node: &NodeProto,
    is_classifier: bool,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let ensemble = Ensemble::parse(node, is_classifier)
        .with_context(|| format!("parsing {} '{}'", node.op_type, node.name))?;
    let op = TreeEnsembleOp {
        ensemble: Arc::new(ensemble),
    };
    Ok((expand(TreeEnsembleExpansion { op }), vec![]))
}

fn classifier_builder(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    build(node, true)
}

fn regressor_builder(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    build(node, false)
}
