//! The set of served models (each with its versions) and the routes over them.

use super::config::ServiceConfig;
use super::monitor::Pending;
use super::routes::{self, Route};
use super::{admin, cors, oip, HttpRequest, HttpResponse, RequestBody};
use crate::api::{describe, run_now, NoPause, Pace, Predictor};
use crate::bundle::layout::{compare_versions, ModelDir};
use crate::bundle::Bundle;
use crate::drift::Binner;
use crate::error::{ApiError, BundleError, ErrorCode};
use crate::ops::feedback::{FeedbackRecord, ScoreRow};
use crate::ops::metrics::Metrics;
use crate::ops::monitor::ModelWindow;
use crate::ops::prediction_id::IdKey;
use crate::ops::serving_stats::ServingStats;
use crate::ops::traffic::Traffic;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// What [`Service::handle`] answers: a response, or state the adapter must read or write
/// before [`Service::complete`] can answer.
#[derive(Debug)]
pub enum Handled {
    Response(HttpResponse),
    Effect(Effect),
}

/// State work an adapter performs for a request (see the module docs of [`super`]).
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

type Loader = Box<dyn Fn() -> Result<Bundle, BundleError> + Send + Sync>;

/// A model version that is loaded on first use, once.
struct Slot {
    loader: Loader,
    loaded: OnceLock<Result<Arc<Predictor>, String>>,
    /// Its training profile, compiled when the monitoring window first needs it.
    binner: OnceLock<Result<Binner, String>>,
}

/// The served models: name -> versions (lowest first).
pub struct Service {
    models: BTreeMap<String, Vec<(String, Slot)>>,
    /// Each model's traffic (shared: a request takes a reference, not a copy).
    pub(super) traffic: RwLock<BTreeMap<String, Arc<Traffic>>>,
    /// Series recorded since the last [`Service::take_metrics`] (shadow comparisons).
    metrics: Mutex<Metrics>,
    /// Request counters since the last [`Service::take_metrics`].
    pub(super) stats: Mutex<ServingStats>,
    /// Predict answers since the last [`Service::take_monitor`].
    pub(super) pending: Mutex<Pending>,
    /// Counts random draws (traffic splits, id nonces).
    pub(super) draws: AtomicU64,
    id_key: IdKey,
    pub(super) config: ServiceConfig,
}

