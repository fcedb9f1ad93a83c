//! Engine parity: the compact engine, tract and onnxruntime agree on every fixture and every
//! committed model (labels equal, probabilities within 1e-6), on the same float32 feature rows
//! (tests/python/make_fixtures.py records onnxruntime's answers); and the compact engine is the
//! one a bundle gets by default whenever it covers the graph. Where the graph is one linear node,
//! every engine is held to scikit-learn's own float64 answer instead (documented below).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use wasmpredict::bundle::Manifest;
use wasmpredict::infer::{Engine, Features, Model, Outputs};
use wasmpredict::{Bundle, Predictor};

const PROBABILITY_TOLERANCE: f64 = 1e-6;
/// The exception, documented in docs/testing.md: skl2onnx's graphs for GaussianNB and
/// QuadraticDiscriminantAnalysis sum squared, variance-scaled distances and exponentiate them in
/// float32, and tract and onnxruntime order those sums differently; on the reference's
/// off-distribution rows (normal, sd 2) they part by up to 1.9e-6 (GaussianNB) and 1.0e-5 (QDA),
/// measured 2026-12-07. Both engines stay within 1e-5 of scikit-learn on the golden rows.
const QUADRATIC_TOLERANCE: f64 = 2e-5;
/// The other documented exception: a linear graph holds its weights in float32 (ONNX's
/// `coefficients` attribute), and where the reference's off-distribution rows give large scores
/// (an SGD log-loss model's reach |34|) a sigmoid or softmax shows the weights' and the sums'
/// last digits. Measured 2026-12-07 on sgd-log-loss-multiclass: the compact engine (float64
/// sums) is up to 3.9e-6 from scikit-learn, onnxruntime 2.7e-6, and tract 1.7e-6 from
/// onnxruntime. Linear graphs are held to the parity bound, 1e-5, against scikit-learn's
/// own float64 answer; every other graph to 1e-6 between the engines.
const FLOAT32_LINEAR_TOLERANCE: f64 = 1e-5;

/// A bundle's graph on an engine (past the featurizer: the engines are compared on the same
/// graph input), with the bundle's manifest.
struct Loaded {
    model: Model,
    manifest: Manifest,
}

/// Loads the graph as [`Predictor::with_engine`] does: `None` picks the default engine.
fn load(dir: &Path, engine: Option<Engine>) -> Loaded {
    let bundle = Bundle::from_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let m = &bundle.manifest;
    let model = Model::load(
        bundle.model_bytes(),
        &m.model,
        m.task,
        m.classes.as_deref(),
        m.n_features,
        engine,
    )
    .unwrap_or_else(|e| panic!("{} on {engine:?}: {e}", dir.display()));
    Loaded {
        model,
        manifest: bundle.manifest,
    }
}

/// Labels (as JSON) when the model has them, and the values of each row.
type Answer = (Option<Vec<serde_json::Value>>, Vec<Vec<f64>>);

struct Reference {
    rows: usize,
    features: Vec<f32>,
    labels: Option<Vec<serde_json::Value>>,
    values: Vec<Vec<f64>>,
    /// Per row, its largest feature magnitude (at least 1).
    input_scale: Vec<f64>,
    /// scikit-learn's float64 answer on the same rows, recorded for linear graphs.
    sklearn: Option<Answer>,
}

fn reference(path: &Path) -> Reference {
    let r: serde_json::Value = serde_json::from_slice(
        &std::fs::read(path)
            .unwrap_or_else(|e| panic!("{}: {e} (run make_fixtures.py)", path.display())),
    )
    .expect("json");
    let rows = r["features"].as_array().expect("features");
    let features = rows
        .iter()
        .flat_map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|v| v.as_f64().map_or(f32::NAN, |x| x as f32))
        })
        .collect();
    let values_of = |v: &serde_json::Value| -> Vec<Vec<f64>> {
        v.as_array()
            .expect("values")
            .iter()
            .map(|row| {
                row.as_array()
                    .expect("row")
                    .iter()
                    .map(|v| v.as_f64().unwrap_or(f64::NAN))
                    .collect()
            })
            .collect()
    };
    let values = values_of(&r["outputs"]["values"]);
    let sklearn = r
        .get("sklearn")
        .map(|s| (s["label"].as_array().cloned(), values_of(&s["values"])));
    let input_scale = rows
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .filter_map(serde_json::Value::as_f64)
                .fold(1.0f64, |m, x| m.max(x.abs()))
        })
        .collect();
    Reference {
        rows: rows.len(),
        input_scale,
        features,
        labels: r["outputs"]["label"].as_array().cloned(),
        values,
        sklearn,
    }
}

