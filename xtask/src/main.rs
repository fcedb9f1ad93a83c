//! `cargo xtask`: wasmpredict's build, test and release steps, in Rust (the alias is in
//! .cargo/config.toml). `./run.sh` and `./test.sh` are thin wrappers over `cargo xtask serve`
//! and `cargo xtask test`. Every step's time is printed and kept in target/setup-times.tsv;
//! the wasm builds skip what is up to date by content hash and run in their own target
//! directory (target/wasm), beside the native builds.
//!
//! This crate builds before anything else on a fresh machine: its dependencies stay few (the
//! core without tract, for the models directory's layout and which engine a bundle needs;
//! clap, serde, serde_json, sha2, toml).

mod background;
mod bench;
mod cold_setup;
mod container;
mod deploy;
mod fuzz;
mod http;
mod out;
mod paths;
mod pins;
mod process;
mod python;
mod serve;
mod setup;
mod site;
mod soak;
mod stamps;
mod steps;
mod test;
mod tools;
mod vendor;
mod venv;
mod wasm;
mod web;
mod worker;
mod wrangler_vars;

use clap::{Parser, Subcommand};
use out::{Out, Result};
use paths::Paths;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "wasmpredict's build, test and release steps (./run.sh and ./test.sh run `serve` and `test`)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check and install every tool the builds and tests use.
    ///
    /// The Rust target and components, the pinned npm packages, .venv with the pinned Python
    /// packages, the wasm-bindgen CLI of Cargo.lock, Chromium, Java (Spark), the Python module;
    /// then every pin is checked.
    Setup,
    /// A wasm build (each skipped when nothing it is built from changed).
    #[command(subcommand)]
    Build(Build),
    /// Set up and run every test (./test.sh; 30-45 minutes on a fresh machine).
    Test,
    /// Build the app and the Worker, then serve them in workerd (./run.sh).
    ///
    /// Environment: PORT (8787), ADMIN_TOKEN (default: generated once into build/admin-token),
    /// STATE_DIR (.wrangler/state), DEFAULT_MODEL (wrangler.toml's), LOG_LEVEL (warn).
    Serve,
    /// Benchmarks: write BENCHMARKS.md and bench/chart.svg (~20 minutes once built).
    ///
    /// wasmpredict beside onnxruntime (web, node, Python), scikit-learn and the textbook Flask
    /// app, on this machine, in one run; raw results in target/bench/.
    Bench {
        /// Fewer rounds and shorter load tests, to try the pipeline.
        #[arg(long)]
        quick: bool,
    },
    /// The deploy gate, then `wrangler deploy`.
    ///
    /// Every bundle passes `wasmpredict check` natively, the Worker is built with them, and the
    /// built Worker in workerd answers every golden row (`wasmpredict check --url`).
    Deploy {
        /// Run the gate, do not deploy.
        #[arg(long)]
        dry_run: bool,
        /// The models directory to deploy [default: the repository's models/].
        #[arg(long)]
        models: Option<PathBuf>,
        /// The running deployment, whose live versions agreement is measured against (default:
        /// the live versions of the models directory).
        #[arg(long, value_name = "URL")]
        live_url: Option<String>,
    },
    /// Run the cargo-fuzz targets and write docs/reliability.md's "Fuzzing" section.
    ///
    /// Each target of fuzz/ for a set time, one after the other on one core. Needs a nightly
    /// toolchain. Environment: FUZZ_TOOLCHAIN, FUZZ_SANITIZER, FUZZ_RSS_MB, FUZZ_TIMEOUT,
    /// FUZZ_NO_REPORT=1 (xtask/src/fuzz.rs).
    Fuzz {
        /// Seconds per target.
        #[arg(default_value_t = 300)]
        seconds: u64,
        /// Targets to run (default: all).
        targets: Vec<String>,
    },
    /// The soak and starvation runs: writes docs/reliability.md's "Soak" section.
    ///
    /// wrk against `wasmpredict serve` and the Worker in workerd, ~2 x (SECONDS + 40) s.
    Soak {
        #[arg(default_value_t = 300)]
        seconds: u64,
    },
    /// Time the README's two commands as a fresh machine runs them.
    ///
    /// Clones HEAD into a new directory with empty caches and times `./run.sh` to the app
    /// answering, or `./test.sh` (xtask/src/cold_setup.rs).
    ColdSetup {
        #[arg(value_enum)]
        mode: cold_setup::Mode,
    },
    /// The vendored tract crates as the crates.io release plus vendor/patches/.
    ///
    /// `check` (the test run does it), `save` after editing vendor/, `upgrade VERSION` to move
    /// to another tract release (vendor/README.md).
    #[command(subcommand)]
    TractPatch(vendor::Action),
}

