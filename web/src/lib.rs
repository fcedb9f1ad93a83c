//! The browser's face of the core: a wasm-bindgen class over [`wasmpredict::Predictor`]. The ES
//! module `web/js/predictor.js` wraps it (bundle fetching, `Predictor.load`); this file only
//! converts JS values to and from the core's types. Errors become JS `Error`s carrying the core
//! error's `code` and `field`; nothing here panics.

use serde::Serialize;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasmpredict::api::ErrorBody;
use wasmpredict::{ApiError, Bundle, Predictor};

#[wasm_bindgen]
pub struct WasmPredictor {
    inner: Predictor,
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
    let code = serde_json::to_value(ErrorBody { error: e })
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| "inference_failed".into());
    js_error(&code, &e.message, e.field.as_deref())
}

fn to_js(value: &impl Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            js_error(
                "inference_failed",
                &format!("cannot convert the answer: {e}"),
                None,
            )
        })
}

#[wasm_bindgen]
impl WasmPredictor {
    /// Builds a predictor from a bundle's `manifest.json` bytes and its other files, verifying
    /// format version and sha256 exactly as the server does.
    #[wasm_bindgen(js_name = fromFiles)]
    pub fn from_files(
        manifest: &[u8],
        names: Vec<String>,
        contents: Vec<js_sys::Uint8Array>,
    ) -> Result<WasmPredictor, JsValue> {
        if names.len() != contents.len() {
            return Err(js_error(
                "invalid_bundle",
                "names and contents differ in length",
                None,
            ));
        }
        let files: BTreeMap<String, Vec<u8>> = names
            .into_iter()
            .zip(contents.iter().map(js_sys::Uint8Array::to_vec))
            .collect();
        let bundle = Bundle::from_files(manifest, files)
            .map_err(|e| js_error("invalid_bundle", &e.to_string(), None))?;
        let inner =
            Predictor::new(bundle).map_err(|e| js_error("invalid_bundle", &e.to_string(), None))?;
        Ok(WasmPredictor { inner })
    }

    /// Predicts for a request body as JSON text (the same shapes as `POST /predict`), returning
    /// the same response as JSON text. JSON text, not JS objects, crosses the boundary: V8's
    /// `JSON.stringify`/`JSON.parse` plus serde_json are several times faster than converting a
    /// 1000-row batch value by value (BENCHMARKS.md), and the request is then byte-for-byte what
    /// the HTTP API would receive.
    #[wasm_bindgen(js_name = predictJson)]
    pub fn predict_json(&self, body: &str) -> Result<String, JsValue> {
        let response = self
            .inner
            .handle(body.as_bytes())
            .map_err(|e| api_error(&e))?;
        serde_json::to_string(&response).map_err(|e| {
            js_error(
                "inference_failed",
                &format!("cannot encode the answer: {e}"),
                None,
            )
        })
    }

    /// The raw input schema: `[{name, type, nullable, stats}]`.
    pub fn schema(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.manifest().input)
    }

    /// What `GET /models/{name}` returns: name, version, task, classes, schema, hashes, size.
    pub fn info(&self) -> Result<JsValue, JsValue> {
        to_js(&wasmpredict::api::service::describe(
            self.inner.manifest(),
            self.inner.bundle().size(),
        ))
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
            (m, model, golden)
        }};
    }

    fn load((manifest, model, golden): (&[u8], &[u8], &[u8])) -> Result<WasmPredictor, JsValue> {
        WasmPredictor::from_files(
            manifest,
            vec!["model.onnx".into(), "golden.json".into()],
            vec![
                js_sys::Uint8Array::from(model),
                js_sys::Uint8Array::from(golden),
            ],
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
            ("churn", bundle!("churn")),
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
        let p = load(bundle!("churn")).expect("loads");
        assert_eq!(js_json(&p.schema().expect("schema"))[0]["name"], "tenure");
        assert_eq!(js_json(&p.info().expect("info"))["name"], "churn");
        let (m, model, golden) = bundle!("iris");
        let mut tampered = model.to_vec();
        tampered[10] ^= 1;
        let e = load((m, &tampered, golden)).err().expect("refused");
        assert_eq!(prop(&e, "code").as_deref(), Some("invalid_bundle"));
    }
}
