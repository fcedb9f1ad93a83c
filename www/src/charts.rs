//! SVG charts: class probabilities, PSI per field, a histogram against training.

use leptos::prelude::*;
use wasmpredict::drift::{Distribution, Verdict};

#[component]
pub(crate) fn Chart(classes: Vec<String>, probs: Vec<f64>) -> impl IntoView {
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

/// The colour of a verdict, as the charts draw it.
fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Stable => "#3d7a4a",
        Verdict::Watch => "#b7791f",
        Verdict::Drift => "#b83232",
    }
}

/// PSI per field, one bar each, with the watch and act thresholds drawn as lines. Bars longer
/// than the axis (PSI can reach several units) are clipped and labelled with their value.
#[component]
pub(crate) fn PsiBars(bars: Vec<(String, f64, Verdict)>, watch: f64, act: f64) -> impl IntoView {
    let (row_h, left, width) = (24.0, 150.0, 250.0);
    let axis = 0.5_f64.max(act * 2.0);
    let x = move |psi: f64| left + (psi.min(axis) / axis) * width;
    let height = row_h * bars.len() as f64 + 24.0;
    let rows = bars
        .into_iter()
        .enumerate()
        .map(|(i, (name, psi, verdict))| {
            let y = i as f64 * row_h + 4.0;
            let label = format!("{psi:.3}");
            view! {
                <g data-testid=format!("drift-field-{name}") data-verdict=verdict.name()>
                    <text x="0" y=y + 15.0 font-size="13">{name.clone()}</text>
                    <rect x=left y=y + 3.0 width=(x(psi) - left).max(1.0) height="15" fill=verdict_colour(verdict) rx="2">
                        <title>{format!("{name}: PSI {label}, {}", verdict.name())}</title>
                    </rect>
                    <text x=x(psi) + 4.0 y=y + 15.0 font-size="12">{label}</text>
                </g>
            }
        })
        .collect_view();
    let line = move |psi: f64, text: &'static str| {
        view! {
            <line x1=x(psi) x2=x(psi) y1="0" y2=height - 16.0 stroke="#555" stroke-dasharray="3 3" />
            <text x=x(psi) - 12.0 y=height - 3.0 font-size="11">{format!("{text} {psi}")}</text>
        }
    };
    view! {
        <svg data-testid="drift-psi" role="img" aria-label="PSI per field against training" width="100%"
            viewBox=format!("0 0 460 {height}") style="max-width: 460px; display: block; margin-top: .6rem">
            {rows}
            {line(watch, "watch")}
            {line(act, "act")}
        </svg>
    }
}

/// A histogram against training: per slot, the training share and this file's share.
#[component]
pub(crate) fn Histogram(name: String, distribution: Distribution) -> impl IntoView {
    let (row_h, left, width) = (30.0, 120.0, 250.0);
    let top = distribution
        .training
        .iter()
        .chain(&distribution.current)
        .fold(0.0_f64, |a, &b| a.max(b))
        .max(1e-9);
    let slots: Vec<(String, f64, f64)> = distribution
        .labels
        .iter()
        .zip(&distribution.training)
        .zip(&distribution.current)
        .filter(|((_, t), c)| **t > 0.0 || **c > 0.0)
        .map(|((l, t), c)| (l.clone(), *t, *c))
        .collect();
    let height = row_h * slots.len() as f64 + 20.0;
    let rows = slots
        .into_iter()
        .enumerate()
        .map(|(i, (label, train, current))| {
            let y = i as f64 * row_h + 18.0;
            let w = move |share: f64| (share / top * width).max(1.0);
            view! {
                <g>
                    <text x="0" y=y + 14.0 font-size="12">{label.clone()}</text>
                    <rect x=left y=y + 2.0 width=w(train) height="10" fill="#8a99ad">
                        <title>{format!("{label}: training {:.1}%", train * 100.0)}</title>
                    </rect>
                    <rect x=left y=y + 13.0 width=w(current) height="10" fill="#2b4c7e">
                        <title>{format!("{label}: this file {:.1}%", current * 100.0)}</title>
                    </rect>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="histogram" data-testid=format!("drift-histogram-{name}")>
            <figcaption>{format!("{name}: PSI {:.3}, Jensen-Shannon {:.3}", distribution.psi, distribution.js)}</figcaption>
            <svg role="img" aria-label=format!("{name}: training against this file") width="100%"
                viewBox=format!("0 0 420 {height}") style="max-width: 420px; display: block">
                <rect x="0" y="2" width="10" height="10" fill="#8a99ad" />
                <text x="14" y="11" font-size="11">"training"</text>
                <rect x="80" y="2" width="10" height="10" fill="#2b4c7e" />
                <text x="94" y="11" font-size="11">"this file"</text>
                {rows}
            </svg>
        </figure>
    }
}

/// Each field's contribution to the model's raw score, largest first: bars right of zero raise
/// the score, bars left of it lower it. Past `MAX_BARS` fields the rest share one bar, so the
/// bars plus the base value still add up to the score.
#[component]
pub(crate) fn Contributions(bars: Vec<(String, f64)>, base: f64, caption: String) -> impl IntoView {
    const MAX_BARS: usize = 12;
    let mut bars = bars;
    bars.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    if bars.len() > MAX_BARS {
        let rest: f64 = bars[MAX_BARS - 1..].iter().map(|b| b.1).sum();
        let n = bars.len() - (MAX_BARS - 1);
        bars.truncate(MAX_BARS - 1);
        bars.push((format!("{n} other fields"), rest));
    }
    let (row_h, left, half) = (24.0, 150.0, 120.0);
    let zero = left + half;
    let max = bars.iter().fold(1e-12_f64, |m, b| m.max(b.1.abs()));
    let height = row_h * bars.len() as f64 + 4.0;
    let rows = bars
        .into_iter()
        .enumerate()
        .map(|(i, (field, v))| {
            let y = i as f64 * row_h + 2.0;
            let w = (v.abs() / max * half).max(1.0);
            let (x, fill) = if v >= 0.0 { (zero, "#c05621") } else { (zero - w, "#2c7a7b") };
            let text = format!("{v:+.3}");
            let text_x = if v >= 0.0 { zero + w + 4.0 } else { zero - w - 4.0 };
            let anchor = if v >= 0.0 { "start" } else { "end" };
            view! {
                <g>
                    <text x="0" y=y + 16.0 font-size="13">{field.clone()}</text>
                    <rect x=x y=y + 3.0 width=w height="16" fill=fill rx="2" data-field=field.clone() data-value=v.to_string()>
                        <title>{format!("{field}: {text}")}</title>
                    </rect>
                    <text x=text_x y=y + 16.0 font-size="12" text-anchor=anchor>{text}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="contributions">
            <figcaption>{caption}</figcaption>
            <svg data-testid="contributions" data-base=base.to_string() role="img" aria-label="each field's contribution to the prediction" width="100%" viewBox=format!("0 0 460 {height}") style="max-width: 460px; display: block">
                <line x1=zero y1="0" x2=zero y2=height stroke="#888" stroke-width="1" />
                {rows}
            </svg>
        </figure>
    }
}
