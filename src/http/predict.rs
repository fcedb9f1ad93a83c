//! The predict routes of [`Service`]: the version the traffic picks (or the one the path
//! pins), the prediction id of a one-row answer, the shadow version's comparison, and the
//! headers and counters every predict answer gets.

use super::monitor::{predictions_of, predictions_of_answer, AnsweredBody};
use super::service::Service;
use super::{oip, HttpRequest, HttpResponse};
use crate::api::response::push_member;
use crate::api::{Pace, Predictor, Timings};
use crate::error::ErrorCode;
use crate::infer::Outputs;
use crate::ops::metrics::labels;
use crate::ops::prediction_id::PredictionId;
use crate::ops::traffic::mix64;
use std::sync::atomic::Ordering;

impl Service {
    pub(super) async fn infer(
        &self,
        name: &str,
        version: Option<&str>,
        req: &HttpRequest<'_>,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> HttpResponse {
        let started = clock();
        let predictor = match self.predictor_version(name, version) {
            Ok(p) => p,
            Err(e) => return HttpResponse::error(&e),
        };
        let answer = match crate::api::parse_body(req.bytes()) {
            Ok(body) => {
                oip::infer_paced(&predictor, &body, self.config.max_rows, clock, pace).await
            }
            Err(e) => Err(e),
        };
        let (response, served) = match answer {
            Ok(inferred) => {
                let body = self.monitoring().then(|| AnsweredBody {
                    bytes: req.bytes().to_vec(),
                    oip: true,
                    predictions: predictions_of_answer(&predictor, &inferred.predictions),
                });
                let rows = inferred.answer["outputs"][0]["shape"][0]
                    .as_u64()
                    .map_or(0, |n| n as usize);
                (
                    HttpResponse::json(200, &inferred.answer),
                    Served::Answered {
                        rows,
                        timings: inferred.timings,
                        body,
                    },
                )
            }
            Err(e) => (HttpResponse::error(&e), Served::Refused(e.code)),
        };
        self.after_predict(&predictor, response, served, clock() - started)
    }

    /// `POST /predict`, `/models/{name}/predict` (the traffic picks the version, a shadow
    /// version may run too) and `/models/{name}/versions/{v}/predict`.
    pub(super) async fn predict(
        &self,
        name: &str,
        pinned: Option<&str>,
        req: &HttpRequest<'_>,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> HttpResponse {
        let started = clock();
        if !self.has_model(name) {
            return HttpResponse::error(&self.unknown_model(name));
        }
        let traffic = self.traffic(name);
        let version = match pinned {
            Some(v) => v,
            None => {
                let key = traffic
                    .sticky_header
                    .as_deref()
                    .and_then(|h| req.header(h))
                    .filter(|k| !k.is_empty());
                let draw = mix64(
                    self.draws.fetch_add(1, Ordering::Relaxed) ^ req.received_ms.rotate_left(32),
                );
                traffic.choose(name, key, draw)
            }
        };
        let predictor = match self.predictor_version(name, Some(version)) {
            Ok(p) => p,
            Err(e) => return HttpResponse::error(&e),
        };
        let answer = predictor
            .answer_json_paced(req.bytes(), self.config.max_rows, clock, pace)
            .await;
        let (response, served) = match answer {
            Ok(a) => {
                let mut json = a.json;
                let mut headers =
                    vec![("content-type".to_string(), "application/json".to_string())];
                if a.single {
                    if let Some(id) = self.prediction_id(&predictor, &a.outputs, req.received_ms) {
                        // A string always serializes.
                        let _ = push_member(&mut json, "id", &id);
                        headers.push(("x-prediction-id".into(), id));
                    }
                }
                if pinned.is_none() {
                    if let Some(shadow) = &traffic.shadow {
                        self.shadow(name, version, shadow, req, &a.outputs, pace)
                            .await;
                    }
                }
                let body = self.monitoring().then(|| AnsweredBody {
                    bytes: req.bytes().to_vec(),
                    oip: false,
                    predictions: predictions_of(&a.outputs),
                });
                (
                    HttpResponse {
                        status: 200,
                        headers,
                        body: json,
                    },
                    Served::Answered {
                        rows: a.rows,
                        timings: a.timings,
                        body,
                    },
                )
            }
            Err(e) => (HttpResponse::error(&e), Served::Refused(e.code)),
        };
        self.after_predict(&predictor, response, served, clock() - started)
    }

