//! The request/response contract: textbook examples, every request shape, every error class.

mod common;

use common::*;
use serde_json::{json, Value};
use wasmpredict::{ApiError, Predictor, Response};

/// The typed answer to body bytes, as `wasmpredict predict` computes it for each line.
fn predict_bytes(p: &Predictor, body: &[u8]) -> Result<Response, ApiError> {
    wasmpredict::api::parse_body(body).and_then(|body| p.predict(&body))
}

fn error(p: &Predictor, body: Value) -> (String, Option<String>, String) {
    let e = ask(p, body.clone()).expect_err(&format!("{body} should be refused"));
    let e = &e["error"];
    (
        e["code"].as_str().expect("code").to_string(),
        e["field"].as_str().map(str::to_string),
        e["message"].as_str().expect("message").to_string(),
    )
}

#[test]
fn textbook_iris_request() {
    let r = ask(&model("iris"), json!({"features": [5.1, 3.5, 1.4, 0.2]})).expect("ok");
    assert_eq!(r["prediction"], json!(0));
    assert_eq!(r["classes"], json!([0, 1, 2]));
    assert_eq!(r["model"], json!("iris"));
    assert_eq!(r["version"], json!("1.0.0"));
    let p: Vec<f64> = serde_json::from_value(r["probabilities"].clone()).expect("probabilities");
    assert_eq!(p.len(), 3);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    assert!(p[0] > 0.9);
}

#[test]
fn textbook_random_forest_request_gives_sklearns_answer() {
    let r = ask(
        &model("rf-classification"),
        json!({"features": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}),
    )
    .expect("ok");
    assert_eq!(r["prediction"], json!(0));
    // 97 of 100 trees: f32 shortest digits print exactly sklearn's 0.97 / 0.03.
    assert_eq!(r["probabilities"], json!([0.97, 0.03]));
}

#[test]
fn churn_partial_record_is_imputed() {
    let r = ask(
        &model("churn"),
        json!({"record": {"tenure": 12, "contract": "month-to-month"}}),
    )
    .expect("ok");
    assert!(r["prediction"] == json!(0) || r["prediction"] == json!(1));
    let short = r["probabilities"][1].as_f64().expect("p");
    let long = ask(
        &model("churn"),
        json!({"record": {"tenure": 70, "contract": "two-year"}}),
    )
    .expect("ok");
    assert!(
        long["probabilities"][1].as_f64().expect("p") < short,
        "long two-year customers churn less"
    );
}

#[test]
fn news_text_gives_a_sentiment() {
    let p = model("news");
    let good = ask(
        &p,
        json!({"record": {"text": "A wonderful, moving and beautifully acted film."}}),
    )
    .expect("ok");
    let bad = ask(
        &p,
        json!({"features": ["A dull, lifeless and boring mess."]}),
    )
    .expect("ok");
    assert_eq!(good["prediction"], json!("fresh"));
    assert_eq!(bad["prediction"], json!("rotten"));
    assert_eq!(good["classes"], json!(["fresh", "rotten"]));
}

#[test]
fn every_request_shape_agrees() {
    let p = model("iris");
    let a = [5.1, 3.5, 1.4, 0.2];
    let b = [6.7, 3.0, 5.2, 2.3];
    let rec = |x: [f64; 4]| json!({"sepal_length": x[0], "sepal_width": x[1], "petal_length": x[2], "petal_width": x[3]});
    let single = ask(&p, json!({"features": a})).expect("ok");
    let record = ask(&p, json!({"record": rec(a)})).expect("ok");
    assert_eq!(single, record);
    let batches = [
        json!({"features": [a, b]}),
        json!({"instances": [rec(a), b]}),
        json!({"dataframe_split": {"columns": ["petal_width", "petal_length", "sepal_width", "sepal_length"],
            "data": [[a[3], a[2], a[1], a[0]], [b[3], b[2], b[1], b[0]]]}}),
    ];
    for body in batches {
        let r = ask(&p, body.clone()).expect("ok");
        assert_eq!(r["predictions"], json!([0, 2]), "{body}");
        assert_eq!(r["probabilities"][0], single["probabilities"], "{body}");
        assert_eq!(r["probabilities"].as_array().map(Vec::len), Some(2));
        assert!(r.get("prediction").is_none());
    }
    // A one-row batch shape still answers as a batch.
    let one = ask(&p, json!({"instances": [a]})).expect("ok");
    assert_eq!(one["predictions"], json!([0]));
}

