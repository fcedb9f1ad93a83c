//! Replays the fuzz targets' saved inputs (`fuzz/`, issue 12) through the very calls the targets
//! make (`fuzz/src/harness.rs`, included below): every input that once crashed a target
//! (`fuzz/regressions/<target>/`, minimized) and the committed seed corpus
//! (`fuzz/corpus/<target>/`). Each must be answered or refused cleanly: no panic, and the
//! properties the harness checks (the fast JSON path answers what `handle` answers, the CSV
//! parser gives the same rows in pieces) hold. Inputs under `fuzz/regressions/pending/` still
//! crash and wait for a fix; they are not replayed.

#[path = "../fuzz/src/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::{Path, PathBuf};
use wasmpredict::infer::Engine;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every file under `fuzz/{regressions,corpus}/<target>/`, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for kind in ["regressions", "corpus"] {
        let dir = fuzz_dir().join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        out.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file()),
        );
    }
    out.sort();
    out
}

/// Runs `run` on every input of `target` and fails naming each input that panicked.
fn replay(target: &str, run: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    let files = inputs(target);
    assert!(
        !files.is_empty(),
        "no inputs for {target} under {}",
        fuzz_dir().display()
    );
    let failed: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let data = std::fs::read(path).expect("a readable input");
            std::panic::catch_unwind(|| run(&data)).err().map(|e| {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                format!("{}: {why}", path.display())
            })
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} {target} inputs panicked:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}

#[test]
fn request_inputs() {
    replay("request", harness::request);
}

#[test]
fn csv_inputs() {
    replay("csv", harness::csv);
}

#[test]
fn admin_bodies_inputs() {
    replay("admin_bodies", harness::admin_bodies);
}

#[test]
fn onnx_inputs() {
    replay("onnx", harness::onnx);
}

#[test]
fn bundle_compact_inputs() {
    replay("bundle_compact", |d| harness::bundle(d, Engine::Compact));
}

#[test]
fn bundle_tract_inputs() {
    replay("bundle_tract", |d| harness::bundle(d, Engine::Tract));
}

/// The request target's predictors all load (a fuzz run would otherwise stop at its first
/// input), and the corpus generator's indices match the harness's bundle order.
#[test]
fn harness_bundles_load() {
    assert_eq!(harness::request_predictors().len(), 2 * 5 + 12);
    let names: Vec<&str> = harness::bases().map(|b| b.name).collect();
    let script = std::fs::read_to_string(fuzz_dir().join("make_corpus.py")).unwrap();
    for name in &names[5..] {
        assert!(
            script.contains(&format!("\"{name}\"")),
            "{name} in make_corpus.py"
        );
    }
}

/// Inputs that still crash (`fuzz/regressions/pending/<target>/`), waiting for a fix: run with
/// `cargo test --test fuzz_regressions -- --ignored`; once it passes, move them to
/// `fuzz/regressions/<target>/`.
#[test]
#[ignore = "these inputs crash until their fix lands"]
fn pending_inputs() {
    let pending = fuzz_dir().join("regressions").join("pending");
    type Replay = fn(&[u8]);
    let targets: [(&str, Replay); 6] = [
        ("request", harness::request),
        ("csv", harness::csv),
        ("admin_bodies", harness::admin_bodies),
        ("onnx", harness::onnx),
        ("bundle_compact", |d| harness::bundle(d, Engine::Compact)),
        ("bundle_tract", |d| harness::bundle(d, Engine::Tract)),
    ];
    let mut failed = Vec::new();
    for (target, run) in targets {
        let Ok(entries) = std::fs::read_dir(pending.join(target)) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let data = std::fs::read(&path).expect("a readable input");
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "still crash:\n{}", failed.join("\n"));
}
