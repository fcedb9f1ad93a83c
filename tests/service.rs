//! The HTTP routes of the core service (shared by `wasmpredict serve` and the Worker), and the
//! native server over a real socket.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use wasmpredict::http::{HttpRequest, HttpResponse, RequestBody, Service, ServiceConfig};

fn service(config: ServiceConfig) -> Service {
    let mut s = Service::new(config);
    s.add_models(wasmpredict::bundle::layout::discover(&root().join("models")).unwrap())
        .unwrap();
    s
}

/// One request through the service; routes that need the deployment's state store are not
/// called here (tests/ops.rs runs them against `wasmpredict serve`).
fn handle(
    s: &Service,
    method: &str,
    path: &str,
    origin: Option<&str>,
    body: &[u8],
) -> HttpResponse {
    let headers: Vec<(&str, &str)> = origin.map(|o| vec![("origin", o)]).unwrap_or_default();
    let req = HttpRequest {
        method,
        path,
        headers: &headers,
        body: RequestBody::Bytes(body),
        received_ms: 0,
    };
    s.handle_with(&req, &|| 0.0, |e| {
        Err(format!("no state store in this test: {e:?}"))
    })
}

fn default_service() -> Service {
    service(ServiceConfig {
        default_model: Some("rf-classification".into()),
        ..Default::default()
    })
}

fn call(s: &Service, method: &str, path: &str, body: &str) -> (HttpResponse, Value) {
    let r = handle(s, method, path, None, body.as_bytes());
    let v = if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&r.body).expect("JSON body")
    };
    (r, v)
}

const TEXTBOOK: &str = r#"{"features": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}"#;

#[test]
fn textbook_curl_on_the_default_model() {
    let (r, v) = call(&default_service(), "POST", "/predict", TEXTBOOK);
    assert_eq!(r.status, 200);
    assert_eq!(v["prediction"], json!(0));
    assert_eq!(v["probabilities"], json!([0.97, 0.03]));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-model-version"), Some("1.0.0"));
    let timing = r.header("server-timing").expect("server-timing");
    assert!(
        timing.contains("featurize;dur=") && timing.contains("inference;dur="),
        "{timing}"
    );
}

#[test]
fn named_model_routes() {
    let s = default_service();
    let (r, v) = call(
        &s,
        "POST",
        "/models/iris/predict",
        r#"{"features": [5.1, 3.5, 1.4, 0.2]}"#,
    );
    assert_eq!((r.status, v["prediction"].clone()), (200, json!(0)));
    let (r, v) = call(&s, "GET", "/models", "");
    assert_eq!(r.status, 200);
    let names: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["churn", "iris", "news", "rf-classification"]);
    assert_eq!(v["models"][3]["default"], json!(true));
    let (r, v) = call(&s, "GET", "/models/churn", "");
    assert_eq!(r.status, 200);
    assert_eq!(v["input"][0]["name"], json!("tenure"));
    assert!(v["input"][0]["stats"]["max"].is_number());
    assert!(v["files"]["model.onnx"].as_str().unwrap().len() == 64);
    assert!(
        v.get("featurizer").is_none(),
        "fitted parameters are not served"
    );
    assert_eq!(v["featurizer_steps"][0], json!("column_transformer"));
}

