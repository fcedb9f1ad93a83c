//! One request through [`Service`]: its route, the method and body-size checks every route
//! shares, the route's answer (the read-only model routes are answered here; predict, admin
//! and the Open Inference Protocol have their own modules), and the finish every response gets:
//! the OIP error shape on `/v2` routes and the CORS headers.

use super::effects::Handled;
use super::routes::{self, Route};
use super::service::Service;
use super::{admin, cors, oip, HttpRequest, HttpResponse, RequestBody};
use crate::api::{describe, run_now, NoPause, Pace};
use crate::error::{ApiError, ErrorCode};
use serde_json::json;

impl Service {
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

    /// What every response gets, whichever way it was made.
    pub(super) fn finish(
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
        if let Err(r) = allow_method(route, req) {
            return respond(r);
        }
        if route.is_admin() {
            return admin::handle(self, route, req);
        }
        if let Err(e) = self.check_body_size(req) {
            return respond(HttpResponse::error(&e));
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

    /// A body over the limit, whether the server declined to read it or read it whole.
    fn check_body_size(&self, req: &HttpRequest<'_>) -> Result<(), ApiError> {
        let max = self.config.max_body_bytes;
        if let RequestBody::TooLarge { declared } = req.body {
            return Err(too_large(declared, max));
        }
        if req.bytes().len() > max {
            return Err(too_large(Some(req.bytes().len() as u64), max));
        }
        Ok(())
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

/// 405 with `Allow` when the route does not take the method (HEAD goes where GET does).
fn allow_method(route: Route<'_>, req: &HttpRequest<'_>) -> Result<(), HttpResponse> {
    let methods = route.methods();
    if methods
        .split(", ")
        .any(|m| m == req.method || (m == "GET" && req.method == "HEAD"))
    {
        return Ok(());
    }
    let mut r = HttpResponse::error(&ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not allowed on {}; use {methods}",
            req.method, req.path
        ),
    ));
    r.headers
        .push(("allow".into(), format!("{methods}, OPTIONS")));
    Err(r)
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
