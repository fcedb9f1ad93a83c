//! Every bundle's golden.json replayed through the Rust path must give sklearn's answers:
//! the bundled models and the estimator/featurizer fixture matrix.

mod common;

use common::*;
use wasmpredict::check::replay;

fn assert_golden(dir: &std::path::Path) -> usize {
    let p = predictor(dir);
    let golden = p
        .bundle()
        .golden()
        .expect("bundle has golden.json")
        .expect("golden.json parses");
    let report = replay(&p, &golden);
    assert!(
        report.ok(),
        "{}: {}/{} rows match sklearn:\n{}",
        dir.display(),
        report.matched,
        report.rows,
        report.mismatches.join("\n")
    );
    report.rows
}

#[test]
fn bundled_models_match_sklearn() {
    let bundles = model_bundles();
    let names: Vec<String> = bundles
        .iter()
        .map(|b| predictor(b).manifest().name.clone())
        .collect();
    for required in ["churn", "iris", "news", "rf-classification"] {
        assert!(
            names.iter().any(|n| n == required),
            "models/{required} is missing"
        );
    }
    for b in &bundles {
        assert!(
            assert_golden(b) >= 50,
            "{} has too few golden rows",
            b.display()
        );
    }
}

#[test]
fn every_fixture_matches_sklearn() {
    let fixtures = bundles_in(&fixtures_dir());
    assert!(
        fixtures.len() >= 50,
        "expected the full fixture matrix, found {}",
        fixtures.len()
    );
    for f in &fixtures {
        assert_golden(f);
    }
}

/// Each estimator family, binary and multiclass and regression, and each node mode must be in
/// the matrix: a fixture silently dropped from the generator would otherwise go unnoticed.
#[test]
fn fixture_matrix_is_complete() {
    for name in [
        "lr-binary",
        "lr-multiclass",
        "linear-svc-binary",
        "linear-svc-multiclass",
        "linear-regression",
        "ridge",
        "dt-binary",
        "dt-multiclass",
        "dt-regressor",
        "rf-binary",
        "rf-multiclass",
        "rf-regressor",
        "gb-binary",
        "gb-multiclass",
        "gb-regressor",
        "hgb-binary",
        "hgb-multiclass",
        "hgb-regressor",
        "hgb-binary-nan",
        "rf-string-labels",
        "extra-trees-binary",
        "extra-trees-regressor",
        "xgb-binary",
        "xgb-multiclass",
        "xgb-regressor",
        "xgb-binary-nan",
        "xgb-pipeline",
        "lgbm-binary",
        "lgbm-multiclass",
        "lgbm-regressor",
        "lgbm-binary-nan",
        "lgbm-string-labels",
        "lgbm-pipeline",
        "rf-binary-branch-lt",
        "rf-binary-branch-gt",
        "rf-binary-branch-gte",
        "gb-multiclass-branch-gte",
        "hgb-binary-nan-branch-gte",
        "dt-regressor-branch-gt",
        "scaler-op-in-graph",
        "scaler-div-in-graph",
        // Graphs outside the compact engine, served by tract.
        "mlp-classifier",
        "mlp-regressor",
        "onnx-net-classifier",
        "onnx-net-regressor",
    ] {
        fixture(name);
    }
}
