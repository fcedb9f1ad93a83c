//! `wasmpredict health`: asks a running `wasmpredict serve` whether it is ready (or live) and
//! exits 0 or 1. A container's HEALTHCHECK runs it: the image holds this one binary and no curl.

use crate::http_client::{block_on, Server};
use std::process::ExitCode;
use std::time::Duration;

/// Which of the Open Inference Protocol's health routes to ask.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
pub enum Route {
    /// `GET /v2/health/ready`: every model loaded, requests answered.
    #[default]
    Ready,
    /// `GET /v2/health/live`: the process answers at all.
    Live,
}

impl Route {
    fn path(self) -> &'static str {
        match self {
            Route::Ready => "/v2/health/ready",
            Route::Live => "/v2/health/live",
        }
    }
}

pub fn run(url: &str, route: Route, timeout_seconds: f64) -> ExitCode {
    let server = match Server::parse(url) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let timeout = match Duration::try_from_secs_f64(timeout_seconds) {
        Ok(t) if !t.is_zero() => t,
        _ => {
            eprintln!("error: --timeout {timeout_seconds}: give a number of seconds above 0");
            return ExitCode::from(2);
        }
    };
    let answer = match block_on(server.get(route.path(), timeout)) {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match answer {
        Ok((200, _)) => {
            println!("{}{}: 200", server.url(), route.path());
            ExitCode::SUCCESS
        }
        Ok((status, body)) => {
            let body = String::from_utf8_lossy(&body);
            eprintln!(
                "error: {}{} answered {status}: {}",
                server.url(),
                route.path(),
                body.trim()
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
