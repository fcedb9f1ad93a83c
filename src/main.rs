//! The `wasmpredict` command: check bundles, predict JSON lines, describe a bundle.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
