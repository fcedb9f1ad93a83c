//! A tree ensemble as TreeSHAP walks it: the graph's TreeEnsembleClassifier/Regressor node
//! read again (the evaluator's compact layout has no covers), each node matched by tree and node
//! id to the cover the exporter wrote (`explain.json`), and each tree's expected value.

use super::ExplainError;
use crate::bundle::limits;
use crate::infer::onnx::Node as OnnxNode;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Split {
    Leq,
    Lt,
    Gte,
    Gt,
}

#[derive(Debug, Clone)]
pub(super) struct TreeNode {
    /// None for a leaf.
    pub(super) split: Option<Split>,
    pub(super) feature: usize,
    threshold: f32,
    /// Local indices of the children taken when the comparison holds / does not.
    pub(super) yes: usize,
    pub(super) no: usize,
    nan_yes: bool,
    pub(super) cover: f64,
    /// A leaf's weight per output (`n_outputs` values).
    pub(super) values: Vec<f64>,
}

#[derive(Debug, Clone)]
pub(super) struct Tree {
    pub(super) nodes: Vec<TreeNode>,
    pub(super) root: usize,
    /// The cover-weighted mean of the leaves' values, per output (the tree's expected value).
    expected: Vec<f64>,
}

/// A tree ensemble ready to be explained.
#[derive(Debug, Clone)]
pub struct Forest {
    pub(super) trees: Vec<Tree>,
    pub(super) n_outputs: usize,
    /// Added to each output's sum (the graph's `base_values`).
    base: Vec<f64>,
    /// 1 / trees for an averaging regressor, else 1.
    pub(super) scale: f64,
    /// Some leaf weighs output 1 (a two-class classifier's positive class has its own score).
    has_output_one: bool,
}

fn invalid(message: impl Into<String>) -> ExplainError {
    ExplainError::Invalid(message.into())
}

