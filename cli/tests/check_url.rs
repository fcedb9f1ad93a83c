//! `wasmpredict check --url`: the golden replay against a running `wasmpredict serve`, with the
//! comparator `check` uses (labels, probabilities, scores), agreement between versions, and one
//! readable line for what cannot be replayed.

#[path = "../../tests/common/mod.rs"]
mod common;

mod server;

use common::*;
use server::Server;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_wasmpredict"))
        .arg("check")
        .args(args)
        .current_dir(root())
        .output()
        .expect("wasmpredict runs");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A copy of a bundle whose golden.json is changed by `change`, its manifest's sha256 updated
/// so that only the replay can tell.
fn tampered(bundle: &Path, tag: &str, change: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let dir = copy_bundle(bundle, tag);
    let bytes = edit_json(&dir.join("golden.json"), change);
    let hash: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    edit_json(&dir.join("manifest.json"), |m| {
        m["files"]["golden.json"] = hash.into()
    });
    dir
}

#[test]
fn every_version_of_every_model_replays_against_a_server_with_agreement() {
    let server = Server::start(&root().join("models"), "all");
    let (code, out, err) = check(&["--url", &server.url, "models"]);
    assert_eq!(code, Some(0), "{out}{err}");
    for (name, version, rows) in [
        ("iris", "1.0.0", 150),
        ("churn", "1.0.0", 68),
        ("churn", "1.1.0", 68),
    ] {
        let line = format!(
            "ok   {name} {version}: {rows}/{rows} golden rows match sklearn at {}",
            server.url
        );
        assert!(out.contains(&line), "{line} in\n{out}");
    }
    assert_eq!(
        out.lines().filter(|l| l.starts_with("ok   ")).count(),
        5,
        "{out}"
    );
    // churn's traffic.json makes 1.0.0 live.
    let agreement = out
        .lines()
        .find(|l| l.trim_start().starts_with("churn 1.1.0 vs live 1.0.0: "))
        .unwrap_or_else(|| panic!("no agreement line in\n{out}"));
    assert!(
        agreement.contains("% same class on 1.0.0's 68 golden rows; ")
            && agreement.contains("% same class on 1.1.0's 68 golden rows"),
        "{agreement}"
    );
    // With the deployment's live version named.
    let (code, out, _) = check(&[
        "--url",
        &server.url,
        "--live",
        "churn=1.1.0",
        "models/churn",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("churn 1.0.0 vs live 1.1.0: "), "{out}");
}

#[test]
fn a_live_version_the_models_lack_is_named_not_thrown() {
    let server = Server::start(&root().join("models"), "live");
    let (code, out, err) = check(&["--url", &server.url, "--live", "churn=0.9.0", "models"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("live deployment serves churn 0.9.0, which models lacks: agreement not measured for churn"),
        "{out}"
    );
}

#[test]
fn a_broken_golden_label_is_refused_naming_the_row() {
    let server = Server::start(&root().join("models"), "label");
    let broken = tampered(&model_dir("iris"), "url-label", |g| {
        let p = g["rows"][3]["prediction"]
            .as_i64()
            .expect("an integer label");
        g["rows"][3]["prediction"] = ((p + 1) % 3).into();
    });
    let (code, out, err) = check(&["--url", &server.url, broken.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_dir_all(&broken);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("FAIL iris 1.0.0: 149/150 golden rows match sklearn"),
        "{out}"
    );
    assert!(out.contains("row 3: label"), "{out}");
}

#[test]
fn a_probability_within_a_relative_tolerance_but_beyond_the_absolute_one_is_refused() {
    let server = Server::start(&root().join("models"), "relative");
    let broken = tampered(&model_dir("iris"), "url-relative", |g| {
        // 1e-3 off, far inside 50% of any probability, far outside the 1e-5 tolerance.
        g["relative_tolerance"] = 0.5.into();
        let p = g["rows"][0]["probabilities"][0]
            .as_f64()
            .expect("a probability");
        g["rows"][0]["probabilities"][0] = (p + 1e-3).into();
    });
    let (code, out, err) = check(&["--url", &server.url, broken.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_dir_all(&broken);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("row 0: probabilities"), "{out}");
}

#[test]
fn broken_scores_of_a_linear_svc_are_refused() {
    let models =
        std::env::temp_dir().join(format!("wasmpredict-check-url-svc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&models);
    std::fs::create_dir_all(&models).expect("models dir");
    let svc = models.join("linear-svc-binary");
    std::fs::create_dir_all(&svc).expect("bundle dir");
    for f in ["manifest.json", "model.onnx", "golden.json", "explain.json"] {
        std::fs::copy(fixture("linear-svc-binary").join(f), svc.join(f)).expect("copy");
    }
    let server = Server::start(&models, "svc");
    let (code, out, err) = check(&["--url", &server.url, svc.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(0), "the fixture replays: {out}{err}");
    let broken = tampered(&svc, "url-scores", |g| {
        let s = g["rows"][5]["scores"][0]
            .as_f64()
            .expect("a LinearSVC golden row has scores");
        g["rows"][5]["scores"][0] = (s + 0.01).into();
    });
    let (code, out, err) = check(&["--url", &server.url, broken.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_dir_all(&broken);
    let _ = std::fs::remove_dir_all(&models);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("row 5: scores"), "{out}");
}

#[test]
fn an_unreachable_server_or_a_bad_argument_is_one_line_and_exit_2() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{closed}");
    let (code, out, err) = check(&["--url", &url, "models/iris"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: cannot reach {url}: ")),
        "{err}"
    );

    let (code, _, err) = check(&[
        "--url",
        "https://wasmpredict.example.workers.dev",
        "models/iris",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("https is not supported"), "{err}");

    let (code, _, err) = check(&["--url", &url, "--live", "churn", "models"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim(), "error: --live churn: give NAME=VERSION");

    let (code, _, err) = check(&["--url", &url, "no/such/dir"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // --live only means something with --url.
    let (code, _, err) = check(&["--live", "churn=1.0.0", "models"]);
    assert_eq!(code, Some(2), "{err}");
}
