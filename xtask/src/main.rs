//! `cargo xtask`: wasmpredict's build, test and release steps (work in progress: the build
//! system moves here from scripts/).

mod vendor;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "wasmpredict's build, test and release steps"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The vendored tract crates as the crates.io release plus vendor/patches/.
    #[command(subcommand)]
    TractPatch(vendor::Action),
}

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let result = match Cli::parse().command {
        Command::TractPatch(action) => vendor::run(&root, action),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
