//! The HTTP API as plain data: a request (method, path, origin, body) in, a response (status,
//! headers, body) out. The native server and the Worker only translate their own request types
//! to [`HttpRequest`] and back, so every route behaves the same everywhere.
//!
//! Routes (specified in `docs/api.md`):
//! - `POST /predict` (the default model), `POST /models/{name}/predict`
//! - `GET /models`, `GET /models/{name}`
//! - Open Inference Protocol v2: `GET /v2`, `GET /v2/health/{live,ready}`,
//!   `GET /v2/models/{name}[/versions/{v}][/ready]`, `POST /v2/models/{name}[/versions/{v}]/infer`
//! - `OPTIONS *`: CORS preflight

use super::{ErrorBody, Predictor};
use crate::bundle::Bundle;
use crate::error::{ApiError, BundleError, ErrorCode};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// Limits and CORS of a service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The model that answers plain `/predict`.
    pub default_model: Option<String>,
    /// Request bodies above this many bytes get 413.
    pub max_body_bytes: usize,
    /// Requests with more rows than this get 413.
    pub max_rows: usize,
    /// Origins allowed by CORS; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Forces an engine for every model (benchmarks); None: the one that covers each graph.
    pub engine: Option<crate::infer::Engine>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            default_model: None,
            max_body_bytes: 1 << 20,
            max_rows: 10_000,
            allowed_origins: vec!["*".into()],
            engine: None,
        }
    }
}

