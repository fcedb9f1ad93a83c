//! From a TreeEnsembleClassifier/Regressor node's attributes to the compact layout: validate
//! every id and length, relabel nodes tree by tree, turn each comparison into `x <= t` where that
//! is exact, and lay leaf weights out densely.

use super::{Aggregate, Ensemble, Kind, Labels, Mode, Node, Tree, NAN_LEFT};
use crate::bundle::limits;
use crate::infer::onnx::Node as OnnxNode;
use crate::infer::post_transform::PostTransform;
use crate::infer::GraphError;
use std::collections::{BTreeMap, HashMap};

fn invalid(msg: impl Into<String>) -> GraphError {
    GraphError::Invalid(msg.into())
}

fn to_u32(v: i64, what: &str) -> Result<u32, GraphError> {
    u32::try_from(v)
        .ok()
        .filter(|&v| v < NAN_LEFT)
        .ok_or_else(|| invalid(format!("{what} {v} out of range")))
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

fn parse(node: &OnnxNode, is_classifier: bool) -> Result<Ensemble, GraphError> {
    let tree_ids = node.ints("nodes_treeids");
    let node_ids = node.ints("nodes_nodeids");
    let feature_ids = node.ints("nodes_featureids");
    let thresholds = floats(node, "nodes_values")?;
    let modes = node
        .attr("nodes_modes")
        .map(|a| a.strings.as_slice())
        .unwrap_or_default();
    let true_ids = node.ints("nodes_truenodeids");
    let false_ids = node.ints("nodes_falsenodeids");
    let missing = node.ints("nodes_missing_value_tracks_true");
    let n = tree_ids.len();
    if n == 0 {
        return Err(invalid("tree ensemble without nodes"));
    }
    limits::check("the number of tree nodes", n as u64, limits::MAX_TREE_NODES).map_err(invalid)?;
    for (name, len) in [
        ("nodes_nodeids", node_ids.len()),
        ("nodes_featureids", feature_ids.len()),
        ("nodes_values", thresholds.len()),
        ("nodes_modes", modes.len()),
        ("nodes_truenodeids", true_ids.len()),
        ("nodes_falsenodeids", false_ids.len()),
    ] {
        if len != n {
            return Err(invalid(format!(
                "{name} has {len} entries, nodes_treeids {n}"
            )));
        }
    }
    if !missing.is_empty() && missing.len() != n {
        return Err(invalid(format!(
            "nodes_missing_value_tracks_true has {} entries for {n} nodes",
            missing.len()
        )));
    }
    let modes: Vec<Mode> = modes
        .iter()
        .map(|m| {
            Ok(match m.as_slice() {
                b"BRANCH_LEQ" => Mode::Leq,
                b"BRANCH_LT" => Mode::Lt,
                b"BRANCH_GTE" => Mode::Gte,
                b"BRANCH_GT" => Mode::Gt,
                b"BRANCH_EQ" => Mode::Eq,
                b"BRANCH_NEQ" => Mode::Neq,
                b"LEAF" => Mode::Leaf,
                other => {
                    return Err(invalid(format!(
                        "node mode {} is not supported",
                        String::from_utf8_lossy(other)
                    )))
                }
            })
        })
        .collect::<Result<_, _>>()?;

    // (tree, node id) -> position in the attribute arrays.
    let index = NodeIndex::new(tree_ids, node_ids)?;
    let child = |i: usize, id: i64| -> Result<usize, GraphError> {
        index.get(tree_ids[i], id).ok_or_else(|| {
            invalid(format!(
                "node {} of tree {} points to missing node {id}",
                node_ids[i], tree_ids[i]
            ))
        })
    };

    // Kind and outputs.
    let prefix = if is_classifier { "class" } else { "target" };
    let leaf_trees = node.ints(&format!("{prefix}_treeids"));
    let leaf_nodes = node.ints(&format!("{prefix}_nodeids"));
    let leaf_ids = node.ints(&format!("{prefix}_ids"));
    let leaf_weights = floats(node, &format!("{prefix}_weights"))?;
    let m = leaf_trees.len();
    if leaf_nodes.len() != m || leaf_ids.len() != m || leaf_weights.len() != m {
        return Err(invalid(format!("{prefix}_* attributes differ in length")));
    }
    let (kind, n_outputs) = if is_classifier {
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
        let one_class_id = leaf_ids.iter().all(|&c| Some(&c) == leaf_ids.first());
        let kind = Kind::Classifier {
            labels,
            binary_case: n_classes == 2 && one_class_id && !leaf_ids.is_empty(),
            weights_all_positive: leaf_weights.iter().all(|&w| w >= 0.0),
        };
        (kind, n_classes)
    } else {
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
        (Kind::Regressor { aggregate }, n_targets)
    };
    if leaf_ids.iter().any(|&c| c < 0 || c as usize >= n_outputs) {
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

    // The leaf table is leaves × outputs: a few MB of graph could otherwise ask for gigabytes.
    let leaves = modes.iter().filter(|&&m| m == Mode::Leaf).count();
    limits::check(
        &format!("the leaf table's size ({leaves} leaves × {n_outputs} outputs)"),
        (leaves as u64).saturating_mul(n_outputs as u64),
        limits::MAX_LEAF_VALUES,
    )
    .map_err(invalid)?;

    // Roots: per tree, the one node no other node points to.
    let mut is_child = vec![false; n];
    for i in (0..n).filter(|&i| modes[i] != Mode::Leaf) {
        is_child[child(i, true_ids[i])?] = true;
        is_child[child(i, false_ids[i])?] = true;
    }
    let mut roots: BTreeMap<i64, usize> = BTreeMap::new();
    for i in 0..n {
        if !is_child[i] && roots.insert(tree_ids[i], i).is_some() {
            return Err(invalid(format!(
                "tree {} has more than one root",
                tree_ids[i]
            )));
        }
    }
    let n_trees = tree_ids
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if roots.len() != n_trees {
        return Err(invalid(format!(
            "every tree needs exactly one root (found {} roots for {n_trees} trees)",
            roots.len()
        )));
    }

    // Leaf weights per attribute position, grouped (CSR) in attribute order.
    let mut weight_start = vec![0usize; n + 1];
    let mut weight_node = Vec::with_capacity(m);
    for k in 0..m {
        let i = index.get(leaf_trees[k], leaf_nodes[k]).ok_or_else(|| {
            invalid(format!(
                "a weight names node {} of tree {}, which does not exist",
                leaf_nodes[k], leaf_trees[k]
            ))
        })?;
        weight_start[i + 1] += 1;
        weight_node.push(i);
    }
    for i in 0..n {
        weight_start[i + 1] += weight_start[i];
    }
    let mut fill = weight_start.clone();
    let mut weights: Vec<(usize, f32)> = vec![(0, 0.0); m];
    for (k, &i) in weight_node.iter().enumerate() {
        weights[fill[i]] = (leaf_ids[k] as usize, leaf_weights[k]);
        fill[i] += 1;
    }
    let weights_of = |i: usize| &weights[weight_start[i]..weight_start[i + 1]];

    // Relabel: each tree's nodes in depth-first order, trees in tree-id order (the order ORT
    // sums them in). A node reached twice or a walk longer than the node count is a cycle.
    let exact = modes
        .iter()
        .zip(&thresholds)
        .all(|(&m, &t)| rewrite_exact(m, t));
    let mut new_index = vec![u32::MAX; n];
    let mut nodes = Vec::with_capacity(n);
    let mut kept_modes = Vec::new();
    let mut leaf_of = Vec::with_capacity(n);
    let mut leaf_values = Vec::new();
    let mut leaf_present: Vec<bool> = Vec::new();
    let mut trees = Vec::with_capacity(roots.len());
    let mut n_features = 0usize;
    let mut order: Vec<(usize, u32)> = Vec::new();
    for &root in roots.values() {
        let first = nodes.len();
        let mut depth = 0u32;
        order.clear();
        let mut stack = vec![(root, 0u32)];
        while let Some((i, d)) = stack.pop() {
            if new_index[i] != u32::MAX || d as usize > n {
                return Err(invalid("the trees have a cycle or a shared node"));
            }
            new_index[i] =
                u32::try_from(first + order.len()).map_err(|_| invalid("too many nodes"))?;
            order.push((i, d));
            depth = depth.max(d);
            if modes[i] != Mode::Leaf {
                stack.push((child(i, false_ids[i])?, d + 1));
                stack.push((child(i, true_ids[i])?, d + 1));
            }
        }
        for &(i, _) in &order {
            let me = new_index[i];
            if modes[i] == Mode::Leaf {
                leaf_of.push(
                    u32::try_from(leaf_values.len() / n_outputs)
                        .map_err(|_| invalid("too many leaves"))?,
                );
                let start = leaf_values.len();
                leaf_values.resize(start + n_outputs, 0.0);
                leaf_present.resize(start + n_outputs, false);
                for &(c, w) in weights_of(i) {
                    // Several weights for one output of one leaf add up, as in ORT.
                    leaf_values[start + c] += w;
                    leaf_present[start + c] = true;
                }
                nodes.push(Node {
                    feature: 0,
                    threshold: 0.0,
                    children: [me, me],
                });
                kept_modes.push(Mode::Leaf);
                continue;
            }
            leaf_of.push(u32::MAX);
            let feature = to_u32(feature_ids[i], "feature id")?;
            n_features = n_features.max(feature as usize + 1);
            let (t, f) = (
                new_index[child(i, true_ids[i])?],
                new_index[child(i, false_ids[i])?],
            );
            let missing_true = missing.get(i).is_some_and(|&v| v != 0);
            nodes.push(if exact {
                canonical(modes[i], feature, thresholds[i], t, f, missing_true)
            } else {
                let flag = if missing_true { NAN_LEFT } else { 0 };
                Node {
                    feature: feature | flag,
                    threshold: thresholds[i],
                    children: [t, f],
                }
            });
            kept_modes.push(modes[i]);
        }
        trees.push(Tree {
            root: new_index[root],
            depth,
        });
    }
    if nodes.len() != n {
        return Err(invalid(format!(
            "{} nodes are not reachable from any root",
            n - nodes.len()
        )));
    }
    // MIN/MAX must skip the outputs a leaf has no weight for, so they always keep the flags.
    let per_leaf = matches!(
        kind,
        Kind::Regressor {
            aggregate: Aggregate::Min | Aggregate::Max
        }
    );
    let (leaf_has, static_has) = has_score(&trees, &leaf_of, leaf_present, n_outputs, per_leaf);

    let routes_nan = nodes.iter().any(|n| n.feature & NAN_LEFT != 0);
    // Leaves read feature 0 while they wait for the other lanes: rows need one column at least.
    let n_features = n_features.max(1);
    // Trees by depth (a counting sort: depths are small), tree order within a depth.
    let max_depth = trees.iter().map(|t| t.depth as usize).max().unwrap_or(0);
    let by_depth: Vec<u32> = (0..=max_depth)
        .flat_map(|d| {
            trees
                .iter()
                .enumerate()
                .filter(move |(_, t)| t.depth as usize == d)
                .map(|(i, _)| i as u32)
        })
        .collect();
    Ok(Ensemble {
        by_depth,
        trees,
        nodes,
        leaf_of,
        leaf_values,
        leaf_has,
        static_has,
        routes_nan,
        modes: (!exact).then_some(kept_modes),
        n_outputs,
        n_features,
        base_values,
        post_transform,
        kind,
    })
}

/// ORT's `has_score` (which outputs got a weight from some visited leaf): when every tree's
/// leaves carry the same outputs it is the same for every row, and computed here once; otherwise
/// the per-leaf flags are kept for evaluation.
fn has_score(
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

/// Whether `mode` with threshold `t` can be written as `x <= t'` (possibly with the branches
/// swapped) and give the same branch for every non-NaN float `x`.
fn rewrite_exact(mode: Mode, t: f32) -> bool {
    match mode {
        Mode::Leq | Mode::Gt | Mode::Leaf => true,
        // x < t  <=>  x <= next_down(t), for every x, when t is not -inf or NaN.
        Mode::Lt | Mode::Gte => t.is_finite() || t == f32::INFINITY,
        Mode::Eq | Mode::Neq => false,
    }
}

/// One branch node in the `x <= threshold ? children[0] : children[1]` form, NaN sent where the
/// graph sends it (`missing_true`: to the true branch; otherwise the comparison decides, and it
/// is false for NaN in every mode).
fn canonical(
    mode: Mode,
    feature: u32,
    t: f32,
    true_child: u32,
    false_child: u32,
    missing_true: bool,
) -> Node {
    // (threshold, children, does NaN go to children[0]?)
    let (threshold, children, nan_left) = match mode {
        // x <= t: true branch first.
        Mode::Leq => (t, [true_child, false_child], missing_true),
        Mode::Lt => (t.next_down(), [true_child, false_child], missing_true),
        // x > t is !(x <= t): false branch first; NaN goes to children[0] unless tracked true.
        Mode::Gt => (t, [false_child, true_child], !missing_true),
        Mode::Gte => (t.next_down(), [false_child, true_child], !missing_true),
        Mode::Eq | Mode::Neq | Mode::Leaf => (t, [true_child, false_child], missing_true),
    };
    Node {
        feature: feature | if nan_left { NAN_LEFT } else { 0 },
        threshold,
        children,
    }
}

/// `(tree id, node id)` to the node's position in the attribute arrays. Exporters number each
/// tree's nodes 0..count (the dense case: two array lookups, no hashing, which matters for a
/// 100-tree forest loaded in a fresh Worker isolate); any other numbering goes through a map.
enum NodeIndex {
    Dense {
        /// By tree id: where its nodes start in `slots`, and how many it has.
        trees: Vec<(usize, usize)>,
        slots: Vec<usize>,
    },
    Hashed(HashMap<(i64, i64), usize>),
}

impl NodeIndex {
    fn new(tree_ids: &[i64], node_ids: &[i64]) -> Result<NodeIndex, GraphError> {
        let n = tree_ids.len();
        let twice = |i: usize| {
            invalid(format!(
                "node {} of tree {} is defined twice",
                node_ids[i], tree_ids[i]
            ))
        };
        if tree_ids.iter().all(|&t| t >= 0 && (t as usize) < n) {
            let max_tree = tree_ids.iter().copied().max().unwrap_or(0) as usize;
            let mut trees = vec![(0usize, 0usize); max_tree + 1];
            for &t in tree_ids {
                trees[t as usize].1 += 1;
            }
            let mut start = 0;
            for tree in &mut trees {
                tree.0 = start;
                start += tree.1;
            }
            let mut slots = vec![usize::MAX; n];
            let mut dense = true;
            for i in 0..n {
                let (first, count) = trees[tree_ids[i] as usize];
                match usize::try_from(node_ids[i]).ok().filter(|&id| id < count) {
                    Some(id) if slots[first + id] == usize::MAX => slots[first + id] = i,
                    Some(_) => return Err(twice(i)),
                    None => {
                        dense = false;
                        break;
                    }
                }
            }
            if dense {
                return Ok(NodeIndex::Dense { trees, slots });
            }
        }
        let mut map = HashMap::with_capacity(n);
        for i in 0..n {
            if map.insert((tree_ids[i], node_ids[i]), i).is_some() {
                return Err(twice(i));
            }
        }
        Ok(NodeIndex::Hashed(map))
    }

    fn get(&self, tree: i64, id: i64) -> Option<usize> {
        match self {
            NodeIndex::Dense { trees, slots } => {
                let &(first, count) = trees.get(usize::try_from(tree).ok()?)?;
                let id = usize::try_from(id).ok().filter(|&id| id < count)?;
                slots.get(first + id).copied().filter(|&i| i != usize::MAX)
            }
            NodeIndex::Hashed(map) => map.get(&(tree, id)).copied(),
        }
    }
}
