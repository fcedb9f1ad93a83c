//! Counting rows into the profile's slots, and the drift report built from those counts.

use super::binner::Binner;
use super::stats::{js_distance, psi, shares, Thresholds, Verdict, THRESHOLDS};
use crate::bundle::profile::Histogram;
use serde::{Deserialize, Serialize};

/// Rows counted per slot of every histogram of a profile (the fields' histograms in the
/// binner's order, then the predictions'). Counts from several places (isolates, windows) merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub rows: u64,
    pub slots: Vec<Vec<u64>>,
}

impl Counts {
    pub fn new(binner: &Binner) -> Counts {
        Counts {
            rows: 0,
            slots: binner.widths().into_iter().map(|w| vec![0; w]).collect(),
        }
    }

    /// Counts one row: its field slots ([`Binner::row_slots`]) and its prediction's slot.
    pub fn add(&mut self, row_slots: &[u32], prediction_slot: u32) {
        self.rows += 1;
        let all = row_slots.iter().chain([&prediction_slot]);
        for (histogram, &slot) in self.slots.iter_mut().zip(all) {
            if let Some(c) = histogram.get_mut(slot as usize) {
                *c += 1;
            }
        }
    }

    /// Adds `other`'s counts; false (and nothing added) when they are not of the same profile.
    pub fn merge(&mut self, other: &Counts) -> bool {
        let same = self.slots.len() == other.slots.len()
            && self
                .slots
                .iter()
                .zip(&other.slots)
                .all(|(a, b)| a.len() == b.len());
        if same {
            self.rows = self.rows.saturating_add(other.rows);
            for (a, b) in self.slots.iter_mut().zip(&other.slots) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x = x.saturating_add(*y);
                }
            }
        }
        same
    }
}

/// One histogram compared with training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub psi: f64,
    pub js: f64,
    pub verdict: Verdict,
    /// What each slot holds: a bin (`≤ 4.5`, `4.5 – 12.5`, `> 60.5`), a value, `other`,
    /// `missing`.
    pub labels: Vec<String>,
    /// Shares of the training sample per slot.
    pub training: Vec<f64>,
    /// Shares of the rows compared, per slot.
    pub current: Vec<f64>,
}

impl Distribution {
    fn compare(training: &Histogram, current: &[u64], labels: Vec<String>) -> Distribution {
        let training = training.slots();
        let (psi, js) = (psi(&training, current), js_distance(&training, current));
        Distribution {
            psi,
            js,
            verdict: Verdict::of(psi, js),
            labels,
            training: shares(&training),
            current: shares(current),
        }
    }
}

/// One raw field compared with training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDrift {
    pub name: String,
    pub drifted: bool,
    pub verdict: Verdict,
    /// The largest PSI and Jensen-Shannon distance of the field's histograms.
    pub psi: f64,
    pub js: f64,
    /// Values (numbers, categories, booleans) or length in characters (texts).
    pub values: Distribution,
    /// Texts: the share of terms outside the vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oov: Option<Distribution>,
}

/// Rows compared with the training profile: per field, for the predictions, and overall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Whether any field or the predictions drifted (verdict `drift`).
    pub drifted: bool,
    /// The worst verdict of the fields and the predictions.
    pub verdict: Verdict,
    /// Rows compared.
    pub rows: u64,
    /// Rows of the training sample.
    pub training_rows: u64,
    pub thresholds: Thresholds,
    pub fields: Vec<FieldDrift>,
    pub predictions: Distribution,
}

impl DriftReport {
    /// The report for `counts` (counted by `binner`), or `None` when they hold no row.
    pub fn new(binner: &Binner, counts: &Counts) -> Option<DriftReport> {
        let profile = &binner.profile;
        if counts.rows == 0 || counts.slots.len() != binner.columns.len() + 1 {
            return None;
        }
        let mut fields: Vec<FieldDrift> = Vec::with_capacity(profile.fields.len());
        for (column, current) in binner.columns.iter().zip(&counts.slots) {
            let fp = profile.fields.get(column.field)?;
            let histogram = if column.oov {
                fp.oov.as_ref()?
            } else {
                &fp.values
            };
            let d = Distribution::compare(histogram, current, labels(histogram));
            match fields.last_mut() {
                Some(f) if column.oov => {
                    f.psi = f.psi.max(d.psi);
                    f.js = f.js.max(d.js);
                    f.verdict = f.verdict.max(d.verdict);
                    f.drifted = f.verdict == Verdict::Drift;
                    f.oov = Some(d);
                }
                _ => fields.push(FieldDrift {
                    name: fp.name.clone(),
                    drifted: d.verdict == Verdict::Drift,
                    verdict: d.verdict,
                    psi: d.psi,
                    js: d.js,
                    values: d,
                    oov: None,
                }),
            }
        }
        let predictions = Distribution::compare(
            &profile.predictions,
            counts.slots.last()?,
            labels(&profile.predictions),
        );
        let verdict = fields
            .iter()
            .map(|f| f.verdict)
            .chain([predictions.verdict])
            .max()
            .unwrap_or(Verdict::Stable);
        Some(DriftReport {
            drifted: verdict == Verdict::Drift,
            verdict,
            rows: counts.rows,
            training_rows: profile.rows,
            thresholds: THRESHOLDS,
            fields,
            predictions,
        })
    }
}

/// Slot labels of a histogram, in [`Histogram::slots`] order.
fn labels(h: &Histogram) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(values) = &h.values {
        out.extend(values.iter().map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }));
        out.push("other".into());
    } else {
        let edges = h.edges.as_deref().unwrap_or_default();
        for i in 0..=edges.len() {
            out.push(match (i.checked_sub(1).map(|j| edges[j]), edges.get(i)) {
                (None, Some(hi)) => format!("≤ {}", short(*hi)),
                (Some(lo), Some(hi)) => format!("{} – {}", short(lo), short(*hi)),
                (Some(lo), None) => format!("> {}", short(lo)),
                (None, None) => "any".into(),
            });
        }
    }
    out.push("missing".into());
    out
}

/// A bin edge for people: at most four decimals, trailing zeros dropped (the exact edges are in
/// the bundle's profile).
fn short(x: f64) -> String {
    if x.abs() >= 1e7 {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn edges_are_shown_short() {
        assert_eq!(short(2.8499999999999996), "2.85");
        assert_eq!(short(9.5), "9.5");
        assert_eq!(short(3410.5550000000003), "3410.555");
        assert_eq!(short(0.36474501), "0.3647");
        assert_eq!(short(12.0), "12");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(-1e-9), "0");
        assert_eq!(short(72.000000072), "72");
        assert_eq!(short(2.5e9), "2.500e9");
    }
}