impl Service {
    pub fn new(config: ServiceConfig) -> Service {
        Service {
            models: BTreeMap::new(),
            traffic: RwLock::new(BTreeMap::new()),
            metrics: Mutex::new(Metrics::default()),
            stats: Mutex::new(ServingStats::default()),
            pending: Mutex::new(Pending::default()),
            draws: AtomicU64::new(0),
            id_key: IdKey::from_secret(config.admin_token.as_deref()),
            config,
        }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The key that signs prediction ids.
    pub(super) fn id_key(&self) -> &IdKey {
        &self.id_key
    }

    /// Registers version `version` of model `name`; `loader` runs on its first request.
    pub fn add_version(
        &mut self,
        name: impl Into<String>,
        version: impl Into<String>,
        loader: impl Fn() -> Result<Bundle, BundleError> + Send + Sync + 'static,
    ) {
        let versions = self.models.entry(name.into()).or_default();
        let version = version.into();
        versions.retain(|(v, _)| *v != version);
        versions.push((
            version,
            Slot {
                loader: Box::new(loader),
                loaded: OnceLock::new(),
                binner: OnceLock::new(),
            },
        ));
        versions.sort_by(|a, b| compare_versions(&a.0, &b.0));
    }

    /// Registers every version of every model of a models directory (see
    /// [`crate::bundle::layout`]), with each model's `traffic.json` as its starting traffic.
    pub fn add_models(&mut self, models: Vec<ModelDir>) -> Result<(), BundleError> {
        for model in models {
            for (version, dir) in &model.versions {
                let dir = dir.clone();
                self.add_version(&model.name, version, move || Bundle::from_dir(&dir));
            }
            let traffic = Traffic::initial(&model)?;
            self.set_traffic(&model.name, traffic)
                .map_err(|e| BundleError::Manifest(format!("{}: {}", model.name, e.message)))?;
        }
        Ok(())
    }

    pub fn model_names(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// A model's versions, lowest first.
    pub fn versions(&self, name: &str) -> Vec<&str> {
        self.models
            .get(name)
            .map(|v| v.iter().map(|(v, _)| v.as_str()).collect())
            .unwrap_or_default()
    }

    pub(super) fn unknown_model(&self, name: &str) -> ApiError {
        let names: Vec<&str> = self.model_names().collect();
        ApiError::new(
            ErrorCode::ModelNotFound,
            format!("no model named '{name}'; available: {}", names.join(", ")),
        )
    }

    /// The predictor of a model's version (the live one when `version` is None), loading it on
    /// first use.
    pub fn predictor_version(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Arc<Predictor>, ApiError> {
        let versions = self
            .models
            .get(name)
            .ok_or_else(|| self.unknown_model(name))?;
        let live;
        let version = match version {
            Some(v) => v,
            None => {
                live = self.traffic(name).live().to_string();
                &live
            }
        };
        let (_, slot) = versions.iter().find(|(v, _)| v == version).ok_or_else(|| {
            ApiError::new(
                ErrorCode::ModelNotFound,
                format!(
                    "model '{name}' has no version '{version}'; versions: {}",
                    self.versions(name).join(", ")
                ),
            )
        })?;
        let loaded = slot.loaded.get_or_init(|| {
            (slot.loader)()
                .and_then(|b| Predictor::with_engine(b, self.config.engine))
                .map(Arc::new)
                .map_err(|e| format!("model '{name}' version {version} cannot be loaded: {e}"))
        });
        loaded
            .clone()
            .map_err(|e| ApiError::new(ErrorCode::ModelUnavailable, e))
    }

    /// A version's compiled training profile, or why it has none (compiled once).
    pub(super) fn binner(&self, name: &str, version: &str) -> Result<&Binner, String> {
        let slot = self
            .models
            .get(name)
            .and_then(|versions| versions.iter().find(|(v, _)| v == version))
            .map(|(_, slot)| slot)
            .ok_or_else(|| format!("model '{name}' has no version '{version}'"))?;
        slot.binner
            .get_or_init(|| {
                let p = self
                    .predictor_version(name, Some(version))
                    .map_err(|e| e.message)?;
                Binner::new(p.manifest()).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The live version's predictor.
    pub fn predictor(&self, name: &str) -> Result<Arc<Predictor>, ApiError> {
        self.predictor_version(name, None)
    }

    /// Loads every version of every model (a server does so at start: a broken bundle should
    /// stop it there, not at a request).
    pub fn load_all(&self) -> Result<(), ApiError> {
        for (name, versions) in &self.models {
            for (version, _) in versions {
                self.predictor_version(name, Some(version))?;
            }
        }
        Ok(())
    }

    pub fn has_model(&self, name: &str) -> bool {
        self.models.contains_key(name)
    }

    /// The metrics recorded since the last call (the adapter adds them to its aggregate).
    pub fn take_metrics(&self) -> Metrics {
        let mut metrics = self
            .metrics
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default();
        if let Ok(mut stats) = self.stats.lock() {
            metrics.merge(&stats.take());
        }
        metrics
    }

    /// Puts metrics back that could not be sent (they go with the next send).
    pub fn restore_metrics(&self, metrics: Metrics) {
        self.record(|m| m.merge(&metrics));
    }

    pub(super) fn record(&self, change: impl FnOnce(&mut Metrics)) {
        if let Ok(mut m) = self.metrics.lock() {
            change(&mut m);
        }
    }

    /// Answers one request. `clock` gives milliseconds (for `Server-Timing`).
    pub fn handle(&self, req: &HttpRequest<'_>, clock: &dyn Fn() -> f64) -> Handled {
        run_now(self.handle_paced(req, clock, &NoPause))
    }

    /// [`Service::handle`], evaluating long batches slice by slice and awaiting `pace` between
    /// slices (the Worker: its isolate serves every request on one thread; see
    /// [`crate::api::Pace`]).
    pub async fn handle_paced(
        &self,
        req: &HttpRequest<'_>,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> Handled {
        let path = routes::resolve_dots(req.path);
        let route = Route::parse(&path);
        let handled = self.route(route, req, clock, pace).await;
        match handled {
            Handled::Response(r) => Handled::Response(self.finish(route, req, r)),
            effect => effect,
        }
    }

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

    fn finish(
        &self,
        route: Option<Route<'_>>,
        req: &HttpRequest<'_>,
        mut r: HttpResponse,
    ) -> HttpResponse {
        if route.is_some_and(|r| r.is_v2()) {
            oip::v2_error_body(&mut r);
        }
        cors::add_headers(&self.config.allowed_origins, req, &mut r);
        r
    }

    async fn route(
        &self,
        route: Option<Route<'_>>,
        req: &HttpRequest<'_>,
        clock: &dyn Fn() -> f64,
        pace: &dyn Pace,
    ) -> Handled {
        let respond = Handled::Response;
        if req.method == "OPTIONS" {
            return respond(cors::preflight(&self.config.allowed_origins, req));
        }
        let Some(route) = route else {
            return respond(no_route(req));
        };
        let methods = route.methods();
        if !methods
            .split(", ")
            .any(|m| m == req.method || (m == "GET" && req.method == "HEAD"))
        {
            let mut r = HttpResponse::error(&ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} is not allowed on {}; use {methods}",
                    req.method, req.path
                ),
            ));
            r.headers
                .push(("allow".into(), format!("{methods}, OPTIONS")));
            return respond(r);
        }
        if route.is_admin() {
            return admin::handle(self, route, req);
        }
        if let RequestBody::TooLarge { declared } = req.body {
            return respond(HttpResponse::error(&too_large(
                declared,
                self.config.max_body_bytes,
            )));
        }
        if req.bytes().len() > self.config.max_body_bytes {
            return respond(HttpResponse::error(&too_large(
                Some(req.bytes().len() as u64),
                self.config.max_body_bytes,
            )));
        }
        respond(match route {
            Route::Predict => match &self.config.default_model {
                Some(name) => self.predict(name, None, req, clock, pace).await,
                None => HttpResponse::error(&ApiError::new(
                    ErrorCode::ModelNotFound,
                    "no default model is configured; POST to /models/{name}/predict",
                )),
            },
            Route::ModelPredict(name) => self.predict(name, None, req, clock, pace).await,
            Route::VersionPredict(name, v) => self.predict(name, Some(v), req, clock, pace).await,
            Route::Feedback(name) => return admin::feedback(self, name, req),
            Route::Models => self.list_models(),
            Route::Model(name) => self.describe(name, None),
            Route::ModelVersion(name, v) => self.describe(name, Some(v)),
            Route::V2Server => HttpResponse::json(
                200,
                &json!({"name": "wasmpredict", "version": env!("CARGO_PKG_VERSION"), "extensions": []}),
            ),
            Route::V2Live => HttpResponse::json(200, &json!({"live": true})),
            Route::V2Ready => self.ready(),
            Route::V2Model(name, version) => match self.predictor_version(name, version) {
                Ok(p) => HttpResponse::json(200, &oip::metadata(&p, &self.versions(name))),
                Err(e) => HttpResponse::error(&e),
            },
            Route::V2ModelReady(name, version) => match self.predictor_version(name, version) {
                Ok(p) => {
                    HttpResponse::json(200, &json!({"name": p.manifest().name, "ready": true}))
                }
                Err(e) => HttpResponse::error(&e),
            },
            Route::V2Infer(name, version) => self.infer(name, version, req, clock, pace).await,
            Route::AdminTraffic(_)
            | Route::AdminFeedback(_)
            | Route::Metrics
            | Route::Monitor(_) => no_route(req),
        })
    }

    fn ready(&self) -> HttpResponse {
        match self.load_all() {
            Ok(()) => HttpResponse::json(200, &json!({"ready": true})),
            Err(e) => HttpResponse::error(&e),
        }
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
                        "versions": self.versions(name), "live": m.version,
                    })
                }
                Err(e) => json!({ "name": name, "error": e.message }),
            };
            models.push(entry);
        }
        HttpResponse::json(200, &json!({ "models": models }))
    }

    fn describe(&self, name: &str, version: Option<&str>) -> HttpResponse {
        match self.predictor_version(name, version) {
            Ok(p) => {
                let mut info = describe(&p);
                info["versions"] = json!(self.versions(name));
                info["live"] = json!(self.traffic(name).live());
                let mut r = HttpResponse::json(200, &info);
                r.headers
                    .push(("x-model-version".into(), p.manifest().version.clone()));
                r
            }
            Err(e) => HttpResponse::error(&e),
        }
    }
}

fn no_route(req: &HttpRequest<'_>) -> HttpResponse {
    HttpResponse::error(&ApiError::new(
        ErrorCode::RouteNotFound,
        format!(
            "no route {} {}; see GET /models and POST /predict",
            req.method, req.path
        ),
    ))
}

pub(super) fn too_large(declared: Option<u64>, max: usize) -> ApiError {
    let size = match declared {
        Some(n) => format!("the body has {n} bytes"),
        None => "the body is larger than the limit".to_string(),
    };
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("{size}; at most {max} are accepted"),
    )
}
