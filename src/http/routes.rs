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

/// The first path segments of every API route (also what `www/sw.js` never serves from its
/// cache: the build writes them in).
pub const API_ROOTS: [&str; 5] = ["predict", "models", "v2", "admin", "metrics"];

/// Whether `path` belongs to the API (or would, with a wrong tail): such paths never fall
/// through to static files.
pub fn is_api_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    API_ROOTS.contains(&first)
}

/// `path` with its dot segments resolved as a WHATWG URL parser resolves them (`.`, `..` and
/// their percent-encoded spellings; `..` never climbs above the root). workerd hands the Worker
/// resolved paths and hyper hands the native server raw ones: resolving here makes both route
/// `/models/x/../iris/predict` alike. Borrowed when there is nothing to resolve.
pub fn resolve_dots(path: &str) -> std::borrow::Cow<'_, str> {
    let is_dot = |s: &str| s == "." || s.eq_ignore_ascii_case("%2e");
    let is_dot_dot = |s: &str| {
        matches!(
            s.to_ascii_lowercase().as_str(),
            ".." | ".%2e" | "%2e." | "%2e%2e"
        )
    };
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    if !segments.iter().any(|s| is_dot(s) || is_dot_dot(s)) {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    let last = segments.len().saturating_sub(1);
    for (i, s) in segments.iter().enumerate() {
        if is_dot_dot(s) {
            out.pop();
        } else if !is_dot(s) {
            out.push(s);
            continue;
        }
        // A trailing dot segment leaves the path ending in '/'.
        if i == last {
            out.push("");
        }
    }
    std::borrow::Cow::Owned(format!("/{}", out.join("/")))
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
        for (raw, resolved) in [
            ("/models/nope/../iris/predict", "/models/iris/predict"),
            ("/models/nope/%2E%2e/iris/./predict", "/models/iris/predict"),
            ("/../../predict", "/predict"),
            ("/models/iris/..", "/models/"),
            ("/models/iris/predict", "/models/iris/predict"),
            ("/a/...b/predict", "/a/...b/predict"),
        ] {
            assert_eq!(resolve_dots(raw), resolved, "{raw}");
        }
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
