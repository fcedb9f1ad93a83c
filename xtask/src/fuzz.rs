//! `cargo xtask fuzz [SECONDS] [TARGET...]`: runs every cargo-fuzz target (fuzz/) for a set time,
//! one after the other on one core, and writes executions, coverage and findings to the
//! "## Fuzzing" section of docs/reliability.md (fuzz/report.py; the rest of that file is left
//! as it is).
//!
//! Needs a nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz (installed from
//! crates.io when missing). Builds into fuzz/target, never the main target dir. Each target keeps
//! its growing corpus in fuzz/target/corpus/TARGET (the committed seeds in fuzz/corpus/TARGET are
//! only read) and its findings in fuzz/artifacts/TARGET/. Every run is appended to fuzz/runs.tsv,
//! whose per-target totals the report also shows.
//!
//! Environment: FUZZ_TOOLCHAIN (default nightly), FUZZ_SANITIZER (default address; `none` is ~2x
//! faster but misses out-of-bounds reads in unsafe code), FUZZ_RSS_MB (default 4096),
//! FUZZ_TIMEOUT (seconds per input before libFuzzer calls it a hang, default 20),
//! FUZZ_NO_REPORT=1 (leave docs/reliability.md alone).

use crate::out::{fail, Context, Out, Result};
use crate::paths::Paths;
use crate::process::{self, cmd, output, probe};
use crate::steps::{self, timed};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

const ALL_TARGETS: [&str; 6] = [
    "request",
    "csv",
    "admin_bodies",
    "onnx",
    "bundle_compact",
    "bundle_tract",
];

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn dictionary(target: &str) -> &'static str {
    match target {
        "request" => "fuzz/dict/request.dict",
        "csv" => "fuzz/dict/csv.dict",
        "admin_bodies" => "fuzz/dict/admin_bodies.dict",
        _ => "fuzz/dict/bundle.dict",
    }
}

pub fn run(p: &Paths, seconds: u64, targets: &[String]) -> Result {
    let out = Out::terminal();
    steps::command(&p.target, "fuzzing done", "cargo xtask fuzz failed", || {
        fuzz(&out, p, seconds, targets)
    })
}

