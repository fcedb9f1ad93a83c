//! Command-line adapter over the core. Errors end as one readable line on stderr and a
//! non-zero exit: 1 when a check or a prediction failed, 2 when the bundle or arguments are bad.

mod bench;
mod check;
mod info;
mod predict;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wasmpredict::{Bundle, BundleError, Predictor};

#[derive(Parser)]
#[command(
    name = "wasmpredict",
    version,
    about = "Serve scikit-learn models from one Rust module: check bundles, predict, describe."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate bundles: manifest, sha256 of every file, model load, golden.json replay.
    Check {
        /// Bundle directories (each holds a manifest.json).
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
    },
    /// Predict: one JSON request per input line, one JSON response (or error body) per output line.
    Predict {
        bundle: PathBuf,
        /// Input file of JSON lines; `-` (the default) reads standard input.
        #[arg(long, short, default_value = "-")]
        input: String,
    },
    /// Measure load time, single-row latency and batch throughput on the golden inputs.
    Bench {
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Timed single-row requests per round.
        #[arg(long, default_value_t = 500)]
        iterations: usize,
        /// Rows per batch request.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Rounds; every figure is the median of the round medians, with their min and max.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// One JSON object per bundle instead of a table (what ./bench.sh reads).
        #[arg(long)]
        json: bool,
    },
    /// Serve the HTTP API (and the static app) for every bundle under --models.
    Serve(serve::Options),
    /// Describe a bundle: schema, classes, sizes, version.
    Info {
        bundle: PathBuf,
        /// Print the manifest as JSON instead of a summary.
        #[arg(long)]
        json: bool,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { bundles } => check::run(&bundles),
        Command::Predict { bundle, input } => predict::run(&bundle, &input),
        Command::Info { bundle, json } => info::run(&bundle, json),
        Command::Serve(options) => serve::run(options),
        Command::Bench {
            bundles,
            iterations,
            batch,
            rounds,
            json,
        } => bench::run(
            &bundles,
            &bench::Plan {
                iterations: iterations.max(1),
                batch: batch.max(1),
                rounds: rounds.max(1),
                json,
            },
        ),
    }
}

/// Loads and prepares a bundle, or prints why not.
fn load(dir: &std::path::Path) -> Result<Predictor, ExitCode> {
    let fail = |e: BundleError| {
        eprintln!("error: {}: {e}", dir.display());
        ExitCode::from(2)
    };
    let bundle = Bundle::from_dir(dir).map_err(fail)?;
    Predictor::new(bundle).map_err(fail)
}
