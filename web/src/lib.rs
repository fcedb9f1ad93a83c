//! The browser's face of the core: a wasm-bindgen class over [`wasmpredict::Predictor`]. The ES
//! module `web/js/predictor.js` wraps it (bundle fetching, `Predictor.load`, choosing the build);
//! this file only converts JS values to and from the core's types. Errors become JS `Error`s
//! carrying the core error's `code` and `field`; nothing here panics.
//!
//! The crate builds twice: without features it is the compact engine alone (the small wasm every
//! page loads); with `tract` it can also load graphs the compact engine does not cover.

use serde::Serialize;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasmpredict::drift::Tally;
use wasmpredict::error::{wire_name, BundleErrorCode, ErrorCode};
use wasmpredict::infer::{Engine, Outputs, Second};
use wasmpredict::{ApiError, Bundle, BundleError, Predictor};

#[wasm_bindgen]
pub struct WasmPredictor {
    inner: Predictor,
    /// `classes` as a JS array, built once for the typed-array answers.
    classes: JsValue,
}

fn js_error(code: &str, message: &str, field: Option<&str>) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    if let Some(f) = field {
        let _ = js_sys::Reflect::set(&error, &"field".into(), &f.into());
    }
    error.into()
}

fn api_error(e: &ApiError) -> JsValue {
    js_error(&e.code.name(), &e.message, e.field.as_deref())
}

fn bundle_error(e: &BundleError) -> JsValue {
    // predictor.js answers `needs_tract` by loading the tract-enabled build.
    js_error(&wire_name(&e.code()), &e.to_string(), None)
}

fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            js_error(
                &ErrorCode::InferenceFailed.name(),
                &format!("cannot convert the answer: {e}"),
                None,
            )
        })
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &key.into(), value);
}

#[wasm_bindgen]
impl WasmPredictor {
    /// Builds a predictor from a bundle's `manifest.json` bytes and its other files, verifying
    /// format version and sha256 exactly as the server does. `engine` ("compact" or "tract")
    /// forces an engine; by default the compact engine takes every graph it covers.
    #[wasm_bindgen(js_name = fromFiles)]
    pub fn from_files(
        manifest: &[u8],
        names: Vec<String>,
        contents: Vec<js_sys::Uint8Array>,
        engine: Option<String>,
    ) -> Result<WasmPredictor, JsValue> {
        if names.len() != contents.len() {
            return Err(js_error(
                &wire_name(&BundleErrorCode::InvalidBundle),
                "names and contents differ in length",
                None,
            ));
        }
        let engine = engine
            .map(|e| e.parse::<Engine>())
            .transpose()
            .map_err(|e| js_error(&wire_name(&BundleErrorCode::InvalidBundle), &e, None))?;
        // Inserted one by one: collecting into a BTreeMap would link a sort for nothing.
        let mut files = BTreeMap::new();
        for (name, bytes) in names.into_iter().zip(contents.iter()) {
            files.insert(name, bytes.to_vec());
        }
        let bundle = Bundle::from_files(manifest, files).map_err(|e| bundle_error(&e))?;
        let inner = Predictor::with_engine(bundle, engine).map_err(|e| bundle_error(&e))?;
        let classes = to_js(&inner.manifest().classes)?;
        Ok(WasmPredictor { inner, classes })
    }

    /// The engines this build has: `["compact"]`, or `["compact", "tract"]`.
    pub fn engines() -> Vec<String> {
        [Engine::Compact, Engine::Tract]
            .into_iter()
            .filter(|e| e.is_available())
            .map(|e| e.to_string())
            .collect()
    }

    /// The engine evaluating this bundle: "compact" or "tract".
    pub fn engine(&self) -> String {
        self.inner.engine().to_string()
    }

