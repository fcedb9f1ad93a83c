//! Each tree relabelled into one node array: trees in tree-id order (the order ORT sums them
//! in), each tree's nodes depth-first from its root, so that a tree is one contiguous run of
//! nodes and a walk stays within a few cache lines. Comparisons become `x <= t` where that is
//! exact for every float; NaN routing is kept in the feature's high bit.

use super::invalid;
use super::validate::NodeAttributes;
use crate::infer::trees::{Mode, Node, Tree, NAN_LEFT};
use crate::infer::GraphError;
use std::collections::BTreeMap;

/// The trees laid out; leaf values are filled in by the caller from `leaves`.
pub(super) struct Forest {
    pub trees: Vec<Tree>,
    /// Tree indices by increasing depth, tree order within a depth.
    pub by_depth: Vec<u32>,
    pub nodes: Vec<Node>,
    /// Per node: its row in the leaf table if it is a leaf, else `u32::MAX`.
    pub leaf_of: Vec<u32>,
    /// Per leaf-table row: the leaf's position in the attribute arrays.
    pub leaves: Vec<usize>,
    /// The graph's modes, kept only when some node cannot use the `x <= t` form.
    pub modes: Option<Vec<Mode>>,
    pub routes_nan: bool,
    /// The smallest input width the trees can read.
    pub n_features: usize,
}

/// Lays out every tree (`roots`: each tree's root position, by tree id).
pub(super) fn forest(
    attributes: &NodeAttributes<'_>,
    roots: &BTreeMap<i64, usize>,
) -> Result<Forest, GraphError> {
    let n = attributes.len();
    let mut b = Builder {
        attributes,
        exact: attributes
            .modes
            .iter()
            .zip(&attributes.thresholds)
            .all(|(&m, &t)| rewrite_exact(m, t)),
        new_index: vec![u32::MAX; n],
        order: Vec::new(),
        nodes: Vec::with_capacity(n),
        modes: Vec::new(),
        leaf_of: Vec::with_capacity(n),
        leaves: Vec::new(),
        n_features: 0,
    };
    let mut trees = Vec::with_capacity(roots.len());
    for &root in roots.values() {
        trees.push(b.tree(root)?);
    }
    if b.nodes.len() != n {
        return Err(invalid(format!(
            "{} nodes are not reachable from any root",
            n - b.nodes.len()
        )));
    }
    Ok(Forest {
        by_depth: by_depth(&trees),
        trees,
        routes_nan: b.nodes.iter().any(|n| n.feature & NAN_LEFT != 0),
        nodes: b.nodes,
        leaf_of: b.leaf_of,
        leaves: b.leaves,
        modes: (!b.exact).then_some(b.modes),
        // Leaves read feature 0 while they wait for the other lanes: rows need one column at least.
        n_features: b.n_features.max(1),
    })
}

struct Builder<'n, 'a> {
    attributes: &'n NodeAttributes<'a>,
    /// Every node can take the `x <= t` form.
    exact: bool,
    /// Per position: the node's index in `nodes`, once numbered.
    new_index: Vec<u32>,
    /// The current tree's positions in depth-first order.
    order: Vec<usize>,
    nodes: Vec<Node>,
    modes: Vec<Mode>,
    leaf_of: Vec<u32>,
    leaves: Vec<usize>,
    n_features: usize,
}

impl Builder<'_, '_> {
    fn tree(&mut self, root: usize) -> Result<Tree, GraphError> {
        let depth = self.number(root)?;
        let order = std::mem::take(&mut self.order);
        for &i in &order {
            if self.attributes.modes[i] == Mode::Leaf {
                self.leaf(i)?;
            } else {
                self.branch(i)?;
            }
        }
        self.order = order;
        Ok(Tree {
            root: self.new_index[root],
            depth,
        })
    }

    /// Numbers the tree's nodes depth-first (true branch first) from the next free index;
    /// answers the tree's depth. A node reached twice or a path longer than the node count is
    /// a cycle.
    fn number(&mut self, root: usize) -> Result<u32, GraphError> {
        let a = self.attributes;
        let first = self.nodes.len();
        let mut depth = 0u32;
        self.order.clear();
        let mut stack = vec![(root, 0u32)];
        while let Some((i, d)) = stack.pop() {
            if self.new_index[i] != u32::MAX || d as usize > a.len() {
                return Err(invalid("the trees have a cycle or a shared node"));
            }
            self.new_index[i] =
                u32::try_from(first + self.order.len()).map_err(|_| invalid("too many nodes"))?;
            self.order.push(i);
            depth = depth.max(d);
            if a.modes[i] != Mode::Leaf {
                let (t, f) = a.children(i)?;
                stack.push((f, d + 1));
                stack.push((t, d + 1));
            }
        }
        Ok(depth)
    }

    /// A leaf points to itself twice: a walk of fixed length stays on it.
    fn leaf(&mut self, i: usize) -> Result<(), GraphError> {
        let me = self.new_index[i];
        self.leaf_of
            .push(u32::try_from(self.leaves.len()).map_err(|_| invalid("too many leaves"))?);
        self.leaves.push(i);
        self.nodes.push(Node {
            feature: 0,
            threshold: 0.0,
            children: [me, me],
        });
        self.modes.push(Mode::Leaf);
        Ok(())
    }

    fn branch(&mut self, i: usize) -> Result<(), GraphError> {
        let a = self.attributes;
        self.leaf_of.push(u32::MAX);
        let feature = to_u32(a.feature_ids[i], "feature id")?;
        self.n_features = self.n_features.max(feature as usize + 1);
        let (t, f) = a.children(i)?;
        let (t, f) = (self.new_index[t], self.new_index[f]);
        let missing_true = a.missing.get(i).is_some_and(|&v| v != 0);
        self.nodes.push(if self.exact {
            canonical(a.modes[i], feature, a.thresholds[i], t, f, missing_true)
        } else {
            let flag = if missing_true { NAN_LEFT } else { 0 };
            Node {
                feature: feature | flag,
                threshold: a.thresholds[i],
                children: [t, f],
            }
        });
        self.modes.push(a.modes[i]);
        Ok(())
    }
}

fn to_u32(v: i64, what: &str) -> Result<u32, GraphError> {
    u32::try_from(v)
        .ok()
        .filter(|&v| v < NAN_LEFT)
        .ok_or_else(|| invalid(format!("{what} {v} out of range")))
}

/// Trees by depth (a counting sort: depths are small), tree order within a depth: the walk
/// order of one row's trees.
fn by_depth(trees: &[Tree]) -> Vec<u32> {
    let max_depth = trees.iter().map(|t| t.depth as usize).max().unwrap_or(0);
    (0..=max_depth)
        .flat_map(|d| {
            trees
                .iter()
                .enumerate()
                .filter(move |(_, t)| t.depth as usize == d)
                .map(|(i, _)| i as u32)
        })
        .collect()
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
