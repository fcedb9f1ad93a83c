//! The rolling window behind `GET /models/{name}/monitor`: per model and version, the last
//! `capacity` answered predict requests and the last `capacity` predicted rows. A row is kept as
//! its slots in the version's training profile, so the window's drift counts can be rebuilt
//! once older rows have left it.
//!
//! A [`Window`] is also the wire form of what a process saw since its last send (a delta): the
//! state store appends deltas with [`Window::add`] in the order they arrive.

use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// One answered predict request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RequestEntry {
    pub status: u16,
    /// The error's code, for a refused request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    /// Milliseconds from routing to the encoded answer, by the adapter's clock.
    pub ms: f32,
}

/// One predicted row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowEntry {
    /// The class index (classification) or the predicted value (regression).
    #[serde(rename = "p")]
    pub prediction: f32,
    /// The row's slot in each histogram of the training profile, the prediction's last
    /// ([`crate::drift::Binner`]); empty when the bundle has no profile.
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<u32>,
}

/// What one version of a model saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VersionWindow {
    pub requests: VecDeque<RequestEntry>,
    pub rows: VecDeque<RowEntry>,
    /// Requests and rows ever added, including those that left the window.
    #[serde(default)]
    pub requests_seen: u64,
    #[serde(default)]
    pub rows_seen: u64,
}

impl VersionWindow {
    pub fn push_request(&mut self, entry: RequestEntry) {
        self.requests.push_back(entry);
        self.requests_seen = self.requests_seen.saturating_add(1);
    }

    pub fn push_row(&mut self, row: RowEntry) {
        self.rows.push_back(row);
        self.rows_seen = self.rows_seen.saturating_add(1);
    }

    fn add(&mut self, other: VersionWindow) {
        self.requests.extend(other.requests);
        self.rows.extend(other.rows);
        // Deltas come from other isolates and the state store: saturate rather than overflow.
        self.requests_seen = self.requests_seen.saturating_add(other.requests_seen);
        self.rows_seen = self.rows_seen.saturating_add(other.rows_seen);
    }

    /// Drops the oldest entries beyond `capacity`.
    fn trim(&mut self, capacity: usize) {
        let excess = self.requests.len().saturating_sub(capacity);
        self.requests.drain(..excess);
        let excess = self.rows.len().saturating_sub(capacity);
        self.rows.drain(..excess);
    }

    pub fn is_empty(&self) -> bool {
        self.requests_seen == 0 && self.rows_seen == 0
    }
}

/// A model's versions, by version.
pub type ModelWindow = BTreeMap<String, VersionWindow>;

/// Every model's window (or a delta to add to one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Window {
    /// Requests and rows kept per version; the latest delta's capacity is the window's.
    pub capacity: usize,
    pub models: BTreeMap<String, ModelWindow>,
}

impl Window {
    pub fn new(capacity: usize) -> Window {
        Window {
            capacity,
            models: BTreeMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.models
            .values()
            .flat_map(|m| m.values())
            .all(VersionWindow::is_empty)
    }

    pub fn version(&mut self, model: &str, version: &str) -> &mut VersionWindow {
        self.models
            .entry(model.to_string())
            .or_default()
            .entry(version.to_string())
            .or_default()
    }

    /// Appends a delta's entries after this window's and keeps the last `capacity` of each.
    pub fn add(&mut self, delta: Window) {
        let resized = delta.capacity > 0 && delta.capacity != self.capacity;
        if delta.capacity > 0 {
            self.capacity = delta.capacity;
        }
        for (model, versions) in delta.models {
            add_model(
                self.models.entry(model).or_default(),
                versions,
                self.capacity,
            );
        }
        // add_model trimmed what the delta touched; a new capacity applies to the rest too.
        if resized {
            for versions in self.models.values_mut() {
                for v in versions.values_mut() {
                    v.trim(self.capacity);
                }
            }
        }
    }
}

/// Appends one model's delta to its window (what a store keeping each model apart calls);
/// a capacity of 0 (a delta from a process that keeps none) trims nothing.
pub fn add_model(window: &mut ModelWindow, delta: ModelWindow, capacity: usize) {
    for (version, entries) in delta {
        let v = window.entry(version).or_default();
        v.add(entries);
        if capacity > 0 {
            v.trim(capacity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(p: f32) -> RowEntry {
        RowEntry {
            prediction: p,
            slots: vec![1, 2],
        }
    }

    #[test]
    fn keeps_the_last_rows_and_counts_every_one() {
        let mut window = Window::new(3);
        for i in 0..2 {
            let mut delta = Window::new(3);
            let v = delta.version("churn", "1.0.0");
            for j in 0..2 {
                v.push_row(row((i * 2 + j) as f32));
                v.push_request(RequestEntry {
                    status: 200,
                    error: None,
                    ms: 1.0,
                });
            }
            window.add(delta);
        }
        let v = &window.models["churn"]["1.0.0"];
        let kept: Vec<f32> = v.rows.iter().map(|r| r.prediction).collect();
        assert_eq!(kept, [1.0, 2.0, 3.0]);
        assert_eq!((v.rows_seen, v.requests_seen, v.requests.len()), (4, 4, 3));
        let wire: Window = serde_json::from_str(&serde_json::to_string(&window).unwrap()).unwrap();
        assert_eq!(wire, window);
    }
}
