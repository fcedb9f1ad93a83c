//! `wasmpredict health`: the container's HEALTHCHECK. Exit 0 while a server is ready, 1 (with
//! one line saying why) when nothing answers, 2 on a bad argument.

#[path = "../../tests/common/mod.rs"]
mod common;
mod server;

use common::*;
use server::Server;
use std::process::Command;

fn health(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wasmpredict"))
        .arg("health")
        .args(args)
        .output()
        .expect("wasmpredict runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ready_and_live_while_a_server_serves_then_not() {
    let server = Server::start(&root().join("models"), "health");
    let url = server.url.clone();
    let (code, stdout, _) = health(&["--url", &url]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.trim(), format!("{url}/v2/health/ready: 200"));
    let (code, stdout, _) = health(&["--url", &url, "--route", "live"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("/v2/health/live: 200"), "{stdout}");
    drop(server);
    let (code, _, stderr) = health(&["--url", &url]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: GET {url}/v2/health/ready: ")),
        "{stderr}"
    );
}

#[test]
fn a_route_that_answers_other_than_200_is_not_healthy() {
    let server = Server::start(&root().join("models"), "health-404");
    // A base URL whose prefix the server does not route: its health path answers 404.
    let (code, _, stderr) = health(&["--url", &format!("{}/nowhere", server.url)]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("answered 404"), "{stderr}");
}

#[test]
fn bad_arguments_exit_2_in_one_line() {
    for args in [
        &["--url", "https://example.test"][..],
        &["--url", "localhost:8080"],
        &["--timeout", "0"],
        &["--timeout=-1"],
    ] {
        let (code, _, stderr) = health(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}
