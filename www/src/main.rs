//! The wasmpredict web app (Leptos, client-side rendering). It lists the bundled models, renders
//! a form from the chosen model's schema, and predicts in the page: no request ever goes to
//! `/predict`. Bundles come from `/bundles/{name}/` (static files, cached by the service worker
//! for offline use; when online, the service worker installs a model's new live version after
//! checking its sha256, and the app reloads that model: see sw.js).
//!
//! This wasm holds the UI only. Predictions go through the JS predictor API, `/pkg/predictor.js`
//! (the module any page uses, `web/`), reached through the `wasmpredict.load` global that
//! index.html defines: the page ships one copy of the core, and the predictor fetches its
//! tract-enabled build only for a bundle that needs it. The `wasmpredict` crate is a dependency
//! for its schema types alone (`Field`); none of its engines is linked here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasmpredict::bundle::{Field, FieldKind};

fn main() {
    console_error_panic_hook::set_once();
    register_service_worker();
    leptos::mount::mount_to_body(App);
}

fn register_service_worker() {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().service_worker().register("/sw.js");
    }
}

// ---- the JS predictor -----------------------------------------------------------------------

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
}

/// The message of a JS exception (an `Error` from the predictor, a failed fetch or import).
fn js_message(e: &JsValue) -> String {
    if let Some(error) = e.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// A JS value (plain data) as JSON, through the browser's `JSON.stringify`.
fn js_json<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let text = js_sys::JSON::stringify(value)
        .map_err(|e| js_message(&e))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

// ---- loading bundles ----------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct BundleEntry {
    name: String,
    version: String,
    task: String,
    estimator: String,
    description: Option<String>,
    bytes: u64,
}

/// A loaded bundle: the JS predictor and what the UI reads from it once.
struct Loaded {
    predictor: JsPredictor,
    fields: Vec<Field>,
    classes: Vec<String>,
    engine: String,
    /// The loaded version's own description (after a live update it is not the build's).
    about: About,
}

/// What the model line says of the loaded version.
#[derive(Debug, Clone, PartialEq)]
struct About {
    version: String,
    estimator: String,
    description: Option<String>,
}

impl Loaded {
    async fn load(name: &str) -> Result<Loaded, String> {
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
            about,
        })
    }

    /// Predicts one record: the response as JSON, or the error's message.
    fn predict(&self, record: Map<String, Value>) -> Result<Value, String> {
        let body = json!({ "record": record }).to_string();
        let answer = self
            .predictor
            .predict_json(&body)
            .map_err(|e| js_message(&e))?;
        serde_json::from_str(&answer).map_err(|e| e.to_string())
    }
}

thread_local! {
    /// Loaded predictors by bundle name (not reactive: JS objects are not Send).
    static PREDICTORS: RefCell<HashMap<String, Rc<Loaded>>> = RefCell::new(HashMap::new());
}

fn predictor(name: &str) -> Option<Rc<Loaded>> {
    PREDICTORS.with(|p| p.borrow().get(name).cloned())
}

/// What the service worker said of a model's live version (the "wasmpredict-bundle" event
/// index.html dispatches).
#[derive(Debug, Clone, Deserialize)]
struct BundleNews {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    version: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Calls `on_news` for every "wasmpredict-bundle" event, for the page's life.
fn listen_for_bundle_news(on_news: impl Fn(BundleNews) + 'static) {
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

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
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
async fn load_bundle(name: &str) -> Result<(Rc<Loaded>, Map<String, Value>), String> {
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

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

// ---- form values ----------------------------------------------------------------------------

fn value_to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A form or CSV cell as the JSON value its field expects; `Ok(None)` for an empty cell.
fn typed(field: &Field, raw: &str) -> Result<Option<Value>, String> {
    let raw = raw.trim_end_matches('\r');
    if raw.trim().is_empty() && field.kind != FieldKind::Text {
        return Ok(None);
    }
    match field.kind {
        FieldKind::Number => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| Some(json!(x)))
            .ok_or_else(|| format!("field '{}' must be a number, got {raw:?}", field.name)),
        FieldKind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(json!(true))),
            "false" | "0" | "no" => Ok(Some(json!(false))),
            _ => Err(format!(
                "field '{}' must be true or false, got {raw:?}",
                field.name
            )),
        },
        FieldKind::Category | FieldKind::Text => Ok(Some(json!(raw))),
    }
}