    fn prediction_id(&self, p: &Predictor, outputs: &Outputs, now_ms: u64) -> Option<String> {
        let m = p.manifest();
        let id = PredictionId {
            model: m.name.clone(),
            version: m.version.clone(),
            prediction: p.prediction_text(outputs, 0)?,
            issued_ms: now_ms,
            nonce: mix64(self.draws.fetch_add(1, Ordering::Relaxed) ^ now_ms),
        };
        Some(id.encode(self.id_key()))
    }

    /// Runs the shadow version on the same body and counts how far it agrees with the live
    /// answer; its own answer and errors go nowhere else.
    async fn shadow(
        &self,
        name: &str,
        live: &str,
        shadow: &str,
        req: &HttpRequest<'_>,
        live_outputs: &Outputs,
        pace: &dyn Pace,
    ) {
        let Ok(p) = self.predictor_version(name, Some(shadow)) else {
            return;
        };
        let Ok(answer) = p
            .answer_json_paced(req.bytes(), self.config.max_rows, &|| 0.0, pace)
            .await
        else {
            return;
        };
        let l = labels(&[("model", name), ("live", live), ("shadow", shadow)]);
        let rows = answer.rows as f64;
        self.record(|m| {
            m.add("wasmpredict_shadow_rows_total", l.clone(), rows);
            match (live_outputs, &answer.outputs) {
                (
                    Outputs::Classification { labels: a, .. },
                    Outputs::Classification { labels: b, .. },
                ) => {
                    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
                    m.add(
                        "wasmpredict_shadow_agreement_rows_total",
                        l.clone(),
                        same as f64,
                    );
                }
                (Outputs::Regression { values: a }, Outputs::Regression { values: b }) => {
                    let diff: f64 = a.iter().zip(b).map(|(x, y)| f64::from((x - y).abs())).sum();
                    m.add("wasmpredict_shadow_abs_diff_sum", l.clone(), diff);
                }
                _ => {}
            }
        });
    }

    /// Adds `Server-Timing` and `x-model-version` to a predict answer, counts it and notes it
    /// for the monitoring window (`ms`: from routing to the encoded answer).
    fn after_predict(
        &self,
        p: &Predictor,
        mut response: HttpResponse,
        served: Served,
        ms: f64,
    ) -> HttpResponse {
        let m = p.manifest();
        let (model, version) = (m.name.as_str(), m.version.as_str());
        let (error, timings, body) = match served {
            Served::Answered {
                rows,
                timings,
                body,
            } => (None, Some((rows, timings)), body),
            Served::Refused(code) => (Some(code), None, None),
        };
        let work = timings.map(|(rows, t)| (rows, t.featurize_ms / 1e3, t.inference_ms / 1e3));
        if let Ok(mut stats) = self.stats.lock() {
            stats.request(model, version, response.status, work);
        }
        self.note(p, response.status, error, ms, body);
        if let Some((_, t)) = timings {
            response.headers.push((
                "server-timing".into(),
                format!(
                    "featurize;dur={:.3}, inference;dur={:.3}",
                    t.featurize_ms, t.inference_ms
                ),
            ));
        }
        response
            .headers
            .push(("x-model-version".into(), version.to_string()));
        response
    }
}

/// How a predict request ended.
enum Served {
    Answered {
        rows: usize,
        timings: Timings,
        /// The body, kept for the monitoring window when it is on.
        body: Option<AnsweredBody>,
    },
    Refused(ErrorCode),
}
