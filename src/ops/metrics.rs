//! Counters and latency histograms of a deployment, mergeable, in Prometheus' text format.
//!
//! A server records into one [`Metrics`]; the Worker records per isolate and sends the deltas
//! to a Durable Object that merges them ([`Metrics::merge`]) into the deployment's aggregate, so
//! `/metrics` answers for the deployment as a whole. The wire form is JSON (serde).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Upper bounds (seconds) of the latency buckets: 50 µs to 1 s.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 0.25, 1.0,
];

/// A metric's label set, in a fixed order: `[("model", "churn"), ("version", "1.0.0")]`.
pub type Labels = Vec<(String, String)>;

/// Bucket counts (not cumulative; one per [`LATENCY_BUCKETS`] bound, then +Inf), sum and count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub buckets: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        if self.buckets.len() != LATENCY_BUCKETS.len() + 1 {
            self.buckets = vec![0; LATENCY_BUCKETS.len() + 1];
        }
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&b| seconds <= b)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i] = self.buckets[i].saturating_add(1);
        self.sum += seconds.max(0.0);
        self.count = self.count.saturating_add(1);
    }

    fn merge(&mut self, other: &Histogram) {
        if self.buckets.len() < other.buckets.len() {
            self.buckets.resize(other.buckets.len(), 0);
        }
        // Deltas come from other isolates and the state store: saturate rather than overflow.
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a = a.saturating_add(*b);
        }
        self.sum += other.sum;
        self.count = self.count.saturating_add(other.count);
    }
}

/// One series: a metric name, its labels and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series<T> {
    pub name: String,
    pub labels: Labels,
    pub value: T,
}

/// Counters (monotonic sums) and histograms by (name, labels).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub struct Metrics {
    counters: BTreeMap<(String, Labels), f64>,
    histograms: BTreeMap<(String, Labels), Histogram>,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(default)]
    counters: Vec<Series<f64>>,
    #[serde(default)]
    histograms: Vec<Series<Histogram>>,
}

impl From<Wire> for Metrics {
    fn from(w: Wire) -> Metrics {
        let mut m = Metrics::default();
        for s in w.counters {
            m.add(&s.name, s.labels, s.value);
        }
        for s in w.histograms {
            m.add_histogram(&s.name, s.labels, &s.value);
        }
        m
    }
}

impl From<Metrics> for Wire {
    fn from(m: Metrics) -> Wire {
        fn series<T>(map: BTreeMap<(String, Labels), T>) -> Vec<Series<T>> {
            map.into_iter()
                .map(|((name, labels), value)| Series {
                    name,
                    labels,
                    value,
                })
                .collect()
        }
        Wire {
            counters: series(m.counters),
            histograms: series(m.histograms),
        }
    }
}

/// Builds a label set from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Metrics {
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty() && self.histograms.is_empty()
    }

    pub fn add(&mut self, name: &str, labels: Labels, value: f64) {
        *self.counters.entry((name.to_string(), labels)).or_default() += value;
    }

    /// Adds a whole histogram's observations to a series.
    pub fn add_histogram(&mut self, name: &str, labels: Labels, histogram: &Histogram) {
        self.histograms
            .entry((name.to_string(), labels))
            .or_default()
            .merge(histogram);
    }

    /// Adds every series of `other` to this one.
    pub fn merge(&mut self, other: &Metrics) {
        for ((name, labels), value) in &other.counters {
            *self
                .counters
                .entry((name.clone(), labels.clone()))
                .or_default() += value;
        }
        for (key, h) in &other.histograms {
            self.histograms.entry(key.clone()).or_default().merge(h);
        }
    }

    /// Prometheus' text exposition format (version 0.0.4), with a `# HELP` and `# TYPE` line per
    /// metric. `gauges` are appended as they are (feedback scores, traffic weights).
    pub fn render(&self, gauges: &[Series<f64>]) -> String {
        let mut out = String::new();
        let mut last = "";
        for ((name, labels), value) in &self.counters {
            if name != last {
                header(&mut out, name, "counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{} {}", label_text(labels, None), number(*value));
        }
        for ((name, labels), h) in &self.histograms {
            if name != last {
                header(&mut out, name, "histogram");
                last = name;
            }
            let mut cumulative = 0;
            for (i, bound) in LATENCY_BUCKETS
                .iter()
                .map(|b| number(*b))
                .chain(["+Inf".to_string()])
                .enumerate()
            {
                cumulative += h.buckets.get(i).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {cumulative}",
                    label_text(labels, Some(&bound))
                );
            }
            let _ = writeln!(
                out,
                "{name}_sum{} {}",
                label_text(labels, None),
                number(h.sum)
            );
            let _ = writeln!(out, "{name}_count{} {}", label_text(labels, None), h.count);
        }
        for g in gauges {
            if g.name != last {
                header(&mut out, &g.name, "gauge");
                last = &g.name;
            }
            let _ = writeln!(
                out,
                "{}{} {}",
                g.name,
                label_text(&g.labels, None),
                number(g.value)
            );
        }
        out
    }
}