/// A warning for a value outside what the model saw in training, if any.
fn drift_flag(field: &Field, raw: &str) -> Option<String> {
    let stats = field.stats.as_ref()?;
    if raw.trim().is_empty() {
        return None;
    }
    match field.kind {
        FieldKind::Number => {
            let x: f64 = raw.trim().parse().ok()?;
            let (lo, hi) = (stats.min?, stats.max?);
            (x < lo || x > hi).then(|| format!("outside the training range {lo} to {hi}"))
        }
        FieldKind::Category | FieldKind::Bool => {
            let seen = stats.frequencies.as_ref()?;
            // Only a complete list (the exporter keeps at most 200) can say "never seen".
            (seen.len() < 200 && !seen.iter().any(|(v, _)| value_to_text(v) == raw))
                .then(|| "a category never seen in training".to_string())
        }
        FieldKind::Text => None,
    }
}

// ---- the app --------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    answer: Value,
    millis: f64,
}

#[component]
fn App() -> impl IntoView {
    let bundles = RwSignal::new(Vec::<BundleEntry>::new());
    let selected = RwSignal::new(String::new());
    let fields = RwSignal::new(Vec::<Field>::new());
    let values = RwSignal::new(BTreeMap::<String, String>::new());
    let outcome = RwSignal::new(None::<Result<Outcome, String>>);
    let load_error = RwSignal::new(None::<String>);
    let engine = RwSignal::new(None::<String>);
    let about = RwSignal::new(None::<About>);
    let news = RwSignal::new(None::<String>);
    let mode_batch = RwSignal::new(false);
    let typing = RwSignal::new(0u64);

    let choose = move |name: String| {
        selected.set(name.clone());
        outcome.set(None);
        load_error.set(None);
        engine.set(None);
        about.set(None);
        spawn_local(async move {
            let loaded = load_bundle(&name).await;
            if selected.get_untracked() != name {
                return; // another model was chosen meanwhile
            }
            match loaded {
                Ok((p, example)) => {
                    let schema = p.fields.clone();
                    let filled = schema
                        .iter()
                        .map(|f| {
                            (
                                f.name.clone(),
                                example.get(&f.name).map(value_to_text).unwrap_or_default(),
                            )
                        })
                        .collect();
                    fields.set(schema);
                    values.set(filled);
                    engine.set(Some(p.engine.clone()));
                    about.set(Some(p.about.clone()));
                    predict_now(&name, fields, values, outcome);
                }
                Err(e) => load_error.set(Some(e)),
            }
        });
    };

    // A new live version, verified by the service worker: forget the loaded one, reload if shown.
    listen_for_bundle_news(move |n: BundleNews| {
        if n.kind == "bundle-updated" {
            PREDICTORS.with(|m| m.borrow_mut().remove(&n.name));
            news.set(Some(format!(
                "{} is now version {} (verified)",
                n.name, n.version
            )));
            if selected.get_untracked() == n.name {
                choose(n.name);
            }
        } else {
            let reason = n.reason.unwrap_or_default();
            news.set(Some(format!(
                "{} version {} was not installed: {reason}",
                n.name, n.version
            )));
        }
    });

    spawn_local(async move {
        let loaded = fetch_bytes("/bundles/index.json")
            .await
            .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()))
            .and_then(|v| {
                serde_json::from_value::<Vec<BundleEntry>>(v["bundles"].clone())
                    .map_err(|e| e.to_string())
            });
        match loaded {
            Ok(list) => {
                let first = list.first().map(|b| b.name.clone());
                bundles.set(list);
                if let Some(first) = first {
                    choose(first);
                }
            }
            Err(e) => load_error.set(Some(format!("cannot list the models: {e}"))),
        }
    });

    // Predict while typing, once the input has been still for 250 ms.
    let on_edit = move |name: String, value: String| {
        values.update(|v| {
            v.insert(name, value);
        });
        let ticket = typing.get_untracked() + 1;
        typing.set(ticket);
        set_timeout(
            move || {
                if typing.get_untracked() == ticket {
                    predict_now(&selected.get_untracked(), fields, values, outcome);
                }
            },
            std::time::Duration::from_millis(250),
        );
    };

    let current = move || bundles.get().into_iter().find(|b| b.name == selected.get());

    view! {
        <main>
            <h1>"wasmpredict"</h1>
            <p class="hint">"Predictions are computed in this page by the same Rust core that serves the API (the JS predictor any page can use); after one visit it works offline."</p>
            <label for="model">"Model"</label>
            <select id="model" data-testid="model-select"
                on:change=move |ev| choose(event_target_value(&ev))
                prop:value=move || selected.get()>
                {move || bundles.get().into_iter().map(|b| {
                    let name = b.name.clone();
                    view! { <option value=name.clone()>{name.clone()}</option> }
                }).collect_view()}
            </select>
            {move || current().map(|b| {
                // The loaded version's own words once it is loaded, the build's list before.
                let shown = about.get().unwrap_or_else(|| About {
                    version: b.version.clone(),
                    estimator: b.estimator.clone(),
                    description: b.description.clone(),
                });
                view! {
                <p class="meta">
                    {shown.description.clone().unwrap_or_default()}
                    " ("{shown.estimator.clone()}", "{b.task.clone()}", version "
                    <span data-testid="version">{shown.version.clone()}</span>
                    ", bundle "
                    {format!("{:.1} KB", b.bytes as f64 / 1024.0)}
                    {move || engine.get().map(|e| view! { ", engine "<span data-testid="engine">{e}</span> })}
                    ")"
                </p>
                }
            })}
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || news.get().map(|n| view! { <p class="meta" data-testid="news" aria-live="polite">{n}</p> })}
            <div class="tabs" role="group" aria-label="Mode">
                <button type="button" aria-pressed=move || (!mode_batch.get()).to_string() on:click=move |_| mode_batch.set(false)>"One record"</button>
                <button type="button" aria-pressed=move || mode_batch.get().to_string() on:click=move |_| mode_batch.set(true)>"CSV batch"</button>
            </div>
            {move || if mode_batch.get() {
                view! { <Batch selected=selected fields=fields /> }.into_any()
            } else {
                view! {
                    <form on:submit=move |ev| {
                        ev.prevent_default();
                        predict_now(&selected.get_untracked(), fields, values, outcome);
                    }>
                        {move || fields.get().into_iter().map(|f| view! { <FieldInput field=f values=values on_edit=on_edit /> }).collect_view()}
                        <button type="submit" data-testid="predict">"Predict"</button>
                    </form>
                    <ResultView outcome=outcome selected=selected />
                }.into_any()
            }}
            <p class="meta">"Use the same model on any page: "<a href="/example.html">"a plain HTML example"</a>"."</p>
        </main>
    }
}