    /// Predicts for a request body as JSON text (the same shapes as `POST /predict`), returning
    /// the same response as JSON text. JSON text, not JS objects, crosses the boundary: V8's
    /// `JSON.stringify`/`JSON.parse` plus the core's JSON reader and writer are several times
    /// faster than converting a 1000-row batch value by value (BENCHMARKS.md), and the request
    /// is then byte-for-byte what the HTTP API would receive.
    #[wasm_bindgen(js_name = predictJson)]
    pub fn predict_json(&self, body: &str) -> Result<String, JsValue> {
        let answer = self
            .inner
            .answer_json(body.as_bytes(), usize::MAX, &|| 0.0)
            .map_err(|e| api_error(&e))?;
        String::from_utf8(answer.json).map_err(|e| {
            js_error(
                &ErrorCode::InferenceFailed.name(),
                &format!("cannot encode the answer: {e}"),
                None,
            )
        })
    }

    /// Predicts `rows` rows of the schema's numeric fields, row-major in `values` (NaN: a
    /// missing value). Answers `{labels: Uint32Array (index into classes), probabilities or
    /// scores: Float32Array (rows x classes), classes}` or, for regression, `{values}`.
    #[wasm_bindgen(js_name = predictArray)]
    pub fn predict_array(&self, values: &[f32], rows: usize) -> Result<js_sys::Object, JsValue> {
        let outputs = self
            .inner
            .predict_f32(values, rows)
            .map_err(|e| api_error(&e))?;
        let answer = js_sys::Object::new();
        match outputs {
            Outputs::Regression { values } => {
                set(
                    &answer,
                    "values",
                    &js_sys::Float32Array::from(&values[..]).into(),
                );
            }
            Outputs::Classification {
                labels,
                values,
                kind,
                ..
            } => {
                let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
                set(
                    &answer,
                    "labels",
                    &js_sys::Uint32Array::from(&labels[..]).into(),
                );
                let key = match kind {
                    Second::Probabilities => "probabilities",
                    Second::Scores => "scores",
                };
                set(
                    &answer,
                    key,
                    &js_sys::Float32Array::from(&values[..]).into(),
                );
                set(&answer, "classes", &self.classes);
            }
        }
        Ok(answer)
    }

    /// The raw input schema: `[{name, type, nullable, stats}]`.
    pub fn schema(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.manifest().input)
    }

    /// What `GET /models/{name}` returns: name, version, task, classes, schema, hashes, size,
    /// engine.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        to_js(&wasmpredict::api::describe(&self.inner))
    }

    /// A tally of rows against the bundle's training profile (docs/drift.md). Throws an `Error`
    /// with code `no_profile` for a bundle without one (format version 1) or with a bad one.
    #[wasm_bindgen(js_name = driftTally)]
    pub fn drift_tally(&self) -> Result<WasmDriftTally, JsValue> {
        Tally::new(self.inner.manifest())
            .map(|inner| WasmDriftTally { inner })
            .map_err(|e| js_error("no_profile", &e.to_string(), None))
    }
}

/// Rows counted against a bundle's training profile, for a drift report computed in the page.
#[wasm_bindgen]
pub struct WasmDriftTally {
    inner: Tally,
}

#[wasm_bindgen]
impl WasmDriftTally {
    /// Counts one record (a request's `record`, as JSON text) with the prediction the model
    /// gave it (the response's `prediction`, as JSON text). A record the predictor would refuse
    /// throws the same error.
    #[wasm_bindgen(js_name = addJson)]
    pub fn add_json(&mut self, record: &str, prediction: &str) -> Result<(), JsValue> {
        let parse = |text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map_err(|e| js_error(&ErrorCode::InvalidJson.name(), &e.to_string(), None))
        };
        let (record, prediction) = (parse(record)?, parse(prediction)?);
        self.inner
            .add_record(&record, &prediction)
            .map_err(|e| api_error(&e))
    }

    /// Rows counted so far.
    pub fn rows(&self) -> f64 {
        self.inner.rows() as f64
    }

    /// The drift report of the rows counted so far as JSON text; `undefined` before the first.
    #[wasm_bindgen(js_name = reportJson)]
    pub fn report_json(&self) -> Option<String> {
        self.inner
            .report()
            .and_then(|r| serde_json::to_string(&r).ok())
    }
}