/// Whether the compared values are unbounded (a regression's values, a classifier's decision
/// scores): they are compared relative to the row's largest output and input magnitudes, as
/// float32's resolution of the dot products behind them is (the engines sum in different
/// orders, and a score can be a small difference of large terms: an unscaled Perceptron's
/// -0.148868 vs -0.148866 beside 15.6 in the same row); probabilities absolutely.
fn unbounded(m: &Manifest) -> bool {
    m.classes.is_none() || m.model.scores.is_some()
}

fn close(a: f64, b: f64, scale: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * scale || (a.is_nan() && b.is_nan())
}

/// The answer of `p` on the reference rows, as (labels as JSON, values per row).
fn answer(p: &Loaded, r: &Reference) -> Answer {
    let out = p
        .model
        .run(Features::Dense(&r.features), r.rows)
        .unwrap_or_else(|e| panic!("{}: {e}", p.manifest.name));
    match out {
        Outputs::Classification {
            labels,
            values,
            width,
            ..
        } => {
            let classes = p.manifest.classes.clone().expect("classes");
            (
                Some(labels.iter().map(|&i| classes[i].clone()).collect()),
                values
                    .chunks(width)
                    .map(|c| c.iter().map(|&v| f64::from(v)).collect())
                    .collect(),
            )
        }
        Outputs::Regression { values } => {
            (None, values.iter().map(|&v| vec![f64::from(v)]).collect())
        }
    }
}

fn same_label(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn compare(
    what: &str,
    got: &Answer,
    want_labels: Option<&[serde_json::Value]>,
    want: &[Vec<f64>],
    input_scale: &[f64],
    regression: bool,
    tolerance: f64,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let (Some(g), Some(w)) = (&got.0, want_labels) {
        for (i, (a, b)) in g.iter().zip(w).enumerate() {
            if !same_label(a, b) {
                problems.push(format!("{what}: row {i}: label {a} != {b}"));
            }
        }
    }
    if got.1.len() != want.len() {
        problems.push(format!("{what}: {} rows != {}", got.1.len(), want.len()));
    }
    for (i, (g, w)) in got.1.iter().zip(want).enumerate() {
        let scale = if regression {
            w.iter().fold(input_scale[i], |m, v| m.max(v.abs()))
        } else {
            1.0
        };
        if g.len() != w.len()
            || g.iter()
                .zip(w)
                .any(|(a, b)| !close(*a, *b, scale, tolerance))
        {
            problems.push(format!("{what}: row {i}: {g:?} != {w:?}"));
        }
    }
    problems.truncate(5);
    problems
}

fn check_parity(dir: &Path, reference_path: &Path) -> Engine {
    let r = reference(reference_path);
    let auto = load(dir, None);
    if is_tract_fixture(dir) {
        // Outside the compact engine: tract by default, agreeing with onnxruntime; a forced
        // compact load says what it does not cover.
        assert_eq!(auto.model.engine(), Engine::Tract, "{}", dir.display());
        assert!(
            auto.model
                .why_tract()
                .is_some_and(|w| w.contains("not covered")),
            "{:?}",
            auto.model.why_tract()
        );
        let bundle = Bundle::from_dir(dir).expect("bundle");
        let refused =
            Predictor::with_engine(bundle, Some(Engine::Compact)).expect_err("compact refuses");
        assert!(refused.to_string().contains("not covered"), "{refused}");
        let regression = unbounded(&auto.manifest);
        let quadratic = ["GaussianNB", "QuadraticDiscriminantAnalysis"];
        let tolerance = if quadratic.contains(&auto.manifest.estimator.as_str()) {
            QUADRATIC_TOLERANCE
        } else {
            PROBABILITY_TOLERANCE
        };
        let problems = compare(
            "tract vs onnxruntime",
            &answer(&auto, &r),
            r.labels.as_deref(),
            &r.values,
            &r.input_scale,
            regression,
            tolerance,
        );
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            dir.display(),
            problems.join("\n")
        );
        return Engine::Tract;
    }
    let compact = load(dir, Some(Engine::Compact));
    let tract = load(dir, Some(Engine::Tract));
    assert_eq!(compact.model.engine(), Engine::Compact);
    assert_eq!(tract.model.engine(), Engine::Tract);
    let regression = unbounded(&compact.manifest);
    let (a, b) = (answer(&compact, &r), answer(&tract, &r));
    let compare_to = |what: &str, got, labels: Option<&[serde_json::Value]>, want, tolerance| {
        compare(
            what,
            got,
            labels,
            want,
            &r.input_scale,
            regression,
            tolerance,
        )
    };
    let mut problems = Vec::new();
    if let Some((labels, values)) = &r.sklearn {
        problems.extend(compare_to(
            "compact vs scikit-learn",
            &a,
            labels.as_deref(),
            values,
            FLOAT32_LINEAR_TOLERANCE,
        ));
        problems.extend(compare_to(
            "tract vs scikit-learn",
            &b,
            labels.as_deref(),
            values,
            FLOAT32_LINEAR_TOLERANCE,
        ));
        problems.extend(compare_to(
            "tract vs onnxruntime",
            &b,
            r.labels.as_deref(),
            &r.values,
            FLOAT32_LINEAR_TOLERANCE,
        ));
    } else {
        problems.extend(compare_to(
            "compact vs onnxruntime",
            &a,
            r.labels.as_deref(),
            &r.values,
            PROBABILITY_TOLERANCE,
        ));
        problems.extend(compare_to(
            "tract vs onnxruntime",
            &b,
            r.labels.as_deref(),
            &r.values,
            PROBABILITY_TOLERANCE,
        ));
        problems.extend(compare_to(
            "compact vs tract",
            &a,
            b.0.as_deref(),
            &b.1,
            PROBABILITY_TOLERANCE,
        ));
    }
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        dir.display(),
        problems.join("\n")
    );
    auto.model.engine()
}

