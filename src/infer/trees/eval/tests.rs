//! Unit tests of tree-ensemble evaluation on hand-built ensembles: every node mode, NaN routing,
//! ORT's binary layouts, post transforms, aggregates, and the batch path against the row path.

use crate::infer::onnx::{Attribute, Node};
use crate::infer::post_transform::logistic;
use crate::infer::trees::Ensemble;
use crate::infer::GraphError;

fn ints(name: &str, v: &[i64]) -> Attribute {
    Attribute {
        name: name.into(),
        ints: v.to_vec(),
        ..Default::default()
    }
}
fn floats(name: &str, v: &[f32]) -> Attribute {
    Attribute {
        name: name.into(),
        floats: v.to_vec(),
        ..Default::default()
    }
}
fn strings(name: &str, v: &[&str]) -> Attribute {
    Attribute {
        name: name.into(),
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}
fn string(name: &str, v: &str) -> Attribute {
    Attribute {
        name: name.into(),
        s: Some(v.as_bytes().to_vec()),
        ..Default::default()
    }
}

/// A tree in ONNX's attribute form: (node id, mode, feature, threshold, true id, false id,
/// missing_true) per node, and (node id, output, weight) per leaf weight.
struct TreeSpec {
    nodes: Vec<(i64, &'static str, i64, f32, i64, i64, i64)>,
    weights: Vec<(i64, i64, f32)>,
}

fn stump(mode: &'static str, threshold: f32, missing_true: i64, left: f32, right: f32) -> TreeSpec {
    TreeSpec {
        nodes: vec![
            (0, mode, 0, threshold, 1, 2, missing_true),
            (1, "LEAF", 0, 0.0, 0, 0, 0),
            (2, "LEAF", 0, 0.0, 0, 0, 0),
        ],
        weights: vec![(1, 0, left), (2, 0, right)],
    }
}

fn ensemble(op: &str, trees: &[TreeSpec], extra: Vec<Attribute>) -> Result<Ensemble, GraphError> {
    let prefix = if op == "TreeEnsembleClassifier" {
        "class"
    } else {
        "target"
    };
    let mut a: [Vec<i64>; 7] = Default::default();
    let (mut values, mut modes, mut w_tree, mut w_node, mut w_id, mut w) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (t, tree) in trees.iter().enumerate() {
        for &(id, mode, feature, threshold, yes, no, missing) in &tree.nodes {
            for (v, x) in a
                .iter_mut()
                .zip([t as i64, id, feature, yes, no, missing, 0])
            {
                v.push(x);
            }
            values.push(threshold);
            modes.push(mode);
        }
        for &(id, out, weight) in &tree.weights {
            w_tree.push(t as i64);
            w_node.push(id);
            w_id.push(out);
            w.push(weight);
        }
    }
    let mut attributes = vec![
        ints("nodes_treeids", &a[0]),
        ints("nodes_nodeids", &a[1]),
        ints("nodes_featureids", &a[2]),
        ints("nodes_truenodeids", &a[3]),
        ints("nodes_falsenodeids", &a[4]),
        ints("nodes_missing_value_tracks_true", &a[5]),
        floats("nodes_values", &values),
        strings("nodes_modes", &modes),
        ints(&format!("{prefix}_treeids"), &w_tree),
        ints(&format!("{prefix}_nodeids"), &w_node),
        ints(&format!("{prefix}_ids"), &w_id),
        floats(&format!("{prefix}_weights"), &w),
    ];
    attributes.extend(extra);
    Ensemble::parse(&Node {
        op_type: op.into(),
        attributes,
        ..Default::default()
    })
}

fn binary(trees: &[TreeSpec], extra: Vec<Attribute>) -> Ensemble {
    let mut attrs = vec![ints("classlabels_int64s", &[10, 20])];
    attrs.extend(extra);
    ensemble("TreeEnsembleClassifier", trees, attrs).expect("valid ensemble")
}

fn one(e: &Ensemble, x: &[f32]) -> (Option<u32>, Vec<f32>) {
    let out = e.eval(x, 1, x.len()).expect("evaluates");
    (out.labels.first().copied(), out.values)
}

#[test]
fn every_mode_decides_like_its_comparison() {
    let t = 0.5f32;
    let below = f32::from_bits(t.to_bits() - 1);
    let above = f32::from_bits(t.to_bits() + 1);
    for (mode, decide) in [
        (
            "BRANCH_LEQ",
            (|x: f32, t: f32| x <= t) as fn(f32, f32) -> bool,
        ),
        ("BRANCH_LT", |x, t| x < t),
        ("BRANCH_GTE", |x, t| x >= t),
        ("BRANCH_GT", |x, t| x > t),
        ("BRANCH_EQ", |x, t| x == t),
        ("BRANCH_NEQ", |x, t| x != t),
    ] {
        let e = binary(&[stump(mode, t, 0, 0.25, 0.75)], vec![]);
        for x in [
            below,
            t,
            above,
            -1e30,
            1e30,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
        ] {
            let (_, p) = one(&e, &[x]);
            let want = if decide(x, t) { 0.25 } else { 0.75 };
            assert_eq!(p[1], want, "{mode} at x = {x:e}");
        }
    }
}

#[test]
fn missing_values_follow_the_tracking_flag_in_every_mode() {
    for mode in [
        "BRANCH_LEQ",
        "BRANCH_LT",
        "BRANCH_GTE",
        "BRANCH_GT",
        "BRANCH_EQ",
    ] {
        for missing_true in [0, 1] {
            let e = binary(&[stump(mode, 0.5, missing_true, 0.25, 0.75)], vec![]);
            let (_, p) = one(&e, &[f32::NAN]);
            // NaN compares false: it takes the false branch unless tracked to the true one.
            let want = if missing_true == 1 { 0.25 } else { 0.75 };
            assert_eq!(
                p[1], want,
                "{mode}, missing_value_tracks_true = {missing_true}"
            );
        }
    }
    // NEQ is true for NaN, so NaN takes the true branch either way.
    let e = binary(&[stump("BRANCH_NEQ", 0.5, 0, 0.25, 0.75)], vec![]);
    assert_eq!(one(&e, &[f32::NAN]).1[1], 0.25);
}

#[test]
fn binary_forest_layout_one_positive_weight_per_leaf() {
    // A random forest as skl2onnx writes it: per leaf P(class 1) on class id 0, post NONE.
    let e = binary(
        &[
            stump("BRANCH_LEQ", 0.0, 0, 0.2, 0.9),
            stump("BRANCH_LEQ", 1.0, 0, 0.1, 0.3),
        ],
        vec![],
    );
    let (label, p) = one(&e, &[0.5]);
    // 0.9 + 0.1 = 1.0 > 0.5: class 20 (index 1); probabilities [1 - s, s].
    assert_eq!(label, Some(1));
    assert_eq!(p, vec![1.0 - 1.0, 1.0]);
    let (label, p) = one(&e, &[-1.0]);
    assert_eq!(label, Some(0));
    assert_eq!(p, vec![1.0 - 0.3, 0.3f32]);
}

#[test]
fn binary_boosting_layout_logistic_with_one_base_value() {
    // GradientBoosting/HistGradientBoosting binary: mixed-sign weights on class id 0, one base
    // value, LOGISTIC: probabilities [logistic(-s), logistic(s)], label s > 0.
    let e = binary(
        &[stump("BRANCH_LEQ", 0.0, 0, -0.7, 0.4)],
        vec![
            floats("base_values", &[0.1]),
            string("post_transform", "LOGISTIC"),
        ],
    );
    let (label, p) = one(&e, &[1.0]);
    let s = 0.4f32 + 0.1;
    assert_eq!(label, Some(1));
    assert_eq!(p, vec![logistic(-s), logistic(s)]);
    let (label, p) = one(&e, &[-1.0]);
    let s = -0.7f32 + 0.1;
    assert_eq!(label, Some(0));
    assert_eq!(p, vec![logistic(-s), logistic(s)]);
    // Without LOGISTIC the raw score is written as [-s, s].
    let e = binary(
        &[stump("BRANCH_LEQ", 0.0, 0, -0.7, 0.4)],
        vec![floats("base_values", &[0.1])],
    );
    assert_eq!(one(&e, &[1.0]).1, vec![-(0.4f32 + 0.1), 0.4 + 0.1]);
}

#[test]
fn binary_with_weights_on_both_classes_and_two_base_values() {
    // Not ORT's single-score case: class 1 gets base[1] + score[0], class 0 its negation.
    let tree = TreeSpec {
        nodes: vec![
            (0, "BRANCH_LEQ", 0, 0.0, 1, 2, 0),
            (1, "LEAF", 0, 0.0, 0, 0, 0),
            (2, "LEAF", 0, 0.0, 0, 0, 0),
        ],
        weights: vec![(1, 0, 0.3), (1, 1, 0.7), (2, 0, -0.2), (2, 1, 0.2)],
    };
    let e = binary(&[tree], vec![floats("base_values", &[0.5, 0.25])]);
    let (label, p) = one(&e, &[-1.0]);
    assert_eq!(p, vec![-(0.25 + 0.3f32), 0.25 + 0.3]);
    assert_eq!(label, Some(1));
}

#[test]
fn multiclass_softmax_with_base_values_and_argmax() {
    let tree = |w: [f32; 3], v: [f32; 3]| TreeSpec {
        nodes: vec![
            (0, "BRANCH_LEQ", 1, 0.0, 1, 2, 0),
            (1, "LEAF", 0, 0.0, 0, 0, 0),
            (2, "LEAF", 0, 0.0, 0, 0, 0),
        ],
        weights: (0..3)
            .map(|c| (1, c as i64, w[c]))
            .chain((0..3).map(|c| (2, c as i64, v[c])))
            .collect(),
    };
    let e = ensemble(
        "TreeEnsembleClassifier",
        &[
            tree([1.0, 0.0, 0.5], [0.0, 2.0, 0.0]),
            tree([0.5, 0.5, 0.5], [0.1, 0.2, 0.3]),
        ],
        vec![
            strings("classlabels_strings", &["a", "b", "c"]),
            floats("base_values", &[0.0, 0.1, -0.1]),
            string("post_transform", "SOFTMAX"),
        ],
    )
    .unwrap();
    let (label, p) = one(&e, &[0.0, 5.0]);
    let s = [0.0f32 + 0.1, 2.0 + 0.2 + 0.1, 0.0 + 0.3 - 0.1];
    let m = s[1];
    let z: Vec<f32> = s.iter().map(|v| (v - m).exp()).collect();
    let sum: f32 = z.iter().sum();
    assert_eq!(label, Some(1));
    assert_eq!(p, z.iter().map(|v| v / sum).collect::<Vec<_>>());
    assert_eq!(e.labels().map(|l| l.len()), Some(3));
}

#[test]
fn regressor_aggregates() {
    let trees = [
        stump("BRANCH_LEQ", 0.0, 0, 1.0, 4.0),
        stump("BRANCH_LEQ", 0.0, 0, 3.0, -2.0),
    ];
    for (aggregate, want) in [
        ("SUM", 4.0 - 2.0 + 0.5),
        ("AVERAGE", (4.0 - 2.0) / 2.0 + 0.5),
        ("MIN", -2.0 + 0.5),
        ("MAX", 4.0 + 0.5),
    ] {
        let e = ensemble(
            "TreeEnsembleRegressor",
            &trees,
            vec![
                string("aggregate_function", aggregate),
                floats("base_values", &[0.5]),
                ints("n_targets", &[]),
            ],
        )
        .unwrap();
        let out = e.eval(&[1.0], 1, 1).unwrap();
        assert!(out.labels.is_empty());
        assert_eq!(out.values, vec![want as f32], "{aggregate}");
    }
}

/// A deterministic pseudo-random forest: `n_trees` trees of random depth over `cols` features.
fn random_forest(n_trees: usize, cols: i64, mode: &'static str, seed: u64) -> Vec<TreeSpec> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n_trees)
        .map(|_| {
            let mut spec = TreeSpec {
                nodes: vec![],
                weights: vec![],
            };
            let mut pending = vec![(0i64, 0u32)];
            let mut next_id = 1;
            while let Some((id, depth)) = pending.pop() {
                if depth >= 7 || (depth > 1 && next() % 4 == 0) {
                    spec.nodes.push((id, "LEAF", 0, 0.0, 0, 0, 0));
                    spec.weights.push((id, 0, (next() % 1000) as f32 / 1000.0));
                    continue;
                }
                let threshold = (next() % 2000) as f32 / 1000.0 - 1.0;
                let (yes, no) = (next_id, next_id + 1);
                next_id += 2;
                spec.nodes.push((
                    id,
                    mode,
                    (next() % cols as u64) as i64,
                    threshold,
                    yes,
                    no,
                    (next() % 2) as i64,
                ));
                pending.push((yes, depth + 1));
                pending.push((no, depth + 1));
            }
            spec
        })
        .collect()
}

#[test]
fn batches_equal_row_by_row_bit_for_bit() {
    let cols = 5;
    for (n_trees, mode) in [
        (1, "BRANCH_LEQ"),
        (13, "BRANCH_LEQ"),
        (30, "BRANCH_GTE"),
        (9, "BRANCH_EQ"),
    ] {
        let e = ensemble(
            "TreeEnsembleRegressor",
            &random_forest(n_trees, cols, mode, 7 + n_trees as u64),
            vec![],
        )
        .unwrap();
        let rows = 150;
        let x: Vec<f32> = (0..rows * cols as usize)
            .map(|i| {
                if i % 11 == 3 {
                    f32::NAN
                } else {
                    ((i * 7919) % 2001) as f32 / 1000.0 - 1.0
                }
            })
            .collect();
        let batch = e.eval(&x, rows, cols as usize).unwrap();
        for r in 0..rows {
            let row = &x[r * cols as usize..(r + 1) * cols as usize];
            let single = e.eval(row, 1, cols as usize).unwrap();
            assert_eq!(
                single.values[0].to_bits(),
                batch.values[r].to_bits(),
                "{mode} {n_trees} trees, row {r}"
            );
        }
        // Small batches take the per-row path; they must agree too.
        let three = e.eval(&x[..3 * cols as usize], 3, cols as usize).unwrap();
        assert_eq!(three.values, batch.values[..3]);
    }
}

#[test]
fn rewritten_modes_decide_like_leq() {
    // x <= t and x < next_up(t) are the same decision; the fast path rewrites LT and the
    // general path evaluates it as written: both must agree with LEQ everywhere.
    let leq = random_forest(20, 4, "BRANCH_LEQ", 99);
    let mut lt = random_forest(20, 4, "BRANCH_LEQ", 99);
    for tree in &mut lt {
        for node in &mut tree.nodes {
            if node.1 == "BRANCH_LEQ" {
                node.1 = "BRANCH_LT";
                node.3 = node.3.next_up();
            }
        }
    }
    let a = ensemble("TreeEnsembleRegressor", &leq, vec![]).unwrap();
    let b = ensemble("TreeEnsembleRegressor", &lt, vec![]).unwrap();
    assert!(
        a.modes.is_none() && b.modes.is_none(),
        "both use the fast path"
    );
    let x: Vec<f32> = (0..400)
        .map(|i| {
            if i % 13 == 0 {
                f32::NAN
            } else {
                (i as f32 * 0.37).sin()
            }
        })
        .collect();
    assert_eq!(a.eval(&x, 100, 4).unwrap(), b.eval(&x, 100, 4).unwrap());
}

#[test]
fn malformed_ensembles_are_refused_with_a_reason() {
    let mut cyclic = stump("BRANCH_LEQ", 0.0, 0, 1.0, 2.0);
    cyclic.nodes[0].4 = 0; // the root's true branch is itself
    let e = ensemble("TreeEnsembleRegressor", &[cyclic], vec![]).unwrap_err();
    assert!(
        e.to_string().contains("root") || e.to_string().contains("cycle"),
        "{e}"
    );

    let mut dangling = stump("BRANCH_LEQ", 0.0, 0, 1.0, 2.0);
    dangling.nodes[0].5 = 9;
    let e = ensemble("TreeEnsembleRegressor", &[dangling], vec![]).unwrap_err();
    assert!(e.to_string().contains("missing node 9"), "{e}");

    let mut bad_class = stump("BRANCH_LEQ", 0.0, 0, 1.0, 2.0);
    bad_class.weights[0].1 = 5;
    let e = ensemble(
        "TreeEnsembleClassifier",
        &[bad_class],
        vec![ints("classlabels_int64s", &[0, 1])],
    )
    .unwrap_err();
    assert!(e.to_string().contains("outside 0..2"), "{e}");

    let e = ensemble("TreeEnsembleRegressor", &[], vec![]).unwrap_err();
    assert!(e.to_string().contains("without nodes"), "{e}");

    let ok = ensemble(
        "TreeEnsembleRegressor",
        &[stump("BRANCH_LEQ", 0.0, 0, 1.0, 2.0)],
        vec![],
    )
    .unwrap();
    assert!(ok.eval(&[1.0], 1, 0).is_err(), "too few columns");
    assert!(ok.eval(&[1.0, 2.0], 1, 1).is_err(), "wrong length");
}
