//! The answer of the one-record form.

use leptos::prelude::*;
use serde_json::Value;

use crate::charts::{Chart, Contributions};
use crate::form::value_to_text;
use crate::highlight::{segments, ListedTerm, Segment, TermHighlights};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) answer: Value,
    pub(crate) millis: f64,
    /// The record sent, whose texts the explanation's terms point into.
    pub(crate) record: serde_json::Map<String, Value>,
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
        Some(Ok(Outcome { answer, millis, record })) => {
            let label = value_to_text(&answer["prediction"]);
            let classes: Vec<String> = answer["classes"].as_array().map(|c| c.iter().map(value_to_text).collect()).unwrap_or_default();
            let probs: Vec<f64> = answer["probabilities"].as_array().map(|p| p.iter().filter_map(Value::as_f64).collect()).unwrap_or_default();
            let model = format!("{} {}", value_to_text(&answer["model"]), value_to_text(&answer["version"]));
            let why = explanation(&answer);
            let marked = highlights(&answer, &record);
            let _ = selected;
            view! {
                <div class="result" aria-live="polite">
                    <div>"Prediction: "<span class="label" data-testid="prediction">{label}</span></div>
                    <div class="charts">
                        {(!probs.is_empty()).then(|| view! { <Chart classes=classes probs=probs /> })}
                        {why.map(|(bars, base, caption)| view! { <Contributions bars=bars base=base caption=caption /> })}
                    </div>
                    {marked.into_iter().map(|(caption, segments)| view! { <TermHighlights caption=caption segments=segments /> }).collect_view()}
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

/// What an explanation's values push on.
enum Target {
    /// The predicted class's score (one value per class: the `k`th).
    Class { name: String, k: usize },
    /// The positive class's score (a binary classifier: one value).
    Positive(String),
    /// The predicted value (a regressor).
    Value,
}

impl Target {
    fn of(answer: &Value) -> Option<Target> {
        let e = answer.get("explanation")?;
        Some(match (&e["base_value"], answer["classes"].as_array()) {
            (Value::Array(_), Some(classes)) => Target::Class {
                name: value_to_text(&answer["prediction"]),
                k: classes.iter().position(|c| *c == answer["prediction"])?,
            },
            (_, Some(classes)) => {
                Target::Positive(classes.get(1).map(value_to_text).unwrap_or_default())
            }
            (_, None) => Target::Value,
        })
    }

    /// The value the view shows of a per-output value.
    fn pick(&self, v: &Value) -> Option<f64> {
        match (self, v) {
            (Target::Class { k, .. }, Value::Array(a)) => a.get(*k).and_then(Value::as_f64),
            (_, v) => v.as_f64(),
        }
    }
}

/// The answer's explanation as bars for the predicted class (a multiclass model explains every
/// class; a binary one its positive class; a regressor its value), the base value and a caption.
fn explanation(answer: &Value) -> Option<Why> {
    let e = answer.get("explanation")?;
    let target = Target::of(answer)?;
    let caption = match &target {
        Target::Class { name, .. } => {
            format!("Why {name}: each field's push on that class's score")
        }
        Target::Positive(class) => format!("Why: each field's push on the score of {class}"),
        Target::Value => "Why: each field's push on the predicted value".to_string(),
    };
    let base = target.pick(&e["base_value"])?;
    let bars = e["contributions"]
        .as_object()?
        .iter()
        .map(|(field, v)| Some((field.clone(), target.pick(v)?)))
        .collect::<Option<Vec<_>>>()?;
    Some((
        bars,
        base,
        format!("{caption} (from {base:.3}, the training average)"),
    ))
}

/// Per text field of the record with listed terms, a caption saying what the marks mean and its
/// text cut at the terms' spans.
fn highlights(
    answer: &Value,
    record: &serde_json::Map<String, Value>,
) -> Vec<(String, Vec<Segment>)> {
    let (Some(target), Some(fields)) = (
        Target::of(answer),
        answer["explanation"]["terms"].as_object(),
    ) else {
        return Vec::new();
    };
    let meaning = match &target {
        Target::Class { name, .. } => format!("warm for {name}, cool against"),
        Target::Positive(class) => format!("warm toward {class}, cool away from it"),
        Target::Value => "warm raised the value, cool lowered it".to_string(),
    };
    let mut out = Vec::new();
    for (field, terms) in fields {
        let Some(text) = record.get(field).and_then(Value::as_str) else {
            continue;
        };
        let terms: Vec<ListedTerm> = terms
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| {
                let spans = t["spans"]
                    .as_array()?
                    .iter()
                    .filter_map(|s| Some((s[0].as_u64()? as usize, s[1].as_u64()? as usize)))
                    .collect();
                Some(ListedTerm {
                    term: t["term"].as_str()?.to_string(),
                    contribution: target.pick(&t["contribution"])?,
                    spans,
                })
            })
            .collect();
        if terms.iter().any(|t| !t.spans.is_empty()) {
            let caption = format!("The words of '{field}' that weighed most: {meaning}");
            out.push((caption, segments(text, &terms)));
        }
    }
    out
}
