//! `cargo xtask bench [--quick]`: wasmpredict side by side with onnxruntime (web, node,
//! Python), scikit-learn and the textbook Flask + pickle app, on this machine, in one run.
//! Writes BENCHMARKS.md and bench/chart.svg; raw results go to target/bench/. ~25 minutes once
//! built (first time: the setup of `cargo xtask test` plus wrk from apt and the npm/PyPI
//! baselines, and a Worker build that links tract for the tract path's rows, ~10 minutes).

use crate::out::{Context, Out, Result};
use crate::paths::Paths;
use crate::process::{self, cmd};
use crate::steps::{self, timed};
use crate::{python, stamps, tools, venv, web, worker};
use std::process::{Command, Stdio};

/// The four bundles every runtime is measured on.
const MODELS: [&str; 4] = [
    "models/iris",
    "models/rf-classification",
    "models/churn/1.0.0",
    "models/news",
];

pub fn run(p: &Paths, quick: bool) -> Result {
    // bench/native.py and the Python scripts train the baselines with models/train.py, which
    // refuses numpy without the kernels the committed bundles were trained with.
    venv::pin_numeric_kernels(p)?;
    let out = Out::terminal();
    steps::command(
        &p.target,
        "benchmarks done",
        "cargo xtask bench failed",
        || bench(&out, p, quick),
    )
}

