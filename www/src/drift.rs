//! The CSV file's drift against the model's training profile, computed in the page by the core
//! (`wasmpredict::drift`): the file never leaves the machine.

use leptos::prelude::*;
use wasmpredict::drift::{Distribution, DriftReport, Verdict};

use crate::charts::{Histogram, PsiBars};

#[component]
pub(crate) fn DriftView(report: DriftReport) -> impl IntoView {
    let t = report.thresholds;
    let flagged: Vec<String> = report
        .fields
        .iter()
        .filter(|f| f.drifted)
        .map(|f| f.name.clone())
        .collect();
    let summary = if report.drifted {
        let mut what = flagged.join(", ");
        if report.predictions.verdict == Verdict::Drift {
            what.push_str(if what.is_empty() { "" } else { ", " });
            what.push_str("the predictions");
        }
        format!("Drift in {what}")
    } else {
        "No drift".to_string()
    };
    let mut bars: Vec<(String, f64, Verdict)> = report
        .fields
        .iter()
        .map(|f| (f.name.clone(), f.psi, f.verdict))
        .collect();
    bars.push((
        "(predictions)".into(),
        report.predictions.psi,
        report.predictions.verdict,
    ));
    let mut histograms: Vec<(String, Distribution)> = Vec::new();
    for f in report.fields.iter().filter(|f| f.drifted) {
        histograms.push((f.name.clone(), f.values.clone()));
        if let Some(oov) = f.oov.as_ref().filter(|o| o.verdict == Verdict::Drift) {
            histograms.push((format!("{} (out-of-vocabulary share)", f.name), oov.clone()));
        }
    }
    if report.predictions.verdict == Verdict::Drift {
        histograms.push(("(predictions)".into(), report.predictions.clone()));
    }
    view! {
        <section class="drift" data-testid="drift-report" data-drifted=report.drifted.to_string()>
            <h2>"Drift against training"</h2>
            <p data-testid="drift-summary">{summary}</p>
            <p class="meta">{format!(
                "{} rows of this file against {} training rows. PSI ≥ {} is worth watching, ≥ {} or a Jensen-Shannon distance ≥ {} is drift. Computed in this page: the file was not sent anywhere.",
                report.rows, report.training_rows, t.psi_watch, t.psi_act, t.js
            )}</p>
            <PsiBars bars=bars watch=t.psi_watch act=t.psi_act />
            {histograms.into_iter().map(|(name, d)| view! { <Histogram name=name distribution=d /> }).collect_view()}
        </section>
    }
}
