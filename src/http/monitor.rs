//! The service's side of monitoring (`crate::ops::monitor`): each predict answer is noted in a
//! bounded buffer (a status, a latency and, for an answered body, its bytes and predictions),
//! and [`Service::take_monitor`] turns the buffer into a window delta later, off the request's
//! path: the adapter calls it from a background task (natively) or after the response is sent
//! (`waitUntil` in the Worker). The body is parsed again there, so a predict request pays
//! only for a copy of its bytes.

use super::service::Service;
use super::HttpResponse;
use crate::api::{parse_body, request, Prediction, Predictor};
use crate::drift::Binner;
use crate::error::ErrorCode;
use crate::infer::Outputs;
use crate::ops::monitor::{self, ModelWindow, RequestEntry, RowEntry, VersionInfo, Window};
use std::collections::VecDeque;

/// Bytes of answered bodies a service keeps until the next delta; past it the oldest bodies
/// are dropped (their requests still count), so a burst cannot grow memory without bound.
const MAX_PENDING_BYTES: usize = 16 << 20;

/// An answered body, as the predict route saw it.
#[derive(Debug)]
pub(super) struct AnsweredBody {
    pub bytes: Vec<u8>,
    /// An Open Inference Protocol body (read through its mapping to instances).
    pub oip: bool,
    /// Per row: the class index or the value.
    pub predictions: Vec<f32>,
}

#[derive(Debug)]
struct Noted {
    model: String,
    version: String,
    request: RequestEntry,
    body: Option<AnsweredBody>,
}

/// What the service answered since the last [`Service::take_monitor`].
#[derive(Debug, Default)]
pub(super) struct Pending {
    noted: VecDeque<Noted>,
    rows: usize,
    bytes: usize,
}

impl Pending {
    fn push(&mut self, noted: Noted, capacity: usize) {
        if let Some(b) = &noted.body {
            self.rows += b.predictions.len();
            self.bytes += b.bytes.len();
        }
        self.noted.push_back(noted);
        // The window keeps the last `capacity` rows: an older body whose rows would all leave
        // it is dropped now; past the byte cap, the oldest bodies go (the newest always stays).
        while let Some(i) = self.noted.iter().position(|n| n.body.is_some()) {
            let oldest = self.noted[i]
                .body
                .as_ref()
                .map_or(0, |b| b.predictions.len());
            let newest = i + 1 == self.noted.len();
            if newest || (self.rows - oldest < capacity && self.bytes <= MAX_PENDING_BYTES) {
                break;
            }
            self.drop_body(i);
        }
        while self.noted.len() > capacity {
            self.drop_body(0);
            self.noted.pop_front();
        }
    }

    fn drop_body(&mut self, i: usize) {
        if let Some(b) = self.noted.get_mut(i).and_then(|n| n.body.take()) {
            self.rows -= b.predictions.len();
            self.bytes -= b.bytes.len();
        }
    }
}

/// Per row, what the window keeps of an answer: the class index or the value.
pub(super) fn predictions_of(outputs: &Outputs) -> Vec<f32> {
    match outputs {
        Outputs::Classification { labels, .. } => labels.iter().map(|&l| l as f32).collect(),
        Outputs::Regression { values } => values.clone(),
    }
}

/// The same from an answer already written as predictions (the OIP mapping).
pub(super) fn predictions_of_answer(p: &Predictor, predictions: &[Prediction]) -> Vec<f32> {
    let classes = p.manifest().classes.as_deref().unwrap_or_default();
    predictions
        .iter()
        .map(|pr| match pr {
            Prediction::Class(c) => classes
                .iter()
                .position(|k| k == c)
                .map_or(f32::NAN, |i| i as f32),
            Prediction::Value(v) => *v as f32,
        })
        .collect()
}

