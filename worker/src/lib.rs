//! wasmpredict as a Cloudflare Worker. Everything a request does happens in the core's
//! [`Service`]; this adapter converts workers-rs requests and responses, reads the
//! configuration from `wrangler.toml` vars and the `ADMIN_TOKEN` secret, embeds the bundles
//! (see build.rs), and keeps the deployment's state in the `DeploymentState` Durable Object
//! (`state.rs`; the isolate side is `effects.rs`).
//!
//! One `Service` per isolate: models load lazily on first use and are kept for the isolate's
//! life. Nothing on a request's path panics (a panic would poison the isolate).

mod effects;
mod state;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use wasmpredict::api::Pace;
use wasmpredict::http::{Handled, HttpRequest, RequestBody, Service, ServiceConfig};
use wasmpredict::Bundle;
use worker::{event, js_sys, Context, Env, Headers, Method, Request, Response, Result};

include!(concat!(env!("OUT_DIR"), "/bundles.rs"));

static SERVICE: OnceLock<Service> = OnceLock::new();

/// An isolate serves all its requests on one thread: a long batch is evaluated in slices of
/// this many rows (~2 ms of news, ~8 ms of a 100-tree forest; explanations in far smaller
/// slices), with a zero-delay timer between slices so that the requests waiting meanwhile run.
const SLICE_ROWS: usize = 256;

struct IsolatePace;

impl Pace for IsolatePace {
    fn slice_rows(&self) -> Option<usize> {
        Some(SLICE_ROWS)
    }
    fn pause(&self) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        Box::pin(worker::Delay::from(std::time::Duration::ZERO))
    }
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| env.secret(name).ok().map(|v| v.to_string()))
        .filter(|v| !v.trim().is_empty())
}

fn config(env: &Env) -> ServiceConfig {
    let defaults = ServiceConfig::default();
    let number = |name: &str, default: usize| {
        var(env, name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    ServiceConfig {
        default_model: var(env, "DEFAULT_MODEL")
            .or_else(|| BUNDLES.first().map(|b| b.0.to_string())),
        max_body_bytes: number("MAX_BODY_BYTES", defaults.max_body_bytes),
        max_rows: number("MAX_ROWS", defaults.max_rows),
        allowed_origins: var(env, "ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or(defaults.allowed_origins),
        // ENGINE=tract forces tract in a tract-enabled build (benchmarks of the tract path).
        engine: var(env, "ENGINE").and_then(|e| e.parse().ok()),
        admin_token: var(env, "ADMIN_TOKEN").map(|t| t.trim().to_string()),
        feedback_retention_days: number(
            "FEEDBACK_RETENTION_DAYS",
            defaults.feedback_retention_days as usize,
        ) as u32,
        monitor_window: number("MONITOR_WINDOW", defaults.monitor_window),
    }
}

fn service(env: &Env) -> &'static Service {
    SERVICE.get_or_init(|| {
        let mut service = Service::new(config(env));
        for (name, version, manifest, files) in BUNDLES {
            service.add_version(*name, *version, move || {
                let files: BTreeMap<String, Vec<u8>> = files
                    .iter()
                    .map(|(n, bytes)| (n.to_string(), bytes.to_vec()))
                    .collect();
                Bundle::from_files(manifest, files)
            });
        }
        for (name, traffic) in TRAFFIC {
            // build.rs validated the file; a failure here would only keep the default traffic.
            let _ = service.set_traffic_bytes(name, traffic);
        }
        service
    })
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> Result<Response> {
    let service = service(&env);
    let method = req.method();
    let url = req.url()?;
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.trim().parse::<u64>().ok());
    let max = service.config().max_body_bytes;
    // Refuse an oversized body without reading it.
    let body = match (method.clone(), declared) {
        (_, Some(n)) if n > max as u64 => None,
        (Method::Post | Method::Put, _) => Some(req.bytes().await?),
        _ => Some(Vec::new()),
    };
    let header_pairs: Vec<(String, String)> = req.headers().entries().collect();
    let headers: Vec<(&str, &str)> = header_pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let request = HttpRequest {
        method: method.as_ref(),
        path: url.path(),
        headers: &headers,
        body: match &body {
            Some(b) if b.len() <= max => RequestBody::Bytes(b),
            Some(b) => RequestBody::TooLarge {
                declared: Some(b.len() as u64),
            },
            None => RequestBody::TooLarge { declared },
        },
        received_ms: js_sys::Date::now() as u64,
    };
    // The traffic other isolates may have changed (a rollback), at most a few seconds old.
    effects::refresh_traffic(&env, service).await;
    let answer = match service
        .handle_paced(&request, &js_sys::Date::now, &IsolatePace)
        .await
    {
        Handled::Response(r) => r,
        Handled::Effect(effect) => {
            let done = effects::perform(&env, service, &effect).await;
            service.complete(&request, effect, done)
        }
    };
    effects::schedule_metrics_flush(&env, &ctx, service);
    let headers = Headers::new();
    for (name, value) in &answer.headers {
        headers.append(name, value)?;
    }
    let response = if answer.body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(answer.body)?
    };
    Ok(response.with_status(answer.status).with_headers(headers))
}
