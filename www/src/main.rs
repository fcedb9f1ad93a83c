//! The wasmpredict web app (Leptos, client-side rendering). It lists the bundled models, renders
//! a form from the chosen model's schema, and predicts in the page: no request ever goes to
//! `/predict`. Bundles come from `/bundles/{name}/` (static files, cached by the service worker
//! for offline use; when online, the service worker installs a model's new live version after
//! checking its sha256, and the app reloads that model: see sw.js).
//!
//! This wasm holds the UI only. Predictions go through the JS predictor API, `/pkg/predictor.js`
//! (the module any page uses, `web/`), reached through the `wasmpredict.load` global that
//! index.html defines: the page ships one copy of the core, and the predictor fetches its
//! tract-enabled build only for a bundle that needs it, and counts drift for the batch view
//! (`driftTally`). From the `wasmpredict` crate the app uses the schema and drift report types
//! and the CSV reader (`input::csv`); none of its engines is linked here.
//!
//! Components: `predictor` (the JS predictor and loading bundles), `form` (one record),
//! `result` (its answer), `batch` (a CSV file), `drift` (the file's drift), `charts` (SVG).

mod batch;
mod charts;
mod drift;
mod form;
mod highlight;
mod predictor;
mod result;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use wasmpredict::bundle::Field;

use batch::Batch;
use form::{predict_now, value_to_text, FieldInput};
use predictor::{
    fetch_bytes, listen_for_bundle_news, load_bundle, About, BundleEntry, BundleNews, PREDICTORS,
};
use result::{Outcome, ResultView};

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
    // Fields the user typed in since this model was chosen: a (re)load never overwrites them.
    let touched = RwSignal::new(BTreeSet::<String>::new());

    let choose = move |name: String| {
        if selected.get_untracked() != name {
            touched.set(BTreeSet::new());
        }
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
                    // The golden example fills what the user has not typed (a reload of the
                    // same model, e.g. a new live version, keeps every typed value).
                    let (typed, kept) = (values.get_untracked(), touched.get_untracked());
                    let filled = schema
                        .iter()
                        .map(|f| {
                            let value = match typed.get(&f.name) {
                                Some(v) if kept.contains(&f.name) => v.clone(),
                                _ => example.get(&f.name).map(value_to_text).unwrap_or_default(),
                            };
                            (f.name.clone(), value)
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
        touched.update(|t| {
            t.insert(name.clone());
        });
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
