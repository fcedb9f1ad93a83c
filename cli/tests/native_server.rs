//! `wasmpredict serve` over a real socket: the same answers as the core service in process
//! (tests/service.rs), the app's static files, and tract graphs beside compact ones.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};

const TEXTBOOK: &str = r#"{"features": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}"#;

/// Sends one raw HTTP/1.1 request to a server starting on `port` (retrying while it starts) and
/// returns the raw answer.
fn exchange(port: u16, raw: &str) -> String {
    for _ in 0..100 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            stream.write_all(raw.as_bytes()).expect("write");
            let mut out = String::new();
            stream.read_to_string(&mut out).expect("read");
            return out;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("server did not start");
}

/// `wasmpredict serve` on a real socket: same answers as the in-process service.
#[test]
fn native_server_over_http() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let state =
        std::env::temp_dir().join(format!("wasmpredict-serve-state-{}", std::process::id()));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wasmpredict"))
        .args([
            "serve",
            "--models",
            "models",
            "--www",
            "www",
            "--default-model",
            "rf-classification",
            "--addr",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--state")
        .arg(&state)
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let request = |raw: String| -> String { exchange(port, &raw) };
    let post = |path: &str, body: &str| {
        request(format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ))
    };
    let answer = post("/predict", TEXTBOOK);
    let page = request("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".into());
    let missing = post("/models/iris/predict", r#"{"features": [5.1]}"#);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&state);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"prediction":0,"probabilities":[0.97,0.03],"classes":[0,1],"model":"rf-classification","version":"1.0.0","id":""#), "{answer}");
    assert!(answer.contains("x-prediction-id: "), "{answer}");
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("<title>wasmpredict</title>"),
        "{page}"
    );
    assert!(
        missing.starts_with("HTTP/1.1 400") && missing.contains("wrong_feature_count"),
        "{missing}"
    );
}

/// `wasmpredict serve` over a real socket with bundles that need tract (an sklearn MLP and a
/// network wrapped from plain ONNX) beside one the compact engine covers: each runs on the engine
/// that covers it, every golden row agrees, OIP v2 works, and bad input is a 4xx.
#[test]
fn native_server_serves_tract_graphs_beside_compact_ones() {
    let dir = std::env::temp_dir().join(format!("wasmpredict-tract-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, src) in [
        ("iris", root().join("models/iris")),
        ("mlp-classifier", fixture("mlp-classifier")),
        ("onnx-net-regressor", fixture("onnx-net-regressor")),
    ] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(name).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wasmpredict"))
        .arg("serve")
        .arg("--models")
        .arg(&dir)
        .arg("--state")
        .arg(dir.join(".state"))
        .args(["--addr", &format!("127.0.0.1:{port}")])
        // Its state (.wasmpredict) goes where .gitignore expects it, not into cli/.
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let request = |method: &str, path: &str, body: &str| -> (u16, Value) {
        let out = exchange(
            port,
            &format!(
                "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        let status = out[9..12].parse().expect("status");
        let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    };
    let mut problems = Vec::new();
    for (name, engine) in [
        ("iris", "compact"),
        ("mlp-classifier", "tract"),
        ("onnx-net-regressor", "tract"),
    ] {
        let (status, info) = request("GET", &format!("/models/{name}"), "");
        if status != 200 || info["engine"] != engine {
            problems.push(format!("{name}: {status} engine {}", info["engine"]));
        }
        let golden: Value =
            serde_json::from_slice(&std::fs::read(dir.join(name).join("golden.json")).unwrap())
                .unwrap();
        let inputs: Vec<&Value> = golden["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["input"])
            .collect();
        let (status, answer) = request(
            "POST",
            &format!("/models/{name}/predict"),
            &json!({ "instances": inputs }).to_string(),
        );
        if status != 200 {
            problems.push(format!("{name}: predict {status} {answer}"));
            continue;
        }
        let tolerance = golden["tolerance"].as_f64().unwrap();
        for (i, row) in golden["rows"].as_array().unwrap().iter().enumerate() {
            let (got, want) = (&answer["predictions"][i], &row["prediction"]);
            let same = match (got.as_f64(), want.as_f64(), answer.get("classes")) {
                (Some(a), Some(b), None) => {
                    (a - b).abs()
                        <= tolerance
                            + golden["relative_tolerance"].as_f64().unwrap_or(0.0) * b.abs()
                }
                _ => got == want,
            };
            if !same {
                problems.push(format!("{name} row {i}: {got} vs {want}"));
            }
        }
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("mlp-classifier/manifest.json")).unwrap())
            .unwrap();
    let width = manifest["input"].as_array().unwrap().len();
    let (status, v2) = request(
        "POST",
        "/v2/models/mlp-classifier/infer",
        &json!({"inputs": [{"name": "input", "shape": [1, width], "datatype": "FP32", "data": vec![0.5; width]}]}).to_string(),
    );
    if status != 200 || v2["outputs"][0]["name"] != "label" {
        problems.push(format!("v2 infer: {status} {v2}"));
    }
    let (status, bad) = request(
        "POST",
        "/models/onnx-net-regressor/predict",
        r#"{"features": [1]}"#,
    );
    if status != 400 || bad["error"]["code"] != "wrong_feature_count" {
        problems.push(format!("bad input: {status} {bad}"));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
