//! The counters a service keeps per request, by model and version, in a shape that costs no
//! allocation on the predict path once a version has been seen (nested maps looked up by
//! `&str`); [`ServingStats::take`] turns them into [`Metrics`] series for the aggregate.

use super::metrics::{labels, Histogram, Metrics};
use std::collections::BTreeMap;

/// One version's request counters.
#[derive(Debug, Default)]
struct VersionStats {
    /// Requests by HTTP status.
    codes: BTreeMap<u16, u64>,
    rows: u64,
    featurize: Histogram,
    inference: Histogram,
}

/// Request counters by model, then version.
#[derive(Debug, Default)]
pub struct ServingStats {
    models: BTreeMap<String, BTreeMap<String, VersionStats>>,
}

impl ServingStats {
    fn version(&mut self, model: &str, version: &str) -> Option<&mut VersionStats> {
        if !self.models.contains_key(model) {
            self.models.insert(model.to_owned(), BTreeMap::new());
        }
        let versions = self.models.get_mut(model)?;
        if !versions.contains_key(version) {
            versions.insert(version.to_owned(), VersionStats::default());
        }
        versions.get_mut(version)
    }

    /// Counts one answered request: its status, and for a prediction its rows and timings
    /// (seconds).
    pub fn request(
        &mut self,
        model: &str,
        version: &str,
        status: u16,
        work: Option<(usize, f64, f64)>,
    ) {
        let Some(stats) = self.version(model, version) else {
            return;
        };
        *stats.codes.entry(status).or_default() += 1;
        if let Some((rows, featurize, inference)) = work {
            stats.rows += rows as u64;
            stats.featurize.observe(featurize);
            stats.inference.observe(inference);
        }
    }

    /// The counters as metric series, leaving this empty.
    pub fn take(&mut self) -> Metrics {
        let mut out = Metrics::default();
        for (model, versions) in std::mem::take(&mut self.models) {
            for (version, s) in versions {
                let l = labels(&[("model", &model), ("version", &version)]);
                for (code, n) in s.codes {
                    let code = code.to_string();
                    out.add(
                        "wasmpredict_requests_total",
                        labels(&[("model", &model), ("version", &version), ("code", &code)]),
                        n as f64,
                    );
                }
                if s.featurize.count > 0 {
                    out.add("wasmpredict_rows_total", l.clone(), s.rows as f64);
                    out.add_histogram("wasmpredict_featurize_seconds", l.clone(), &s.featurize);
                    out.add_histogram("wasmpredict_inference_seconds", l, &s.inference);
                }
            }
        }
        out
    }
}
