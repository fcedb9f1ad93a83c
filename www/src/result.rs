//! The answer of the one-record form.

use leptos::prelude::*;
use serde_json::Value;

use crate::charts::Chart;
use crate::form::value_to_text;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) answer: Value,
    pub(crate) millis: f64,
}

#[component]
pub(crate) fn ResultView(
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