impl Forest {
    /// Reads a TreeEnsembleClassifier/Regressor node with the exporter's covers (per tree, in
    /// increasing tree id order, indexed by node id).
    pub fn parse(node: &OnnxNode, covers: &[Vec<f64>]) -> Result<Forest, ExplainError> {
        let classifier = node.op_type == "TreeEnsembleClassifier";
        let tree_ids = node.ints("nodes_treeids");
        let node_ids = node.ints("nodes_nodeids");
        let features = node.ints("nodes_featureids");
        let thresholds = node.floats("nodes_values");
        let modes = node
            .strings("nodes_modes")
            .map_err(|e| invalid(e.to_string()))?;
        let yes_ids = node.ints("nodes_truenodeids");
        let no_ids = node.ints("nodes_falsenodeids");
        let missing = node.ints("nodes_missing_value_tracks_true");
        let n = tree_ids.len();
        if [
            node_ids.len(),
            features.len(),
            thresholds.len(),
            modes.len(),
            yes_ids.len(),
            no_ids.len(),
        ]
        .iter()
        .any(|&l| l != n)
        {
            return Err(invalid("the tree attributes differ in length"));
        }
        let prefix = if classifier { "class" } else { "target" };
        let leaf_trees = node.ints(&format!("{prefix}_treeids"));
        let leaf_nodes = node.ints(&format!("{prefix}_nodeids"));
        let leaf_outputs = node.ints(&format!("{prefix}_ids"));
        let leaf_weights = node.floats(&format!("{prefix}_weights"));
        if [leaf_nodes.len(), leaf_outputs.len(), leaf_weights.len()]
            .iter()
            .any(|&l| l != leaf_trees.len())
        {
            return Err(invalid("the leaf attributes differ in length"));
        }
        let n_outputs = if classifier {
            let ints = node.ints("classlabels_int64s").len();
            let strings = node
                .strings("classlabels_strings")
                .map_err(|e| invalid(e.to_string()))?
                .len();
            ints.max(strings)
        } else {
            node.int("n_targets").unwrap_or(1).max(1) as usize
        };
        limits::check(
            "the number of outputs",
            n_outputs as u64,
            limits::MAX_OUTPUTS,
        )
        .map_err(invalid)?;
        if leaf_outputs
            .iter()
            .any(|&o| o < 0 || o as usize >= n_outputs)
        {
            return Err(invalid(
                "a leaf weight names an output the model does not have",
            ));
        }
        let average = match node.string("aggregate_function").ok().flatten().as_deref() {
            None | Some("SUM") => false,
            Some("AVERAGE") => true,
            Some(other) => {
                return Err(ExplainError::Unsupported(format!(
                    "trees aggregated by {other} have no additive explanation"
                )))
            }
        };
        // Tree id -> (node id -> position in the attributes).
        let mut by_tree: BTreeMap<i64, HashMap<i64, usize>> = BTreeMap::new();
        for i in 0..n {
            by_tree
                .entry(tree_ids[i])
                .or_default()
                .insert(node_ids[i], i);
        }
        if by_tree.len() != covers.len() {
            return Err(invalid(format!(
                "explain.json has covers for {} trees, the graph has {}",
                covers.len(),
                by_tree.len()
            )));
        }
        let mut leaf_values: HashMap<(i64, i64), Vec<f64>> = HashMap::new();
        for j in 0..leaf_trees.len() {
            let v = leaf_values
                .entry((leaf_trees[j], leaf_nodes[j]))
                .or_insert_with(|| vec![0.0; n_outputs]);
            v[leaf_outputs[j] as usize] += f64::from(leaf_weights[j]);
        }
        let mut trees = Vec::with_capacity(by_tree.len());
        for ((tree_id, ids), tree_covers) in by_tree.iter().zip(covers) {
            // Local order: by node id.
            let mut order: Vec<(i64, usize)> = ids.iter().map(|(&id, &i)| (id, i)).collect();
            order.sort_unstable();
            let local: HashMap<i64, usize> = order
                .iter()
                .enumerate()
                .map(|(k, &(id, _))| (id, k))
                .collect();
            let child = |id: i64| {
                local.get(&id).copied().ok_or_else(|| {
                    invalid(format!(
                        "tree {tree_id}: a node points to missing node {id}"
                    ))
                })
            };
            let mut nodes = Vec::with_capacity(order.len());
            let mut is_child = vec![false; order.len()];
            for &(id, i) in &order {
                let cover = usize::try_from(id)
                    .ok()
                    .and_then(|id| tree_covers.get(id))
                    .copied()
                    .filter(|c| c.is_finite() && *c >= 0.0)
                    .ok_or_else(|| invalid(format!("tree {tree_id}: no cover for node {id}")))?;
                let split = match modes[i].as_str() {
                    "LEAF" => None,
                    "BRANCH_LEQ" => Some(Split::Leq),
                    "BRANCH_LT" => Some(Split::Lt),
                    "BRANCH_GTE" => Some(Split::Gte),
                    "BRANCH_GT" => Some(Split::Gt),
                    other => {
                        return Err(ExplainError::Unsupported(format!(
                            "{other} splits are not explained"
                        )))
                    }
                };
                let (yes, no) = match split {
                    Some(_) => (child(yes_ids[i])?, child(no_ids[i])?),
                    None => (0, 0),
                };
                if split.is_some() {
                    is_child[yes] = true;
                    is_child[no] = true;
                }
                let feature = usize::try_from(features[i])
                    .map_err(|_| invalid(format!("tree {tree_id}: negative feature id")))?;
                nodes.push(TreeNode {
                    split,
                    feature,
                    threshold: thresholds[i],
                    yes,
                    no,
                    nan_yes: missing.get(i).is_some_and(|&m| m != 0),
                    cover,
                    values: match split {
                        None => leaf_values
                            .get(&(*tree_id, id))
                            .cloned()
                            .unwrap_or_else(|| vec![0.0; n_outputs]),
                        Some(_) => Vec::new(),
                    },
                });
            }
            let mut roots = (0..nodes.len()).filter(|&k| !is_child[k]);
            let root = match (roots.next(), roots.next()) {
                (Some(r), None) => r,
                _ => return Err(invalid(format!("tree {tree_id} does not have one root"))),
            };
            let mut tree = Tree {
                nodes,
                root,
                expected: Vec::new(),
            };
            // The walks below recurse once per level: measure the depth without recursing.
            let depth = tree
                .depth()
                .ok_or_else(|| invalid(format!("tree {tree_id} has a cycle or a shared node")))?;
            limits::check(
                &format!("the depth of tree {tree_id}"),
                depth as u64,
                limits::MAX_EXPLAINED_DEPTH,
            )
            .map_err(invalid)?;
            tree.expected = tree.expectation(root, 0)?;
            trees.push(tree);
        }
        let base_values: Vec<f64> = node
            .floats("base_values")
            .iter()
            .map(|&b| f64::from(b))
            .collect();
        let mut base = vec![0.0; n_outputs];
        for (b, v) in base.iter_mut().zip(&base_values) {
            *b = *v;
        }
        let scale = if average {
            1.0 / trees.len().max(1) as f64
        } else {
            1.0
        };
        Ok(Forest {
            n_outputs,
            base,
            scale,
            has_output_one: leaf_outputs.contains(&1),
            trees,
        })
    }

    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// A two-class classifier's positive score: output 1 when some leaf weighs it, else the
    /// single score of ONNX's binary layout (output 0).
    pub fn positive_output(&self) -> usize {
        usize::from(self.has_output_one)
    }

