//! The isolate's side of the deployment's state: it performs the service's effects on the
//! `DeploymentState` Durable Object (binding `STATE`), refreshes the traffic table every few
//! seconds, and sends its metrics and its monitoring window delta to the object in the
//! background (`waitUntil`), at most once a second, so a predict request never waits for them.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::Duration;
use wasmpredict::http::{Effect, EffectDone, Service};
use wasmpredict::ops::feedback::ScoreRow;
use wasmpredict::ops::metrics::Metrics;
use wasmpredict::ops::traffic::Traffic;
use worker::{
    console_error, js_sys, wasm_bindgen::JsValue, Context, Delay, Env, Method, Request,
    RequestInit, Response,
};

/// How old the isolate's copy of the traffic table may get: a rollback reaches every isolate
/// within this (plus one request to the object).
const TRAFFIC_TTL_MS: f64 = 2_000.0;
/// How long metrics gather in an isolate before they are sent.
const METRICS_FLUSH_MS: u64 = 1_000;

thread_local! {
    static TRAFFIC_READ_AT: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
    static FLUSH_PENDING: Cell<bool> = const { Cell::new(false) };
}

async fn call(
    env: &Env,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Response, String> {
    let broken =
        |e: worker::Error| format!("the STATE Durable Object binding is missing or broken: {e}");
    let namespace = env.durable_object("STATE").map_err(broken)?;
    let stub = namespace
        .id_from_name("deployment")
        .and_then(|id| id.get_stub())
        .map_err(broken)?;
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        init.with_body(Some(JsValue::from_str(&body)));
    }
    let request = Request::new_with_init(&format!("https://deployment-state{path}"), &init)
        .map_err(|e| e.to_string())?;
    let mut response = stub
        .fetch_with_request(request)
        .await
        .map_err(|e| format!("the deployment state did not answer: {e}"))?;
    if response.status_code() >= 400 {
        let text = response.text().await.unwrap_or_default();
        return Err(format!(
            "the deployment state answered {}: {text}",
            response.status_code()
        ));
    }
    Ok(response)
}

async fn json<T: serde::de::DeserializeOwned>(
    env: &Env,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<T, String> {
    let mut response = call(env, method, path, body).await?;
    response
        .json()
        .await
        .map_err(|e| format!("the deployment state's answer is not what was expected: {e}"))
}

/// Reads the stored traffic table when the isolate's copy is older than [`TRAFFIC_TTL_MS`].
pub async fn refresh_traffic(env: &Env, service: &Service) {
    let now = js_sys::Date::now();
    if now - TRAFFIC_READ_AT.with(Cell::get) < TRAFFIC_TTL_MS {
        return;
    }
    // Also on failure: a missing binding must not cost every request a failed call.
    TRAFFIC_READ_AT.with(|t| t.set(now));
    match json::<BTreeMap<String, Traffic>>(env, Method::Get, "/traffic", None).await {
        Ok(table) => {
            for skipped in service.load_traffic_table(&table) {
                console_error!("stored traffic ignored: {skipped}");
            }
        }
        Err(e) => console_error!("{e}"),
    }
}

/// Performs one of the service's effects on the Durable Object.
pub async fn perform(env: &Env, service: &Service, effect: &Effect) -> Result<EffectDone, String> {
    match effect {
        Effect::SaveTraffic { model, traffic } => {
            let body = serde_json::to_string(traffic).map_err(|e| e.to_string())?;
            call(env, Method::Put, &format!("/traffic/{model}"), Some(body)).await?;
            Ok(EffectDone::Saved)
        }
        Effect::SaveFeedback { record, oldest_ms } => {
            let oldest_ms = *oldest_ms as f64;
            let body = serde_json::json!({"record": record, "oldest_ms": oldest_ms}).to_string();
            let answer: serde_json::Value =
                json(env, Method::Post, "/feedback", Some(body)).await?;
            Ok(if answer["stored"] == true {
                EffectDone::Saved
            } else {
                EffectDone::Duplicate
            })
        }
        Effect::ReadMetrics => {
            let delta = service.take_metrics();
            let body = serde_json::to_string(&delta).map_err(|e| e.to_string())?;
            #[derive(serde::Deserialize)]
            struct Aggregate {
                metrics: Metrics,
                scores: Vec<ScoreRow>,
            }
            match json::<Aggregate>(env, Method::Post, "/metrics/read", Some(body)).await {
                Ok(a) => Ok(EffectDone::Metrics {
                    metrics: a.metrics,
                    scores: a.scores,
                }),
                Err(e) => {
                    service.restore_metrics(delta);
                    Err(e)
                }
            }
        }
        Effect::ReadScores { .. } => Ok(EffectDone::Scores(
            json(env, Method::Get, "/scores", None).await?,
        )),
        Effect::ReadMonitor { model } => {
            // This isolate's part goes first, so the answer includes what it just served.
            let delta = service.take_monitor();
            let body = serde_json::to_string(&delta).map_err(|e| e.to_string())?;
            let path = format!("/monitor/read/{model}");
            Ok(EffectDone::Monitor(
                json(env, Method::Post, &path, Some(body)).await?,
            ))
        }
    }
}

/// Sends this isolate's metrics and window delta to the Durable Object about a second from now (one send in
/// flight at a time; requests meanwhile add to it).
pub fn schedule_metrics_flush(env: &Env, ctx: &Context, service: &'static Service) {
    if FLUSH_PENDING.with(|f| f.replace(true)) {
        return;
    }
    let env = env.clone();
    ctx.wait_until(async move {
        Delay::from(Duration::from_millis(METRICS_FLUSH_MS)).await;
        FLUSH_PENDING.with(|f| f.set(false));
        let delta = service.take_metrics();
        if !delta.is_empty() {
            let body = serde_json::to_string(&delta).unwrap_or_default();
            if let Err(e) = call(&env, Method::Post, "/metrics", Some(body)).await {
                console_error!("metrics not sent: {e}");
                service.restore_metrics(delta);
            }
        }
        // Rows are parsed and slotted here, after the responses went out. A window delta that
        // cannot be sent is dropped: the window is a sample of recent traffic, not a ledger.
        let window = service.take_monitor();
        if !window.is_empty() {
            let body = serde_json::to_string(&window).unwrap_or_default();
            if let Err(e) = call(&env, Method::Post, "/monitor", Some(body)).await {
                console_error!("monitoring window not sent: {e}");
            }
        }
    });
}
