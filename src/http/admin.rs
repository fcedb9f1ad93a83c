//! The admin routes (traffic, feedback scores, metrics, the monitoring window: bearer token
//! required) and the feedback route, which is open but stores state. Each answers an
//! [`Effect`] for the adapter to perform, then [`complete`] turns the result into the response.

use super::effects::{Effect, EffectDone, Handled};
use super::handling::too_large;
use super::routes::Route;
use super::service::Service;
use super::{HttpRequest, HttpResponse, RequestBody};
use crate::error::{ApiError, ErrorCode};
use crate::ops::feedback::{self, ScoreRow, VersionScore};
use crate::ops::metrics::{labels, Series};
use crate::ops::token;
use serde_json::json;

fn error(e: &ApiError) -> Handled {
    Handled::Response(HttpResponse::error(e))
}

pub(super) fn handle(service: &Service, route: Route<'_>, req: &HttpRequest<'_>) -> Handled {
    if let Err(e) = token::check(
        service.config().admin_token.as_deref(),
        req.header("authorization"),
    ) {
        return error(&e);
    }
    match route {
        Route::Metrics => Handled::Effect(Effect::ReadMetrics),
        Route::Monitor(name) => {
            if !service.has_model(name) {
                return error(&service.unknown_model(name));
            }
            Handled::Effect(Effect::ReadMonitor {
                model: name.to_string(),
            })
        }
        Route::AdminFeedback(name) => {
            if !service.has_model(name) {
                return error(&service.unknown_model(name));
            }
            Handled::Effect(Effect::ReadScores {
                model: name.to_string(),
            })
        }
        Route::AdminTraffic(name) => {
            if !service.has_model(name) {
                return error(&service.unknown_model(name));
            }
            if req.method != "PUT" {
                return Handled::Response(traffic_state(service, name));
            }
            let body = match req.body {
                RequestBody::TooLarge { declared } => {
                    return error(&too_large(declared, service.config().max_body_bytes))
                }
                RequestBody::Bytes(b) => b,
            };
            match crate::ops::traffic::Traffic::parse(body, &service.versions(name)) {
                Ok(traffic) => Handled::Effect(Effect::SaveTraffic {
                    model: name.to_string(),
                    traffic,
                }),
                Err(e) => error(&e),
            }
        }
        _ => error(&ApiError::new(
            ErrorCode::RouteNotFound,
            "not an admin route",
        )),
    }
}

/// `GET /admin/models/{name}/traffic`: the traffic, the live version and every version.
fn traffic_state(service: &Service, name: &str) -> HttpResponse {
    HttpResponse::json(
        200,
        &service.traffic(name).state(name, &service.versions(name)),
    )
}

/// `POST /models/{name}/feedback`.
pub(super) fn feedback(service: &Service, name: &str, req: &HttpRequest<'_>) -> Handled {
    if !service.has_model(name) {
        return error(&service.unknown_model(name));
    }
    let body = match crate::api::parse_body(req.bytes()) {
        Ok(b) => b,
        Err(e) => return error(&e),
    };
    let version_of = |version: &str| {
        service
            .predictor_version(name, Some(version))
            .map(|p| (p.manifest().task, p.manifest().classes.clone()))
    };
    match feedback::parse(
        &body,
        name,
        &version_of,
        service.id_key(),
        req.received_ms,
        service.config().retention_ms(),
    ) {
        Ok(record) => Handled::Effect(Effect::SaveFeedback {
            record,
            oldest_ms: req
                .received_ms
                .saturating_sub(service.config().retention_ms()),
        }),
        Err(e) => error(&e),
    }
}