fn predict_now(
    name: &str,
    fields: RwSignal<Vec<Field>>,
    values: RwSignal<BTreeMap<String, String>>,
    outcome: RwSignal<Option<Result<Outcome, String>>>,
) {
    let Some(p) = predictor(name) else { return };
    let mut record = Map::new();
    for f in fields.get_untracked() {
        let raw = values.with_untracked(|v| v.get(&f.name).cloned().unwrap_or_default());
        match typed(&f, &raw) {
            Ok(Some(v)) => {
                record.insert(f.name.clone(), v);
            }
            Ok(None) => {}
            Err(e) => {
                outcome.set(Some(Err(e)));
                return;
            }
        }
    }
    let start = now_ms();
    let answer = p.predict(record);
    let millis = now_ms() - start;
    outcome.set(Some(answer.map(|answer| Outcome { answer, millis })));
}

#[component]
fn FieldInput(
    field: Field,
    values: RwSignal<BTreeMap<String, String>>,
    on_edit: impl Fn(String, String) + Copy + 'static,
) -> impl IntoView {
    let name = field.name.clone();
    let id = format!("field-{name}");
    let current = {
        let name = name.clone();
        move || values.with(|v| v.get(&name).cloned().unwrap_or_default())
    };
    let flag = {
        let field = field.clone();
        let current = current.clone();
        move || drift_flag(&field, &current())
    };
    let hint = match (&field.kind, field.stats.as_ref()) {
        (FieldKind::Number, Some(s)) => match (s.min, s.max) {
            (Some(lo), Some(hi)) => format!("training range {lo} to {hi}"),
            _ => String::new(),
        },
        (FieldKind::Text, _) => "text".into(),
        _ => String::new(),
    };
    let optional = if field.nullable { " (optional)" } else { "" };
    let edit = {
        let name = name.clone();
        move |ev: web_sys::Event| on_edit(name.clone(), event_target_value(&ev))
    };
    let input = match field.kind {
        FieldKind::Category | FieldKind::Bool => {
            let mut options: Vec<String> = field
                .stats
                .as_ref()
                .and_then(|s| s.frequencies.as_ref())
                .map(|f| f.iter().map(|(v, _)| value_to_text(v)).collect())
                .unwrap_or_default();
            if field.kind == FieldKind::Bool && options.is_empty() {
                options = vec!["true".into(), "false".into()];
            }
            let current = current.clone();
            // A free-text input with suggestions: unseen categories can be typed (and get flagged).
            let list = format!("{id}-options");
            view! {
                <input id=id.clone() name=name.clone() list=list.clone() autocomplete="off"
                    prop:value=current on:input=edit />
                <datalist id=list>{options.into_iter().map(|o| view! { <option value=o /> }).collect_view()}</datalist>
            }
            .into_any()
        }
        FieldKind::Text => view! {
            <textarea id=id.clone() name=name.clone() rows="4" prop:value=current on:input=edit></textarea>
        }
        .into_any(),
        FieldKind::Number => view! {
            <input id=id.clone() name=name.clone() type="number" step="any" inputmode="decimal"
                prop:value=current on:input=edit />
        }
        .into_any(),
    };
    view! {
        <label for=id.clone()>{name.clone()}{optional}" "<span class="hint">{hint}</span></label>
        {input}
        {move || flag().map(|f| view! { <div class="flag" data-testid=format!("flag-{}", field.name)>{format!("⚠ {f}")}</div> })}
    }
}

