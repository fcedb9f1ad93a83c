//! The CSV batch view: every row predicted in the page, a downloadable result, and the file's
//! drift against the model's training profile.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasmpredict::bundle::Field;
use wasmpredict::drift::DriftReport;
use wasmpredict::input::csv;

use crate::drift::DriftView;
use crate::form::value_to_text;
use crate::predictor::predictor;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BatchRow {
    pub(crate) line: usize,
    pub(crate) prediction: Option<String>,
    pub(crate) probabilities: Vec<f64>,
    pub(crate) error: Option<String>,
}

pub(crate) async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

#[component]
pub(crate) fn Batch(selected: RwSignal<String>, fields: RwSignal<Vec<Field>>) -> impl IntoView {
    let results = RwSignal::new(Vec::<BatchRow>::new());
    let classes = RwSignal::new(Vec::<String>::new());
    let progress = RwSignal::new((0usize, 0usize));
    let problem = RwSignal::new(None::<String>);
    let drift = RwSignal::new(None::<Result<DriftReport, String>>);

    let run = move |text: String| {
        results.set(Vec::new());
        problem.set(None);
        drift.set(None);
        spawn_local(async move {
            let name = selected.get_untracked();
            let Some(p) = predictor(&name) else { return };
            classes.set(p.classes.clone());
            let schema = fields.get_untracked();
            let rows = csv::parse(&text);
            let Some(((_, header), body)) = rows.split_first() else {
                problem.set(Some("the file is empty".into()));
                return;
            };
            let header = match csv::Header::new(header, &schema) {
                Ok(h) => h,
                Err(e) => {
                    problem.set(Some(format!("line 1: {e}")));
                    return;
                }
            };
            // The file's drift against the model's training profile, counted by the predictor
            // (the core, in the page) as rows are answered.
            let tally = p.drift_tally();
            progress.set((0, body.len()));
            let mut out = Vec::with_capacity(body.len());
            for (k, (line, cells)) in body.iter().enumerate() {
                let (record, error) = match header.record(cells) {
                    Ok(record) => (record, None),
                    Err(e) => (Map::new(), Some(e)),
                };
                let row = match error {
                    Some(e) => BatchRow {
                        line: *line,
                        prediction: None,
                        probabilities: vec![],
                        error: Some(e),
                    },
                    None => match p.predict(record.clone()) {
                        Ok(r) => {
                            if let Ok(t) = &tally {
                                // The core refuses exactly what the predictor refused: no error.
                                let _ = t.add_json(
                                    &Value::Object(record).to_string(),
                                    &r["prediction"].to_string(),
                                );
                            }
                            BatchRow {
                                line: *line,
                                prediction: Some(value_to_text(&r["prediction"])),
                                probabilities: r["probabilities"]
                                    .as_array()
                                    .map(|p| p.iter().filter_map(Value::as_f64).collect())
                                    .unwrap_or_default(),
                                error: None,
                            }
                        }
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
            drift.set(Some(tally.and_then(|t| {
                let text = t
                    .report_json()
                    .ok_or_else(|| "no row was predicted: nothing to compare".to_string())?;
                serde_json::from_str::<DriftReport>(&text).map_err(|e| e.to_string())
            })));
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
            csv.push_str(&format!(",{}", csv::quote(&format!("p_{c}"))));
        }
        csv.push_str(",error\n");
        for r in results.get_untracked() {
            csv.push_str(&format!(
                "{},{}",
                r.line,
                csv::quote(r.prediction.as_deref().unwrap_or(""))
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
                csv::quote(r.error.as_deref().unwrap_or(""))
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
        {move || drift.get().map(|d| match d {
            Ok(report) => view! { <DriftView report=report /> }.into_any(),
            Err(e) => view! { <p class="meta" data-testid="drift-unavailable">{format!("No drift report: {e}")}</p> }.into_any(),
        })}
    }
}

pub(crate) fn save_text(file_name: &str, text: &str) {
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