/// One HTTP request, borrowed from whatever server received it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The path without query string.
    pub path: &'a str,
    /// The `Origin` header, if any.
    pub origin: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    fn json(status: u16, value: &impl serde::Serialize) -> HttpResponse {
        let body = serde_json::to_vec(value).unwrap_or_else(|e| {
            format!("{{\"error\":{{\"code\":\"inference_failed\",\"message\":\"cannot encode the response: {e}\"}}}}")
                .into_bytes()
        });
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }

    fn error(error: &ApiError) -> HttpResponse {
        HttpResponse::json(error.code.status(), &ErrorBody { error })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Loader = Box<dyn Fn() -> Result<Bundle, BundleError> + Send + Sync>;

/// A model that is loaded on first use, once.
struct Slot {
    loader: Loader,
    loaded: OnceLock<Result<Arc<Predictor>, String>>,
}

/// The set of served models and the routes over them.
pub struct Service {
    models: BTreeMap<String, Slot>,
    config: ServiceConfig,
}

impl Service {
    pub fn new(config: ServiceConfig) -> Service {
        Service {
            models: BTreeMap::new(),
            config,
        }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Registers a model under `name`; `loader` runs on its first request.
    pub fn add_model(
        &mut self,
        name: impl Into<String>,
        loader: impl Fn() -> Result<Bundle, BundleError> + Send + Sync + 'static,
    ) {
        self.models.insert(
            name.into(),
            Slot {
                loader: Box::new(loader),
                loaded: OnceLock::new(),
            },
        );
    }

    pub fn model_names(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// The predictor for `name`, loading it on first use.
    pub fn predictor(&self, name: &str) -> Result<Arc<Predictor>, ApiError> {
        let slot = self.models.get(name).ok_or_else(|| {
            let names: Vec<&str> = self.model_names().collect();
            ApiError::new(
                ErrorCode::ModelNotFound,
                format!("no model named '{name}'; available: {}", names.join(", ")),
            )
        })?;
        let loaded = slot.loaded.get_or_init(|| {
            (slot.loader)()
                .and_then(|b| Predictor::with_engine(b, self.config.engine))
                .map(Arc::new)
                .map_err(|e| format!("model '{name}' cannot be loaded: {e}"))
        });
        loaded
            .clone()
            .map_err(|e| ApiError::new(ErrorCode::ModelUnavailable, e))
    }

    /// Answers one request. `clock` gives milliseconds (for `Server-Timing`).
    pub fn handle(&self, req: &HttpRequest<'_>, clock: &dyn Fn() -> f64) -> HttpResponse {
        let mut response = self.route(req, clock);
        if req.path == "/v2" || req.path.starts_with("/v2/") {
            v2_error_body(&mut response);
        }
        self.add_cors(req, &mut response);
        response
    }

    fn route(&self, req: &HttpRequest<'_>, clock: &dyn Fn() -> f64) -> HttpResponse {
        let path = req.path.trim_end_matches('/');
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let method = req.method;
        if method == "OPTIONS" {
            return self.preflight(req);
        }
        let allow = |methods: &str| -> Option<HttpResponse> {
            if methods
                .split(", ")
                .any(|m| m == method || (m == "GET" && method == "HEAD"))
            {
                return None;
            }
            let mut r = HttpResponse::error(&ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{method} is not allowed on {}; use {methods}", req.path),
            ));
            r.headers
                .push(("allow".into(), format!("{methods}, OPTIONS")));
            Some(r)
        };
        match segments.as_slice() {
            ["predict"] => {
                if let Some(r) = allow("POST") {
                    return r;
                }
                match &self.config.default_model {
                    Some(name) => self.predict(name, req, clock),
                    None => HttpResponse::error(&ApiError::new(
                        ErrorCode::ModelNotFound,
                        "no default model is configured; POST to /models/{name}/predict",
                    )),
                }
            }
            ["models"] => allow("GET").unwrap_or_else(|| self.list_models()),
            ["models", name] => allow("GET").unwrap_or_else(|| self.describe(name)),
            ["models", name, "predict"] => {
                allow("POST").unwrap_or_else(|| self.predict(name, req, clock))
            }
            ["v2"] => allow("GET").unwrap_or_else(|| {
                HttpResponse::json(
                    200,
                    &json!({"name": "wasmpredict", "version": env!("CARGO_PKG_VERSION"), "extensions": []}),
                )
            }),
            ["v2", "health", "live"] => {
                allow("GET").unwrap_or_else(|| HttpResponse::json(200, &json!({"live": true})))
            }
            ["v2", "health", "ready"] => allow("GET").unwrap_or_else(|| self.ready()),
            ["v2", "models", name, rest @ ..] => {
                let (version, rest) = match rest {
                    ["versions", v, rest @ ..] => (Some(*v), rest),
                    other => (None, other),
                };
                match rest {
                    [] => allow("GET").unwrap_or_else(|| {
                        self.v2_model(name, version, |p| HttpResponse::json(200, &super::oip::metadata(p)))
                    }),
                    ["ready"] => allow("GET").unwrap_or_else(|| {
                        self.v2_model(name, version, |p| {
                            HttpResponse::json(200, &json!({"name": p.manifest().name, "ready": true}))
                        })
                    }),
                    ["infer"] => allow("POST").unwrap_or_else(|| self.infer(name, version, req, clock)),
                    _ => self.no_route(req),
                }
            }
            _ => self.no_route(req),
        }
    }

    fn no_route(&self, req: &HttpRequest<'_>) -> HttpResponse {
        HttpResponse::error(&ApiError::new(
            ErrorCode::RouteNotFound,
            format!(
                "no route {} {}; see GET /models and POST /predict",
                req.method, req.path
            ),
        ))
    }

    /// The predictor for a v2 route, checking the version if the path names one.
    fn v2_model(
        &self,
        name: &str,
        version: Option<&str>,
        answer: impl Fn(&Predictor) -> HttpResponse,
    ) -> HttpResponse {
        match self.versioned(name, version) {
            Ok(p) => answer(&p),
            Err(e) => HttpResponse::error(&e),
        }
    }

    fn versioned(&self, name: &str, version: Option<&str>) -> Result<Arc<Predictor>, ApiError> {
        let p = self.predictor(name)?;
        match version {
            Some(v) if v != p.manifest().version => Err(ApiError::new(
                ErrorCode::ModelNotFound,
                format!(
                    "model '{name}' has no version '{v}'; it serves version {}",
                    p.manifest().version
                ),
            )),
            _ => Ok(p),
        }
    }

    fn ready(&self) -> HttpResponse {
        let failed: Vec<String> = self
            .model_names()
            .filter_map(|n| self.predictor(n).err().map(|e| e.message))
            .collect();
        if failed.is_empty() {
            HttpResponse::json(200, &json!({"ready": true}))
        } else {
            HttpResponse::error(&ApiError::new(
                ErrorCode::ModelUnavailable,
                failed.join("; "),
            ))
        }
    }

    fn infer(
        &self,
        name: &str,
        version: Option<&str>,
        req: &HttpRequest<'_>,
        clock: &dyn Fn() -> f64,
    ) -> HttpResponse {
        self.post_json(
            req,
            || self.versioned(name, version),
            |p, body| {
                super::oip::infer(p, &super::parse_body(body)?, self.config.max_rows, clock)
                    .map(|(v, t)| (HttpResponse::json(200, &v), t))
            },
        )
    }

    fn predict(&self, name: &str, req: &HttpRequest<'_>, clock: &dyn Fn() -> f64) -> HttpResponse {
        self.post_json(
            req,
            || self.predictor(name),
            |p, body| {
                p.handle_json(body, self.config.max_rows, clock)
                    .map(|(bytes, t)| {
                        let r = HttpResponse {
                            status: 200,
                            headers: vec![("content-type".into(), "application/json".into())],
                            body: bytes,
                        };
                        (r, t)
                    })
            },
        )
    }

    /// The common path of POST routes: body cap, model lookup, then `answer` (which parses the
    /// body); adds `Server-Timing` and `x-model-version`.
    fn post_json(
        &self,
        req: &HttpRequest<'_>,
        model: impl FnOnce() -> Result<Arc<Predictor>, ApiError>,
        answer: impl FnOnce(&Predictor, &[u8]) -> Result<(HttpResponse, super::Timings), ApiError>,
    ) -> HttpResponse {
        if req.body.len() > self.config.max_body_bytes {
            return HttpResponse::error(&ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "the body has {} bytes; at most {} are accepted",
                    req.body.len(),
                    self.config.max_body_bytes
                ),
            ));
        }
        let predictor = match model() {
            Ok(p) => p,
            Err(e) => return HttpResponse::error(&e),
        };
        let version = predictor.manifest().version.clone();
        let mut response = match answer(&predictor, req.body) {
            Ok((mut r, timings)) => {
                r.headers.push((
                    "server-timing".into(),
                    format!(
                        "featurize;dur={:.3}, inference;dur={:.3}",
                        timings.featurize_ms, timings.inference_ms
                    ),
                ));
                r
            }
            Err(e) => HttpResponse::error(&e),
        };
        response.headers.push(("x-model-version".into(), version));
        response
    }

    fn list_models(&self) -> HttpResponse {
        let mut models = Vec::new();
        for name in self.model_names() {
            let entry = match self.predictor(name) {
                Ok(p) => {
                    let m = p.manifest();
                    json!({
                        "name": m.name, "version": m.version, "task": m.task, "estimator": m.estimator,
                        "description": m.description,
                        "default": self.config.default_model.as_deref() == Some(name),
                    })
                }
                Err(e) => json!({ "name": name, "error": e.message }),
            };
            models.push(entry);
        }
        HttpResponse::json(200, &json!({ "models": models }))
    }

    fn describe(&self, name: &str) -> HttpResponse {
        match self.predictor(name) {
            Ok(p) => {
                let mut r = HttpResponse::json(200, &describe(&p));
                r.headers
                    .push(("x-model-version".into(), p.manifest().version.clone()));
                r
            }
            Err(e) => HttpResponse::error(&e),
        }
    }

    fn origin_allowed<'a>(&self, origin: Option<&'a str>) -> Option<&'a str> {
        if self.config.allowed_origins.iter().any(|o| o == "*") {
            return Some("*");
        }
        origin.filter(|o| self.config.allowed_origins.iter().any(|a| a == o))
    }

    fn preflight(&self, req: &HttpRequest<'_>) -> HttpResponse {
        let mut r = HttpResponse {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        };
        if self.origin_allowed(req.origin).is_some() {
            r.headers.push((
                "access-control-allow-methods".into(),
                "GET, POST, OPTIONS".into(),
            ));
            r.headers.push((
                "access-control-allow-headers".into(),
                "content-type, authorization".into(),
            ));
            r.headers
                .push(("access-control-max-age".into(), "86400".into()));
        }
        r
    }

    fn add_cors(&self, req: &HttpRequest<'_>, r: &mut HttpResponse) {
        if let Some(origin) = self.origin_allowed(req.origin) {
            r.headers
                .push(("access-control-allow-origin".into(), origin.into()));
            r.headers.push((
                "access-control-expose-headers".into(),
                "server-timing, x-model-version".into(),
            ));
            if origin != "*" {
                r.headers.push(("vary".into(), "origin".into()));
            }
        }
    }
}

