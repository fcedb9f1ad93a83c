//! TreeSHAP, path-dependent (Lundberg et al. 2018, Algorithm 2; the recursion of shap's
//! `tree_shap_recursive`): exact Shapley values of a tree ensemble's raw score, with each
//! node's training cover standing in for the data. ONNX trees carry no covers, so the exporter
//! writes them (`explain.json`) and they are matched here to the graph's nodes by tree and node
//! id.

use super::ExplainError;
use crate::infer::onnx::Node as OnnxNode;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    Leq,
    Lt,
    Gte,
    Gt,
}

#[derive(Debug, Clone)]
struct TreeNode {
    /// None for a leaf.
    split: Option<Split>,
    feature: usize,
    threshold: f32,
    /// Local indices of the children taken when the comparison holds / does not.
    yes: usize,
    no: usize,
    nan_yes: bool,
    cover: f64,
    /// A leaf's weight per output (`n_outputs` values).
    values: Vec<f64>,
}

#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<TreeNode>,
    root: usize,
    /// The cover-weighted mean of the leaves' values, per output (the tree's expected value).
    expected: Vec<f64>,
}

/// A tree ensemble ready to be explained.
#[derive(Debug, Clone)]
pub struct Forest {
    trees: Vec<Tree>,
    n_outputs: usize,
    /// Added to each output's sum (the graph's `base_values`).
    base: Vec<f64>,
    /// 1 / trees for an averaging regressor, else 1.
    scale: f64,
    /// Some leaf weighs output 1 (a two-class classifier's positive class has its own score).
    has_output_one: bool,
}

#[derive(Debug, Clone, Copy)]
struct PathElement {
    /// The split feature, or usize::MAX for the root's placeholder.
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
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
        if leaf_outputs
            .iter()
            .any(|&o| o < 0 || o as usize >= n_outputs)
        {
            return Err(invalid(
                "a leaf weight names an output the model does not have",
            ));
        }
        let scale = match node.string("aggregate_function").ok().flatten().as_deref() {
            None | Some("SUM") => 1.0,
            Some("AVERAGE") => f64::NAN, // set once the trees are counted
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
        let scale = if scale.is_nan() {
            1.0 / trees.len().max(1) as f64
        } else {
            scale
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

    /// Shapley values of one row (`x`: the model's features, NaN for missing), as
    /// `phi[feature * n_outputs + output]`, added to `phi` (length features × outputs).
    pub fn shap(&self, x: &[f32], phi: &mut [f64]) {
        let mut walk = Walk {
            x,
            phi,
            n_outputs: self.n_outputs,
            scale: self.scale,
            arena: Vec::with_capacity(256),
        };
        for tree in &self.trees {
            tree.recurse(
                &mut walk,
                tree.root,
                0..0,
                Step {
                    zero: 1.0,
                    one: 1.0,
                    feature: usize::MAX,
                },
            );
        }
    }
}

impl Tree {
    fn expectation(&self, k: usize, depth: usize) -> Result<Vec<f64>, ExplainError> {
        if depth > 4096 {
            return Err(invalid("a tree is deeper than 4096 nodes (or has a cycle)"));
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
    fn next(&self, k: usize, x: &[f32]) -> usize {
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

    /// One node of the walk. The paths of every level live in `arena`, each level's copy after
    /// its parent's (`parent`), so the walk allocates nothing once the arena has grown.
    fn recurse(&self, walk: &mut Walk<'_>, k: usize, parent: Range<usize>, step: Step) {
        let start = walk.arena.len();
        walk.arena.extend_from_within(parent);
        extend(&mut walk.arena, start, step);
        let node = &self.nodes[k];
        if node.split.is_none() {
            let path = &walk.arena[start..];
            for i in 1..path.len() {
                let w = unwound_sum(path, i);
                let el = path[i];
                let factor = w * (el.one - el.zero) * walk.scale;
                let offset = el.feature * walk.n_outputs;
                for (j, v) in node.values.iter().enumerate() {
                    if let Some(p) = walk.phi.get_mut(offset + j) {
                        *p += factor * v;
                    }
                }
            }
            walk.arena.truncate(start);
            return;
        }
        let hot = self.next(k, walk.x);
        let cold = if hot == node.yes { node.no } else { node.yes };
        let (hot_zero, cold_zero) = if node.cover > 0.0 {
            (
                self.nodes[hot].cover / node.cover,
                self.nodes[cold].cover / node.cover,
            )
        } else {
            (0.0, 0.0)
        };
        let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
        if let Some(i) = walk.arena[start..]
            .iter()
            .position(|e| e.feature == node.feature)
        {
            let el = walk.arena[start + i];
            incoming_zero = el.zero;
            incoming_one = el.one;
            unwind(&mut walk.arena, start, i);
        }
        let path = start..walk.arena.len();
        let feature = node.feature;
        self.recurse(
            walk,
            hot,
            path.clone(),
            Step {
                zero: hot_zero * incoming_zero,
                one: incoming_one,
                feature,
            },
        );
        self.recurse(
            walk,
            cold,
            path,
            Step {
                zero: cold_zero * incoming_zero,
                one: 0.0,
                feature,
            },
        );
        walk.arena.truncate(start);
    }
}

/// What stays the same through one row's walk of one tree.
struct Walk<'a> {
    x: &'a [f32],
    phi: &'a mut [f64],
    n_outputs: usize,
    scale: f64,
    arena: Vec<PathElement>,
}

/// The split that leads to a node: the fractions of zero (cover) and one (the row's path) that
/// flow through it, and its feature.
#[derive(Debug, Clone, Copy)]
struct Step {
    zero: f64,
    one: f64,
    feature: usize,
}

/// Appends `step` to the path that starts at `start` (the arena's last), updating its weights.
fn extend(arena: &mut Vec<PathElement>, start: usize, step: Step) {
    let l = arena.len() - start;
    arena.push(PathElement {
        feature: step.feature,
        zero: step.zero,
        one: step.one,
        weight: if l == 0 { 1.0 } else { 0.0 },
    });
    let path = &mut arena[start..];
    let (zero, one) = (step.zero, step.one);
    for i in (0..l).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / (l + 1) as f64;
        path[i].weight = zero * path[i].weight * (l - i) as f64 / (l + 1) as f64;
    }
}

/// Removes element `index` from the path that starts at `start` (the arena's last), undoing its
/// extension.
fn unwind(arena: &mut Vec<PathElement>, start: usize, index: usize) {
    let path = &mut arena[start..];
    let depth = path.len() - 1;
    let (one, zero) = (path[index].one, path[index].zero);
    let mut next = path[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = next * (depth + 1) as f64 / ((i + 1) as f64 * one);
            next = tmp - path[i].weight * zero * (depth - i) as f64 / (depth + 1) as f64;
        } else {
            path[i].weight = path[i].weight * (depth + 1) as f64 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
    arena.pop();
}

/// The total weight of the path with element `index` unwound.
fn unwound_sum(path: &[PathElement], index: usize) -> f64 {
    let depth = path.len() - 1;
    let (one, zero) = (path[index].one, path[index].zero);
    let mut next = path[depth].weight;
    let mut total = 0.0;
    if one != 0.0 {
        for i in (0..depth).rev() {
            let tmp = next / ((i + 1) as f64 * one);
            total += tmp;
            next = path[i].weight - tmp * zero * (depth - i) as f64;
        }
    } else {
        for i in (0..depth).rev() {
            total += path[i].weight / (zero * (depth - i) as f64);
        }
    }
    total * (depth + 1) as f64
}
