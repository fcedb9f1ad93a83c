//! Explanations (`"explain": true`) through the predictor and the HTTP routes: on every golden
//! row of the committed bundles, the base value plus the contributions is the raw score behind
//! the golden probabilities (a forest's probability as it is, a logistic model's through the
//! sigmoid or softmax); the answer's shapes (single, batch, OIP); and the refusals.
//! (tests/python/test_explain.py compares the values with the shap package.)

mod common;

use common::*;
use serde_json::{json, Value};
use wasmpredict::http::{HttpRequest, RequestBody, Service, ServiceConfig};
use wasmpredict::{Bundle, Predictor};

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn softmax(xs: &[f64]) -> Vec<f64> {
    let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = xs.iter().map(|x| (x - max).exp()).collect();
    let total: f64 = e.iter().sum();
    e.iter().map(|x| x / total).collect()
}

fn as_vec(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap()).collect(),
        x => vec![x.as_f64().unwrap()],
    }
}

/// base + Σ contributions, per reported output.
fn raw_score(explanation: &Value) -> Vec<f64> {
    let mut raw = as_vec(&explanation["base_value"]);
    for c in explanation["contributions"].as_object().unwrap().values() {
        for (r, x) in raw.iter_mut().zip(as_vec(c)) {
            *r += x;
        }
    }
    raw
}

#[test]
fn contributions_add_up_to_the_score_behind_every_golden_answer() {
    // How each committed model's probabilities follow from its raw score.
    type Probabilities = fn(&[f64]) -> Vec<f64>;
    let cases: [(&str, Probabilities); 5] = [
        ("iris", |raw| softmax(raw)),
        ("rf-classification", |raw| vec![1.0 - raw[0], raw[0]]),
        ("churn/1.0.0", |raw| {
            vec![1.0 - sigmoid(raw[0]), sigmoid(raw[0])]
        }),
        ("churn/1.1.0", |raw| {
            vec![1.0 - sigmoid(raw[0]), sigmoid(raw[0])]
        }),
        ("news", |raw| vec![1.0 - sigmoid(raw[0]), sigmoid(raw[0])]),
    ];
    for (dir, probabilities) in cases {
        let bundle = Bundle::from_dir(root().join("models").join(dir)).unwrap();
        let golden = bundle.golden().unwrap().unwrap();
        let predictor = Predictor::new(bundle).unwrap();
        let fields: Vec<String> = predictor
            .manifest()
            .input
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let records: Vec<Value> = golden
            .rows
            .iter()
            .map(|r| Value::Object(r.input.clone()))
            .collect();
        let body = json!({"instances": records, "explain": true});
        let answer = serde_json::to_value(predictor.predict(&body).unwrap()).unwrap();
        let explanations = answer["explanations"].as_array().unwrap();
        assert_eq!(explanations.len(), golden.rows.len(), "{dir}");
        for (row, e) in golden.rows.iter().zip(explanations) {
            let names: Vec<&String> = e["contributions"].as_object().unwrap().keys().collect();
            let mut sorted_fields: Vec<&String> = fields.iter().collect();
            sorted_fields.sort();
            let mut sorted_names = names.clone();
            sorted_names.sort();
            assert_eq!(
                sorted_names, sorted_fields,
                "{dir}: one contribution per raw field"
            );
            let expected = row.probabilities.as_ref().unwrap();
            let got = probabilities(&raw_score(e));
            for (g, x) in got.iter().zip(expected) {
                assert!(
                    (g - x).abs() < 1e-5,
                    "{dir}: {got:?} from the explanation, sklearn says {expected:?}"
                );
            }
        }
    }
}

fn service() -> Service {
    let mut s = Service::new(ServiceConfig::default());
    s.add_models(wasmpredict::bundle::layout::discover(&root().join("models")).unwrap())
        .unwrap();
    s
}

fn post(s: &Service, path: &str, body: &Value) -> (u16, Value) {
    let bytes = body.to_string().into_bytes();
    let req = HttpRequest {
        method: "POST",
        path,
        headers: &[],
        body: RequestBody::Bytes(&bytes),
        received_ms: 0,
    };
    let r = s.handle_with(&req, &|| 0.0, |e| Err(format!("no state here: {e:?}")));
    (r.status, serde_json::from_slice(&r.body).unwrap())
}