/// The JS-facing class itself, in the wasm runtime (Node and headless Chromium).
#[cfg(test)]
mod tests {
    use super::WasmPredictor;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test;

    macro_rules! bundle {
        ($name:literal) => {{
            let m: &[u8] = include_bytes!(concat!("../../models/", $name, "/manifest.json"));
            let model: &[u8] = include_bytes!(concat!("../../models/", $name, "/model.onnx"));
            let golden: &[u8] = include_bytes!(concat!("../../models/", $name, "/golden.json"));
            let explain: &[u8] = include_bytes!(concat!("../../models/", $name, "/explain.json"));
            (m, model, golden, explain)
        }};
    }

    fn load(
        (manifest, model, golden, explain): (&[u8], &[u8], &[u8], &[u8]),
    ) -> Result<WasmPredictor, JsValue> {
        WasmPredictor::from_files(
            manifest,
            vec![
                "model.onnx".into(),
                "golden.json".into(),
                "explain.json".into(),
            ],
            vec![
                js_sys::Uint8Array::from(model),
                js_sys::Uint8Array::from(golden),
                js_sys::Uint8Array::from(explain),
            ],
            None,
        )
    }

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(text).expect("JSON")
    }

    fn js_json(value: &JsValue) -> serde_json::Value {
        let text = js_sys::JSON::stringify(value)
            .expect("stringify")
            .as_string()
            .expect("string");
        json(&text)
    }

    fn prop(value: &JsValue, key: &str) -> Option<String> {
        js_sys::Reflect::get(value, &key.into())
            .ok()
            .and_then(|v| v.as_string())
    }

    #[wasm_bindgen_test]
    fn textbook_forest_answers_like_sklearn() {
        let p = load(bundle!("rf-classification")).expect("loads");
        let r = p
            .predict_json(r#"{"features": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}"#)
            .expect("predicts");
        assert_eq!(
            json(&r),
            serde_json::json!({"prediction": 0, "probabilities": [0.97, 0.03], "classes": [0, 1], "model": "rf-classification", "version": "1.0.0"})
        );
    }

    #[wasm_bindgen_test]
    fn every_golden_row_of_every_model() {
        for (name, b) in [
            ("iris", bundle!("iris")),
            ("churn", bundle!("churn/1.0.0")),
            ("news", bundle!("news")),
            ("rf-classification", bundle!("rf-classification")),
        ] {
            let p = load(b).expect("loads");
            let golden: serde_json::Value = serde_json::from_slice(b.2).expect("golden");
            let tolerance = golden["tolerance"].as_f64().expect("tolerance");
            let rows = golden["rows"].as_array().expect("rows");
            let inputs: Vec<&serde_json::Value> = rows.iter().map(|r| &r["input"]).collect();
            let body = serde_json::json!({ "instances": inputs }).to_string();
            let answer = json(&p.predict_json(&body).expect("predicts"));
            for (i, row) in rows.iter().enumerate() {
                assert_eq!(
                    answer["predictions"][i], row["prediction"],
                    "{name} row {i}"
                );
                for (k, expected) in row["probabilities"]
                    .as_array()
                    .expect("probs")
                    .iter()
                    .enumerate()
                {
                    let got = answer["probabilities"][i][k].as_f64().expect("number");
                    assert!(
                        (got - expected.as_f64().expect("number")).abs() <= tolerance,
                        "{name} row {i}"
                    );
                }
            }
        }
    }

    #[wasm_bindgen_test]
    fn errors_are_js_errors_with_code_and_field() {
        let p = load(bundle!("iris")).expect("loads");
        let e = p
            .predict_json(r#"{"features": [5.1, "x", 1.4, 0.2]}"#)
            .expect_err("refused");
        assert!(e.is_instance_of::<js_sys::Error>());
        assert_eq!(prop(&e, "code").as_deref(), Some("wrong_type"));
        assert_eq!(prop(&e, "field").as_deref(), Some("sepal_width"));
        let e = p.predict_json(r#"{"nope": 1}"#).expect_err("refused");
        assert_eq!(prop(&e, "code").as_deref(), Some("unknown_body_shape"));
        // The predictor keeps answering after errors.
        assert!(p
            .predict_json(r#"{"features": [5.1, 3.5, 1.4, 0.2]}"#)
            .is_ok());
    }

    #[wasm_bindgen_test]
    fn schema_info_and_refused_bundles() {
        let p = load(bundle!("churn/1.0.0")).expect("loads");
        assert_eq!(js_json(&p.schema().expect("schema"))[0]["name"], "tenure");
        assert_eq!(js_json(&p.info().expect("info"))["name"], "churn");
        let (m, model, golden, explain) = bundle!("iris");
        let mut tampered = model.to_vec();
        tampered[10] ^= 1;
        let Err(e) = load((m, &tampered, golden, explain)) else {
            panic!("a tampered bundle loaded")
        };
        assert_eq!(prop(&e, "code").as_deref(), Some("invalid_bundle"));
    }

    fn get(value: &JsValue, key: &str) -> JsValue {
        js_sys::Reflect::get(value, &key.into()).expect("property")
    }

    #[wasm_bindgen_test]
    fn every_bundled_model_runs_on_the_compact_engine() {
        assert_eq!(WasmPredictor::engines(), ["compact"]);
        for b in [
            bundle!("iris"),
            bundle!("churn/1.0.0"),
            bundle!("news"),
            bundle!("rf-classification"),
        ] {
            let p = load(b).expect("loads");
            assert_eq!(p.engine(), "compact");
            assert_eq!(js_json(&p.info().expect("info"))["engine"], "compact");
        }
    }

    #[wasm_bindgen_test]
    fn typed_arrays_answer_like_the_json_path() {
        for b in [bundle!("iris"), bundle!("rf-classification")] {
            let p = load(b).expect("loads");
            let golden: serde_json::Value = serde_json::from_slice(b.2).expect("golden");
            let fields: Vec<String> = js_json(&p.schema().expect("schema"))
                .as_array()
                .expect("fields")
                .iter()
                .map(|f| f["name"].as_str().expect("name").to_string())
                .collect();
            let rows = golden["rows"].as_array().expect("rows");
            let values: Vec<f32> = rows
                .iter()
                .flat_map(|r| {
                    fields
                        .iter()
                        .map(move |f| r["input"][f].as_f64().expect("number") as f32)
                })
                .collect();
            let answer = p.predict_array(&values, rows.len()).expect("predicts");
            let labels = js_sys::Uint32Array::from(get(&answer, "labels")).to_vec();
            let probs = js_sys::Float32Array::from(get(&answer, "probabilities")).to_vec();
            let classes = js_json(&get(&answer, "classes"));
            let width = probs.len() / rows.len();
            for (i, row) in rows.iter().enumerate() {
                assert_eq!(classes[labels[i] as usize], row["prediction"], "row {i}");
                for (k, want) in row["probabilities"]
                    .as_array()
                    .expect("probs")
                    .iter()
                    .enumerate()
                {
                    let got = f64::from(probs[i * width + k]);
                    assert!(
                        (got - want.as_f64().expect("number")).abs() <= 1e-5,
                        "row {i}"
                    );
                }
            }
            // Wrong lengths and NaN where the model cannot impute are refused with a code.
            let e = p.predict_array(&values[..3], 1).expect_err("refused");
            assert_eq!(prop(&e, "code").as_deref(), Some("wrong_feature_count"));
            let mut bad = values[..fields.len()].to_vec();
            bad[0] = f32::NAN;
            let e = p.predict_array(&bad, 1).expect_err("refused");
            assert_eq!(prop(&e, "code").as_deref(), Some("missing_value"));
        }
        // A model with a category field takes JSON only.
        let p = load(bundle!("churn/1.0.0")).expect("loads");
        let e = p.predict_array(&[1.0; 8], 1).expect_err("refused");
        assert_eq!(prop(&e, "code").as_deref(), Some("wrong_type"));
    }
}
