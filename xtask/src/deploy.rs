//! `cargo xtask deploy`: the deploy gate, then `wrangler deploy`. Deploys only if every bundle
//! (every version of every model) passes `wasmpredict check` natively AND the built Worker,
//! started in workerd, answers every golden row the same way (`wasmpredict check --url`: one
//! comparator for both); prints, for each other version of a model, how often it agrees with
//! the live one on both versions' golden rows.
//! Deploying needs `npx wrangler login` (or CLOUDFLARE_API_TOKEN) and, once, the admin token:
//! `npx wrangler secret put ADMIN_TOKEN`.

use crate::out::{fail, Context, Failure, Out, Result};
use crate::paths::Paths;
use crate::process::{self, cmd, describe, kill_tree, signal, succeeds};
use crate::steps::{self, timed};
use crate::{http, pins, tools, web, worker};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wasmpredict::bundle::layout;

pub struct Options {
    pub dry_run: bool,
    pub models: PathBuf,
    pub live_url: Option<String>,
}

pub fn run(p: &Paths, o: &Options) -> Result {
    let out = Out::terminal();
    let clock = steps::start(&p.target);
    let result = gate(&out, p, o).and_then(|()| {
        if o.dry_run {
            out.say("gate passed (--dry-run: not deployed)");
            return Ok(());
        }
        if !same_dir(&o.models, &p.at("models")) {
            return fail("deploying another models directory: copy it to models/ first (the site and the Worker wrangler.toml names are built from models/)");
        }
        out.say("gate passed: building the site and deploying with wrangler");
        timed(&out, "web build", || web::build(&out, p, web::Mode::All))?;
        process::run(&out, cmd(p.at("node_modules/.bin/wrangler"), ["deploy"]).current_dir(&p.root))
    });
    let title = match (&result, o.dry_run) {
        (Ok(()), true) => "the deploy gate passed",
        (Ok(()), false) => "deployed",
        (Err(_), _) => "deploy refused",
    };
    steps::summary(&clock, title);
    result
}

fn same_dir(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// The gate: check natively, build the Worker, replay every golden row against it in workerd.
pub fn gate(out: &Out, p: &Paths, o: &Options) -> Result {
    tools::need_rust()?;
    tools::need_node_modules(out, &p.root)?;
    pins::check_compatibility_date(&p.root)?;
    crate::wrangler_vars::check(&p.root)?;
    let models = std::path::absolute(&o.models).context(|| o.models.display().to_string())?;
    let found = layout::discover(&models).map_err(|e| {
        Failure(format!(
            "gate: cannot read the models in {}: {e}",
            o.models.display()
        ))
    })?;

    out.say(&format!(
        "gate 1/3: wasmpredict check on every version of every model in {} (sha256, graph, golden replay natively)",
        o.models.display()
    ));
    // The debug build: the check is about answers, not speed, and `cargo xtask test` has built it.
    if !succeeds(out, wasmpredict(p, ["check"]).arg(&models))? {
        return fail("gate: a bundle fails wasmpredict check; nothing deployed");
    }

    out.say(&format!(
        "gate 2/3: building the Worker with the bundles of {}",
        o.models.display()
    ));
    let build = if same_dir(&models, &p.at("models")) {
        p.at("worker/build")
    } else {
        p.target.join("gate-worker")
    };
    timed(out, "Worker build", || {
        worker::build(
            out,
            p,
            &worker::Options {
                models: models.clone(),
                out: build.clone(),
                tract: false,
            },
        )
    })?;

    let live = match &o.live_url {
        Some(url) => live_versions(url, &found)?,
        None => Vec::new(),
    };
    out.say(
        "gate 3/3: the built Worker in workerd replays every golden row (wasmpredict check --url)",
    );
    let port = http::free_port()?;
    let workerd = Workerd::start(p, &build, port)?;
    let mut check = wasmpredict(p, ["check", "--url"]);
    check.arg(format!("http://127.0.0.1:{port}"));
    for (name, version) in &live {
        check.arg("--live").arg(format!("{name}={version}"));
    }
    check.arg(&models);
    let replayed = succeeds(out, &mut check);
    drop(workerd);
    if !replayed? {
        return fail("gate: the built Worker disagrees with a golden row (or could not be asked); nothing deployed");
    }
    Ok(())
}

/// `cargo run --bin wasmpredict -- ARGS` (quietly: it is built already, or builds once).
fn wasmpredict<const N: usize>(p: &Paths, args: [&str; N]) -> Command {
    let mut c = cmd("cargo", ["run", "-q", "--bin", "wasmpredict", "--"]);
    c.args(args).current_dir(&p.root);
    c
}

/// The version each model's live deployment serves (`GET URL/models/NAME` -> `live`); a model
/// the deployment does not have yet (404) has none. curl, because a deployment speaks https.
fn live_versions(url: &str, models: &[layout::ModelDir]) -> Result<Vec<(String, String)>> {
    let base = url.trim_end_matches('/');
    let mut live = Vec::new();
    for model in models {
        let target = format!("{base}/models/{}", model.name);
        let mut curl = cmd(
            "curl",
            ["-sS", "--max-time", "30", "-w", "\n%{http_code}", &target],
        );
        let o = curl.stderr(Stdio::piped()).output().context(|| {
            format!(
                "gate: cannot run `{}` (is curl installed?)",
                describe(&curl)
            )
        })?;
        let text = String::from_utf8_lossy(&o.stdout);
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
        if !o.status.success() {
            return fail(format!(
                "gate: cannot read the live versions from {url}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        match status.trim() {
            "200" => {
                let json: serde_json::Value = serde_json::from_str(body)
                    .context(|| format!("gate: {target} did not answer JSON"))?;
                match json["live"].as_str() {
                    Some(v) => live.push((model.name.clone(), v.to_string())),
                    None => return fail(format!("gate: {target} names no live version: {body}")),
                }
            }
            // A model this deployment adds.
            "404" => {}
            other => return fail(format!("gate: {target} answered HTTP {other}: {body}")),
        }
    }
    Ok(live)
}

/// A built Worker in workerd (scripts/serve-workerd.mjs, Miniflare), stopped when dropped.
struct Workerd(Child);

impl Workerd {
    fn start(p: &Paths, build: &Path, port: u16) -> Result<Workerd> {
        let mut child = cmd("node", [p.at("scripts/serve-workerd.mjs")])
            .arg(port.to_string())
            .arg(build)
            .current_dir(&p.root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context(|| "cannot start scripts/serve-workerd.mjs".to_string())?;
        let stdout = child.stdout.take();
        let workerd = Workerd(child);
        // It prints "workerd at URL" once it serves.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(|l| l.ok())
            {
                if line.starts_with("workerd at ") {
                    let _ = tx.send(());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(()) => Ok(workerd),
            Err(_) => fail(format!(
                "the built Worker ({}) did not start in workerd within 60 s",
                build.display()
            )),
        }
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        // SIGTERM: serve-workerd.mjs then disposes of Miniflare, which stops workerd.
        signal(self.0.id(), "TERM");
        for _ in 0..50 {
            if !matches!(self.0.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        kill_tree(self.0.id());
        let _ = self.0.wait();
    }
}
