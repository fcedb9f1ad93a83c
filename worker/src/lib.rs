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
use wasmpredict::error::{ApiError, ErrorCode};
use wasmpredict::http::{Handled, HttpRequest, HttpResponse, RequestBody, Service, ServiceConfig};
use wasmpredict::Bundle;
use worker::{event, js_sys, Context, Env, Headers, Method, Request, Response, Result};

include!(concat!(env!("OUT_DIR"), "/bundles.rs"));

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
}

/// The service, or why this deployment's settings do not parse (then every request says so:
/// a Worker has no start to refuse, and a silently misread limit would be worse).
static SERVICE: OnceLock<Result<Service, ApiError>> = OnceLock::new();

fn service(env: &Env) -> Result<&'static Service, &'static ApiError> {
    SERVICE
        .get_or_init(|| {
            let config =
                ServiceConfig::from_settings(|s| var(env, s.var), |s| s.var.to_string())
                    .map_err(|e| ApiError::new(ErrorCode::InvalidConfiguration, e.to_string()))?;
            let mut service = Service::new(config);
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
            service.settle_default_model().map_err(|e| {
                ApiError::new(
                    ErrorCode::InvalidConfiguration,
                    format!("DEFAULT_MODEL: {e}"),
                )
            })?;
            Ok(service)
        })
        .as_ref()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let answer = match service(&env) {
        Ok(service) => answer(req, &env, &ctx, service).await?,
        Err(e) => {
            worker::console_error!("wasmpredict: {}", e.message);
            HttpResponse::error(e)
        }
    };
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

/// The service's answer to a request, its state effects performed.
async fn answer(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    service: &'static Service,
) -> Result<HttpResponse> {
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
    effects::refresh_traffic(env, service).await;
    let answer = match service
        .handle_paced(&request, &js_sys::Date::now, &IsolatePace)
        .await
    {
        Handled::Response(r) => r,
        Handled::Effect(effect) => {
            let done = effects::perform(env, service, &effect).await;
            service.complete(&request, effect, done)
        }
    };
    effects::schedule_metrics_flush(env, ctx, service);
    Ok(answer)
}
