//! wasmpredict as a Cloudflare Worker. Everything a request does happens in the core's
//! [`Service`]; this adapter converts workers-rs requests and responses, reads the
//! configuration from `wrangler.toml` vars, and embeds the bundles (see build.rs).
//!
//! One `Service` per isolate: models load lazily on first use and are kept for the isolate's
//! life. Nothing on a request's path panics (a panic would poison the isolate).

use std::collections::BTreeMap;
use std::sync::OnceLock;
use wasmpredict::api::service::{HttpRequest, Service, ServiceConfig};
use wasmpredict::Bundle;
use worker::{event, js_sys, Context, Env, Headers, Method, Request, Response, Result};

include!(concat!(env!("OUT_DIR"), "/bundles.rs"));

static SERVICE: OnceLock<Service> = OnceLock::new();

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
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
    }
}

fn service(env: &Env) -> &'static Service {
    SERVICE.get_or_init(|| {
        let mut service = Service::new(config(env));
        for (name, manifest, files) in BUNDLES {
            service.add_model(*name, move || {
                let files: BTreeMap<String, Vec<u8>> = files
                    .iter()
                    .map(|(n, bytes)| (n.to_string(), bytes.to_vec()))
                    .collect();
                Bundle::from_files(manifest, files)
            });
        }
        service
    })
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let service = service(&env);
    let method = req.method();
    let url = req.url()?;
    let origin = req.headers().get("origin")?;
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    let max = service.config().max_body_bytes;
    // Refuse an oversized body without reading it.
    let body = match (method.clone(), declared) {
        (_, Some(n)) if n > max => vec![0u8; max + 1],
        (Method::Post, _) => req.bytes().await?,
        _ => Vec::new(),
    };
    let request = HttpRequest {
        method: method.as_ref(),
        path: url.path(),
        origin: origin.as_deref(),
        body: &body,
    };
    let answer = service.handle(&request, &js_sys::Date::now);
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