#[test]
fn regression_and_scores_responses() {
    let ridge = predictor(&fixture("ridge"));
    let r = ask(&ridge, json!({"features": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})).expect("ok");
    assert!(r["prediction"].is_number());
    assert!(r.get("probabilities").is_none() && r.get("classes").is_none());
    let svc = predictor(&fixture("linear-svc-multiclass"));
    let r = ask(&svc, json!({"features": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]})).expect("ok");
    assert_eq!(r["scores"].as_array().map(Vec::len), Some(3));
    assert!(r.get("probabilities").is_none());
}

#[test]
fn wrong_feature_count() {
    let (code, field, msg) = error(&model("iris"), json!({"features": [5.1, 3.5, 1.4]}));
    assert_eq!(code, "wrong_feature_count");
    assert_eq!(field.as_deref(), Some("features"));
    assert!(
        msg.contains("expected 4 values") && msg.contains("got 3") && msg.contains("sepal_length"),
        "{msg}"
    );
    let (code, _, msg) = error(
        &model("iris"),
        json!({"features": [[5.1, 3.5, 1.4, 0.2], [1.0]]}),
    );
    assert_eq!(code, "wrong_feature_count");
    assert!(msg.starts_with("row 1:"), "{msg}");
}

#[test]
fn string_where_a_number_belongs() {
    let (code, field, msg) = error(&model("iris"), json!({"features": [5.1, "3.5", 1.4, 0.2]}));
    assert_eq!(code, "wrong_type");
    assert_eq!(field.as_deref(), Some("sepal_width"));
    assert!(
        msg.contains("sepal_width") && msg.contains("must be a number") && msg.contains("\"3.5\""),
        "{msg}"
    );
    let (code, field, _) = error(&model("churn"), json!({"record": {"tenure": true}}));
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("wrong_type", Some("tenure"))
    );
    let (code, field, _) = error(&model("churn"), json!({"record": {"contract": 2}}));
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("wrong_type", Some("contract"))
    );
}

#[test]
fn missing_value_without_imputer() {
    let (code, field, msg) = error(&model("iris"), json!({"features": [5.1, null, 1.4, 0.2]}));
    assert_eq!(code, "missing_value");
    assert_eq!(field.as_deref(), Some("sepal_width"));
    assert!(msg.contains("no imputer"), "{msg}");
}

#[test]
fn missing_and_unknown_fields() {
    let (code, field, msg) = error(
        &model("iris"),
        json!({"record": {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4}}),
    );
    assert_eq!(code, "missing_field");
    assert_eq!(field.as_deref(), Some("petal_width"));
    assert!(
        msg.contains("petal_width") && msg.contains("a number"),
        "{msg}"
    );
    let (code, field, msg) = error(
        &model("churn"),
        json!({"record": {"tenure": 3, "contrakt": "one-year"}}),
    );
    assert_eq!(code, "unknown_field");
    assert_eq!(field.as_deref(), Some("contrakt"));
    assert!(msg.contains("contract"), "lists the real fields: {msg}");
}

#[test]
fn unknown_category_under_handle_unknown_error() {
    let p = predictor(&fixture("onehot-error"));
    let body = json!({"record": {"plan": "platinum", "region": "north", "smoker": "no", "age": 30.0, "income": 20000.0, "visits": 2.0}});
    let (code, field, msg) = error(&p, body);
    assert_eq!(code, "unknown_category");
    assert_eq!(field.as_deref(), Some("plan"));
    assert!(
        msg.contains("\"platinum\"") && msg.contains("\"basic\""),
        "{msg}"
    );
}

#[test]
fn empty_text() {
    for text in ["", "   \n"] {
        let (code, field, msg) = error(&model("news"), json!({"record": {"text": text}}));
        assert_eq!(code, "empty_text");
        assert_eq!(field.as_deref(), Some("text"));
        assert!(msg.contains("empty"), "{msg}");
    }
}