#[test]
fn errors_have_statuses_and_bodies() {
    let s = default_service();
    let cases = [
        (
            "POST",
            "/models/nope/predict",
            TEXTBOOK,
            404,
            "model_not_found",
        ),
        ("GET", "/nowhere", "", 404, "route_not_found"),
        ("GET", "/predict", "", 405, "method_not_allowed"),
        ("DELETE", "/models", "", 405, "method_not_allowed"),
        ("POST", "/predict", "not json", 400, "invalid_json"),
        (
            "POST",
            "/predict",
            r#"{"features": [1, 2]}"#,
            400,
            "wrong_feature_count",
        ),
        (
            "POST",
            "/predict",
            r#"{"inputs": []}"#,
            400,
            "unknown_body_shape",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let (r, v) = call(&s, method, path, body);
        assert_eq!(r.status, status, "{method} {path} {body}: {v}");
        assert_eq!(v["error"]["code"], json!(code), "{method} {path} {body}");
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    let (r, _) = call(&s, "GET", "/predict", "");
    assert_eq!(r.header("allow"), Some("POST, OPTIONS"));
}

#[test]
fn limits_answer_413() {
    let s = service(ServiceConfig {
        default_model: Some("iris".into()),
        max_body_bytes: 200,
        max_rows: 3,
        ..Default::default()
    });
    let big = format!(
        r#"{{"features": [5.1, 3.5, 1.4, 0.2], "pad": "{}"}}"#,
        "x".repeat(300)
    );
    let (r, v) = call(&s, "POST", "/predict", &big);
    assert_eq!(
        (r.status, v["error"]["code"].clone()),
        (413, json!("payload_too_large"))
    );
    let rows = r#"{"features": [[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, 0.2]]}"#;
    let (r, v) = call(&s, "POST", "/predict", rows);
    assert_eq!(
        (r.status, v["error"]["code"].clone()),
        (413, json!("too_many_rows"))
    );
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most 3"));
}

#[test]
fn bad_requests_do_not_disturb_good_ones() {
    let s = default_service();
    for _ in 0..3 {
        let (r, _) = call(&s, "POST", "/predict", r#"{"features": [1e999]}"#);
        assert_eq!(r.status, 400);
        let (r, _) = call(
            &s,
            "POST",
            "/predict",
            r#"{"features": ["a", null, {}, [], true, 1, 2, 3, 4, 5]}"#,
        );
        assert_eq!(r.status, 400);
        let (r, v) = call(&s, "POST", "/predict", TEXTBOOK);
        assert_eq!((r.status, v["prediction"].clone()), (200, json!(0)));
    }
}

#[test]
fn cors() {
    let open = default_service();
    let r = handle(&open, "OPTIONS", "/predict", Some("https://x.test"), b"");
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, PUT, OPTIONS")
    );
    assert!(r
        .header("access-control-allow-headers")
        .unwrap()
        .contains("content-type"));
    let closed = service(ServiceConfig {
        allowed_origins: vec!["https://app.test".into()],
        ..Default::default()
    });
    let ok = handle(&closed, "GET", "/models", Some("https://app.test"), b"");
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.test")
    );
    assert_eq!(ok.header("vary"), Some("origin"));
    let denied = handle(
        &closed,
        "OPTIONS",
        "/models",
        Some("https://evil.test"),
        b"",
    );
    assert_eq!(denied.header("access-control-allow-origin"), None);
    assert_eq!(denied.header("access-control-allow-methods"), None);
}

#[test]
fn no_default_model_is_a_clear_404() {
    let s = service(ServiceConfig::default());
    let (r, v) = call(&s, "POST", "/predict", TEXTBOOK);
    assert_eq!(r.status, 404);
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/models/{name}/predict"));
}

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

// ---- Open Inference Protocol v2 ------------------------------------------------------------

#[test]
fn v2_server_and_health() {
    let s = default_service();
    let (r, v) = call(&s, "GET", "/v2", "");
    assert_eq!((r.status, v["name"].clone()), (200, json!("wasmpredict")));
    let (r, v) = call(&s, "GET", "/v2/health/live", "");
    assert_eq!((r.status, v["live"].clone()), (200, json!(true)));
    let (r, v) = call(&s, "GET", "/v2/health/ready", "");
    assert_eq!((r.status, v["ready"].clone()), (200, json!(true)));
    let (r, _) = call(&s, "POST", "/v2/health/live", "");
    assert_eq!(r.status, 405);
}

#[test]
fn v2_model_metadata_declares_one_input_per_field() {
    let s = default_service();
    let (r, v) = call(&s, "GET", "/v2/models/churn", "");
    assert_eq!(r.status, 200);
    assert_eq!(v["name"], json!("churn"));
    assert_eq!(v["versions"], json!(["1.0.0", "1.1.0"]));
    assert_eq!(
        v["inputs"][0],
        json!({"name": "tenure", "datatype": "FP64", "shape": [-1]})
    );
    assert_eq!(
        v["inputs"][4],
        json!({"name": "contract", "datatype": "BYTES", "shape": [-1]})
    );
    assert_eq!(
        v["outputs"][0],
        json!({"name": "label", "datatype": "INT64", "shape": [-1]})
    );
    assert_eq!(
        v["outputs"][1],
        json!({"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]})
    );
    let (_, v) = call(&s, "GET", "/v2/models/news/versions/1.0.0", "");
    assert_eq!(v["outputs"][0]["datatype"], json!("BYTES"));
    let (r, v) = call(&s, "GET", "/v2/models/news/versions/9.9.9", "");
    assert_eq!(
        (r.status, v["code"].clone()),
        (404, json!("model_not_found"))
    );
    assert!(v["error"].as_str().unwrap().contains("9.9.9"));
    let (r, v) = call(&s, "GET", "/v2/models/iris/ready", "");
    assert_eq!((r.status, v["ready"].clone()), (200, json!(true)));
    let (r, _) = call(&s, "GET", "/v2/models/nope/ready", "");
    assert_eq!(r.status, 404);
}

#[test]
fn v2_infer_with_named_inputs() {
    let s = default_service();
    let body = json!({
        "id": "req-1",
        "inputs": [
            {"name": "sepal_length", "shape": [2], "datatype": "FP64", "data": [5.1, 6.7]},
            {"name": "sepal_width", "shape": [2], "datatype": "FP64", "data": [3.5, 3.0]},
            {"name": "petal_length", "shape": [2, 1], "datatype": "FP32", "data": [[1.4], [5.2]]},
            {"name": "petal_width", "shape": [2], "datatype": "FP64", "data": [0.2, 2.3]}
        ]
    });
    let (r, v) = call(&s, "POST", "/v2/models/iris/infer", &body.to_string());
    assert_eq!(r.status, 200, "{v}");
    assert_eq!(v["model_name"], json!("iris"));
    assert_eq!(v["model_version"], json!("1.0.0"));
    assert_eq!(v["id"], json!("req-1"));
    assert_eq!(
        v["outputs"][0],
        json!({"name": "label", "datatype": "INT64", "shape": [2], "data": [0, 2]})
    );
    assert_eq!(v["outputs"][1]["shape"], json!([2, 3]));
    assert_eq!(v["outputs"][1]["data"].as_array().unwrap().len(), 6);
    // Same numbers as /predict.
    let (_, p) = call(
        &s,
        "POST",
        "/models/iris/predict",
        r#"{"features": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#,
    );
    let flat: Vec<Value> = p["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().clone())
        .collect();
    assert_eq!(v["outputs"][1]["data"], json!(flat));
    assert!(r.header("server-timing").is_some());
}

#[test]
fn v2_infer_with_positional_features_and_text() {
    let s = default_service();
    let body = json!({"inputs": [{"name": "input", "shape": [1, 10], "datatype": "FP32",
        "data": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}],
        "outputs": [{"name": "probabilities"}]});
    let (r, v) = call(
        &s,
        "POST",
        "/v2/models/rf-classification/versions/1.0.0/infer",
        &body.to_string(),
    );
    assert_eq!(r.status, 200, "{v}");
    assert_eq!(v["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(v["outputs"][0]["data"], json!([0.97, 0.03]));
    let body = json!({"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["A wonderful film.", "A dull mess."]}]});
    let (r, v) = call(&s, "POST", "/v2/models/news/infer", &body.to_string());
    assert_eq!(r.status, 200, "{v}");
    assert_eq!(v["outputs"][0]["data"], json!(["fresh", "rotten"]));
}

#[test]
fn v2_infer_errors() {
    let s = default_service();
    let cases = [
        (
            json!({"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}),
            "wrong_feature_count",
        ),
        (
            json!({"inputs": [{"name": "sepal_length", "shape": [2], "datatype": "FP64", "data": [1.0]}]}),
            "wrong_feature_count",
        ),
        (
            json!({"inputs": [{"name": "petal_size", "shape": [1], "datatype": "FP64", "data": [1.0]}, {"name": "sepal_length", "shape": [1], "datatype": "FP64", "data": [1.0]}]}),
            "unknown_field",
        ),
        (
            json!({"inputs": [{"name": "sepal_length", "shape": [1], "datatype": "FP64", "data": [1.0]}]}),
            "missing_field",
        ),
        (json!({"inputs": []}), "empty_batch"),
        // Found by schemathesis: a shape whose product overflows.
        (
            json!({"inputs": [{"name": "x", "shape": [2739, 38578, 46642, 3742923], "datatype": "FP32", "data": []}]}),
            "wrong_feature_count",
        ),
        (json!({"instances": []}), "unknown_body_shape"),
        (
            json!({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}], "outputs": [{"name": "logits"}]}),
            "unknown_field",
        ),
        // Datatypes (issue 12, item 5): one the protocol does not define, none, values that
        // are not of the datatype, and a datatype that does not suit the field.
        (
            json!({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP128", "data": [1, 2, 3, 4]}]}),
            "wrong_type",
        ),
        (
            json!({"inputs": [{"name": "input", "shape": [1, 4], "data": [1, 2, 3, 4]}]}),
            "wrong_type",
        ),
        (
            json!({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "INT32", "data": [1, 2.5, 3, 4]}]}),
            "wrong_type",
        ),
        (
            json!({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "UINT8", "data": [1, 2, 3, 300]}]}),
            "wrong_type",
        ),
        (
            json!({"inputs": [
                {"name": "sepal_length", "shape": [1], "datatype": "BYTES", "data": ["5.1"]},
                {"name": "sepal_width", "shape": [1], "datatype": "FP64", "data": [3.5]},
                {"name": "petal_length", "shape": [1], "datatype": "FP64", "data": [1.4]},
                {"name": "petal_width", "shape": [1], "datatype": "FP64", "data": [0.2]}]}),
            "wrong_type",
        ),
    ];
    for (body, code) in cases {
        let (r, v) = call(&s, "POST", "/v2/models/iris/infer", &body.to_string());
        assert_eq!(r.status, 400, "{body}: {v}");
        // KServe's error shape on /v2 routes: the message as a string, code and field beside it.
        assert_eq!(v["code"], json!(code), "{body}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
}

// ---- graphs outside the compact engine ------------------------------------------------------

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
        .args(["--addr", &format!("127.0.0.1:{port}")])
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