/// What each metric means (the `# HELP` line).
fn help(name: &str) -> &'static str {
    match name {
        "wasmpredict_requests_total" => "Requests answered, by model, version and HTTP status.",
        "wasmpredict_rows_total" => "Rows predicted, by model and version.",
        "wasmpredict_featurize_seconds" => "Time to parse and featurize a request's rows.",
        "wasmpredict_inference_seconds" => "Time to evaluate the model on a request's rows.",
        "wasmpredict_shadow_rows_total" => "Rows the shadow version also predicted.",
        "wasmpredict_shadow_agreement_rows_total" => {
            "Shadow rows whose class equals the live answer's (classification)."
        }
        "wasmpredict_shadow_abs_diff_sum" => {
            "Sum of |shadow - live| over shadow rows (regression)."
        }
        "wasmpredict_feedback_total" => {
            "True outcomes recorded for predictions, by version (within the retention)."
        }
        "wasmpredict_feedback_correct_total" => {
            "Recorded outcomes equal to the predicted class (classification)."
        }
        "wasmpredict_feedback_accuracy" => {
            "Share of recorded outcomes equal to the predicted class."
        }
        "wasmpredict_feedback_mean_absolute_error" => {
            "Mean |outcome - prediction| of recorded outcomes (regression)."
        }
        "wasmpredict_feedback_root_mean_squared_error" => {
            "Root mean squared error of recorded outcomes (regression)."
        }
        "wasmpredict_traffic_weight" => "Percent of a model's requests sent to a version.",
        "wasmpredict_traffic_shadow" => "1 for a model's shadow version.",
        _ => "",
    }
}

fn header(out: &mut String, name: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {}", help(name));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn number(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.is_nan() {
        "NaN".into()
    } else {
        format!("{x}")
    }
}

fn label_text(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_round_trip_and_render() {
        let mut a = Metrics::default();
        a.add(
            "wasmpredict_requests_total",
            labels(&[("model", "churn"), ("version", "1.0.0"), ("code", "200")]),
            1.0,
        );
        let mut inference = Histogram::default();
        inference.observe(0.0003);
        a.add_histogram(
            "wasmpredict_inference_seconds",
            labels(&[("model", "churn"), ("version", "1.0.0")]),
            &inference,
        );
        let wire: Metrics = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(wire, a);
        let mut total = Metrics::default();
        total.merge(&a);
        total.merge(&wire);
        let text = total.render(&[Series {
            name: "wasmpredict_traffic_weight".into(),
            labels: labels(&[("model", "churn"), ("version", "1.0.0")]),
            value: 100.0,
        }]);
        assert!(text.contains("# TYPE wasmpredict_requests_total counter\nwasmpredict_requests_total{model=\"churn\",version=\"1.0.0\",code=\"200\"} 2\n"), "{text}");
        assert!(text.contains("wasmpredict_inference_seconds_bucket{model=\"churn\",version=\"1.0.0\",le=\"0.00025\"} 0\n"), "{text}");
        assert!(text.contains("wasmpredict_inference_seconds_bucket{model=\"churn\",version=\"1.0.0\",le=\"0.0005\"} 2\n"), "{text}");
        assert!(
            text.contains(
                "wasmpredict_inference_seconds_count{model=\"churn\",version=\"1.0.0\"} 2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("wasmpredict_traffic_weight{model=\"churn\",version=\"1.0.0\"} 100\n"),
            "{text}"
        );
    }
}