/// The Open Inference Protocol's error body is `{"error": "<message>"}` (KServe's spec; NVIDIA's
/// tritonclient concatenates it as a string). On /v2 routes the core error is reshaped to that,
/// keeping `code` and `field` as extra members.
fn v2_error_body(response: &mut HttpResponse) {
    if response.status < 400 {
        return;
    }
    let Ok(serde_json::Value::Object(mut body)) =
        serde_json::from_slice::<serde_json::Value>(&response.body)
    else {
        return;
    };
    if let Some(serde_json::Value::Object(error)) = body.remove("error") {
        let mut flat = serde_json::Map::new();
        flat.insert(
            "error".into(),
            error.get("message").cloned().unwrap_or_default(),
        );
        for key in ["code", "field"] {
            if let Some(v) = error.get(key) {
                flat.insert(key.into(), v.clone());
            }
        }
        if let Ok(bytes) = serde_json::to_vec(&flat) {
            response.body = bytes;
        }
    }
}

/// What `GET /models/{name}` says of a model: the manifest without the featurizer's fitted
/// parameters (a vocabulary can be megabytes), plus the step types and the bundle size.
/// What `GET /models/{name}` answers (and the JS `info()`): the manifest's public parts, the
/// bundle's size and the engine that evaluates its graph.
pub fn describe(p: &Predictor) -> serde_json::Value {
    let (m, size) = (p.manifest(), p.bundle().size());
    json!({
        "name": m.name,
        "version": m.version,
        "description": m.description,
        "format_version": m.format_version,
        "created_by": m.created_by,
        "task": m.task,
        "estimator": m.estimator,
        "classes": m.classes,
        "input": m.input,
        "n_features": m.n_features,
        "featurizer_steps": step_types(&m.featurizer),
        "files": m.files,
        "size_bytes": size,
        "engine": p.engine(),
        "engine_reason": p.why_tract(),
    })
}

fn step_types(step: &crate::bundle::Step) -> Vec<String> {
    use crate::bundle::Step;
    let mut out = Vec::new();
    fn walk(step: &Step, out: &mut Vec<String>) {
        let name = match step {
            Step::Pipeline { steps } => {
                steps.iter().for_each(|s| walk(s, out));
                return;
            }
            Step::ColumnTransformer { transformers } => {
                out.push("column_transformer".into());
                transformers.iter().for_each(|t| walk(&t.transformer, out));
                return;
            }
            Step::Passthrough => "passthrough",
            Step::StandardScaler { .. } => "standard_scaler",
            Step::MinMaxScaler { .. } => "min_max_scaler",
            Step::SimpleImputer { .. } => "simple_imputer",
            Step::OneHotEncoder { .. } => "one_hot_encoder",
            Step::DictVectorizer { .. } => "dict_vectorizer",
            Step::TextVectorizer(_) => "text_vectorizer",
        };
        out.push(name.into());
    }
    walk(step, &mut out);
    out
}
