//! Bundles that must be refused: hash mismatches, newer formats, missing files.

mod common;

use common::*;
use wasmpredict::{Bundle, BundleError};

#[test]
fn sha256_mismatch_is_refused() {
    let dir = copy_bundle(&root().join("models/iris"), "sha");
    let path = dir.join("model.onnx");
    let mut bytes = std::fs::read(&path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, bytes).expect("write");
    match Bundle::from_dir(&dir) {
        Err(BundleError::HashMismatch { file, .. }) => assert_eq!(file, "model.onnx"),
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
    let msg = Bundle::from_dir(&dir).expect_err("refused").to_string();
    assert!(
        msg.contains("sha256 mismatch") && msg.contains("model.onnx"),
        "{msg}"
    );
}

#[test]
fn newer_format_version_is_refused_with_a_message_that_says_so() {
    let dir = copy_bundle(&root().join("models/iris"), "format");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["format_version"] = serde_json::json!(5);
        // A newer format may well carry fields this build does not know.
        manifest["quantization"] = serde_json::json!({"bits": 8});
    });
    let err = Bundle::from_dir(&dir).expect_err("refused");
    assert!(
        matches!(
            err,
            BundleError::NewerFormat {
                found: 5,
                supported: 4
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("newer") && msg.contains('5') && msg.contains('4'),
        "{msg}"
    );
}

#[test]
fn missing_file_is_refused() {
    let dir = copy_bundle(&root().join("models/iris"), "missing");
    std::fs::remove_file(dir.join("golden.json")).expect("rm");
    let err = Bundle::from_dir(&dir).expect_err("refused");
    assert!(
        matches!(err, BundleError::MissingFile(ref f) if f == "golden.json"),
        "{err:?}"
    );
}

#[test]
fn malformed_manifest_is_refused() {
    let dir = copy_bundle(&root().join("models/iris"), "malformed");
    std::fs::write(
        dir.join("manifest.json"),
        b"{\"format_version\": 1, \"name\": 3}",
    )
    .expect("write");
    let err = Bundle::from_dir(&dir).expect_err("refused");
    assert!(matches!(err, BundleError::Manifest(_)), "{err:?}");
}

#[test]
fn featurizer_width_must_match_the_model() {
    let dir = copy_bundle(&root().join("models/iris"), "width");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["n_features"] = serde_json::json!(5)
    });
    let bundle = Bundle::from_dir(&dir).expect("hashes still match");
    let err = wasmpredict::Predictor::new(bundle).expect_err("refused");
    assert!(err.to_string().contains("n_features"), "{err}");
}

#[test]
fn bundles_load_from_bytes_too() {
    // The browser and the Worker have no file system: the same checks apply to in-memory files.
    let dir = root().join("models/iris");
    let manifest = std::fs::read(dir.join("manifest.json")).expect("manifest");
    let mut files = std::collections::BTreeMap::new();
    for f in ["model.onnx", "golden.json", "explain.json"] {
        files.insert(f.to_string(), std::fs::read(dir.join(f)).expect("file"));
    }
    let bundle = Bundle::from_files(&manifest, files.clone()).expect("loads");
    assert_eq!(bundle.manifest.name, "iris");
    files.get_mut("golden.json").expect("golden").push(b' ');
    assert!(matches!(
        Bundle::from_files(&manifest, files),
        Err(BundleError::HashMismatch { .. })
    ));
}

#[test]
fn a_format_1_bundle_without_a_profile_still_loads_and_predicts() {
    let dir = copy_bundle(&root().join("models/iris"), "format-1");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["format_version"] = serde_json::json!(1);
        let m = manifest.as_object_mut().expect("object");
        m.remove("profile");
        m.remove("explain");
        m["files"]
            .as_object_mut()
            .expect("files")
            .remove("explain.json");
    });
    let bundle = Bundle::from_dir(&dir).expect("a version 1 bundle loads");
    assert!(bundle.manifest.profile.is_none());
    let predictor = wasmpredict::Predictor::new(bundle).expect("prepared");
    predictor
        .predict(&serde_json::json!({"features": [5.1, 3.5, 1.4, 0.2]}))
        .expect("answers");
    let why = wasmpredict::drift::Binner::new(predictor.manifest())
        .expect_err("no profile")
        .to_string();
    assert!(
        why.contains("no training profile (format version 1)"),
        "{why}"
    );
}

#[test]
fn a_profile_in_a_format_1_manifest_is_refused() {
    let dir = copy_bundle(&root().join("models/iris"), "profile-in-1");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["format_version"] = serde_json::json!(1);
    });
    let msg = Bundle::from_dir(&dir).expect_err("refused").to_string();
    assert!(msg.contains("profile needs format_version 2"), "{msg}");
}