fn bench(out: &Out, p: &Paths, quick: bool) -> Result {
    let (rounds, runs, wrk_seconds, wrk_rounds, scale_rows) = if quick {
        ("2", "2", "3", "1", "100000")
    } else {
        ("5", "5", "8", "3", "1000000")
    };
    let results = p.target.join("bench");
    std::fs::create_dir_all(&results)?;
    // The native CLI, wherever cargo puts it (bench/http_load.py and big_file.py read this too).
    let bin = p.target.join("release/wasmpredict");
    let py = venv::python(&p.root);

    out.say("setup: tools, builds and the baselines");
    tools::need_rust()?;
    venv::need_venv(out, &p.root)?;
    tools::need_chromium(out)?;
    tools::need_wrk(out)?;
    tools::need_java(out)?;
    process::run(
        out,
        cmd(
            &py,
            [
                "-m",
                "pip",
                "install",
                "--quiet",
                "-r",
                "bench/textbook/requirements.txt",
            ],
        )
        .current_dir(&p.root),
    )?;
    let bench_dir = p.at("bench");
    if !tools::npm_missing(&bench_dir)?.is_empty() {
        out.say("installing onnxruntime-web and onnxruntime-node (npm, bench/)");
        process::run(
            out,
            cmd("npm", ["ci", "--no-audit", "--no-fund"]).current_dir(&bench_dir),
        )?;
    }
    timed(out, "web build", || web::build(out, p, web::Mode::All))?;
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
    // The same four bundles on a Worker that links tract, run with ENGINE=tract: the tract
    // path's rows.
    timed(out, "tract Worker build", || {
        worker::build(
            out,
            p,
            &worker::Options {
                models: p.at("models"),
                out: p.at("target/worker-tract-all"),
                tract: true,
            },
        )
    })?;
    out.say("building the native CLI (release)");
    process::run(
        out,
        cmd(
            "cargo",
            ["build", "--release", "--quiet", "--bin", "wasmpredict"],
        )
        .current_dir(&p.root),
    )?;
    let textbook = p.at("bench/textbook");
    let model = stamps::check(
        &p.stamps(),
        &textbook.join("random_forest_model.pkl"),
        &[textbook.join("train_and_save_model.py")],
    )?;
    if !model.fresh() {
        out.say("training the textbook model (bench/textbook/train_and_save_model.py)");
        process::run(
            out,
            cmd(&py, ["train_and_save_model.py"]).current_dir(&textbook),
        )?;
        model.record()?;
    }

    let to = |file: &str| -> Result<Stdio> {
        let path = results.join(file);
        Ok(Stdio::from(
            std::fs::File::create(&path).context(|| format!("cannot create {}", path.display()))?,
        ))
    };
    let append = |file: &str| -> Result<Stdio> {
        let path = results.join(file);
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .context(|| format!("cannot open {}", path.display()))?;
        Ok(Stdio::from(f))
    };
    let in_root = |mut c: Command| {
        c.current_dir(&p.root).env("WASMPREDICT_BIN", &bin);
        c
    };
    out.say("1/5 native: wasmpredict bench (compact engine, then tract)");
    let native = |engine: Option<&str>| {
        let mut c = in_root(cmd(&bin, ["bench", "--json", "--rounds", rounds]));
        if let Some(e) = engine {
            c.args(["--engine", e]);
        }
        c.args(MODELS);
        c
    };
    measure(native(None), to("native-wasmpredict.jsonl")?)?;
    measure(native(Some("tract")), append("native-wasmpredict.jsonl")?)?;
    process::run(
        out,
        in_root(cmd(&bin, ["bench", "--rounds", rounds])).args(MODELS),
    )?;
    out.say("1/5 native: sklearn and onnxruntime (Python)");
    measure(
        in_root(cmd(&py, ["bench/native.py", "--rounds", rounds])),
        to("native-python.jsonl")?,
    )?;
    out.say("2/5 node: wasmpredict vs onnxruntime-web vs onnxruntime-node");
    measure(
        in_root(cmd("node", ["bench/node.mjs", "--rounds", rounds])),
        to("node.jsonl")?,
    )?;
    out.say("3/5 browser: headless Chromium");
    measure(
        in_root(cmd(
            "node",
            ["bench/browser.mjs", "--runs", runs, "--rounds", rounds],
        )),
        to("browser.jsonl")?,
    )?;
    out.say("4/5 startup: the Worker in workerd (Miniflare)");
    measure(
        in_root(cmd("node", ["bench/worker-startup.mjs", runs, "--json"])),
        to("worker.jsonl")?,
    )?;
    out.say("5/5 HTTP: wrk against Flask, gunicorn, workerd, wrangler dev, wasmpredict serve");
    measure(
        in_root(cmd(
            &py,
            [
                "bench/http_load.py",
                "--duration",
                wrk_seconds,
                "--rounds",
                wrk_rounds,
            ],
        )),
        to("http.jsonl")?,
    )?;

    out.say("writing BENCHMARKS.md and bench/chart.svg");
    process::run(
        out,
        in_root(cmd("python3", ["bench/meta.py"])).arg(results.join("meta.json")),
    )?;
    process::run(
        out,
        in_root(cmd("python3", ["bench/report.py"])).arg(&results),
    )?;
    out.say("big files: a million churn rows, wasmpredict predict --output vs scikit-learn (BENCHMARKS.md, Big files)");
    measure(
        in_root(cmd(&py, ["bench/big_file.py", "--rounds", rounds])),
        to("big-file.json")?,
    )?;
    out.say("Python and Spark: a million churn rows through wasmpredict and scikit-learn (BENCHMARKS.md, Python and Spark)");
    let package = timed(out, "Python module (release)", || {
        python::release_package(out, p)
    })?;
    let mut scale = in_root(cmd(
        &py,
        [
            "bench/python_scale.py",
            "--rows",
            scale_rows,
            "--rounds",
            rounds,
        ],
    ));
    scale.env("WASMPREDICT_PACKAGE", package);
    measure(scale, to("python-scale.json")?)?;
    out.say(&format!(
        "done: BENCHMARKS.md, bench/chart.svg (raw results in {})",
        results.display()
    ));
    Ok(())
}

/// Runs a measurement whose standard output is its results (into `results`); its progress goes
/// to the terminal.
fn measure(mut c: Command, results: Stdio) -> Result {
    let status = c
        .stdin(Stdio::null())
        .stdout(results)
        .status()
        .context(|| format!("cannot run `{}`", crate::process::describe(&c)))?;
    if status.success() {
        Ok(())
    } else {
        crate::out::fail(format!(
            "`{}` failed ({status})",
            crate::process::describe(&c)
        ))
    }
}
