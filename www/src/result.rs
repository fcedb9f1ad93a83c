//! The answer of the one-record form.

use leptos::prelude::*;
use serde_json::Value;

use crate::charts::{Chart, Contributions};
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
            let why = explanation(&answer);
            let _ = selected;
            view! {
                <div class="result" aria-live="polite">
                    <div>"Prediction: "<span class="label" data-testid="prediction">{label}</span></div>
                    <div class="charts">
                        {(!probs.is_empty()).then(|| view! { <Chart classes=classes probs=probs /> })}
                        {why.map(|(bars, base, caption)| view! { <Contributions bars=bars base=base caption=caption /> })}
                    </div>
                    <div class="meta">{format!("{model} · computed in the page in {millis:.2} ms")}</div>
                </div>
            }
            .into_any()
        }
    }
    }
}

/// What the contributions chart draws: a bar per field, the base value, the caption.
type Why = (Vec<(String, f64)>, f64, String);

/// The answer's explanation as bars for the predicted class (a multiclass model explains every
/// class; a binary one its positive class; a regressor its value), the base value and a caption.
fn explanation(answer: &Value) -> Option<Why> {
    let e = answer.get("explanation")?;
    let classes = answer["classes"].as_array();
    let (k, caption) = match (&e["base_value"], classes) {
        (Value::Array(_), Some(classes)) => {
            let k = classes.iter().position(|c| *c == answer["prediction"])?;
            (
                Some(k),
                format!(
                    "Why {}: each field's push on that class's score",
                    value_to_text(&classes[k])
                ),
            )
        }
        (_, Some(classes)) => (
            None,
            format!(
                "Why: each field's push on the score of {}",
                classes.get(1).map(value_to_text).unwrap_or_default()
            ),
        ),
        (_, None) => (
            None,
            "Why: each field's push on the predicted value".to_string(),
        ),
    };
    let pick = |v: &Value| match (k, v) {
        (Some(k), Value::Array(a)) => a.get(k).and_then(Value::as_f64),
        (_, v) => v.as_f64(),
    };
    let base = pick(&e["base_value"])?;
    let bars = e["contributions"]
        .as_object()?
        .iter()
        .map(|(field, v)| Some((field.clone(), pick(v)?)))
        .collect::<Option<Vec<_>>>()?;
    Some((
        bars,
        base,
        format!("{caption} (from {base:.3}, the training average)"),
    ))
}
