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

    /// Predicts for a request body (the same shapes as `POST /predict`), returning the same
    /// response object.
    pub fn predict(&self, body: JsValue) -> Result<JsValue, JsValue> {
        let body: serde_json::Value = serde_wasm_bindgen::from_value(body).map_err(|e| {
            js_error(
                "unknown_body_shape",
                &format!("the body must be a plain JSON-like object: {e}"),
                None,
            )
        })?;
        let response = self.inner.predict(&body).map_err(|e| api_error(&e))?;
        to_js(&response)
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
