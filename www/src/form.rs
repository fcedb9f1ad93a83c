//! The one-record form: a field per schema entry, typed as its field expects, flagged when a
//! value is outside what the model saw in training.

use leptos::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use wasmpredict::bundle::{Field, FieldKind};
use wasmpredict::input::csv::typed;

use crate::predictor::{now_ms, predictor};
use crate::result::Outcome;

pub(crate) fn value_to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A warning for a value outside what the model saw in training, if any.
pub(crate) fn drift_flag(field: &Field, raw: &str) -> Option<String> {
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

pub(crate) fn predict_now(
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
    let answer = p.predict(record.clone());
    let millis = now_ms() - start;
    outcome.set(Some(answer.map(|answer| Outcome {
        answer,
        millis,
        record,
    })));
}

#[component]
pub(crate) fn FieldInput(
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