#[component]
fn ResultView(
    outcome: RwSignal<Option<Result<Outcome, String>>>,
    selected: RwSignal<String>,
) -> impl IntoView {
    move || {
        match outcome.get() {
        None => view! { <div class="result" data-testid="prediction" aria-live="polite"></div> }.into_any(),
        Some(Err(e)) => view! {
            <div class="result error" data-testid="prediction" role="alert" aria-live="polite">{e}</div>
        }
        .into_any(),
        Some(Ok(Outcome { answer, millis })) => {
            let label = value_to_text(&answer["prediction"]);
            let classes: Vec<String> = answer["classes"].as_array().map(|c| c.iter().map(value_to_text).collect()).unwrap_or_default();
            let probs: Vec<f64> = answer["probabilities"].as_array().map(|p| p.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
            let model = format!("{} {}", value_to_text(&answer["model"]), value_to_text(&answer["version"]));
            let _ = selected;
            view! {
                <div class="result" aria-live="polite">
                    <div>"Prediction: "<span class="label" data-testid="prediction">{label}</span></div>
                    {(!probs.is_empty()).then(|| view! { <Chart classes=classes probs=probs /> })}
                    <div class="meta">{format!("{model} · computed in the page in {millis:.2} ms")}</div>
                </div>
            }
            .into_any()
        }
    }
    }
}

#[component]
fn Chart(classes: Vec<String>, probs: Vec<f64>) -> impl IntoView {
    let row_h = 28.0;
    let height = row_h * probs.len() as f64 + 4.0;
    let bars = classes
        .into_iter()
        .zip(probs)
        .enumerate()
        .map(|(i, (class, p))| {
            let y = i as f64 * row_h + 2.0;
            let width = (p * 260.0).max(1.0);
            let pct = format!("{:.1}%", p * 100.0);
            view! {
                <g>
                    <text x="0" y=y + 18.0 font-size="14">{class.clone()}</text>
                    <rect x="110" y=y + 4.0 width=width height="18" fill="#2b4c7e" rx="3">
                        <title>{format!("{class}: {pct}")}</title>
                    </rect>
                    <text x=width + 116.0 y=y + 18.0 font-size="13">{pct}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg data-testid="probabilities" role="img" aria-label="class probabilities" width="100%" viewBox=format!("0 0 440 {height}") style="max-width: 440px; display: block; margin-top: .6rem">
            {bars}
        </svg>
    }
}

// ---- CSV batch ------------------------------------------------------------------------------

/// RFC 4180 rows: quoted cells may hold commas, quotes ("") and newlines. Returns each row with
/// the 1-based line it starts on.
fn parse_csv(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut line, mut start) = (false, 1usize, 1usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                if !(row.len() == 1 && row[0].trim().is_empty()) {
                    rows.push((start, std::mem::take(&mut row)));
                }
                row.clear();
                line += 1;
                start = line;
            }
            (_, '\r') if !quoted => {}
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c);
            }
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push((start, row));
    }
    rows
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[derive(Debug, Clone, PartialEq)]
struct BatchRow {
    line: usize,
    prediction: Option<String>,
    probabilities: Vec<f64>,
    error: Option<String>,
}

