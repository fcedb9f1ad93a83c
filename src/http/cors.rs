//! CORS: which origins may call the API from a page, and the preflight answer.

use super::{HttpRequest, HttpResponse};

/// The `Access-Control-Allow-Origin` value for a request, if its origin is allowed.
pub fn allowed_origin<'a>(allowed: &[String], origin: Option<&'a str>) -> Option<&'a str> {
    if allowed.iter().any(|o| o == "*") {
        return Some("*");
    }
    origin.filter(|o| allowed.iter().any(|a| a == o))
}

pub fn preflight(allowed: &[String], req: &HttpRequest<'_>) -> HttpResponse {
    let mut r = HttpResponse {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
    };
    if allowed_origin(allowed, req.header("origin")).is_some() {
        r.headers.push((
            "access-control-allow-methods".into(),
            "GET, POST, PUT, OPTIONS".into(),
        ));
        r.headers.push((
            "access-control-allow-headers".into(),
            "content-type, authorization, x-user-id".into(),
        ));
        r.headers
            .push(("access-control-max-age".into(), "86400".into()));
    }
    r
}

pub fn add_headers(allowed: &[String], req: &HttpRequest<'_>, r: &mut HttpResponse) {
    if let Some(origin) = allowed_origin(allowed, req.header("origin")) {
        r.headers
            .push(("access-control-allow-origin".into(), origin.into()));
        r.headers.push((
            "access-control-expose-headers".into(),
            "server-timing, x-model-version, x-prediction-id".into(),
        ));
        if origin != "*" {
            r.headers.push(("vary".into(), "origin".into()));
        }
    }
}
