//! The route table: every API path, parsed once, with the methods it takes. Both servers use
//! [`is_api_path`] to tell API requests from the app's static files, the build writes
//! [`API_ROOTS`] into the service worker (which never answers them from its cache), and the
//! native server asks [`placement`] where a request runs.

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
pub const API_ROOTS: [&str; 5] = ["predict", "models", "v2", "admin", "metrics"];

/// Where a server with an async runtime runs a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On the runtime's thread: it takes microseconds, less than a hand-off to a blocking pool
    /// and back (which halved single-row throughput, BENCHMARKS.md 2026-11-23).
    Inline,
    /// On a blocking pool: CPU work that may take milliseconds (batches, explanations) or a
    /// request whose effect reads or writes the state store (SQLite).
    Pool,
}

/// Predict bodies up to this size (a few rows) run inline.
pub const INLINE_BODY_BYTES: usize = 4096;

/// Where `method path` with `body` (None: a body over the server's limit, refused unread)
/// runs. Reads of the in-memory service, refusals and small predictions run inline; batches,
/// explanations (TreeSHAP of a forest takes milliseconds a row) and every route with a state
/// effect (feedback, admin, metrics, monitor) go to the pool.
pub fn placement(method: &str, path: &str, body: Option<&[u8]>) -> Placement {
    let path = resolve_dots(path);
    let Some(route) = Route::parse(&path) else {
        return Placement::Inline;
    };
    let allowed = route
        .methods()
        .split(", ")
        .any(|m| m == method || (m == "GET" && method == "HEAD"));
    if method == "OPTIONS" || !allowed {
        return Placement::Inline;
    }
    let Some(body) = body else {
        return Placement::Inline;
    };
    match route {
        Route::Predict
        | Route::ModelPredict(_)
        | Route::VersionPredict(..)
        | Route::V2Infer(..) => {
            let explains = body.windows(9).any(|w| w == b"\"explain\"");
            if body.len() <= INLINE_BODY_BYTES && !explains {
                Placement::Inline
            } else {
                Placement::Pool
            }
        }
        Route::Feedback(_)
        | Route::AdminTraffic(_)
        | Route::AdminFeedback(_)
        | Route::Metrics
        | Route::Monitor(_) => Placement::Pool,
        Route::Models
        | Route::Model(_)
        | Route::ModelVersion(..)
        | Route::V2Server
        | Route::V2Live
        | Route::V2Ready
        | Route::V2Model(..)
        | Route::V2ModelReady(..) => Placement::Inline,
    }
}

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

    #[test]
    fn placement_keeps_the_runtime_for_light_requests() {
        use Placement::{Inline, Pool};
        let one_row = br#"{"features": [1, 2, 3, 4]}"#.as_slice();
        let batch = vec![b' '; INLINE_BODY_BYTES + 1];
        let explain = br#"{"features": [1, 2, 3, 4], "explain": true}"#.as_slice();
        for (method, path, body, want) in [
            ("POST", "/predict", Some(one_row), Inline),
            ("POST", "/models/iris/predict", Some(one_row), Inline),
            (
                "POST",
                "/models/iris/versions/1.0.0/predict",
                Some(one_row),
                Inline,
            ),
            ("POST", "/v2/models/iris/infer", Some(one_row), Inline),
            ("POST", "/models/iris/predict", Some(&batch[..]), Pool),
            ("POST", "/models/iris/predict", Some(explain), Pool),
            ("POST", "/models/iris/predict", None, Inline),
            ("GET", "/models", Some(&[][..]), Inline),
            ("HEAD", "/models/iris", Some(&[][..]), Inline),
            ("GET", "/v2/health/ready", Some(&[][..]), Inline),
            (
                "GET",
                "/v2/models/iris/versions/1.0.0/ready",
                Some(&[][..]),
                Inline,
            ),
            (
                "OPTIONS",
                "/admin/models/iris/traffic",
                Some(&[][..]),
                Inline,
            ),
            ("GET", "/nowhere", Some(&[][..]), Inline),
            ("DELETE", "/models/iris/predict", Some(&[][..]), Inline),
            // A state effect (SQLite natively), whatever the size.
            ("POST", "/models/iris/feedback", Some(one_row), Pool),
            ("GET", "/metrics", Some(&[][..]), Pool),
            ("GET", "/models/iris/monitor", Some(&[][..]), Pool),
            ("GET", "/admin/models/iris/traffic", Some(&[][..]), Pool),
            ("PUT", "/admin/models/iris/traffic", Some(one_row), Pool),
            ("GET", "/admin/models/iris/feedback", Some(&[][..]), Pool),
            ("GET", "/models/x/../iris/monitor", Some(&[][..]), Pool),
        ] {
            assert_eq!(placement(method, path, body), want, "{method} {path}");
        }
    }
}
