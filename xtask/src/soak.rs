//! `cargo xtask soak [SECONDS]`: the soak and starvation runs (not part of `cargo xtask test`):
//! builds the release CLI and the Worker if needed, then scripts/soak.mjs runs wrk for SECONDS
//! against each server and writes the figures into docs/reliability.md. ~2 x (SECONDS + 40) s.

use crate::out::{Out, Result};
use crate::paths::Paths;
use crate::process::{self, cmd};
use crate::steps::{self, timed};
use crate::{tools, worker};

pub fn run(p: &Paths, seconds: u64) -> Result {
    let out = Out::terminal();
    steps::command(&p.target, "soak done", "cargo xtask soak failed", || {
        soak(&out, p, seconds)
    })
}

fn soak(out: &Out, p: &Paths, seconds: u64) -> Result {
    tools::need_rust()?;
    tools::need_node_modules(out, &p.root)?;
    tools::need_wrk(out)?;
    timed(out, "release CLI", || {
        process::run(
            out,
            cmd(
                "cargo",
                ["build", "--release", "--quiet", "--bin", "wasmpredict"],
            )
            .current_dir(&p.root),
        )
    })?;
    timed(out, "Worker build", || {
        worker::build(
            out,
            p,
            &worker::Options {
                models: p.at("models"),
                out: p.at("worker/build"),
                tract: false,
            },
        )
    })?;
    timed(out, "soak", || {
        process::run(
            out,
            cmd("node", [p.at("scripts/soak.mjs")])
                .arg(seconds.to_string())
                .current_dir(&p.root),
        )
    })
}
