//! The `wasmpredict` command: a thin native adapter over the core crate (check bundles,
//! predict rows and files, measure drift, benchmark, serve the HTTP API, manage versions).
//! Errors end as one readable line on stderr and a non-zero exit: 1 when a check or a
//! prediction failed, 2 when the bundle or arguments are bad.

mod bench;
mod check;
mod check_url;
#[cfg(test)]
mod cli_docs;
mod drift;
mod file_answers;
mod health;
mod http_client;
mod info;
mod models;
mod predict;
mod predict_file;
mod progress;
mod rows;
mod serve;
mod settings;
mod state;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wasmpredict::infer::Engine;
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
    /// Validate bundles: manifest, sha256 of every file, model load, golden.json replay. With
    /// --url, replay the golden rows against a running server instead (exit 1 on a mismatch, 2
    /// when it cannot be reached).
    Check {
        /// Bundle directories (each holds a manifest.json), or models directories (every version of every model under them).
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Replay against the server at this http:// URL: every golden row of every version is
        /// posted to URL/models/{name}/versions/{version}/predict; for a model with several
        /// versions, how often each agrees with the live one is printed too.
        #[arg(long, value_name = "URL", conflicts_with = "engine")]
        url: Option<String>,
        /// With --url: the version a live deployment serves, against which agreement is
        /// measured (repeatable; default: the live version of the models directory).
        #[arg(long, value_name = "NAME=VERSION", requires = "url")]
        live: Vec<String>,
        #[command(flatten)]
        engine: EngineArg,
    },
    /// Predict. Without --output: one JSON request per input line, one JSON response (or error
    /// body) per output line. With --output: a CSV or JSON-lines file of rows of any size,
    /// streamed in bounded memory on every core, one answer row per input row (a bad row gets
    /// its error and is reported by line; exit 1 if any). A progress bar shows on a terminal.
    Predict {
        bundle: PathBuf,
        /// Input: JSON lines (request bodies, or records), or with --output a CSV with a header
        /// naming the model's fields; `-` (the default) reads standard input.
        #[arg(long, short, default_value = "-")]
        input: String,
        /// Write one answer per input row to this file (`-`: standard output): CSV
        /// (`line,prediction,probability_<class>...,error`) or JSON lines.
        #[arg(long, short)]
        output: Option<String>,
        /// With --output, the input's format; by default from its extension (.csv; .jsonl,
        /// .ndjson, .json).
        #[arg(long, value_enum)]
        format: Option<rows::Format>,
        /// The output's format; by default from its extension, else the input's.
        #[arg(long, value_enum)]
        output_format: Option<rows::Format>,
        /// With --output, threads predicting (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        engine: EngineArg,
    },
    /// Compare a file of raw rows with the bundle's training profile: PSI and Jensen-Shannon
    /// distance per field and for the predictions. Exit 1 when something drifted (PSI >= 0.25
    /// or JS >= 0.1), 2 when the bundle or the file cannot be read.
    Drift {
        bundle: PathBuf,
        /// CSV with a header naming the model's fields, or JSON lines (one record object per
        /// line); `-` reads standard input (then give --format).
        #[arg(long, short)]
        input: String,
        /// The input's format; by default from its extension (.csv; .jsonl, .ndjson, .json).
        #[arg(long, value_enum)]
        format: Option<rows::Format>,
        /// Print the report as JSON: {"drifted", "verdict", "rows", "fields": [...], "predictions"}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: EngineArg,
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
        #[command(flatten)]
        engine: EngineArg,
    },
    /// Serve the HTTP API (and the static app) for every bundle under --models.
    Serve(serve::Options),
    /// Which version of a model answers: show the traffic, set the live version, split.
    #[command(subcommand)]
    Models(models::Action),
    /// Ask a running server whether it is ready (exit 0) or not (exit 1): a container's
    /// HEALTHCHECK, with no curl in the image.
    Health {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Which health route to ask.
        #[arg(long, value_enum, default_value_t)]
        route: health::Route,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 2.0)]
        timeout: f64,
    },
    /// Describe a bundle: schema, classes, sizes, version.
    Info {
        bundle: PathBuf,
        /// Print the manifest as JSON (plus "engine", "engine_reason", "size_bytes") instead of
        /// a summary.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: EngineArg,
    },
}

/// `--engine`: which engine evaluates the graph.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct EngineArg {
    /// Force an engine (compact or tract); by default the compact engine takes every graph it
    /// covers and tract the others.
    #[arg(long, value_parser = |s: &str| s.parse::<Engine>())]
    pub engine: Option<Engine>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            bundles,
            url: Some(url),
            live,
            engine: _,
        } => check_url::run(&bundles, &url, &live),
        Command::Check {
            bundles,
            url: None,
            engine,
            ..
        } => check::run(&bundles, engine.engine),
        Command::Predict {
            bundle,
            input,
            output: Some(output),
            format,
            output_format,
            threads,
            engine,
        } => predict_file::run(predict_file::Options {
            bundle: &bundle,
            input: &input,
            output: &output,
            format,
            output_format,
            threads,
            engine: engine.engine,
        }),
        Command::Predict {
            bundle,
            input,
            output: None,
            format,
            output_format,
            threads,
            engine,
        } => {
            if format.is_some() || output_format.is_some() || threads.is_some() {
                eprintln!(
                    "error: --format, --output-format and --threads apply only with --output"
                );
                return ExitCode::from(2);
            }
            predict::run(&bundle, &input, engine.engine)
        }
        Command::Drift {
            bundle,
            input,
            format,
            json,
            engine,
        } => drift::run(drift::Options {
            bundle: &bundle,
            input: &input,
            format,
            json,
            engine: engine.engine,
        }),
        Command::Info {
            bundle,
            json,
            engine,
        } => info::run(&bundle, json, engine.engine),
        Command::Serve(options) => serve::run(options),
        Command::Health {
            url,
            route,
            timeout,
        } => health::run(&url, route, timeout),
        Command::Models(action) => models::run(action),
        Command::Bench {
            bundles,
            iterations,
            batch,
            rounds,
            json,
            engine,
        } => bench::run(
            &bundles,
            &bench::Plan {
                iterations: iterations.max(1),
                batch: batch.max(1),
                rounds: rounds.max(1),
                json,
                engine: engine.engine,
            },
        ),
    }
}

/// Loads and prepares a bundle (on `engine`, or the one that covers it), or prints why not.
fn load(dir: &std::path::Path, engine: Option<Engine>) -> Result<Predictor, ExitCode> {
    let fail = |e: BundleError| {
        eprintln!("error: {}: {e}", dir.display());
        ExitCode::from(2)
    };
    let bundle = Bundle::from_dir(dir).map_err(fail)?;
    Predictor::with_engine(bundle, engine).map_err(fail)
}
