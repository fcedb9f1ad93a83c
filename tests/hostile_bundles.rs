//! Bundles crafted to hurt whoever loads them (tests/python/make_fixtures.py `hostile_bundles`):
//! each is refused with a message naming what is wrong, by the library and by the Worker's build
//! step (a graph only tract can judge is refused by the Worker when it loads,
//! tests/worker/tract.test.mjs; `wasmpredict check`: cli/tests/hostile_bundles.rs), without a panic and
//! without allocating what it asks for. The one that loads (a 2,000-deep tree) predicts, and refuses
//! only explanations.

mod common;

use common::*;
use serde_json::json;
use wasmpredict::{Bundle, Predictor};

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    /// `|`-separated parts, one of which the refusal contains (case aside).
    refused: Option<String>,
    loads: bool,
    explain_refused: Option<String>,
}

fn cases() -> Vec<Case> {
    let path = fixtures_dir().join("_hostile/cases.json");
    serde_json::from_slice(&std::fs::read(&path).expect("_hostile/cases.json")).expect("parses")
}

fn says(message: &str, expected: &str) -> bool {
    let message = message.to_lowercase();
    expected
        .split('|')
        .any(|part| message.contains(&part.to_lowercase()))
}

fn load(dir: &std::path::Path) -> Result<Predictor, String> {
    let bundle = Bundle::from_dir(dir).map_err(|e| e.to_string())?;
    Predictor::new(bundle).map_err(|e| e.to_string())
}

#[test]
fn every_hostile_bundle_is_refused_with_its_reason() {
    let cases = cases();
    assert!(cases.len() >= 10, "{} cases", cases.len());
    for case in cases.iter().filter(|c| !c.loads) {
        let dir = fixtures_dir().join("_hostile").join(&case.name);
        let expected = case.refused.as_deref().expect("a refusal");
        match load(&dir) {
            Ok(_) => panic!("{}: loaded", case.name),
            Err(e) => assert!(
                says(&e, expected),
                "{}: refused with {e:?}, expected {expected:?}",
                case.name
            ),
        }
    }
}

/// What the Worker's build asks before it compiles (`cargo xtask build worker`, worker/build.rs):
/// which engine a bundle needs, without tract. Each hostile bundle is refused with its reason,
/// or (a graph only tract can judge) sent to tract, whose Worker refuses it when it loads
/// (tests/worker/tract.test.mjs).
#[test]
fn the_worker_build_step_refuses_them_or_leaves_them_to_tract() {
    for case in cases().iter().filter(|c| !c.loads) {
        let dir = fixtures_dir().join("_hostile").join(&case.name);
        let expected = case.refused.as_deref().expect("a refusal");
        let engine = Bundle::from_dir(&dir).and_then(|b| wasmpredict::api::default_engine(&b));
        match engine {
            Ok(engine) => assert_eq!(engine, wasmpredict::infer::Engine::Tract, "{}", case.name),
            Err(e) => {
                let message = e.to_string();
                assert_eq!(message.lines().count(), 1, "{}: {message}", case.name);
                assert!(says(&message, expected), "{}: {message}", case.name);
            }
        }
    }
}

#[test]
fn a_tree_too_deep_to_explain_still_predicts_and_refuses_only_explanations() {
    for case in cases().iter().filter(|c| c.loads) {
        let dir = fixtures_dir().join("_hostile").join(&case.name);
        let p = load(&dir).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let golden = Bundle::from_dir(&dir).unwrap().golden().unwrap().unwrap();
        for row in &golden.rows {
            let r = p
                .predict(&json!({ "record": row.input }))
                .expect("predicts");
            let got = serde_json::to_value(&r).unwrap()["prediction"]
                .as_f64()
                .unwrap();
            assert_eq!(Some(got), row.prediction.as_f64(), "{}", case.name);
        }
        let expected = case
            .explain_refused
            .as_deref()
            .expect("an explanation refusal");
        let e = p
            .predict(&json!({ "record": golden.rows[0].input, "explain": true }))
            .expect_err("explaining a 2,000-deep tree");
        assert_eq!(e.code.status(), 400);
        assert!(says(&e.message, expected), "{}: {}", case.name, e.message);
    }
}

/// A batch whose dense features would pass the per-request budget is refused before they are
/// allocated, naming how many rows this model takes.
#[test]
fn a_batch_too_wide_to_allocate_is_refused_with_the_rows_it_may_have() {
    let p = predictor(&fixture("tfidf-default"));
    let width = p.manifest().n_features;
    let max = wasmpredict::bundle::limits::MAX_BATCH_VALUES / width;
    let rows = vec![json!({"text": "a fine film"}); max + 1];
    let e = p
        .predict(&json!({ "instances": rows }))
        .expect_err("past the budget");
    assert_eq!(e.code.status(), 413);
    assert!(
        e.message.contains(&format!("at most {max} rows")),
        "{}",
        e.message
    );
    let rows = vec![json!({"text": "a fine film"}); 3];
    p.predict(&json!({ "instances": rows }))
        .expect("a small batch");
}