#[test]
fn unknown_body_shapes() {
    let p = model("iris");
    for body in [
        json!({"inputs": [1, 2, 3, 4]}),
        json!([5.1, 3.5, 1.4, 0.2]),
        json!({}),
        json!({"features": [5.1, 3.5, 1.4, 0.2], "record": {}}),
        json!({"features": 5.1}),
        json!({"record": [1, 2]}),
        json!({"instances": [1, 2]}),
        json!({"dataframe_split": {"columns": ["sepal_length"]}}),
        json!({"features": [[5.1, 3.5, 1.4, 0.2], 1.0]}),
    ] {
        let (code, _, msg) = error(&p, body.clone());
        assert!(
            ["unknown_body_shape", "wrong_type", "wrong_feature_count"].contains(&code.as_str()),
            "{body}: {code} {msg}"
        );
        assert!(!msg.is_empty());
    }
    let (code, _, msg) = error(&p, json!({"inputs": [1, 2, 3, 4]}));
    assert_eq!(code, "unknown_body_shape");
    assert!(
        msg.contains("features") && msg.contains("record"),
        "names the accepted shapes: {msg}"
    );
}

#[test]
fn invalid_json_and_empty_batches() {
    let p = model("iris");
    let e = predict_bytes(&p, b"{\"features\": [5.1,").expect_err("invalid JSON");
    assert_eq!(
        serde_json::to_value(&e).expect("json")["code"],
        json!("invalid_json")
    );
    for body in [
        json!({"features": []}),
        json!({"instances": []}),
        json!({"dataframe_split": {"columns": [], "data": []}}),
    ] {
        let (code, _, _) = error(&p, body.clone());
        assert!(
            code == "empty_batch" || code == "wrong_feature_count",
            "{body}: {code}"
        );
    }
    let (code, _, _) = error(&p, json!({"instances": []}));
    assert_eq!(code, "empty_batch");
}

#[test]
fn bad_row_in_a_batch_is_named() {
    let (code, field, msg) = error(
        &model("iris"),
        json!({"instances": [[5.1, 3.5, 1.4, 0.2], {"sepal_length": "x"}]}),
    );
    assert_eq!(code, "wrong_type");
    assert_eq!(field.as_deref(), Some("sepal_length"));
    assert!(msg.starts_with("row 1:"), "{msg}");
}