    /// The expected raw score per output (the explanation's base value).
    pub fn base_values(&self) -> Vec<f64> {
        let mut out = self.base.clone();
        for tree in &self.trees {
            for (o, e) in out.iter_mut().zip(&tree.expected) {
                *o += e * self.scale;
            }
        }
        out
    }
}

impl Tree {
    /// The number of levels below the root, or None when a node is reached twice (a cycle, or
    /// a node shared by two branches, which would make the recursive walks exponential).
    fn depth(&self) -> Option<usize> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![(self.root, 0usize)];
        let mut deepest = 0;
        while let Some((k, d)) = stack.pop() {
            if std::mem::replace(seen.get_mut(k)?, true) {
                return None;
            }
            deepest = deepest.max(d);
            let node = &self.nodes[k];
            if node.split.is_some() {
                stack.push((node.yes, d + 1));
                stack.push((node.no, d + 1));
            }
        }
        Some(deepest)
    }

    /// Called once [`Tree::depth`] has bounded the recursion.
    fn expectation(&self, k: usize, depth: usize) -> Result<Vec<f64>, ExplainError> {
        if depth > limits::MAX_EXPLAINED_DEPTH {
            return Err(invalid("a tree is deeper than the explained-depth limit"));
        }
        let node = &self.nodes[k];
        if node.split.is_none() {
            return Ok(node.values.clone());
        }
        let (a, b) = (&self.nodes[node.yes], &self.nodes[node.no]);
        let (ea, eb) = (
            self.expectation(node.yes, depth + 1)?,
            self.expectation(node.no, depth + 1)?,
        );
        let total = a.cover + b.cover;
        Ok(ea
            .iter()
            .zip(&eb)
            .map(|(x, y)| {
                if total == 0.0 {
                    0.0
                } else {
                    (a.cover * x + b.cover * y) / total
                }
            })
            .collect())
    }

    /// The child a row takes at branch `k`.
    pub(super) fn next(&self, k: usize, x: &[f32]) -> usize {
        let node = &self.nodes[k];
        let v = x.get(node.feature).copied().unwrap_or(f32::NAN);
        let t = node.threshold;
        let yes = if v.is_nan() {
            node.nan_yes
        } else {
            match node.split {
                Some(Split::Leq) => v <= t,
                Some(Split::Lt) => v < t,
                Some(Split::Gte) => v >= t,
                Some(Split::Gt) => v > t,
                None => true,
            }
        };
        if yes {
            node.yes
        } else {
            node.no
        }
    }
}
