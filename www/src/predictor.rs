//! The JS predictor (`/pkg/predictor.js`) seen from the app, and loading bundles through it.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasmpredict::bundle::Field;

use crate::form::value_to_text;

#[wasm_bindgen]
extern "C" {
    /// `Predictor.load(url)` of `/pkg/predictor.js`, through the global index.html defines.
    /// Resolves to a [`JsPredictor`]; rejects with an `Error` carrying `message` and `code`.
    #[wasm_bindgen(js_namespace = wasmpredict, js_name = load, catch)]
    async fn load_predictor(url: &str) -> Result<JsValue, JsValue>;

    /// A `Predictor` of `/pkg/predictor.js` (web/js/predictor.d.ts).
    type JsPredictor;

    /// Same body and answer as `POST /predict`, as JSON text; throws an `Error` with `code`.
    #[wasm_bindgen(method, js_name = predictJson, catch)]
    fn predict_json(this: &JsPredictor, body: &str) -> Result<String, JsValue>;

    /// The raw input schema: `[{name, type, nullable, stats}]`.
    #[wasm_bindgen(method, catch)]
    fn schema(this: &JsPredictor) -> Result<JsValue, JsValue>;

    /// What `GET /models/{name}` answers (classes, engine, ...).
    #[wasm_bindgen(method, catch)]
    fn info(this: &JsPredictor) -> Result<JsValue, JsValue>;

    /// "compact" or "tract".
    #[wasm_bindgen(method, getter)]
    fn engine(this: &JsPredictor) -> String;

    /// `predictor.driftTally()`: rows against the training profile; throws without one.
    #[wasm_bindgen(method, js_name = driftTally, catch)]
    fn drift_tally(this: &JsPredictor) -> Result<DriftTally, JsValue>;

    /// What `driftTally()` returns (web/js/predictor.d.ts).
    pub(crate) type DriftTally;

    /// Counts a record (JSON text) with the model's prediction for it (JSON text).
    #[wasm_bindgen(method, js_name = addJson, catch)]
    pub(crate) fn add_json(
        this: &DriftTally,
        record: &str,
        prediction: &str,
    ) -> Result<(), JsValue>;

    /// The report so far as JSON text (null before the first row).
    #[wasm_bindgen(method, js_name = reportJson)]
    pub(crate) fn report_json(this: &DriftTally) -> Option<String>;
}

/// The message of a JS exception (an `Error` from the predictor, a failed fetch or import).
pub(crate) fn js_message(e: &JsValue) -> String {
    if let Some(error) = e.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// A JS value (plain data) as JSON, through the browser's `JSON.stringify`.
pub(crate) fn js_json<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let text = js_sys::JSON::stringify(value)
        .map_err(|e| js_message(&e))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

// ---- loading bundles ----------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub(crate) struct BundleEntry {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) task: String,
    pub(crate) estimator: String,
    pub(crate) description: Option<String>,
    pub(crate) bytes: u64,
}

/// A loaded bundle: the JS predictor and what the UI reads from it once.
pub(crate) struct Loaded {
    predictor: JsPredictor,
    pub(crate) fields: Vec<Field>,
    pub(crate) classes: Vec<String>,
    pub(crate) engine: String,
    /// The bundle carries explanation data: each prediction asks for its explanation.
    explainable: bool,
    /// The loaded version's own description (after a live update it is not the build's).
    pub(crate) about: About,
}

/// What the model line says of the loaded version.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct About {
    pub(crate) version: String,
    pub(crate) estimator: String,
    pub(crate) description: Option<String>,
}

impl Loaded {
    pub(crate) async fn load(name: &str) -> Result<Loaded, String> {
        let predictor: JsPredictor = load_predictor(&format!("/bundles/{name}/"))
            .await
            .map_err(|e| js_message(&e))?
            .unchecked_into();
        let fields: Vec<Field> = js_json(&predictor.schema().map_err(|e| js_message(&e))?)?;
        let info: Value = js_json(&predictor.info().map_err(|e| js_message(&e))?)?;
        let classes = info["classes"]
            .as_array()
            .map(|c| c.iter().map(value_to_text).collect())
            .unwrap_or_default();
        let engine = predictor.engine();
        let explainable = info["explainable"] == true;
        let about = About {
            version: value_to_text(&info["version"]),
            estimator: value_to_text(&info["estimator"]),
            description: info["description"].as_str().map(str::to_string),
        };
        Ok(Loaded {
            predictor,
            fields,
            classes,
            engine,
            explainable,
            about,
        })
    }

    /// A tally of rows against the model's training profile: the drift report is computed by
    /// the predictor's wasm (the core), this one only shows it.
    pub(crate) fn drift_tally(&self) -> Result<DriftTally, String> {
        self.predictor.drift_tally().map_err(|e| js_message(&e))
    }

    /// Predicts one record (with its explanation, when the bundle can explain): the response as
    /// JSON, or the error's message.
    pub(crate) fn predict(&self, record: Map<String, Value>) -> Result<Value, String> {
        let body = json!({ "record": record, "explain": self.explainable }).to_string();
        let answer = self
            .predictor
            .predict_json(&body)
            .map_err(|e| js_message(&e))?;
        serde_json::from_str(&answer).map_err(|e| e.to_string())
    }
}

thread_local! {
    /// Loaded predictors by bundle name (not reactive: JS objects are not Send).
    pub(crate) static PREDICTORS: RefCell<HashMap<String, Rc<Loaded>>> = RefCell::new(HashMap::new());
}

pub(crate) fn predictor(name: &str) -> Option<Rc<Loaded>> {
    PREDICTORS.with(|p| p.borrow().get(name).cloned())
}

/// What the service worker said of a model's live version (the "wasmpredict-bundle" event
/// index.html dispatches).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BundleNews {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// Calls `on_news` for every "wasmpredict-bundle" event, for the page's life.
pub(crate) fn listen_for_bundle_news(on_news: impl Fn(BundleNews) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let callback =
        Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |event: web_sys::CustomEvent| {
            if let Ok(news) = js_json::<BundleNews>(&event.detail()) {
                on_news(news);
            }
        });
    let _ = window
        .add_event_listener_with_callback("wasmpredict-bundle", callback.as_ref().unchecked_ref());
    callback.forget();
}

pub(crate) async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("cannot fetch {url}: {}", js_message(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| "not a response".to_string())?;
    if !response.ok() {
        return Err(format!("cannot fetch {url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_message(&e))?)
        .await
        .map_err(|e| format!("cannot read {url}: {}", js_message(&e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Loads (once) and returns the predictor and the golden example of a bundle. The predictor
/// fetched golden.json with the bundle's other files; fetching it here again is served by the
/// HTTP cache or the service worker.
pub(crate) async fn load_bundle(name: &str) -> Result<(Rc<Loaded>, Map<String, Value>), String> {
    let loaded = match predictor(name) {
        Some(p) => p,
        None => {
            let p = Rc::new(Loaded::load(name).await?);
            PREDICTORS.with(|m| m.borrow_mut().insert(name.to_string(), p.clone()));
            p
        }
    };
    let example = fetch_bytes(&format!("/bundles/{name}/golden.json"))
        .await
        .ok()
        .and_then(|g| serde_json::from_slice::<Value>(&g).ok())
        .and_then(|g| g["rows"][0]["input"].as_object().cloned())
        .unwrap_or_default();
    Ok((loaded, example))
}

pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}