#[test]
fn huge_numbers_are_refused_not_propagated() {
    // 1e400 is not representable: serde_json refuses it as invalid JSON.
    let p = model("iris");
    let e = predict_bytes(&p, br#"{"features": [1e400, 3.5, 1.4, 0.2]}"#).expect_err("refused");
    assert_eq!(
        serde_json::to_value(&e).expect("json")["code"],
        json!("invalid_json")
    );
}

#[test]
fn error_body_shape() {
    let e = ask(&model("iris"), json!({"features": [1]})).expect_err("refused");
    let obj = e.as_object().expect("object");
    assert_eq!(obj.len(), 1);
    let inner = e["error"].as_object().expect("error object");
    for key in inner.keys() {
        assert!(
            ["code", "message", "field"].contains(&key.as_str()),
            "unexpected key {key}"
        );
    }
}

/// `answer_json` (the fast request reader and the direct response writer that `/predict`, the
/// Worker and the page use) answers exactly the bytes serde_json writes for the typed response
/// to the parsed body, for every body shape, on every bundled model and fixture.
#[test]
fn fast_json_path_answers_the_same_bytes_as_the_serde_path() {
    let mut dirs = model_bundles();
    dirs.extend(bundles_in(&fixtures_dir()));
    for dir in dirs {
        let p = predictor(&dir);
        let golden = p.bundle().golden().expect("golden").expect("parses");
        let fields: Vec<String> = p.manifest().input.iter().map(|f| f.name.clone()).collect();
        let records: Vec<serde_json::Value> = golden
            .rows
            .iter()
            .take(7)
            .map(|r| serde_json::to_value(&r.input).unwrap())
            .collect();
        let positional: Vec<serde_json::Value> = records
            .iter()
            .map(|r| {
                serde_json::Value::Array(
                    fields
                        .iter()
                        .map(|f| r.get(f).cloned().unwrap_or(serde_json::Value::Null))
                        .collect(),
                )
            })
            .collect();
        let mut bodies = vec![
            serde_json::json!({ "record": records[0] }),
            serde_json::json!({ "instances": records }),
            serde_json::json!({ "features": positional[0] }),
            serde_json::json!({ "features": positional }),
            serde_json::json!({ "instances": positional }),
        ];
        bodies.push(serde_json::json!({ "instances": [positional[0]] }));
        for body in bodies {
            let bytes = serde_json::to_vec(&body).unwrap();
            let slow = predict_bytes(&p, &bytes).map(|r| serde_json::to_vec(&r).unwrap());
            let fast = p.answer_json(&bytes, usize::MAX, &|| 0.0).map(|a| a.json);
            match (slow, fast) {
                (Ok(a), Ok(b)) => assert_eq!(
                    String::from_utf8(a).unwrap(),
                    String::from_utf8(b).unwrap(),
                    "{}: {body}",
                    dir.display()
                ),
                (Err(a), Err(b)) => assert_eq!(a, b, "{}: {body}", dir.display()),
                (a, b) => panic!("{}: {body}: {a:?} vs {b:?}", dir.display()),
            }
        }
    }
}

/// A number past float32's range is refused in the same words by the fast numeric path, the
/// JSON-tree path and a featurized (scaled) column, naming the field.
#[test]
fn a_number_past_float32_is_refused_in_one_wording_on_every_path() {
    let iris = predictor(&model_dir("iris"));
    let fast = iris
        .answer_json(br#"{"features": [1, 1, 1e308, 1]}"#, 10_000, &|| 0.0)
        .unwrap_err();
    let tree = predict_bytes(&iris, br#"{"features": [1, 1, 1e308, 1]}"#).unwrap_err();
    let record = predict_bytes(
        &iris,
        br#"{"record": {"sepal_length": 1, "sepal_width": 1, "petal_length": 1e308, "petal_width": 1}}"#,
    )
    .unwrap_err();
    for e in [&fast, &tree, &record] {
        assert_eq!(e.code, wasmpredict::error::ErrorCode::NonFiniteNumber);
        assert_eq!(e.field.as_deref(), Some("petal_length"));
        assert_eq!(e.message, fast.message);
    }
    assert!(
        fast.message.contains("past float32's range"),
        "{}",
        fast.message
    );
}

/// Services that already call a churn model post the customer itself: a body whose every key is
/// a field is that record, answered exactly as `{"record": ...}`; anything else keeps the
/// explicit shapes' errors.
#[test]
fn a_bare_record_is_the_record_itself() {
    for (model, record) in [
        (
            "churn",
            json!({"tenure": 1, "contract": "month-to-month", "monthly_charges": 70.35, "payment_method": "electronic-check"}),
        ),
        (
            "iris",
            json!({"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}),
        ),
        ("news", json!({"text": "A wonderful, moving film."})),
    ] {
        let p = predictor(&model_dir(model));
        let explicit = p
            .answer_json(
                &serde_json::to_vec(&json!({ "record": record })).unwrap(),
                10,
                &|| 0.0,
            )
            .unwrap();
        let bare = p
            .answer_json(&serde_json::to_vec(&record).unwrap(), 10, &|| 0.0)
            .unwrap();
        assert_eq!(bare.json, explicit.json, "{model}");
        assert!(bare.single, "{model}");
        let mut with_explain = record.clone();
        with_explain["explain"] = json!(true);
        let explained = predict_bytes(&p, &serde_json::to_vec(&with_explain).unwrap()).unwrap();
        let explained = serde_json::to_value(&explained).unwrap();
        assert!(
            explained["explanation"]["contributions"].is_object(),
            "{model}"
        );
    }
    let iris = predictor(&model_dir("iris"));
    let (code, field, message) = error(
        &iris,
        json!({"sepal_length": 5.1, "sepal_width": 3.5, "petal_lenght": 1.4, "petal_width": 0.2}),
    );
    assert_eq!((code.as_str(), field), ("unknown_body_shape", None));
    assert!(message.contains("'petal_lenght' is not"), "{message}");
    let (code, field, _) = error(
        &iris,
        json!({"sepal_length": "long", "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("wrong_type", Some("sepal_length"))
    );
    let (code, field, _) = error(
        &iris,
        json!({"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4}),
    );
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("missing_field", Some("petal_width"))
    );
    let (code, _, _) = error(&iris, json!({}));
    assert_eq!(code, "unknown_body_shape");
}
