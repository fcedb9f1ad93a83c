//! The route table: every API path, parsed once, with the methods it takes. Both servers use
//! [`is_api_path`] to tell API requests from the app's static files.

/// A parsed API path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `POST /predict`: the default model.
    Predict,
    /// `GET /models`.
    Models,
    /// `GET /models/{name}`: the live version, plus `versions` and `live`.
    Model(&'a str),
    /// `GET /models/{name}/versions/{version}`.
    ModelVersion(&'a str, &'a str),
    /// `POST /models/{name}/predict`: the version the traffic picks.
    ModelPredict(&'a str),
    /// `POST /models/{name}/versions/{version}/predict`.
    VersionPredict(&'a str, &'a str),
    /// `POST /models/{name}/feedback`.
    Feedback(&'a str),
    /// `GET /v2`, `/v2/health/live`, `/v2/health/ready`.
    V2Server,
    V2Live,
    V2Ready,
    /// `GET /v2/models/{name}[/versions/{v}]`, `.../ready`, `POST .../infer`.
    V2Model(&'a str, Option<&'a str>),
    V2ModelReady(&'a str, Option<&'a str>),
    V2Infer(&'a str, Option<&'a str>),
    /// `GET|PUT /admin/models/{name}/traffic` (admin token).
    AdminTraffic(&'a str),
    /// `GET /admin/models/{name}/feedback`: per-version scores (admin token).
    AdminFeedback(&'a str),
    /// `GET /metrics`: Prometheus text (admin token).
    Metrics,
    /// `GET /models/{name}/monitor`: the monitoring window's report (admin token).
    Monitor(&'a str),
}

/// The first path segments of every API route.
const API_ROOTS: [&str; 5] = ["predict", "models", "v2", "admin", "metrics"];

/// Whether `path` belongs to the API (or would, with a wrong tail): such paths never fall
/// through to static files.
pub fn is_api_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    API_ROOTS.contains(&first)
}

impl<'a> Route<'a> {
    pub fn parse(path: &'a str) -> Option<Route<'a>> {
        let path = path.trim_end_matches('/');
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        Some(match segments.as_slice() {
            ["predict"] => Route::Predict,
            ["metrics"] => Route::Metrics,
            ["models"] => Route::Models,
            ["models", name] => Route::Model(name),
            ["models", name, "predict"] => Route::ModelPredict(name),
            ["models", name, "feedback"] => Route::Feedback(name),
            ["models", name, "monitor"] => Route::Monitor(name),
            ["models", name, "versions", v] => Route::ModelVersion(name, v),
            ["models", name, "versions", v, "predict"] => Route::VersionPredict(name, v),
            ["admin", "models", name, "traffic"] => Route::AdminTraffic(name),
            ["admin", "models", name, "feedback"] => Route::AdminFeedback(name),
            ["v2"] => Route::V2Server,
            ["v2", "health", "live"] => Route::V2Live,
            ["v2", "health", "ready"] => Route::V2Ready,
            ["v2", "models", name, rest @ ..] => {
                let (version, rest) = match rest {
                    ["versions", v, rest @ ..] => (Some(*v), rest),
                    other => (None, other),
                };
                match rest {
                    [] => Route::V2Model(name, version),
                    ["ready"] => Route::V2ModelReady(name, version),
                    ["infer"] => Route::V2Infer(name, version),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// The methods the route takes (HEAD is allowed wherever GET is).
    pub fn methods(&self) -> &'static str {
        match self {
            Route::Predict
            | Route::ModelPredict(_)
            | Route::VersionPredict(..)
            | Route::Feedback(_)
            | Route::V2Infer(..) => "POST",
            Route::AdminTraffic(_) => "GET, PUT",
            _ => "GET",
        }
    }

    /// Routes that need the admin token.
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Route::AdminTraffic(_) | Route::AdminFeedback(_) | Route::Metrics | Route::Monitor(_)
        )
    }

    /// The OIP v2 routes answer errors in the protocol's shape.
    pub fn is_v2(&self) -> bool {
        matches!(
            self,
            Route::V2Server
                | Route::V2Live
                | Route::V2Ready
                | Route::V2Model(..)
                | Route::V2ModelReady(..)
                | Route::V2Infer(..)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_route() {
        assert_eq!(Route::parse("/predict/"), Some(Route::Predict));
        assert_eq!(
            Route::parse("/models/churn/versions/1.1.0/predict"),
            Some(Route::VersionPredict("churn", "1.1.0"))
        );
        assert_eq!(
            Route::parse("/v2/models/churn/versions/1.0.0/infer"),
            Some(Route::V2Infer("churn", Some("1.0.0")))
        );
        assert_eq!(
            Route::parse("/admin/models/churn/traffic"),
            Some(Route::AdminTraffic("churn"))
        );
        assert_eq!(
            Route::parse("/models/churn/monitor"),
            Some(Route::Monitor("churn"))
        );
        assert!(Route::Monitor("churn").is_admin());
        assert_eq!(Route::parse("/v2/models/churn/nope"), None);
        assert!(is_api_path("/admin/x") && is_api_path("/metrics") && !is_api_path("/pkg/a.js"));
    }
}