#[test]
fn format_4_steps_need_format_4() {
    let dir = copy_bundle(&root().join("models/iris"), "steps-in-3");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["format_version"] = serde_json::json!(3);
        let scaler = manifest["featurizer"].clone();
        manifest["featurizer"] = serde_json::json!({
            "type": "pipeline",
            "steps": [{"type": "function", "func": "abs"}, scaler]
        });
    });
    let msg = Bundle::from_dir(&dir).expect_err("refused").to_string();
    assert!(
        msg.contains(
            "the featurizer step 'function' needs format_version 4 or newer, the manifest says 3"
        ),
        "{msg}"
    );
}

#[test]
fn a_character_analyzer_needs_format_4() {
    let dir = copy_bundle(&root().join("models/news"), "char-analyzer-in-3");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["format_version"] = serde_json::json!(3);
        manifest["featurizer"]["steps"][0]["analyzer"] = serde_json::json!("char_wb");
    });
    let msg = Bundle::from_dir(&dir).expect_err("refused").to_string();
    assert!(
        msg.contains(
            "the text_vectorizer analyzer 'char_wb' needs format_version 4 or newer, the manifest says 3"
        ),
        "{msg}"
    );
}

#[test]
fn explanation_data_needs_format_3_and_a_listed_file() {
    let dir = copy_bundle(&root().join("models/iris"), "explain-in-2");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["format_version"] = serde_json::json!(2);
    });
    let msg = Bundle::from_dir(&dir).expect_err("refused").to_string();
    assert!(msg.contains("explain needs format_version 3"), "{msg}");
    let dir = copy_bundle(&root().join("models/iris"), "explain-unlisted");
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["explain"] = serde_json::json!("covers.json");
    });
    let msg = Bundle::from_dir(&dir).expect_err("refused").to_string();
    assert!(
        msg.contains("explain names 'covers.json', which is not listed in files"),
        "{msg}"
    );
}

#[test]
fn explanation_data_that_does_not_fit_the_graph_is_refused_when_explaining() {
    let dir = copy_bundle(&root().join("models/rf-classification"), "bad-covers");
    let explain = edit_json(&dir.join("explain.json"), |e| {
        e["covers"].as_array_mut().expect("covers").pop();
    });
    edit_json(&dir.join("manifest.json"), |manifest| {
        manifest["files"]["explain.json"] =
            serde_json::json!(wasmpredict::bundle::sha256_hex(&explain));
    });
    let predictor = wasmpredict::Predictor::new(Bundle::from_dir(&dir).expect("loads"))
        .expect("predicts without explanations");
    let golden = predictor
        .bundle()
        .golden()
        .expect("golden")
        .expect("parses");
    let why = wasmpredict::check::explanations(&predictor, &golden).expect_err("refused");
    assert!(
        why.contains("explain.json has covers for 99 trees, the graph has 100"),
        "{why}"
    );
}

#[test]
fn an_inconsistent_profile_is_refused_naming_the_member_where_it_is_read() {
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 6] = [
        (
            |m| m["profile"]["fields"][0]["values"]["counts"][0] = serde_json::json!(999),
            "profile.fields[0].values counts",
        ),
        (
            |m| m["profile"]["fields"][1]["name"] = serde_json::json!("petal"),
            "profile.fields[1].name is 'petal'",
        ),
        (
            |m| m["profile"]["fields"][2]["values"]["edges"][3] = serde_json::json!(0.0),
            "profile.fields[2].values.edges must be strictly increasing",
        ),
        (
            |m| {
                m["profile"]["fields"].as_array_mut().expect("array").pop();
            },
            "profile.fields has 3 entries for 4 input fields",
        ),
        (
            |m| m["profile"]["predictions"]["values"] = serde_json::json!([0, 1, 7]),
            "profile.predictions.values must be the manifest's classes",
        ),
        (
            |m| m["profile"]["fields"][0]["oov"] = m["profile"]["fields"][0]["values"].clone(),
            "profile.fields[0].oov is only for a text field",
        ),
    ];
    for (i, (edit, want)) in cases.iter().enumerate() {
        let dir = copy_bundle(&root().join("models/iris"), &format!("bad-profile-{i}"));
        edit_json(&dir.join("manifest.json"), edit);
        // The bundle still loads and predicts; the profile is refused where it is read.
        let bundle = Bundle::from_dir(&dir).expect("loads");
        let msg = wasmpredict::bundle::Profile::of(&bundle.manifest).expect_err("refused");
        assert!(msg.contains(want), "case {i}: {msg}");
        let drift = wasmpredict::drift::Binner::new(&bundle.manifest)
            .expect_err("refused")
            .to_string();
        assert!(drift.contains(want), "case {i}: {drift}");
    }
}
