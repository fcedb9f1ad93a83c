//! The `wasmpredict` binary as a user runs it.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn wasmpredict() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wasmpredict"))
}

#[test]
fn check_passes_on_every_bundled_model() {
    let out = wasmpredict()
        .arg("check")
        .args(model_bundles())
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        model_bundles().len(),
        "{stdout}"
    );
}

#[test]
fn check_fails_on_a_tampered_bundle_with_one_line() {
    let dir = copy_bundle(&root().join("models/iris"), "cli-tamper");
    let golden = dir.join("golden.json");
    let text = std::fs::read_to_string(&golden).expect("read").replacen(
        "\"prediction\": 0",
        "\"prediction\": 2",
        1,
    );
    std::fs::write(&golden, text).expect("write");
    let out = wasmpredict().arg("check").arg(&dir).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("sha256 mismatch for golden.json"),
        "{stderr}"
    );
}

#[test]
fn check_refuses_an_inconsistent_training_profile_with_one_line() {
    let dir = copy_bundle(&root().join("models/iris"), "cli-profile");
    edit_json(&dir.join("manifest.json"), |m| {
        m["profile"]["rows"] = serde_json::json!(151);
    });
    let out = wasmpredict().arg("check").arg(&dir).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("profile.fields[0].values counts 150 rows; the profile has 151"),
        "{stderr}"
    );
}

#[test]
fn check_reports_golden_mismatches() {
    // A golden file whose hash is updated but whose answer is wrong must fail the check.
    let dir = copy_bundle(&root().join("models/iris"), "cli-wrong");
    let bytes = edit_json(&dir.join("golden.json"), |g| {
        let row = &mut g["rows"][0];
        let wrong = if row["prediction"] == serde_json::json!(0) {
            1
        } else {
            0
        };
        row["prediction"] = serde_json::json!(wrong);
    });
    edit_json(&dir.join("manifest.json"), |m| {
        m["files"]["golden.json"] = serde_json::json!(wasmpredict::bundle::sha256_hex(&bytes));
    });
    let out = wasmpredict().arg("check").arg(&dir).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL iris") && stdout.contains("row 0: label"),
        "{stdout}"
    );
}

#[test]
fn predict_reads_json_lines() {
    let mut child = wasmpredict()
        .args(["predict", "models/rf-classification"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let input = concat!(
        "{\"features\": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}\n",
        "\n",
        "{\"features\": [1, 2]}\n",
        "{\"features\": [[0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]}\n",
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("waits");
    assert_eq!(out.status.code(), Some(1), "one request was refused");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["prediction"], serde_json::json!(0));
    assert_eq!(lines[0]["probabilities"], serde_json::json!([0.97, 0.03]));
    assert_eq!(
        lines[1]["error"]["code"],
        serde_json::json!("wrong_feature_count")
    );
    assert_eq!(lines[2]["predictions"].as_array().map(Vec::len), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("1 of 3 requests were refused"),
        "{stderr}"
    );
}

/// A stream, as `kcat -C ... | wasmpredict predict ...` feeds it: each line is answered while
/// the writer still holds the pipe open, before the next line is written.
#[test]
fn predict_answers_a_stream_line_by_line() {
    use std::io::{BufRead, BufReader};
    let mut child = wasmpredict()
        .args(["predict", "models/rf-classification", "--input", "-"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let mut stdin = child.stdin.take().expect("stdin");
    let (answers_tx, answers) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if answers_tx.send(line).is_err() {
                break;
            }
        }
    });
    let row = "{\"features\": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}\n";
    for _ in 0..3 {
        stdin.write_all(row.as_bytes()).expect("write");
        stdin.flush().expect("flush");
        // A hang guard, not a speed check: without a flush the answer never comes while the
        // pipe stays open.
        let answer = answers
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("answered before the next line is written")
            .expect("a line");
        let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
        assert_eq!(answer["prediction"], serde_json::json!(0));
    }
    drop(stdin);
    assert!(child.wait().expect("exits").success());
}

#[test]
fn info_describes_the_bundle() {
    let out = wasmpredict()
        .args(["info", "models/churn/1.0.0"])
        .current_dir(root())
        .output()
        .expect("runs");
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "churn 1.0.0",
        "LogisticRegression",
        "classes:    0, 1",
        "tenure",
        "contract",
        "nullable",
        "\"month-to-month\"",
    ] {
        assert!(s.contains(needle), "missing {needle:?} in:\n{s}");
    }
    let out = wasmpredict()
        .args(["info", "--json", "models/iris"])
        .current_dir(root())
        .output()
        .expect("runs");
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(m["name"], serde_json::json!("iris"));
}

