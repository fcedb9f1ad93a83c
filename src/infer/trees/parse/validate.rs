//! The node attributes of a tree ensemble, checked before anything is built: one entry per
//! node in every array, known modes, each `(tree, node id)` defined once, children that exist,
//! one root per tree, and at most [`limits::MAX_TREE_NODES`] nodes.

use super::{floats, invalid};
use crate::bundle::limits;
use crate::infer::onnx::Node as OnnxNode;
use crate::infer::trees::Mode;
use crate::infer::GraphError;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The `nodes_*` attributes, one entry per node, in attribute order (a node's "position").
pub(super) struct NodeAttributes<'a> {
    pub tree_ids: &'a [i64],
    pub node_ids: &'a [i64],
    pub feature_ids: &'a [i64],
    pub thresholds: Vec<f32>,
    pub modes: Vec<Mode>,
    pub true_ids: &'a [i64],
    pub false_ids: &'a [i64],
    /// Empty, or per node: NaN goes to the true branch.
    pub missing: &'a [i64],
    index: NodeIndex,
}

impl<'a> NodeAttributes<'a> {
    pub fn read(node: &'a OnnxNode) -> Result<NodeAttributes<'a>, GraphError> {
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
        limits::check("the number of tree nodes", n as u64, limits::MAX_TREE_NODES)
            .map_err(invalid)?;
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
        let modes = modes.iter().map(|m| mode(m)).collect::<Result<_, _>>()?;
        let index = NodeIndex::new(tree_ids, node_ids)?;
        Ok(NodeAttributes {
            tree_ids,
            node_ids,
            feature_ids,
            thresholds,
            modes,
            true_ids,
            false_ids,
            missing,
            index,
        })
    }

    pub fn len(&self) -> usize {
        self.tree_ids.len()
    }

    /// The position of node `tree`/`id`, if it exists.
    pub fn position(&self, tree: i64, id: i64) -> Option<usize> {
        self.index.get(tree, id)
    }

    /// The positions of branch `i`'s true and false children.
    pub fn children(&self, i: usize) -> Result<(usize, usize), GraphError> {
        Ok((
            self.child(i, self.true_ids[i])?,
            self.child(i, self.false_ids[i])?,
        ))
    }

    fn child(&self, i: usize, id: i64) -> Result<usize, GraphError> {
        self.position(self.tree_ids[i], id).ok_or_else(|| {
            invalid(format!(
                "node {} of tree {} points to missing node {id}",
                self.node_ids[i], self.tree_ids[i]
            ))
        })
    }

    /// Per tree id (in increasing order, the order ORT sums trees in): the position of the one
    /// node no other node points to.
    pub fn roots(&self) -> Result<BTreeMap<i64, usize>, GraphError> {
        let n = self.len();
        let mut is_child = vec![false; n];
        for i in (0..n).filter(|&i| self.modes[i] != Mode::Leaf) {
            let (t, f) = self.children(i)?;
            is_child[t] = true;
            is_child[f] = true;
        }
        let mut roots: BTreeMap<i64, usize> = BTreeMap::new();
        for (i, &child) in is_child.iter().enumerate() {
            if !child && roots.insert(self.tree_ids[i], i).is_some() {
                return Err(invalid(format!(
                    "tree {} has more than one root",
                    self.tree_ids[i]
                )));
            }
        }
        let n_trees = self.tree_ids.iter().collect::<BTreeSet<_>>().len();
        if roots.len() != n_trees {
            return Err(invalid(format!(
                "every tree needs exactly one root (found {} roots for {n_trees} trees)",
                roots.len()
            )));
        }
        Ok(roots)
    }
}

fn mode(m: &[u8]) -> Result<Mode, GraphError> {
    Ok(match m {
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