#[test]
fn every_fixture_agrees_on_both_engines_and_onnxruntime() {
    let fixtures = bundles_in(&fixtures_dir());
    let mut compact = 0;
    for dir in &fixtures {
        let reference = dir.join("onnxruntime.json");
        if check_parity(dir, &reference) == Engine::Compact {
            compact += 1;
        }
    }
    // Every scikit-learn fixture is covered by the compact engine.
    let sklearn: Vec<&PathBuf> = fixtures.iter().filter(|d| !is_tract_fixture(d)).collect();
    assert!(
        sklearn.len() >= 54,
        "expected the full matrix, found {}",
        sklearn.len()
    );
    assert_eq!(
        compact,
        sklearn.len(),
        "some scikit-learn fixture is not on the compact engine"
    );
}

#[test]
fn bundled_models_agree_on_both_engines_and_onnxruntime_and_default_to_compact() {
    for dir in model_bundles() {
        // models/NAME -> NAME, models/NAME/VERSION -> NAME@VERSION (as make_fixtures.py names them).
        let relative = dir
            .strip_prefix(root().join("models"))
            .expect("under models/");
        let name = relative.to_string_lossy().replace('/', "@");
        let reference = fixtures_dir()
            .join("_onnxruntime")
            .join(format!("{name}.json"));
        assert_eq!(check_parity(&dir, &reference), Engine::Compact, "{name}");
    }
}

/// Fixtures whose bundle runs on tract, as make_fixtures.py records them in
/// `_matrix/cases.json` (MLPs, plain ONNX networks, skl2onnx's QDA and GaussianNB graphs); a
/// fixture it does not list (a rewritten tree, a graph carrying its scaling) is compact.
fn is_tract_fixture(dir: &Path) -> bool {
    let name = dir.file_name().unwrap().to_string_lossy();
    let cases: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures_dir().join("_matrix/cases.json")).expect("_matrix/cases.json"),
    )
    .expect("cases.json parses");
    cases[name.as_ref()]["engine"] == "tract"
}
