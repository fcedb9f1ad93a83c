//! `wasmpredict serve`: the HTTP API of `wasmpredict::http` on a native socket, plus the
//! static files of the app. Routing, limits, CORS, traffic and errors all live in the core
//! service; this adapter moves bytes between axum and it, runs each request off the async
//! runtime's threads, and keeps the deployment's state (`crate::state`).

use crate::settings::SettingFlags;
use crate::state::NativeState;
use axum::body::{to_bytes, Body};
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use wasmpredict::api::ErrorBody;
use wasmpredict::bundle::layout;
use wasmpredict::error::{ApiError, ErrorCode};
use wasmpredict::http::routes::{self, Placement};
use wasmpredict::http::{HttpRequest, RequestBody, Service};

#[derive(clap::Args)]
pub struct Options {
    /// Directory holding one directory per model: a bundle, or one bundle per version
    /// (NAME/VERSION/manifest.json).
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Static files to serve at / (the web app).
    #[arg(long)]
    pub www: Option<PathBuf>,
    /// Where the traffic table and the feedback database live (created if missing).
    #[arg(long, default_value = ".wasmpredict")]
    pub state: PathBuf,
    /// A file holding the admin token (default: the ADMIN_TOKEN environment variable; without
    /// either the admin routes answer 403).
    #[arg(long)]
    pub admin_token_file: Option<PathBuf>,
    /// The service's settings (limits, CORS, default model...): wasmpredict::http::config.
    #[command(flatten)]
    pub settings: SettingFlags,
}

/// The admin token: `--admin-token-file`, else `ADMIN_TOKEN`.
fn admin_token(opts: &Options) -> Result<Option<String>, String> {
    if let Some(file) = &opts.admin_token_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read the admin token file {}: {e}", file.display()))?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(format!("the admin token file {} is empty", file.display()));
        }
        return Ok(Some(token));
    }
    Ok(std::env::var("ADMIN_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty()))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn run(opts: Options) -> ExitCode {
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let models = match layout::discover(&opts.models) {
        Ok(m) if !m.is_empty() => m,
        Ok(_) => {
            return fail(format!(
                "no bundles (directories with a manifest.json) under {}",
                opts.models.display()
            ))
        }
        Err(e) => return fail(e.to_string()),
    };
    let names: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
    let admin_token = match admin_token(&opts) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let config = match opts.settings.config(admin_token) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    let has_token = config.admin_token.is_some();
    let mut service = Service::new(config);
    if let Err(e) = service.add_models(models) {
        return fail(e.to_string());
    }
    if let Err(e) = service.settle_default_model() {
        return fail(e);
    }
    // Load every version now: a broken bundle should stop the server at start, not at a request.
    if let Err(e) = service.load_all() {
        return fail(e.message);
    }
    let state = match NativeState::open(&opts.state) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    match state.load_traffic(&service) {
        Ok(skipped) => {
            for s in skipped {
                eprintln!("warning: stored traffic ignored: {s}");
            }
        }
        Err(e) => return fail(e),
    }
    let state = Arc::new(State {
        service,
        store: state,
        www: opts.www.clone(),
        started: Instant::now(),
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(opts.addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", opts.addr);
                return ExitCode::from(2);
            }
        };
        let default = state
            .service
            .config()
            .default_model
            .clone()
            .unwrap_or_default();
        println!(
            "wasmpredict serving {} at http://{} (POST /predict -> {default}); state in {}; admin routes {}",
            names.join(", "),
            opts.addr,
            opts.state.display(),
            if has_token { "on (ADMIN_TOKEN)" } else { "off (no ADMIN_TOKEN)" }
        );
        tokio::spawn(absorb_monitor(state.clone()));
        let app =
            axum::Router::new().fallback(move |req: Request<Body>| handle(state.clone(), req));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: server failed: {e}");
                ExitCode::from(1)
            }
        }
    })
}

/// Every second, adds what the service answered to the monitoring window, on the blocking pool
/// (rows are parsed again there), so neither requests nor the runtime's threads wait for it.
async fn absorb_monitor(state: Arc<State>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        let state = state.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = state.store.absorb_monitor(&state.service) {
                eprintln!("warning: {e}");
            }
        })
        .await;
    }
}

struct State {
    service: Service,
    store: NativeState,
    www: Option<PathBuf>,
    started: Instant,
}

async fn handle(state: Arc<State>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if parts.method == Method::GET || parts.method == Method::HEAD {
        if let Some(r) = static_file(state.www.as_deref(), &path).await {
            return r;
        }
    }
    let max = state.service.config().max_body_bytes;
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // A declared length over the limit is refused unread; an undeclared one is read up to the
    // limit and refused past it.
    let body = match declared {
        Some(n) if n > max as u64 => {
            discard(body, n).await;
            Err(Some(n))
        }
        _ => to_bytes(body, max)
            .await
            .map(|b| b.to_vec())
            .map_err(|_| declared),
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let method = parts.method.clone();
    let worker = state.clone();
    // Light requests (reads, a few rows) are answered in place; CPU work and state effects go
    // to the blocking pool, so that they do not hold up the runtime threads that accept and
    // answer other requests (the rules: wasmpredict::http::routes::placement).
    let light =
        routes::placement(method.as_str(), &path, body.as_deref().ok()) == Placement::Inline;
    let run = move || {
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let request = HttpRequest {
            method: method.as_str(),
            path: &path,
            headers: &header_refs,
            body: match &body {
                Ok(b) => RequestBody::Bytes(b),
                Err(declared) => RequestBody::TooLarge {
                    declared: *declared,
                },
            },
            received_ms: now_ms(),
        };
        let clock = || worker.started.elapsed().as_secs_f64() * 1e3;
        worker.service.handle_with(&request, &clock, |effect| {
            worker.store.perform(&worker.service, effect)
        })
    };
    let answer = if light {
        Ok(run())
    } else {
        tokio::task::spawn_blocking(run).await
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            let failed = ApiError::new(
                ErrorCode::InferenceFailed,
                format!("the request's task failed: {e}"),
            );
            let mut r = Response::new(Body::from(
                serde_json::to_string(&ErrorBody { error: &failed }).unwrap_or_default(),
            ));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            return r;
        }
    };
    let mut response = Response::new(if parts.method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(answer.body)
    });
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(n, v);
        }
    }
    response
}

/// Reads and drops an oversized body (up to 64 MiB), so that the client, which may still be
/// sending, reads the 413 instead of a reset connection; past that the connection is closed.
/// A client that declared a large body and waits before sending it (`Expect: 100-continue`, or
/// a slow one) gets the 413 after one idle second rather than never.
async fn discard(body: Body, declared: u64) {
    use http_body_util::BodyExt;
    if declared > 64 << 20 {
        return;
    }
    let mut body = body;
    while let Ok(Some(Ok(_))) =
        tokio::time::timeout(std::time::Duration::from_secs(1), body.frame()).await
    {}
}

/// A file of the static app directory, for any path that is not an API route.
async fn static_file(www: Option<&Path>, path: &str) -> Option<Response<Body>> {
    let www = www?;
    if routes::is_api_path(path) {
        return None;
    }
    let relative = path.trim_start_matches('/');
    if relative.split('/').any(|s| s == ".." || s.starts_with('.')) {
        return None;
    }
    let mut file = www.join(relative);
    if relative.is_empty() || file.is_dir() {
        file = file.join("index.html");
    }
    let bytes = tokio::fs::read(&file).await.ok()?;
    let mime = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        Some("json") | Some("webmanifest") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("onnx") => "application/octet-stream",
        _ => "application/octet-stream",
    };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(mime));
    Some(r)
}
