//! The hostile bundles of tests/hostile_bundles.rs, given to `wasmpredict check`: each refused
//! in one line naming what is wrong, exit 2, no panic.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::*;
use std::process::Command;

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    /// `|`-separated parts, one of which the refusal contains (case aside).
    refused: Option<String>,
    loads: bool,
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

#[test]
fn check_refuses_them_in_one_line() {
    for case in cases().iter().filter(|c| !c.loads) {
        let dir = fixtures_dir().join("_hostile").join(&case.name);
        let expected = case.refused.as_deref().expect("a refusal");
        let out = Command::new(env!("CARGO_BIN_EXE_wasmpredict"))
            .arg("check")
            .arg(&dir)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case.name);
        assert_eq!(stderr.trim().lines().count(), 1, "{}: {stderr}", case.name);
        assert!(stderr.starts_with("error: "), "{}: {stderr}", case.name);
        assert!(says(&stderr, expected), "{}: {stderr}", case.name);
    }
}
