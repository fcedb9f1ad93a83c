//! Every step's time, printed when it ends and appended to `target/setup-times.tsv` (`LABEL\tSECONDS`),
//! so that a slow setup step shows, and a table of the slow ones at the end of a command. A
//! command started by another (`cargo xtask serve` within `cargo xtask test`) appends to the
//! same file: its path travels in `WASMPREDICT_TIMES`.

use crate::out::{Out, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

const TIMES_VAR: &str = "WASMPREDICT_TIMES";
/// Steps shorter than this stay out of the end-of-run table.
const TABLE_FROM_SECONDS: u64 = 5;

static TIMES: OnceLock<PathBuf> = OnceLock::new();

/// A command's run: when it started and where its steps begin in the times file.
pub struct Clock {
    t0: Instant,
    first_line: usize,
}

/// Starts the step log of a command: a fresh `target/setup-times.tsv`, or the one of the command
/// that started this one. Call before any thread starts (it sets an environment variable).
pub fn start(target: &Path) -> Clock {
    let t0 = Instant::now();
    let inherited = std::env::var_os(TIMES_VAR).map(PathBuf::from);
    let (path, first_line) = match inherited {
        Some(path) => {
            let lines = std::fs::read_to_string(&path)
                .map(|t| t.lines().count())
                .unwrap_or(0);
            (path, lines)
        }
        None => {
            let path = target.join("setup-times.tsv");
            let _ = std::fs::create_dir_all(target);
            let _ = std::fs::write(&path, "");
            std::env::set_var(TIMES_VAR, &path);
            (path, 0)
        }
    };
    let _ = TIMES.set(path);
    Clock { t0, first_line }
}

/// Runs a whole command with its step log: `start`, then `run`, then the table of its slow
/// steps titled `done` or `failed`.
pub fn command(target: &Path, done: &str, failed: &str, run: impl FnOnce() -> Result) -> Result {
    let clock = start(target);
    let result = run();
    summary(&clock, if result.is_ok() { done } else { failed });
    result
}

/// Runs one step, then prints and records how long it took (also when it failed).
pub fn timed<T>(out: &Out, label: &str, step: impl FnOnce() -> Result<T>) -> Result<T> {
    let start = Instant::now();
    let result = step();
    let seconds = start.elapsed().as_secs();
    out.line(&format!("    ({label}: {seconds}s)"));
    if let Some(path) = TIMES.get() {
        // One write per line in append mode: lines from parallel steps do not interleave.
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = f.write_all(format!("{label}\t{seconds}\n").as_bytes());
        }
    }
    result
}

/// The steps this command timed that took 5 s or more, and its total, on the terminal.
pub fn summary(clock: &Clock, title: &str) {
    let mut text = format!(
        "\x1b[1m==> {title} in {}s; the steps that took {TABLE_FROM_SECONDS} s or more:\x1b[0m",
        clock.t0.elapsed().as_secs()
    );
    let lines = TIMES
        .get()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    for line in lines.lines().skip(clock.first_line) {
        if let Some((label, seconds)) = line.split_once('\t') {
            if seconds
                .parse::<u64>()
                .is_ok_and(|s| s >= TABLE_FROM_SECONDS)
            {
                text.push_str(&format!("\n    {label:<40} {seconds:>5} s"));
            }
        }
    }
    eprintln!("{text}");
}