async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

#[component]
fn Batch(selected: RwSignal<String>, fields: RwSignal<Vec<Field>>) -> impl IntoView {
    let results = RwSignal::new(Vec::<BatchRow>::new());
    let classes = RwSignal::new(Vec::<String>::new());
    let progress = RwSignal::new((0usize, 0usize));
    let problem = RwSignal::new(None::<String>);

    let run = move |text: String| {
        results.set(Vec::new());
        problem.set(None);
        spawn_local(async move {
            let name = selected.get_untracked();
            let Some(p) = predictor(&name) else { return };
            classes.set(p.classes.clone());
            let schema = fields.get_untracked();
            let rows = parse_csv(&text);
            let Some(((_, header), body)) = rows.split_first() else {
                problem.set(Some("the file is empty".into()));
                return;
            };
            let mut columns = Vec::new();
            for h in header {
                match schema.iter().find(|f| f.name == h.trim()) {
                    Some(f) => columns.push(f.clone()),
                    None => {
                        let names: Vec<&str> = schema.iter().map(|f| f.name.as_str()).collect();
                        problem.set(Some(format!(
                            "line 1: unknown column '{h}'; the model's fields are: {}",
                            names.join(", ")
                        )));
                        return;
                    }
                }
            }
            progress.set((0, body.len()));
            let mut out = Vec::with_capacity(body.len());
            for (k, (line, cells)) in body.iter().enumerate() {
                let mut record = Map::new();
                let mut error = None;
                if cells.len() != columns.len() {
                    error = Some(format!(
                        "has {} cells for {} columns",
                        cells.len(),
                        columns.len()
                    ));
                }
                for (f, raw) in columns.iter().zip(cells) {
                    match typed(f, raw) {
                        Ok(Some(v)) => {
                            record.insert(f.name.clone(), v);
                        }
                        Ok(None) => {}
                        Err(e) => error = error.or(Some(e)),
                    }
                }
                let row = match error {
                    Some(e) => BatchRow {
                        line: *line,
                        prediction: None,
                        probabilities: vec![],
                        error: Some(e),
                    },
                    None => match p.predict(record) {
                        Ok(r) => BatchRow {
                            line: *line,
                            prediction: Some(value_to_text(&r["prediction"])),
                            probabilities: r["probabilities"]
                                .as_array()
                                .map(|p| p.iter().filter_map(Value::as_f64).collect())
                                .unwrap_or_default(),
                            error: None,
                        },
                        Err(e) => BatchRow {
                            line: *line,
                            prediction: None,
                            probabilities: vec![],
                            error: Some(e),
                        },
                    },
                };
                out.push(row);
                if (k + 1) % 50 == 0 {
                    progress.set((k + 1, body.len()));
                    yield_to_browser().await;
                }
            }
            progress.set((body.len(), body.len()));
            results.set(out);
        });
    };

    let on_file = move |ev: web_sys::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        spawn_local(async move {
            match JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|t| t.as_string())
            {
                Some(text) => run(text),
                None => problem.set(Some("cannot read the file".into())),
            }
        });
    };

    let download = move |_| {
        let cls = classes.get_untracked();
        let mut csv = String::from("line,prediction");
        for c in &cls {
            csv.push_str(&format!(",{}", csv_cell(&format!("p_{c}"))));
        }
        csv.push_str(",error\n");
        for r in results.get_untracked() {
            csv.push_str(&format!(
                "{},{}",
                r.line,
                csv_cell(r.prediction.as_deref().unwrap_or(""))
            ));
            for k in 0..cls.len() {
                csv.push_str(&format!(
                    ",{}",
                    r.probabilities
                        .get(k)
                        .map(|p| p.to_string())
                        .unwrap_or_default()
                ));
            }
            csv.push_str(&format!(
                ",{}\n",
                csv_cell(r.error.as_deref().unwrap_or(""))
            ));
        }
        save_text("predictions.csv", &csv);
    };

    view! {
        <label for="csv">"CSV of raw rows (a header naming the model's fields)"</label>
        <input id="csv" name="csv" type="file" accept=".csv,text/csv" data-testid="csv-input" on:change=on_file />
        {move || problem.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || {
            let (done, total) = progress.get();
            (total > 0).then(|| view! {
                <progress data-testid="batch-progress" max=total value=done aria-label="rows predicted"></progress>
                <div class="meta">{format!("{done} of {total} rows")}</div>
            })
        }}
        {move || {
            let rows = results.get();
            let bad = rows.iter().filter(|r| r.error.is_some()).count();
            (!rows.is_empty()).then(|| view! {
                <p data-testid="batch-summary">{format!("{} rows predicted, {} refused", rows.len() - bad, bad)}</p>
                <button type="button" data-testid="download" on:click=download>"Download CSV"</button>
                <div class="table-wrap"><table data-testid="batch-results">
                    <thead><tr><th>"line"</th><th>"prediction"</th><th>"probabilities"</th><th>"error"</th></tr></thead>
                    <tbody>{rows.into_iter().map(|r| view! {
                        <tr class=if r.error.is_some() { "error" } else { "" }>
                            <td>{r.line}</td>
                            <td>{r.prediction.clone().unwrap_or_default()}</td>
                            <td>{r.probabilities.iter().map(|p| format!("{p:.3}")).collect::<Vec<_>>().join(" ")}</td>
                            <td>{r.error.clone().unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table></div>
            })
        }}
    }
}

fn save_text(file_name: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
