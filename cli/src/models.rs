//! `wasmpredict models`: see and change which version of a model answers, on a running server
//! (`--url`, the admin routes, token from ADMIN_TOKEN) or in a state directory before a server
//! starts (`--state DIR --models DIR`). A rollback is `wasmpredict models live NAME VERSION`.

use crate::state;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use wasmpredict::bundle::layout;
use wasmpredict::ops::traffic::Traffic;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Print a model's traffic (split, sticky header, shadow) and versions.
    Traffic {
        name: String,
        #[command(flatten)]
        target: Target,
    },
    /// Send every request to one version (a rollback or a promotion).
    Live {
        name: String,
        version: String,
        #[command(flatten)]
        target: Target,
    },
    /// Split requests between versions: `split churn 1.0.0=90 1.1.0=10` (weights sum to 100).
    Split {
        name: String,
        /// VERSION=PERCENT, one per version.
        #[arg(required = true)]
        weights: Vec<String>,
        /// Request header whose value keeps a user on one version (e.g. x-user-id).
        #[arg(long)]
        sticky_header: Option<String>,
        /// A version to evaluate on the same requests without answering with it.
        #[arg(long)]
        shadow: Option<String>,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(clap::Args)]
pub struct Target {
    /// A running server (wasmpredict serve or the Worker under ./run.sh).
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    url: String,
    /// Change the state directory of a server that is not running instead (with --models).
    #[arg(long, requires = "models")]
    state: Option<PathBuf>,
    /// The models directory the state is for (to check names and versions).
    #[arg(long)]
    models: Option<PathBuf>,
}

fn split_of(weights: &[String]) -> Result<BTreeMap<String, u32>, String> {
    weights
        .iter()
        .map(|w| {
            let (v, p) = w
                .split_once('=')
                .ok_or_else(|| format!("'{w}' is not VERSION=PERCENT"))?;
            let p = p
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("'{w}': the percent must be a whole number"))?;
            Ok((v.trim().to_string(), p))
        })
        .collect()
}

pub fn run(action: Action) -> ExitCode {
    let (name, traffic, target) = match action {
        Action::Traffic { name, target } => (name, None, target),
        Action::Live {
            name,
            version,
            target,
        } => (name, Some(Traffic::only(&version)), target),
        Action::Split {
            name,
            weights,
            sticky_header,
            shadow,
            target,
        } => match split_of(&weights) {
            Ok(split) => (
                name,
                Some(Traffic {
                    split,
                    sticky_header,
                    shadow,
                }),
                target,
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let result = match (&target.state, &target.models) {
        (Some(dir), Some(models)) => offline(&name, traffic, dir, models),
        _ => online(&name, traffic, &target.url),
    };
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Edits `STATE/traffic.json` after checking the traffic against the model's versions.
fn offline(
    name: &str,
    traffic: Option<Traffic>,
    dir: &std::path::Path,
    models: &std::path::Path,
) -> Result<String, String> {
    let found = layout::discover(models).map_err(|e| e.to_string())?;
    let model = found
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("no model named '{name}' under {}", models.display()))?;
    let versions: Vec<&str> = model.versions.iter().map(|(v, _)| v.as_str()).collect();
    let mut table = state::read_traffic(dir)?;
    if let Some(traffic) = traffic {
        traffic.validate(&versions).map_err(|e| e.message)?;
        table.insert(name.to_string(), traffic);
        state::write_traffic(dir, &table)?;
    }
    // What the server would start with: the stored traffic, else the model directory's.
    let current = match table.get(name) {
        Some(t) => t.clone(),
        None => Traffic::initial(model).map_err(|e| e.to_string())?,
    };
    Ok(current.state(name, &versions).to_string())
}

/// GET or PUT /admin/models/{name}/traffic on a running server.
fn online(name: &str, traffic: Option<Traffic>, url: &str) -> Result<String, String> {
    let token = std::env::var("ADMIN_TOKEN").unwrap_or_default();
    if token.trim().is_empty() {
        return Err("set ADMIN_TOKEN to the server's admin token".into());
    }
    let path = format!("/admin/models/{name}/traffic");
    let body = traffic.map(|t| serde_json::to_string(&t).unwrap_or_default());
    let Some(host) = url.strip_prefix("http://") else {
        return Err(format!(
            "this command speaks plain http to a local server; for {url} run:\n  curl -X {} '{}{path}' -H \"Authorization: Bearer $ADMIN_TOKEN\"{}",
            if body.is_some() { "PUT" } else { "GET" },
            url.trim_end_matches('/'),
            body.as_ref().map(|b| format!(" -d '{b}'")).unwrap_or_default()
        ));
    };
    let host = host.trim_end_matches('/');
    let (status, text) = http(
        host,
        if body.is_some() { "PUT" } else { "GET" },
        &path,
        token.trim(),
        body.as_deref(),
    )?;
    if status >= 400 {
        return Err(format!("{status} from {url}{path}: {text}"));
    }
    Ok(text)
}

/// One HTTP/1.1 request (Connection: close); the status and the body (de-chunked).
fn http(
    host: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let mut stream =
        std::net::TcpStream::connect(host).map_err(|e| format!("cannot connect to {host}: {e}"))?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or("the server's answer has no headers")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("the server's answer has no status")?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}
