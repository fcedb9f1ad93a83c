//! `wasmpredict serve`: the HTTP API of `wasmpredict::api::service` on a native socket, plus the
//! static files of `www/`. Routing, limits, CORS and errors all live in the core service; this
//! adapter only moves bytes between axum and it.

use axum::body::{to_bytes, Body};
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use wasmpredict::api::service::{HttpRequest, Service, ServiceConfig};
use wasmpredict::Bundle;

#[derive(clap::Args)]
pub struct Options {
    /// Directory holding one bundle directory per model.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Model answering plain /predict (default: the first by name).
    #[arg(long)]
    pub default_model: Option<String>,
    /// Static files to serve at / (the web app).
    #[arg(long)]
    pub www: Option<PathBuf>,
    /// Largest accepted request body, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Largest accepted batch, in rows.
    #[arg(long, default_value_t = 10_000)]
    pub max_rows: usize,
    /// CORS origins allowed (repeatable); `*` allows any.
    #[arg(long = "allow-origin", default_value = "*")]
    pub allowed_origins: Vec<String>,
    #[command(flatten)]
    pub engine: super::EngineArg,
}

/// Every directory under `dir` with a manifest.json, by directory name.
pub fn bundle_dirs(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.join("manifest.json").is_file() {
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                out.push((name.to_string(), path));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn run(opts: Options) -> ExitCode {
    let dirs = match bundle_dirs(&opts.models) {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => {
            eprintln!(
                "error: no bundles (directories with a manifest.json) under {}",
                opts.models.display()
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: cannot list {}: {e}", opts.models.display());
            return ExitCode::from(2);
        }
    };
    let names: Vec<String> = dirs.iter().map(|(n, _)| n.clone()).collect();
    let default_model = opts
        .default_model
        .clone()
        .or_else(|| names.first().cloned());
    if let Some(d) = &default_model {
        if !names.contains(d) {
            eprintln!(
                "error: default model '{d}' is not among {}",
                names.join(", ")
            );
            return ExitCode::from(2);
        }
    }
    let mut service = Service::new(ServiceConfig {
        default_model,
        max_body_bytes: opts.max_body_bytes,
        max_rows: opts.max_rows,
        allowed_origins: opts.allowed_origins.clone(),
        engine: opts.engine.engine,
    });
    for (name, dir) in dirs {
        service.add_model(name, move || Bundle::from_dir(&dir));
    }
    // Load every model now: a broken bundle should stop the server at start, not at a request.
    for name in &names {
        if let Err(e) = service.predictor(name) {
            eprintln!("error: {}", e.message);
            return ExitCode::from(2);
        }
    }
    let state = Arc::new(State {
        service,
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
            "wasmpredict serving {} at http://{} (POST /predict -> {default})",
            names.join(", "),
            opts.addr
        );
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

struct State {
    service: Service,
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
    // Read at most one byte more than the cap, so that an oversized body still gets the
    // service's 413 with its JSON error rather than a dropped connection.
    let cap = state.service.config().max_body_bytes.saturating_add(1);
    let body = match to_bytes(body, cap).await {
        Ok(b) => b.to_vec(),
        Err(_) => vec![0u8; cap],
    };
    let origin = parts
        .headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let request = HttpRequest {
        method: parts.method.as_str(),
        path: &path,
        origin: origin.as_deref(),
        body: &body,
    };
    let clock = || state.started.elapsed().as_secs_f64() * 1e3;
    let answer = state.service.handle(&request, &clock);
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

/// A file of the static app directory, for any path that is not an API route.
async fn static_file(www: Option<&Path>, path: &str) -> Option<Response<Body>> {
    let www = www?;
    let api = ["/predict", "/models", "/v2"];
    if api
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
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
