//! `GET /models/{name}/monitor` through the core service, with the window kept in memory as
//! `wasmpredict serve` keeps it: statuses, error codes, the rolling window's eviction, the
//! OIP path, and drift flagged on exactly the shifted field. (The same scenario runs against
//! the native server and the Worker in workerd in tests/ops/scenario.mjs.)

mod common;

use common::*;
use serde_json::{json, Value};
use std::sync::Mutex;
use wasmpredict::http::{Effect, EffectDone, HttpRequest, RequestBody, Service, ServiceConfig};
use wasmpredict::ops::monitor::Window;

const TOKEN: &str = "monitor-test-token-0123456789";

struct Deployment {
    service: Service,
    window: Mutex<Window>,
}

impl Deployment {
    fn new(monitor_window: usize) -> Deployment {
        let mut service = Service::new(ServiceConfig {
            admin_token: Some(TOKEN.into()),
            monitor_window,
            ..Default::default()
        });
        service
            .add_models(wasmpredict::bundle::layout::discover(&root().join("models")).unwrap())
            .unwrap();
        Deployment {
            service,
            window: Mutex::new(Window::default()),
        }
    }

    fn call(&self, method: &str, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let req = HttpRequest {
            method,
            path,
            headers: &headers,
            body: RequestBody::Bytes(&bytes),
            received_ms: 0,
        };
        let r = self
            .service
            .handle_with(&req, &|| 0.0, |effect| match effect {
                Effect::ReadMonitor { model } => {
                    let mut window = self.window.lock().unwrap();
                    window.add(self.service.take_monitor());
                    Ok(EffectDone::Monitor(
                        window.models.get(model).cloned().unwrap_or_default(),
                    ))
                }
                other => Err(format!("not kept in this test: {other:?}")),
            });
        let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        (r.status, v)
    }

    fn monitor(&self, model: &str) -> Value {
        let (status, v) = self.call(
            "GET",
            &format!("/models/{model}/monitor"),
            &Value::Null,
            Some(TOKEN),
        );
        assert_eq!(status, 200, "{v}");
        v
    }
}

/// Iris' 150 training rows (its golden rows are the whole sample the profile was built from).
fn iris_rows() -> Vec<Value> {
    let golden: Value =
        serde_json::from_slice(&std::fs::read(model_dir("iris").join("golden.json")).unwrap())
            .unwrap();
    golden["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["input"].clone())
        .collect()
}

fn field<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {report}"))
}

#[test]
fn window_flags_the_shifted_field_then_forgets_it() {
    let d = Deployment::new(150);
    let shifted: Vec<Value> = iris_rows()
        .into_iter()
        .map(|mut r| {
            r["sepal_length"] = json!(r["sepal_length"].as_f64().unwrap() + 3.0);
            r
        })
        .collect();
    for chunk in shifted.chunks(50) {
        let (status, v) = d.call(
            "POST",
            "/models/iris/predict",
            &json!({ "instances": chunk }),
            None,
        );
        assert_eq!(status, 200, "{v}");
    }
    let m = d.monitor("iris");
    assert_eq!(m["model"], "iris");
    assert_eq!(m["window"], 150);
    let v = &m["versions"][0];
    assert_eq!(v["rows"], json!({"window": 150, "seen": 150}));
    assert_eq!(v["requests"]["by_status"], json!({"200": 3}));
    let drift = &v["drift"];
    assert_eq!(drift["rows"], 150);
    assert_eq!(field(drift, "sepal_length")["verdict"], "drift");
    for other in ["sepal_width", "petal_length", "petal_width"] {
        // The very rows of the training sample: exactly the training histogram.
        assert_eq!(field(drift, other)["psi"], 0.0, "{other}: {drift}");
    }
    let classes = v["predictions"]["classes"].as_array().unwrap();
    let rows: u64 = classes.iter().map(|c| c["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, 150);

    // The unshifted rows through the Open Inference Protocol push the shifted ones out.
    let rows = iris_rows();
    let column =
        |name: &str| -> Vec<f64> { rows.iter().map(|r| r[name].as_f64().unwrap()).collect() };
    let inputs: Vec<Value> = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        .iter()
        .map(|n| json!({"name": n, "shape": [150], "datatype": "FP64", "data": column(n)}))
        .collect();
    let (status, v) = d.call(
        "POST",
        "/v2/models/iris/infer",
        &json!({ "inputs": inputs }),
        None,
    );
    assert_eq!(status, 200, "{v}");
    let m = d.monitor("iris");
    let v = &m["versions"][0];
    assert_eq!(v["rows"], json!({"window": 150, "seen": 300}));
    assert_eq!(v["drift"]["drifted"], false, "{}", v["drift"]);
    for f in v["drift"]["fields"].as_array().unwrap() {
        assert_eq!(f["psi"], 0.0, "{f}");
    }
    assert_eq!(v["drift"]["predictions"]["psi"], 0.0);
}

#[test]
fn refused_requests_count_by_status_and_code() {
    let d = Deployment::new(100);
    let good = json!({"features": [5.1, 3.5, 1.4, 0.2]});
    for body in [
        good.clone(),
        json!({"features": [5.1, 3.5]}),
        json!({"record": {"sepal_length": "long"}}),
        json!({"features": [5.1, 3.5]}),
    ] {
        d.call("POST", "/models/iris/predict", &body, None);
    }
    let m = d.monitor("iris");
    let v = &m["versions"][0];
    assert_eq!(v["requests"]["window"], 4);
    assert_eq!(v["requests"]["by_status"], json!({"200": 1, "400": 3}));
    assert_eq!(
        v["requests"]["errors"],
        json!({"wrong_feature_count": 2, "wrong_type": 1})
    );
    assert!(v["requests"]["latency_ms"]["p99"].is_number(), "{v}");
    assert_eq!(v["rows"], json!({"window": 1, "seen": 1}));
    // Too few rows for a drift verdict to mean much, but the report is there.
    assert_eq!(v["drift"]["rows"], 1);

    // Off: nothing is kept.
    let off = Deployment::new(0);
    off.call("POST", "/models/iris/predict", &good, None);
    let v = &off.monitor("iris")["versions"][0];
    assert_eq!(v["requests"]["seen"], 0);
    assert_eq!(v["rows"]["seen"], 0);
    assert!(v["drift"].is_null());
}

#[test]
fn monitor_is_an_admin_route() {
    let d = Deployment::new(10);
    let (status, v) = d.call("GET", "/models/iris/monitor", &Value::Null, None);
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (401, json!("unauthorized"))
    );
    let (status, v) = d.call("GET", "/models/iris/monitor", &Value::Null, Some("wrong"));
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (403, json!("forbidden"))
    );
    let (status, v) = d.call("GET", "/models/nope/monitor", &Value::Null, Some(TOKEN));
    assert_eq!(
        (status, v["error"]["code"].clone()),
        (404, json!("model_not_found"))
    );
    let (status, _) = d.call("POST", "/models/iris/monitor", &json!({}), Some(TOKEN));
    assert_eq!(status, 405);
}