#[test]
fn missing_bundle_is_one_readable_line() {
    let out = wasmpredict()
        .args(["info", "/nonexistent/bundle"])
        .output()
        .expect("runs");
    let stderr = one_error_line(&out, 2);
    assert!(
        stderr.starts_with("error: /nonexistent/bundle: cannot read"),
        "{stderr}"
    );
}

/// A setting that does not parse stops the server at start, in one line naming the flag (it
/// was read as some other number before, or silently ignored in the Worker); so does a default
/// model that is not served.
#[test]
fn serve_refuses_a_setting_it_cannot_read_in_one_line() {
    for (args, expected) in [
        (
            vec!["--max-rows", "10k"],
            "error: --max-rows: \"10k\" is not a whole number of rows, at least 1",
        ),
        (
            vec!["--allow-origin", "app.example.com"],
            "error: --allow-origin: \"app.example.com\" is not `*` or comma-separated origins",
        ),
        (
            vec!["--engine", "onnxruntime"],
            "error: --engine: \"onnxruntime\" is not compact or tract",
        ),
        (
            vec!["--default-model", "nope"],
            "error: the default model 'nope' is not among churn, iris, news, rf-classification",
        ),
    ] {
        let out = wasmpredict()
            .args(["serve", "--models", "models", "--addr", "127.0.0.1:0"])
            .args(&args)
            .current_dir(root())
            .output()
            .expect("runs");
        let stderr = one_error_line(&out, 2);
        assert!(stderr.starts_with(expected), "{args:?}: {stderr}");
    }
}

/// The exit code is `code` and stderr is exactly one line, which is returned.
fn one_error_line(out: &std::process::Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn bench_json_reports_every_figure_with_its_spread() {
    let out = wasmpredict()
        .args([
            "bench",
            "--json",
            "--iterations",
            "20",
            "--rounds",
            "3",
            "--batch",
            "50",
        ])
        .arg(root().join("models/iris"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let r: serde_json::Value = serde_json::from_str(lines[0]).expect("one JSON object");
    assert_eq!(r["bundle"], "iris");
    assert_eq!(r["batch_rows"], 50);
    for key in ["load_ms", "single_us", "batch_ms"] {
        let (min, median, max) = (
            r[key]["min"].as_f64().expect("min"),
            r[key]["median"].as_f64().expect("median"),
            r[key]["max"].as_f64().expect("max"),
        );
        assert!(0.0 < min && min <= median && median <= max, "{key}: {r}");
    }
    assert!(
        r["single_p99_us"].as_f64().expect("p99") >= r["single_us"]["min"].as_f64().expect("min")
    );
}

#[test]
fn bench_of_a_bundle_without_golden_rows_fails_in_one_line() {
    let dir = copy_bundle(&root().join("models/iris"), "bench-no-golden");
    std::fs::remove_file(dir.join("golden.json")).expect("remove");
    edit_json(&dir.join("manifest.json"), |m| {
        m["files"]
            .as_object_mut()
            .expect("files")
            .remove("golden.json");
    });
    let out = wasmpredict()
        .args(["bench", "--iterations", "5"])
        .arg(&dir)
        .output()
        .expect("runs");
    let stderr = one_error_line(&out, 2);
    assert!(
        stderr.contains("bench needs golden.json inputs"),
        "{stderr}"
    );
}
