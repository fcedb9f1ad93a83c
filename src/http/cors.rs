//! CORS: which origins may call the API from a page, and the preflight answer.

use super::{HttpRequest, HttpResponse};

/// The `Access-Control-Allow-Origin` value for a request, if its origin is allowed.
pub fn allowed_origin<'a>(allowed: &[String], origin: Option<&'a str>) -> Option<&'a str> {
    if allowed.iter().any(|o| o == "*") {
        return Some("*");
    }
    origin.filter(|o| allowed.iter().any(|a| a == o))
}

/// The headers every page may send (the admin token, a JSON body, the default sticky key).
const ALWAYS_ALLOWED_HEADERS: &str = "content-type, authorization, x-user-id";

/// The preflight answer. An allowed origin may send any header it asks for: a traffic split's
/// `sticky_header` can be any header name, and a page must be able to send it.
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
        let requested = req
            .header("access-control-request-headers")
            .filter(|h| is_header_list(h));
        let headers = match requested {
            Some(h) => format!(
                "{ALWAYS_ALLOWED_HEADERS}, {}",
                h.trim().to_ascii_lowercase()
            ),
            None => ALWAYS_ALLOWED_HEADERS.to_string(),
        };
        r.headers
            .push(("access-control-allow-headers".into(), headers));
        r.headers
            .push(("access-control-max-age".into(), "86400".into()));
        // The answer depends on the headers asked for: caches must key on them.
        r.headers
            .push(("vary".into(), "access-control-request-headers".into()));
    }
    r
}

/// A comma-separated list of header names (RFC 9110 tokens): what a browser sends in
/// `Access-Control-Request-Headers`; anything else is not echoed.
fn is_header_list(list: &str) -> bool {
    let token = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    list.len() <= 1024 && list.split(',').all(|name| token(name.trim()))
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