#[derive(Subcommand)]
enum Build {
    /// The browser side into build/site.
    ///
    /// The JS predictor (compact and tract builds), the web app, the site assembly (bundles,
    /// service worker).
    Web {
        /// Leave a tract-enabled predictor that must be rebuilt for later.
        #[arg(long, conflicts_with = "tract_only")]
        tract_later: bool,
        /// Only the tract-enabled predictor, into an assembled build/site/pkg.
        #[arg(long)]
        tract_only: bool,
    },
    /// The JS predictor alone (build/web-pkg, or build/web-pkg-tract with --tract).
    Predictor {
        #[arg(long)]
        tract: bool,
    },
    /// The Leptos web app alone (build/app).
    App,
    /// The Python module into python/wasmpredict (what the exporter and the Python tests
    /// import from the checkout; `pip install ./python` builds it for users).
    Python,
    /// The Dockerfile's final image from a static server binary built on this host
    /// (localhost/wasmpredict:test; docs/containers.md).
    Container,
    /// build/site from the built predictors and app (bundles, index.json, service worker).
    Site,
    /// The Worker with the bundles of a models directory (tract linked only if one needs it).
    Worker {
        /// The models directory whose bundles it embeds [default: the repository's models/].
        #[arg(long)]
        models: Option<PathBuf>,
        /// Where the build goes [default: the repository's worker/build].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Link tract even when no bundle needs it.
        #[arg(long)]
        tract: bool,
    },
}

fn build(p: &Paths, what: Build) -> Result {
    let out = Out::terminal();
    let clock = steps::start(&p.target);
    let result = match what {
        Build::Web {
            tract_later,
            tract_only,
        } => {
            let mode = match (tract_later, tract_only) {
                (_, true) => web::Mode::TractOnly,
                (true, _) => web::Mode::TractLater,
                _ => web::Mode::All,
            };
            steps::timed(&out, "web build", || web::build(&out, p, mode)).map(|_| ())
        }
        Build::Predictor { tract: false } => {
            tools::need_wasm_tools(&out, p)?;
            wasm::build_predictor(&out, p, wasm::PKG, "wasmpredict_web", false)
        }
        Build::Predictor { tract: true } => {
            tools::need_wasm_tools(&out, p)?;
            web::build_tract_predictor(&out, p)
        }
        Build::App => {
            tools::need_wasm_tools(&out, p)?;
            steps::timed(&out, "web app", || wasm::build_app(&out, p))
        }
        Build::Python => steps::timed(&out, "Python module", || python::build(&out, p)),
        Build::Container => container::build(&out, p),
        Build::Site => {
            let tract = p
                .at(wasm::PKG_TRACT)
                .join("wasmpredict_web_tract.js")
                .is_file();
            site::assemble(&out, p, tract)
        }
        Build::Worker {
            models,
            out: dir,
            tract,
        } => steps::timed(&out, "Worker build", || {
            worker::build(
                &out,
                p,
                &worker::Options {
                    models: models.unwrap_or_else(|| p.at("models")),
                    out: dir.unwrap_or_else(|| p.at("worker/build")),
                    tract,
                },
            )
        }),
    };
    steps::summary(
        &clock,
        if result.is_ok() {
            "built"
        } else {
            "the build failed"
        },
    );
    result
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let p = Paths::new();
    let result = match cli.command {
        Command::Setup => setup::run(&p),
        Command::Build(what) => build(&p, what),
        Command::Test => test::run(&p),
        Command::Serve => serve::run(&p),
        Command::Bench { quick } => bench::run(&p, quick),
        Command::Deploy {
            dry_run,
            models,
            live_url,
        } => deploy::run(
            &p,
            &deploy::Options {
                dry_run,
                models: models.unwrap_or_else(|| p.at("models")),
                live_url,
            },
        ),
        Command::Fuzz { seconds, targets } => fuzz::run(&p, seconds, &targets),
        Command::Soak { seconds } => soak::run(&p, seconds),
        Command::ColdSetup { mode } => cold_setup::run(&p, mode),
        Command::TractPatch(action) => vendor::run(&p, action),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