fn fuzz(out: &Out, p: &Paths, seconds: u64, targets: &[String]) -> Result {
    let targets: Vec<String> = if targets.is_empty() {
        ALL_TARGETS.iter().map(|t| t.to_string()).collect()
    } else {
        targets.to_vec()
    };
    if let Some(unknown) = targets.iter().find(|t| !ALL_TARGETS.contains(&t.as_str())) {
        return fail(format!(
            "no fuzz target {unknown}; targets: {}",
            ALL_TARGETS.join(", ")
        ));
    }
    let toolchain = format!("+{}", env_or("FUZZ_TOOLCHAIN", "nightly"));
    let sanitizer = env_or("FUZZ_SANITIZER", "address");
    let rss_mb = env_or("FUZZ_RSS_MB", "4096");
    let timeout = env_or("FUZZ_TIMEOUT", "20");
    let logs = p.at("fuzz/target/logs");
    std::fs::create_dir_all(&logs)?;
    let cargo = |args: &[&str]| {
        let mut c = cmd("cargo", [toolchain.as_str()]);
        c.args(args).current_dir(&p.root);
        c
    };

    timed(out, "cargo-fuzz", || {
        if probe(&mut cargo(&["fuzz", "--version"])).is_none() {
            process::run(
                out,
                &mut cmd("cargo", ["install", "cargo-fuzz", "--locked"]),
            )?;
        }
        process::run(out, &mut cargo(&["fuzz", "--version"]))
    })?;
    // One build for every target: debug assertions (and so overflow checks) on, the sanitizer.
    let build_flags = ["--debug-assertions", "--sanitizer", sanitizer.as_str()];
    out.say(&format!("build ({})", build_flags.join(" ")));
    timed(out, "fuzz build", || {
        process::run(
            out,
            &mut cargo(&[&["fuzz", "build"], &build_flags[..]].concat()),
        )
    })?;

    let date = output(&mut cmd("date", ["-u", "+%Y-%m-%d"]))?
        .trim()
        .to_string();
    let commit = probe(cmd("git", ["rev-parse", "--short", "HEAD"]).current_dir(&p.root))
        .map(|c| c.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let results = logs.join("results.tsv");
    let mut rows = String::new();
    for target in &targets {
        out.say(&format!("fuzz {target} for {seconds} s"));
        let work = format!("fuzz/target/corpus/{target}");
        let artifacts = p.at(&format!("fuzz/artifacts/{target}"));
        std::fs::create_dir_all(p.at(&work))?;
        std::fs::create_dir_all(&artifacts)?;
        let before = listing(&artifacts);
        let log = logs.join(format!("{target}.log"));
        // -fork=1: one child at a time (one core), which libFuzzer restarts after a crash, a
        // hang or an out-of-memory, so one frequent finding does not stop the run.
        let libfuzzer = [
            "-fork=1".to_string(),
            "-ignore_crashes=1".into(),
            "-ignore_timeouts=1".into(),
            "-ignore_ooms=1".into(),
            format!("-max_total_time={seconds}"),
            "-print_final_stats=1".into(),
            format!("-timeout={timeout}"),
            format!("-rss_limit_mb={rss_mb}"),
            format!("-dict={}", dictionary(target)),
            format!("-artifact_prefix=fuzz/artifacts/{target}/"),
        ];
        let seeds = format!("fuzz/corpus/{target}");
        let mut args: Vec<&str> = vec!["fuzz", "run"];
        args.extend(build_flags);
        args.extend([target.as_str(), work.as_str(), seeds.as_str(), "--"]);
        args.extend(libfuzzer.iter().map(String::as_str));
        let command = format!("cargo {toolchain} {}", args.join(" "));
        out.line(&format!("    {command}"));
        let started = Instant::now();
        let log_file =
            std::fs::File::create(&log).context(|| format!("cannot create {}", log.display()))?;
        let status = cargo(&args)
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .status()
            .context(|| format!("cannot run `{command}`"))?;
        let elapsed = started.elapsed().as_secs();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let stats = Stats::read(&text);
        let new: Vec<String> = listing(&artifacts)
            .difference(&before)
            .filter(|f| {
                ["crash-", "timeout-", "oom-", "slow-unit-", "leak-"]
                    .iter()
                    .any(|k| f.starts_with(k))
            })
            .cloned()
            .collect();
        let fuzzed = stats.seconds.unwrap_or(elapsed);
        let code = status
            .code()
            .map_or_else(|| "signal".into(), |c| c.to_string());
        let new_text = new.iter().map(|n| format!("{n} ")).collect::<String>();
        rows.push_str(&format!(
            "{date}\t{commit}\t{target}\t{fuzzed}\t{}\t{}\t{}\t{}\t{}\t{code}\t{new_text}\t{command}\n",
            stats.executions, stats.cov, stats.ft, stats.counters, stats.oom_timeout_crash
        ));
        out.line(&format!(
            "    executions {}, cov {} of {} counters, ft {}, oom/timeout/crash {}, exit {code}{}",
            stats.executions,
            stats.cov,
            stats.counters,
            stats.ft,
            stats.oom_timeout_crash,
            if new.is_empty() {
                String::new()
            } else {
                format!(", new artifacts: {}", new.join(" "))
            }
        ));
        out.line(&format!("    took {elapsed} s"));
    }
    std::fs::write(&results, &rows)?;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(p.at("fuzz/runs.tsv"))?
        .write_all(rows.as_bytes())?;

    if std::env::var("FUZZ_NO_REPORT").as_deref() != Ok("1") {
        out.say("report (docs/reliability.md, ## Fuzzing)");
        let mut report = cmd("python3", ["fuzz/report.py"]);
        report
            .arg(&results)
            .args([
                "fuzz/runs.tsv",
                "docs/reliability.md",
                &sanitizer,
                &toolchain[1..],
            ])
            .current_dir(&p.root);
        process::run(out, &mut report)?;
    }
    Ok(())
}

fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// What libFuzzer's log says about a run. The parent's status lines read "#N: cov: C ft: F
/// corp: ... exec/s: E oom/timeout/crash: a/b/c time: Ts ..." (fork mode), or the plain mode's
/// "#N ... cov: C ft: F ..."; the final stats add `stat::number_of_executed_units: N`.
struct Stats {
    executions: u64,
    cov: u64,
    ft: u64,
    counters: u64,
    oom_timeout_crash: String,
    /// Seconds spent fuzzing (libFuzzer's own count, without the build `fuzz run` may do first).
    seconds: Option<u64>,
}

impl Stats {
    fn read(log: &str) -> Stats {
        let last = log
            .lines()
            .rev()
            .find(|l| {
                l.starts_with('#')
                    && l[1..].starts_with(|c: char| c.is_ascii_digit())
                    && l.contains(" cov: ")
            })
            .unwrap_or("");
        let number_after = |text: &str, key: &str| -> Option<u64> {
            let rest = &text[text.find(key)? + key.len()..];
            let digits: String = rest
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        };
        let final_units = log
            .lines()
            .rev()
            .find_map(|l| number_after(l, "stat::number_of_executed_units:"));
        let executions = final_units.or_else(|| number_after(last, "#")).unwrap_or(0);
        let counters = log
            .lines()
            .filter(|l| l.contains("Loaded ") && l.contains("inline 8-bit counters"))
            .find_map(|l| number_after(l, "("))
            .unwrap_or(0);
        let oom_timeout_crash = last
            .find("oom/timeout/crash: ")
            .map(|i| {
                last[i + "oom/timeout/crash: ".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '/')
                    .collect()
            })
            .unwrap_or_else(|| "0/0/0".into());
        Stats {
            executions,
            cov: number_after(last, "cov:").unwrap_or(0),
            ft: number_after(last, "ft:").unwrap_or(0),
            counters,
            oom_timeout_crash,
            seconds: number_after(last, "time:"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Stats;

    #[test]
    fn reads_libfuzzer_fork_mode_logs() {
        let log = "INFO: Loaded 1 modules   (123456 inline 8-bit counters): 123456 [0x1, 0x2)\n\
                   #1000: cov: 5000 ft: 9000 corp: 10 exec/s: 33 oom/timeout/crash: 0/1/2 time: 30s job: 1 dft_time: 0\n\
                   #2000: cov: 5100 ft: 9100 corp: 11 exec/s: 34 oom/timeout/crash: 0/1/3 time: 60s job: 2 dft_time: 0\n\
                   stat::number_of_executed_units: 2345\n";
        let s = Stats::read(log);
        assert_eq!(
            (s.executions, s.cov, s.ft, s.counters, s.seconds),
            (2345, 5100, 9100, 123456, Some(60))
        );
        assert_eq!(s.oom_timeout_crash, "0/1/3");
    }
}
