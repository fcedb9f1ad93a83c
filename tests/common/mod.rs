//! Helpers shared by the integration tests (tests/ and cli/tests/).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use wasmpredict::{Bundle, Predictor};

/// The workspace root (the core's tests and the CLI's share these helpers).
pub fn root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(crate_dir)
        .to_path_buf()
}

/// Every bundle directory (one with a manifest.json) directly under `dir`, sorted.
pub fn bundles_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    out.sort();
    out
}

/// Every bundle directory of the committed models, every version of each.
pub fn model_bundles() -> Vec<PathBuf> {
    wasmpredict::bundle::layout::bundle_dirs(&root().join("models")).expect("models/ is readable")
}

/// The bundle directory of a committed model: `models/NAME`, or its first version.
pub fn model_dir(name: &str) -> PathBuf {
    let dir = root().join("models").join(name);
    if dir.join("manifest.json").is_file() {
        return dir;
    }
    wasmpredict::bundle::layout::discover(&root().join("models"))
        .expect("models/ is readable")
        .into_iter()
        .find(|m| m.name == name)
        .and_then(|m| m.versions.into_iter().next())
        .map(|(_, dir)| dir)
        .unwrap_or(dir)
}

/// The fixtures written by tests/python/make_fixtures.py (./test.sh generates them first).
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("WASMPREDICT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/fixtures"));
    assert!(
        dir.is_dir(),
        "fixtures missing at {}: run `.venv/bin/python tests/python/make_fixtures.py {}` (./test.sh does)",
        dir.display(),
        dir.display()
    );
    dir
}

pub fn fixture(name: &str) -> PathBuf {
    let p = fixtures_dir().join(name);
    assert!(
        p.join("manifest.json").is_file(),
        "fixture {name} missing in {}",
        p.display()
    );
    p
}

pub fn predictor(dir: &Path) -> Predictor {
    let bundle = Bundle::from_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    Predictor::new(bundle).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

pub fn model(name: &str) -> Predictor {
    predictor(&model_dir(name))
}

/// Handles a JSON body and returns the response (or error body) as JSON.
pub fn ask(p: &Predictor, body: serde_json::Value) -> Result<serde_json::Value, serde_json::Value> {
    match p.predict(&body) {
        Ok(r) => Ok(serde_json::to_value(r).expect("response serializes")),
        Err(e) => Err(
            serde_json::to_value(wasmpredict::api::ErrorBody { error: &e })
                .expect("error serializes"),
        ),
    }
}

/// Rewrites a JSON file in place (for tampering with copied bundles); returns the new bytes.
pub fn edit_json(path: &Path, change: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    change(&mut value);
    let bytes = serde_json::to_vec(&value).expect("serialize");
    std::fs::write(path, &bytes).expect("write");
    bytes
}

/// Copies a bundle directory into a fresh temporary directory.
pub fn copy_bundle(src: &Path, tag: &str) -> PathBuf {
    let dst = std::env::temp_dir().join(format!("wasmpredict-test-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dst);
    std::fs::create_dir_all(&dst).expect("create temp bundle dir");
    for entry in std::fs::read_dir(src).expect("read bundle") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dst.join(entry.file_name())).expect("copy file");
    }
    dst
}
