//! TreeSHAP, path-dependent (Lundberg et al. 2018, Algorithm 2; the recursion of shap's
//! `tree_shap_recursive`): exact Shapley values of a tree ensemble's raw score, with each
//! node's training cover standing in for the data ([`super::forest`]).

use super::forest::{Forest, Tree};
use std::ops::Range;

#[derive(Debug, Clone, Copy)]
struct PathElement {
    /// The split feature, or usize::MAX for the root's placeholder.
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
}

impl Forest {
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
