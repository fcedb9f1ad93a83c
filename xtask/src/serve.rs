//! `cargo xtask serve` (./run.sh): builds the Worker and the site, then serves them locally in
//! workerd through `wrangler dev`: the page at http://127.0.0.1:PORT/ and the API.
//!   PORT           listen port (default 8787)
//!   DEFAULT_MODEL  the model answering plain /predict (default: wrangler.toml's DEFAULT_MODEL)
//!   ADMIN_TOKEN    bearer token of the admin routes; when unset, one is generated once into
//!                  build/admin-token and printed
//!   STATE_DIR      where workerd keeps the deployment's state (the DeploymentState Durable
//!                  Object) across runs (default .wrangler/state)
//!   LOG_LEVEL      wrangler's log level (default warn)

use crate::out::{Context, Out, Result};
use crate::paths::Paths;
use crate::process::cmd;
use crate::steps::{self, timed};
use crate::{background, pins, stamps, web, worker};
use std::io::Read;
use std::os::unix::process::CommandExt;

pub fn run(p: &Paths) -> Result {
    let out = Out::terminal();
    let clock = steps::start(&p.target);
    let port = std::env::var("PORT").unwrap_or_else(|_| "8787".into());
    let deferred = timed(&out, "web build", || {
        web::build(&out, p, web::Mode::TractLater)
    })?;
    timed(&out, "Worker build", || {
        worker::build(
            &out,
            p,
            &worker::Options {
                models: p.at("models"),
                out: p.at("worker/build"),
                tract: false,
            },
        )
    })?;
    pins::check_compatibility_date(&p.root)?;
    crate::wrangler_vars::check(&p.root)?;
    let token = admin_token(&out, p)?;
    let state = std::env::var("STATE_DIR").unwrap_or_else(|_| ".wrangler/state".into());
    let log_level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "warn".into());
    let mut wrangler = cmd(
        p.at("node_modules/.bin/wrangler"),
        ["dev", "--local", "--ip", "127.0.0.1"],
    );
    wrangler
        .args([
            "--port",
            &port,
            "--log-level",
            &log_level,
            "--persist-to",
            &state,
        ])
        .arg("--var")
        .arg(format!("ADMIN_TOKEN:{token}"))
        .current_dir(&p.root)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false");
    if let Ok(model) = std::env::var("DEFAULT_MODEL") {
        if !model.is_empty() {
            wrangler.arg("--var").arg(format!("DEFAULT_MODEL:{model}"));
        }
    }
    steps::summary(&clock, "built");
    out.say(&format!(
        "serving on http://127.0.0.1:{port} in workerd (Ctrl-C stops)"
    ));
    if !deferred {
        return Err(wrangler.exec().into());
    }
    // The tract-enabled browser predictor, left for later: built while the app is already
    // served (wrangler serves files added to build/site as they appear).
    let log = background::log_path(&p.target, "tract-predictor");
    out.say(&format!(
        "building the tract-enabled browser predictor in the background (~5 minutes the first time; only bundles the compact engine does not run need it; log: {})",
        log.display()
    ));
    let tract_paths = p.clone();
    let log_out = Out::log(&log)?;
    std::thread::spawn(
        move || match web::build(&log_out, &tract_paths, web::Mode::TractOnly) {
            Ok(_) => Out::terminal().say(
                "the tract-enabled browser predictor is ready (/pkg/wasmpredict_web_tract_bg.wasm)",
            ),
            Err(e) => Out::terminal().say(&format!(
                "the tract-enabled browser predictor failed to build ({e}): see {}",
                log.display()
            )),
        },
    );
    let status = wrangler
        .status()
        .context(|| "cannot start wrangler dev".to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(crate::out::Failure(format!(
            "wrangler dev exited ({status})"
        )))
    }
}

/// `ADMIN_TOKEN`, else the one generated once into build/admin-token (printed).
fn admin_token(out: &Out, p: &Paths) -> Result<String> {
    if let Ok(token) = std::env::var("ADMIN_TOKEN") {
        if !token.trim().is_empty() {
            return Ok(token.trim().to_string());
        }
    }
    let file = p.at("build/admin-token");
    let token = match std::fs::read_to_string(&file) {
        Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            let mut bytes = [0u8; 24];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut bytes))
                .context(|| "cannot read /dev/urandom".to_string())?;
            let token = stamps::hex(&bytes);
            std::fs::create_dir_all(p.at("build"))?;
            std::fs::write(&file, &token).context(|| format!("cannot write {}", file.display()))?;
            token
        }
    };
    out.say(&format!("admin token (from build/admin-token): {token}"));
    Ok(token)
}
