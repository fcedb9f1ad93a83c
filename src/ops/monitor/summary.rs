//! What `GET /models/{name}/monitor` answers: per version, the window's requests (statuses,
//! error codes, latency quantiles), its predicted-class mix (or value quantiles) and its drift
//! against the version's training profile.

use super::window::{ModelWindow, VersionWindow};
use crate::decimal::decimal;
use crate::drift::{Binner, Counts, DriftReport};
use crate::error::ErrorCode;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// What the summary needs to know of one served version.
pub struct VersionInfo<'a> {
    pub version: &'a str,
    /// Percent of the model's requests the traffic sends to it.
    pub weight: u32,
    /// Classification: sklearn's `classes_`.
    pub classes: Option<&'a [Value]>,
    /// Its compiled training profile, or why drift cannot be computed.
    pub profile: Result<&'a Binner, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitorReport {
    pub model: String,
    /// Requests and rows kept per version.
    pub window: usize,
    pub versions: Vec<VersionReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionReport {
    pub version: String,
    pub weight: u32,
    pub requests: RequestSummary,
    pub rows: Seen,
    pub predictions: PredictionMix,
    /// The window's rows against the training profile; null without rows or without a profile.
    pub drift: Option<DriftReport>,
    /// Why `drift` is null although the window has rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_unavailable: Option<String>,
}

/// Entries in the window, and ever seen.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Seen {
    pub window: usize,
    pub seen: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestSummary {
    pub window: usize,
    pub seen: u64,
    /// Requests in the window by HTTP status.
    pub by_status: BTreeMap<u16, u64>,
    /// Refused requests in the window by error code.
    pub errors: BTreeMap<ErrorCode, u64>,
    /// Over the window's requests; null when it has none.
    pub latency_ms: Option<Quantiles>,
}

/// Nearest-rank quantiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Quantiles {
    pub fn of(mut values: Vec<f64>) -> Option<Quantiles> {
        values.retain(|v| v.is_finite());
        values.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            let i = (q * values.len() as f64).ceil() as usize;
            values.get(i.saturating_sub(1)).copied()
        };
        Some(Quantiles {
            p50: rank(0.5)?,
            p90: rank(0.9)?,
            p99: rank(0.99)?,
            max: *values.last()?,
        })
    }
}

/// The window's predictions: each class's rows and share, or the values' mean and quantiles.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PredictionMix {
    Classes {
        classes: Vec<ClassShare>,
    },
    Values {
        mean: Option<f64>,
        quantiles: Option<Quantiles>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassShare {
    pub class: Value,
    pub rows: u64,
    pub share: f64,
}

/// The report for one model: every version it serves, in `versions`' order, whether or not its
/// window holds anything.
pub fn report(
    model: &str,
    capacity: usize,
    versions: &[VersionInfo<'_>],
    window: &ModelWindow,
) -> MonitorReport {
    let empty = VersionWindow::default();
    MonitorReport {
        model: model.to_string(),
        window: capacity,
        versions: versions
            .iter()
            .map(|info| version_report(info, window.get(info.version).unwrap_or(&empty)))
            .collect(),
    }
}

fn version_report(info: &VersionInfo<'_>, w: &VersionWindow) -> VersionReport {
    let mut by_status = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for r in &w.requests {
        *by_status.entry(r.status).or_default() += 1;
        if let Some(code) = r.error {
            *errors.entry(code).or_default() += 1;
        }
    }
    let latencies = w.requests.iter().map(|r| decimal(r.ms)).collect();
    let (drift, drift_unavailable) = drift(info, w);
    VersionReport {
        version: info.version.to_string(),
        weight: info.weight,
        requests: RequestSummary {
            window: w.requests.len(),
            seen: w.requests_seen,
            by_status,
            errors,
            latency_ms: Quantiles::of(latencies),
        },
        rows: Seen {
            window: w.rows.len(),
            seen: w.rows_seen,
        },
        predictions: predictions(info.classes, w),
        drift,
        drift_unavailable,
    }
}

fn predictions(classes: Option<&[Value]>, w: &VersionWindow) -> PredictionMix {
    match classes {
        Some(classes) => {
            let mut rows = vec![0u64; classes.len()];
            for r in &w.rows {
                if let Some(n) = rows.get_mut(r.prediction as usize) {
                    *n += 1;
                }
            }
            let total = w.rows.len().max(1) as f64;
            PredictionMix::Classes {
                classes: classes
                    .iter()
                    .zip(rows)
                    .map(|(class, rows)| ClassShare {
                        class: class.clone(),
                        rows,
                        share: rows as f64 / total,
                    })
                    .collect(),
            }
        }
        None => {
            let values: Vec<f64> = w.rows.iter().map(|r| decimal(r.prediction)).collect();
            PredictionMix::Values {
                mean: (!values.is_empty())
                    .then(|| values.iter().sum::<f64>() / values.len() as f64),
                quantiles: Quantiles::of(values),
            }
        }
    }
}

fn drift(info: &VersionInfo<'_>, w: &VersionWindow) -> (Option<DriftReport>, Option<String>) {
    if w.rows.is_empty() {
        return (None, None);
    }
    let binner = match &info.profile {
        Ok(b) => *b,
        Err(why) => return (None, Some(why.clone())),
    };
    let width = binner.widths().len();
    let mut counts = Counts::new(binner);
    for row in &w.rows {
        // Rows slotted by another profile (the bundle changed under the same version) are left
        // out rather than counted into the wrong slots.
        if let Some((prediction, fields)) = row.slots.split_last() {
            if row.slots.len() == width {
                counts.add(fields, *prediction);
            }
        }
    }
    match DriftReport::new(binner, &counts) {
        Some(report) => (Some(report), None),
        None => (
            None,
            Some("no row of the window was slotted by this version's profile".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let q = Quantiles::of((1..=100).map(f64::from).collect()).unwrap();
        assert_eq!(
            q,
            Quantiles {
                p50: 50.0,
                p90: 90.0,
                p99: 99.0,
                max: 100.0
            }
        );
        assert_eq!(Quantiles::of(vec![]), None);
        assert_eq!(Quantiles::of(vec![3.0]).unwrap().p50, 3.0);
    }

    #[test]
    fn regression_window_reports_values_and_why_there_is_no_drift() {
        let mut window = ModelWindow::new();
        let v = window.entry("2.0.0".into()).or_default();
        for x in [1.5f32, 2.5, 3.5, 10.0] {
            v.push_row(crate::ops::monitor::RowEntry {
                prediction: x,
                slots: Vec::new(),
            });
        }
        let info = VersionInfo {
            version: "2.0.0",
            weight: 100,
            classes: None,
            profile: Err("no training profile (format version 1)".into()),
        };
        let r = serde_json::to_value(report("prices", 10, &[info], &window)).unwrap();
        let v = &r["versions"][0];
        assert_eq!(v["predictions"]["mean"], 4.375);
        assert_eq!(v["predictions"]["quantiles"]["p50"], 2.5);
        assert_eq!(v["predictions"]["quantiles"]["max"], 10.0);
        assert!(v["drift"].is_null());
        assert_eq!(
            v["drift_unavailable"],
            "no training profile (format version 1)"
        );
        assert_eq!(v["requests"]["latency_ms"], Value::Null);
    }
}