impl Service {
    /// Notes one predict answer of `p` for the window (nothing when monitoring is off).
    pub(super) fn note(
        &self,
        p: &Predictor,
        status: u16,
        error: Option<ErrorCode>,
        ms: f64,
        body: Option<AnsweredBody>,
    ) {
        let capacity = self.config.monitor_window;
        if capacity == 0 {
            return;
        }
        let m = p.manifest();
        let noted = Noted {
            model: m.name.clone(),
            version: m.version.clone(),
            request: RequestEntry {
                status,
                error,
                ms: ms as f32,
            },
            body,
        };
        if let Ok(mut pending) = self.pending.lock() {
            pending.push(noted, capacity);
        }
    }

    /// Whether answered bodies should be copied for the window.
    pub(super) fn monitoring(&self) -> bool {
        self.config.monitor_window > 0
    }

    /// What was answered since the last call, as a window delta: rows are parsed again and put
    /// into their version's profile slots here.
    pub fn take_monitor(&self) -> Window {
        let pending = self
            .pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        let mut delta = Window::new(self.config.monitor_window);
        for noted in pending.noted {
            let window = delta.version(&noted.model, &noted.version);
            window.push_request(noted.request);
            if let Some(body) = noted.body {
                for row in self.slot_rows(&noted.model, &noted.version, &body) {
                    window.push_row(row);
                }
            }
        }
        delta
    }

    fn slot_rows(&self, model: &str, version: &str, body: &AnsweredBody) -> Vec<RowEntry> {
        let mut rows: Vec<RowEntry> = body
            .predictions
            .iter()
            .map(|&prediction| RowEntry {
                prediction,
                slots: Vec::new(),
            })
            .collect();
        let (Ok(p), Ok(binner)) = (
            self.predictor_version(model, Some(version)),
            self.binner(model, version),
        ) else {
            return rows;
        };
        let Ok(value) = parse_body(&body.bytes) else {
            return rows;
        };
        let value = if body.oip {
            match super::oip::to_instances(&p, &value) {
                Ok(v) => v,
                Err(_) => return rows,
            }
        } else {
            value
        };
        let Ok(parsed) = request::parse(&value, &p.manifest().input) else {
            return rows;
        };
        if parsed.rows.len() != rows.len() {
            return rows;
        }
        let classification = p.manifest().classes.is_some();
        for (entry, cells) in rows.iter_mut().zip(&parsed.rows) {
            binner.row_slots(cells, &mut entry.slots);
            entry.slots.push(if classification {
                let class = entry.prediction;
                binner.class_slot(if class >= 0.0 {
                    class as usize
                } else {
                    usize::MAX
                })
            } else {
                binner.value_slot(f64::from(entry.prediction))
            });
        }
        rows
    }

    /// `GET /models/{name}/monitor`: the report of the model's window (`window`: what the
    /// deployment's state holds for it).
    pub(super) fn monitor_report(&self, name: &str, window: &ModelWindow) -> HttpResponse {
        let traffic = self.traffic(name);
        let versions = self.versions(name);
        let predictors: Vec<Result<std::sync::Arc<Predictor>, String>> = versions
            .iter()
            .map(|v| self.predictor_version(name, Some(v)).map_err(|e| e.message))
            .collect();
        let binners: Vec<Result<&Binner, String>> =
            versions.iter().map(|v| self.binner(name, v)).collect();
        let infos: Vec<VersionInfo<'_>> = versions
            .iter()
            .zip(&predictors)
            .zip(binners)
            .map(|((v, p), profile)| VersionInfo {
                version: v,
                weight: traffic.split.get(*v).copied().unwrap_or(0),
                classes: p
                    .as_ref()
                    .ok()
                    .and_then(|p| p.manifest().classes.as_deref()),
                profile: profile.map_err(|e| match p {
                    Err(load) => load.clone(),
                    Ok(_) => e,
                }),
            })
            .collect();
        HttpResponse::json(
            200,
            &monitor::report(name, self.config.monitor_window, &infos, window),
        )
    }
}