/// The response to a performed effect.
pub(super) fn complete(
    service: &Service,
    effect: Effect,
    done: Result<EffectDone, String>,
) -> HttpResponse {
    let done = match done {
        Ok(d) => d,
        Err(message) => {
            return HttpResponse::error(&ApiError::new(
                ErrorCode::StorageFailed,
                format!("the deployment's state store failed: {message}"),
            ))
        }
    };
    match (effect, done) {
        (Effect::SaveTraffic { model, traffic }, EffectDone::Saved) => {
            match service.set_traffic(&model, traffic) {
                Ok(()) => traffic_state(service, &model),
                Err(e) => HttpResponse::error(&e),
            }
        }
        (Effect::SaveFeedback { record, .. }, EffectDone::Saved) => HttpResponse::json(
            201,
            &json!({"id": record.id, "model": record.model, "version": record.version,
                    "predicted": serde_json::from_str::<serde_json::Value>(&record.predicted).unwrap_or_default(),
                    "correct": record.correct.map(|c| c == 1), "error": record.error}),
        ),
        (Effect::SaveFeedback { record, .. }, EffectDone::Duplicate) => {
            HttpResponse::error(&ApiError::for_field(
                ErrorCode::DuplicateFeedback,
                "id",
                format!("prediction {} already has an outcome", record.id),
            ))
        }
        (Effect::ReadMetrics, EffectDone::Metrics { metrics, scores }) => {
            let mut gauges = traffic_gauges(service);
            gauges.extend(feedback::gauges(&known_scores(service, &scores)));
            let text = metrics.render(&gauges);
            HttpResponse {
                status: 200,
                headers: vec![(
                    "content-type".into(),
                    "text/plain; version=0.0.4; charset=utf-8".into(),
                )],
                body: text.into_bytes(),
            }
        }
        (Effect::ReadScores { model }, EffectDone::Scores(rows)) => {
            HttpResponse::json(200, &scores_for(service, &model, &rows))
        }
        (Effect::ReadMonitor { model }, EffectDone::Monitor(window)) => {
            service.monitor_report(&model, &window)
        }
        (effect, done) => HttpResponse::error(&ApiError::new(
            ErrorCode::StorageFailed,
            format!("the state store answered {done:?} to {effect:?}"),
        )),
    }
}

/// Score rows of models and versions this deployment serves.
fn known_scores(service: &Service, rows: &[ScoreRow]) -> Vec<VersionScore> {
    rows.iter()
        .filter(|r| service.versions(&r.model).contains(&r.version.as_str()))
        .map(VersionScore::from)
        .collect()
}

/// `GET /admin/models/{name}/feedback`: every version of the model, with its scores (count 0
/// when nothing was recorded), and the traffic it has.
pub(super) fn scores_for(service: &Service, name: &str, rows: &[ScoreRow]) -> serde_json::Value {
    let traffic = service.traffic(name);
    let versions: Vec<serde_json::Value> = service
        .versions(name)
        .into_iter()
        .map(|v| {
            let score = rows
                .iter()
                .find(|r| r.model == name && r.version == v)
                .map(VersionScore::from)
                .unwrap_or_else(|| {
                    VersionScore::from(&ScoreRow {
                        model: name.into(),
                        version: v.into(),
                        ..Default::default()
                    })
                });
            let mut entry = json!(score);
            entry["weight"] = json!(traffic.split.get(v).copied().unwrap_or(0));
            entry
        })
        .collect();
    json!({"model": name, "live": traffic.live(), "versions": versions})
}

/// Each model's traffic weights (and shadow) as gauges.
fn traffic_gauges(service: &Service) -> Vec<Series<f64>> {
    let mut weights = Vec::new();
    let mut shadows = Vec::new();
    for name in service.model_names() {
        let traffic = service.traffic(name);
        for v in service.versions(name) {
            weights.push(Series {
                name: "wasmpredict_traffic_weight".into(),
                labels: labels(&[("model", name), ("version", v)]),
                value: f64::from(traffic.split.get(v).copied().unwrap_or(0)),
            });
        }
        if let Some(s) = &traffic.shadow {
            shadows.push(Series {
                name: "wasmpredict_traffic_shadow".into(),
                labels: labels(&[("model", name), ("version", s)]),
                value: 1.0,
            });
        }
    }
    weights.extend(shadows);
    weights
}
