//! `cargo xtask cold-setup run|test`: what a fresh machine spends in the README's two commands.
//! Clones this checkout's HEAD into a new directory and runs it with nothing of this machine's
//! caches: its own CARGO_HOME (no crates.io download cache, no cargo-installed tools such as
//! wasm-bindgen), its own npm and pip caches, and a PATH holding only rustup's proxies, Node,
//! Python and the system. What stays shared is what a fresh machine of this kind starts with or
//! what the commands do not install per project: the rustup toolchain (and its wasm32 target,
//! 3 s to add), Debian's packages (Chromium, once apt has installed it).
//!   run:  clone -> ./run.sh answering GET /v2/health/ready; prints the time
//!   test: clone -> .ci/run (./test.sh) passing; prints the time
//! Each step's time is in the run's log and in the clone's target/setup-times.tsv. WORK (default
//! /tmp/wasmpredict-cold) holds the clone, the caches and the log; it is removed first. PORT
//! (default 8797) is where `run` serves. docs/setup.md has the figures this measured.

use crate::out::{fail, Context, Result};
use crate::paths::Paths;
use crate::process::{cmd, run as run_cmd, signal_group};
use crate::{http, out::Out};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The textbook request of the README.
const TEXTBOOK: &str = r#"{"features": [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]}"#;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Mode {
    /// Clone, then ./run.sh until the app answers.
    Run,
    /// Clone, then .ci/run (./test.sh) until it passes.
    Test,
}

/// Where a program is, by PATH.
fn dir_of(program: &str) -> Result<PathBuf> {
    crate::process::which(program)
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(|| crate::out::Failure(format!("{program} not found on PATH")))
}

pub fn run(p: &Paths, mode: Mode) -> Result {
    let out = Out::terminal();
    let work = std::env::var_os("WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/wasmpredict-cold"));
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8797);
    let _ = std::fs::remove_dir_all(&work);
    for dir in ["bin", "cargo", "npm-cache", "pip-cache"] {
        std::fs::create_dir_all(work.join(dir))?;
    }
    let repo = work.join("repo");
    run_cmd(&out, cmd("git", ["clone", "-q"]).arg(&p.root).arg(&repo))?;
    // rustup's proxies alone, not the cargo-installed tools beside them.
    let rustup_bin = dir_of("rustup")?;
    for tool in [
        "cargo",
        "rustc",
        "rustup",
        "rustdoc",
        "cargo-clippy",
        "clippy-driver",
        "rustfmt",
        "cargo-fmt",
    ] {
        let from = rustup_bin.join(tool);
        if from.exists() {
            std::os::unix::fs::symlink(&from, work.join("bin").join(tool))?;
        }
    }
    let path = format!(
        "{}:{}:{}:{}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        work.join("cargo/bin").display(),
        work.join("bin").display(),
        dir_of("node")?.display(),
        dir_of("python3")?.display()
    );
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".rustup")))
        .unwrap_or_default();
    let fresh = |c: &mut Command| {
        // What `cargo run` (this command's own cargo) and xtask set: the clone starts from a
        // plain shell's environment.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("CARGO")
                || key.starts_with("WASMPREDICT_")
                || key.starts_with("RUSTUP_")
                || key == "LD_LIBRARY_PATH"
            {
                c.env_remove(&*key);
            }
        }
        c.current_dir(&repo)
            .env("CARGO_HOME", work.join("cargo"))
            .env("RUSTUP_HOME", &rustup_home)
            .env("PATH", &path)
            .env("npm_config_cache", work.join("npm-cache"))
            .env("PIP_CACHE_DIR", work.join("pip-cache"));
    };
    let name = match mode {
        Mode::Run => "run",
        Mode::Test => "test",
    };
    let log_path = work.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_path)
        .context(|| format!("cannot create {}", log_path.display()))?;
    let head = crate::process::output(cmd("git", ["log", "--oneline", "-1"]).current_dir(&repo))?;
    eprintln!(
        "cold {name} of {} in {}; log: {}",
        head.trim(),
        work.display(),
        log_path.display()
    );
    let start = Instant::now();
    match mode {
        Mode::Test => {
            let mut ci = Command::new(repo.join(".ci/run"));
            fresh(&mut ci);
            let status = ci
                .env("CI", "true")
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .status()
                .context(|| "cannot run .ci/run".to_string())?;
            eprintln!(
                "./test.sh exited {status} after {} s",
                start.elapsed().as_secs()
            );
            print_table(&log_path, "every test passed in", "failed");
            if !status.success() {
                return fail("the cold ./test.sh failed");
            }
            Ok(())
        }
        Mode::Run => {
            let mut serve = Command::new(repo.join("run.sh"));
            fresh(&mut serve);
            let mut child = serve
                .env("PORT", port.to_string())
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .process_group(0)
                .spawn()
                .context(|| "cannot start ./run.sh".to_string())?;
            let ready =
                http::wait_ready(port, "/v2/health/ready", Duration::from_secs(3600), || {
                    matches!(child.try_wait(), Ok(None))
                });
            let seconds = start.elapsed().as_secs();
            let result = if ready {
                eprintln!("./run.sh answered on port {port} after {seconds} s");
                // The README's first request, as a newcomer sends it.
                let mut curl = cmd("curl", ["-sS", "-X", "POST"]);
                curl.arg(format!("http://127.0.0.1:{port}/predict"))
                    .args(["-d", TEXTBOOK]);
                if let Some(answer) = crate::process::probe(&mut curl) {
                    eprintln!("{}", answer.trim());
                }
                print_table(&log_path, "built in", "failed");
                Ok(())
            } else {
                let text = std::fs::read_to_string(&log_path).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
                fail("./run.sh exited (or never answered) before the app answered")
            };
            signal_group(child.id(), "TERM");
            let _ = child.wait();
            result
        }
    }
}

/// The step table the run printed at its end (from its log).
fn print_table(log: &Path, ok_marker: &str, failed_marker: &str) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    if let Some(start) = lines
        .iter()
        .rposition(|l| l.contains(ok_marker) || l.contains(failed_marker))
    {
        for line in lines[start..].iter().take(40) {
            eprintln!("{line}");
        }
    }
}
