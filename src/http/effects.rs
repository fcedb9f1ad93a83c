//! State work an adapter performs for the service: [`Service::handle`] answers
//! [`Handled::Effect`] when a request reads or writes state that must outlive it or be shared
//! between processes (the traffic table, feedback, the deployment's metrics, the monitoring
//! window); the adapter performs it where its platform keeps state and hands the result to
//! [`Service::complete`]. The responses to each effect are written by `admin`.

use super::routes::{self, Route};
use super::service::Service;
use super::{admin, HttpRequest, HttpResponse};
use crate::ops::feedback::{FeedbackRecord, ScoreRow};
use crate::ops::metrics::Metrics;
use crate::ops::monitor::ModelWindow;
use crate::ops::traffic::Traffic;

/// What [`Service::handle`] answers: a response, or state the adapter must read or write
/// before [`Service::complete`] can answer.
#[derive(Debug)]
pub enum Handled {
    Response(HttpResponse),
    Effect(Effect),
}

/// State work an adapter performs for a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Store a model's new traffic (validated), so every process serving it sees it.
    SaveTraffic { model: String, traffic: Traffic },
    /// Store an outcome ([`crate::ops::feedback::SQL_INSERT`]) after deleting those received
    /// before `oldest_ms` (the retention, [`crate::ops::feedback::SQL_EXPIRE`]).
    SaveFeedback {
        record: FeedbackRecord,
        oldest_ms: u64,
    },
    /// Read the deployment's metrics aggregate (after adding [`Service::take_metrics`]) and
    /// the feedback scores ([`crate::ops::feedback::SQL_SCORES`]).
    ReadMetrics,
    /// Read the feedback scores (for one model's summary).
    ReadScores { model: String },
    /// Add [`Service::take_monitor`]'s delta to the deployment's monitoring window and read the
    /// model's part of it.
    ReadMonitor { model: String },
}

/// What the adapter found or did for an [`Effect`].
#[derive(Debug, Clone, PartialEq)]
pub enum EffectDone {
    Saved,
    /// The outcome was not stored: the prediction already had one.
    Duplicate,
    Metrics {
        metrics: Metrics,
        scores: Vec<ScoreRow>,
    },
    Scores(Vec<ScoreRow>),
    /// The model's window, by version.
    Monitor(ModelWindow),
}

impl Service {
    /// Answers a request whose [`Effect`] the adapter performed (`done`), or failed to
    /// (`Err(message)`: 503 `storage_failed`).
    pub fn complete(
        &self,
        req: &HttpRequest<'_>,
        effect: Effect,
        done: Result<EffectDone, String>,
    ) -> HttpResponse {
        let path = routes::resolve_dots(req.path);
        let route = Route::parse(&path);
        let response = admin::complete(self, effect, done);
        self.finish(route, req, response)
    }

    /// Answers a request completely when the adapter keeps its state in this process
    /// (`perform` runs each effect synchronously).
    pub fn handle_with(
        &self,
        req: &HttpRequest<'_>,
        clock: &dyn Fn() -> f64,
        perform: impl FnOnce(&Effect) -> Result<EffectDone, String>,
    ) -> HttpResponse {
        match self.handle(req, clock) {
            Handled::Response(r) => r,
            Handled::Effect(effect) => {
                let done = perform(&effect);
                self.complete(req, effect, done)
            }
        }
    }
}
