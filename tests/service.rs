//! The HTTP routes of the core service (shared by `wasmpredict serve` and the Worker), in
//! process; cli/tests/native_server.rs runs `wasmpredict serve` over a real socket.

mod common;

use common::*;
use serde_json::{json, Value};
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

/// A page may send a traffic split's `sticky_header`, whatever its name: the preflight allows
/// the headers an allowed origin asks for (and nothing that is not a header list).
#[test]
fn cors_preflight_allows_the_headers_asked_for() {
    let open = default_service();
    let preflight = |asked: &str| {
        let headers = [
            ("origin", "https://app.test"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", asked),
        ];
        let req = HttpRequest {
            method: "OPTIONS",
            path: "/models/churn/predict",
            headers: &headers,
            body: RequestBody::Bytes(b""),
            received_ms: 0,
        };
        open.handle_with(&req, &|| 0.0, |e| Err(format!("no store: {e:?}")))
    };
    let r = preflight("X-Tenant, content-type");
    assert_eq!(r.status, 204);
    let allowed = r.header("access-control-allow-headers").unwrap();
    assert!(allowed.contains("x-tenant"), "{allowed}");
    assert!(
        allowed.contains("authorization") && allowed.contains("x-user-id"),
        "{allowed}"
    );
    assert_eq!(r.header("vary"), Some("access-control-request-headers"));
    let odd = preflight("x-tenant\r\nset-cookie: a=b");
    let allowed = odd.header("access-control-allow-headers").unwrap();
    assert_eq!(allowed, "content-type, authorization, x-user-id");
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