#[test]
fn every_body_shape_and_the_open_inference_protocol_take_explain() {
    let s = service();
    let iris = [6.7, 3.0, 5.2, 2.3];
    // The positional shape the fast path reads must not drop the flag.
    let (status, single) = post(
        &s,
        "/models/iris/predict",
        &json!({"features": iris, "explain": true}),
    );
    assert_eq!(status, 200, "{single}");
    let e = &single["explanation"];
    assert_eq!(
        as_vec(&e["base_value"]).len(),
        3,
        "multiclass: one value per class"
    );
    assert_eq!(as_vec(&e["contributions"]["petal_length"]).len(), 3);
    let (_, batch) = post(
        &s,
        "/models/iris/predict",
        &json!({"features": [iris, iris], "explain": true}),
    );
    assert_eq!(batch["explanations"][1], *e);
    let (_, plain) = post(&s, "/models/iris/predict", &json!({"features": iris}));
    assert!(plain.get("explanation").is_none());
    let inputs: Vec<Value> = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        .iter()
        .zip(iris)
        .map(|(n, x)| json!({"name": n, "shape": [1], "datatype": "FP64", "data": [x]}))
        .collect();
    let (status, v2) = post(
        &s,
        "/v2/models/iris/infer",
        &json!({"inputs": inputs, "parameters": {"explain": true}}),
    );
    assert_eq!(status, 200, "{v2}");
    assert_eq!(v2["parameters"]["explanations"][0], *e);
    // Binary: the positive class's score, one number per field; a text lists its terms.
    let (status, news) = post(
        &s,
        "/models/news/predict",
        &json!({"record": {"text": "a dull, tedious and lifeless film"}, "explain": true}),
    );
    assert_eq!(status, 200, "{news}");
    let terms = news["explanation"]["terms"]["text"].as_array().unwrap();
    assert!(!terms.is_empty() && terms.len() <= 5, "{news}");
    assert!(news["explanation"]["contributions"]["text"].is_number());
    let listed: Vec<&str> = terms.iter().map(|t| t["term"].as_str().unwrap()).collect();
    assert!(
        listed.contains(&"dull") || listed.contains(&"tedious"),
        "{listed:?}"
    );
    // Each listed term says where it is in the text (code points); one that is absent, nowhere.
    let text: Vec<char> = "a dull, tedious and lifeless film".chars().collect();
    for t in terms {
        let term = t["term"].as_str().unwrap();
        let spans = t["spans"].as_array().expect("spans");
        let found: Vec<String> = spans
            .iter()
            .map(|s| {
                let (a, b) = (
                    s[0].as_u64().unwrap() as usize,
                    s[1].as_u64().unwrap() as usize,
                );
                text[a..b].iter().collect()
            })
            .collect();
        let present = ["dull", "tedious", "and", "lifeless", "film"].contains(&term);
        assert_eq!(
            found,
            if present {
                vec![term.to_string()]
            } else {
                vec![]
            },
            "{t}"
        );
    }
    // Offsets count code points of the text as sent, whatever lowercasing does to it.
    let (_, upper) = post(
        &s,
        "/models/news/predict",
        &json!({"record": {"text": "Éé DULL, tedious"}, "explain": true}),
    );
    let dull = upper["explanation"]["terms"]["text"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == "dull")
        .cloned()
        .unwrap_or_else(|| panic!("{upper}"));
    assert_eq!(dull["spans"], json!([[3, 7]]));
}

#[test]
fn bad_flags_and_bundles_without_explanation_data_are_refused() {
    let s = service();
    // At most MAX_ROWS explained rows per request (the same rows without the flag are fine).
    let max = wasmpredict::explain::MAX_ROWS;
    let rows = |n: usize| json!(vec![[5.1, 3.5, 1.4, 0.2]; n]);
    let (status, v) = post(
        &s,
        "/models/iris/predict",
        &json!({"features": rows(max + 1), "explain": true}),
    );
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_many_rows");
    assert_eq!(v["error"]["field"], "explain");
    let (status, v) = post(
        &s,
        "/models/iris/predict",
        &json!({"features": rows(max), "explain": true}),
    );
    assert_eq!(status, 200);
    assert_eq!(v["explanations"].as_array().unwrap().len(), max);
    let (status, _) = post(
        &s,
        "/models/iris/predict",
        &json!({"features": rows(max + 1)}),
    );
    assert_eq!(status, 200);
    for (path, body, field) in [
        (
            "/models/iris/predict",
            json!({"features": [5.1, 3.5, 1.4, 0.2], "explain": 1}),
            "explain",
        ),
        (
            "/v2/models/iris/infer",
            json!({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}], "parameters": {"explain": "yes"}}),
            "parameters.explain",
        ),
    ] {
        let (status, v) = post(&s, path, &body);
        assert_eq!(status, 400, "{v}");
        let error = if path.starts_with("/v2") {
            v.clone()
        } else {
            v["error"].clone()
        };
        assert_eq!(error["code"], "wrong_type", "{v}");
        assert_eq!(error["field"], field, "{v}");
    }
    // A format-2 bundle (no explain.json) predicts, and refuses to explain.
    let dir = copy_bundle(&root().join("models/iris"), "no-explain");
    edit_json(&dir.join("manifest.json"), |m| {
        m["format_version"] = json!(2);
        let o = m.as_object_mut().unwrap();
        o.remove("explain");
        o["files"].as_object_mut().unwrap().remove("explain.json");
    });
    std::fs::remove_file(dir.join("explain.json")).unwrap();
    let p = Predictor::new(Bundle::from_dir(&dir).unwrap()).unwrap();
    let e = p
        .predict(&json!({"features": [5.1, 3.5, 1.4, 0.2], "explain": true}))
        .unwrap_err();
    assert_eq!(
        serde_json::to_value(e.code).unwrap(),
        json!("explanation_unavailable")
    );
    assert_eq!(e.field.as_deref(), Some("explain"));
    assert!(e.message.contains("format version 2"), "{}", e.message);
    assert!(p
        .predict(&json!({"features": [5.1, 3.5, 1.4, 0.2]}))
        .is_ok());
}
