//! The HTTP API as plain data: a request (method, path, headers, body) in, a response (status,
//! headers, body) out. The native server and the Worker only translate their own request types
//! to [`HttpRequest`] and back, so every route behaves the same everywhere.
//!
//! - [`routes`]: the one route table (also what the servers use to tell API paths from static
//!   files);
//! - [`Service`] (`service`): what a deployment holds between requests, and its counters;
//! - `registry`: the models, their versions (loaded on first use) and the traffic table;
//! - `handling`: a request to a response: route, method and size checks, CORS and the OIP
//!   error shape on the way out;
//! - `effects`: the state work an adapter performs ([`Effect`]), and completing the request;
//! - `predict`: the predict routes (traffic, shadow, prediction ids);
//! - `admin`: the token-protected routes (traffic, feedback scores, metrics, monitoring);
//! - `monitor`: what each predict answer leaves for the monitoring window;
//! - [`oip`]: the Open Inference Protocol v2 mapping; [`cors`]: CORS; [`ServiceConfig`].
//!
//! State that must outlive a request or be shared between processes (the traffic table,
//! feedback, the deployment's metrics) is not stored here: [`Service::handle`] answers
//! [`Handled::Effect`] and the adapter performs it where its platform keeps state, then calls
//! [`Service::complete`].

mod admin;
pub mod config;
pub mod cors;
mod effects;
mod handling;
mod monitor;
pub mod oip;
mod oip_types;
mod predict;
mod registry;
pub mod routes;
mod service;

pub use config::ServiceConfig;
pub use effects::{Effect, EffectDone, Handled};
pub use service::Service;

use crate::error::ApiError;

/// One HTTP request, borrowed from whatever server received it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The path without query string.
    pub path: &'a str,
    /// Header names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: RequestBody<'a>,
    /// When the request arrived, in milliseconds since the Unix epoch (prediction ids,
    /// feedback retention).
    pub received_ms: u64,
}

/// A request body, or what a server knows of one it would not read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RequestBody<'a> {
    Bytes(&'a [u8]),
    /// Over the server's limit: `declared` is the Content-Length, when the client sent one.
    TooLarge {
        declared: Option<u64>,
    },
}

impl<'a> HttpRequest<'a> {
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The body's bytes (none for a body that was too large).
    pub fn bytes(&self) -> &'a [u8] {
        match self.body {
            RequestBody::Bytes(b) => b,
            RequestBody::TooLarge { .. } => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn json(status: u16, value: &impl serde::Serialize) -> HttpResponse {
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

    pub fn error(error: &ApiError) -> HttpResponse {
        HttpResponse::json(error.code.status(), &crate::api::ErrorBody { error })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
