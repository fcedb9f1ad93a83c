//! `cargo xtask test` (./test.sh): sets up everything the tests need and runs every test.
//! Two lines of work go on side by side: the native one in the foreground (clippy, the CLI, the
//! Rust and Python tests) and the wasm one in the background ("wasm builds": the web app, the
//! predictors, the Workers, into their own target directory), joined before the tests that need
//! both. Downloads that barely use the CPU (pip, apt) go on beside the first compile.

use crate::background::Background;
use crate::out::{fail, Context, Out, Result};
use crate::paths::Paths;
use crate::process::{self, cmd};
use crate::steps::{self, timed};
use crate::{deploy, http, tools, venv, web, worker};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// The container image's test (run once the wasm side, which builds the image, is done).
const CONTAINER_TEST: &str = "tests/python/test_container.py";

/// The admin token the protocol tests use against `./run.sh` (tests/python, tests/ops).
const RUN_ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The fixtures a Worker that needs tract embeds (an MLP, plain ONNX networks; XGBoost and
/// LightGBM pipelines ride along), and hostile bundles it must refuse when it loads them plus
/// a tree too deep to explain (tests/worker/tract.test.mjs).
const TRACT_WORKER_FIXTURES: [&str; 6] = [
    "mlp-classifier",
    "mlp-regressor",
    "onnx-net-classifier",
    "onnx-net-regressor",
    "xgb-pipeline",
    "lgbm-pipeline",
];
const TRACT_WORKER_HOSTILE: [&str; 4] = [
    "gigantic-constant",
    "initializer-without-data",
    "matmul-shapes-disagree",
    "deep-tree",
];

pub fn run(p: &Paths) -> Result {
    venv::pin_numeric_kernels(p)?;
    // The CLI the tests run (the exporter replays goldens through it; the ops and bad-input
    // tests serve with it): built below, named for every command from here on.
    std::env::set_var("WASMPREDICT_BIN", p.cli_debug());
    let clock = steps::start(&p.target);
    let mut background = Background::default();
    let result = every_test(p, &mut background);
    background.stop_all();
    match &result {
        Ok(()) => steps::summary(&clock, "every test passed"),
        Err(_) => steps::summary(&clock, "cargo xtask test failed"),
    }
    result
}

fn fixtures(p: &Paths) -> PathBuf {
    p.at("target/fixtures")
}

fn fixtures_complete(p: &Paths) -> PathBuf {
    p.at("target/fixtures.complete")
}

fn every_test(p: &Paths, background: &mut Background) -> Result {
    let out = Out::terminal();
    // The wasm side waits for this run's fixtures (the tract Worker embeds some): none are left
    // from an earlier run.
    let _ = std::fs::remove_dir_all(fixtures(p));
    let _ = std::fs::remove_file(fixtures_complete(p));

    tools::need_rust()?;
    tools::need_clippy(&out)?;
    tools::need_wasm_target(&out)?;
    tools::need_node_modules(&out, &p.root)?;
    let root = p.root.clone();
    background.start(&p.target, "Python packages", move |out| {
        venv::need_venv(out, &root)
    })?;
    background.start(&p.target, "Debian packages", tools::need_debian_packages)?;
    // The wasm side: mostly one long single-threaded link per build (fat LTO, one codegen
    // unit), filling the core the native side leaves idle.
    let wasm_paths = p.clone();
    background.start(&p.target, "wasm builds", move |out| {
        wasm_builds(out, &wasm_paths)
    })?;

    out.say("formatting (cargo fmt --check)");
    process::run(&out, cargo(p, ["fmt", "--all", "--check"]))?;
    out.say("the vendored tract is the crates.io release plus vendor/patches/ (cargo xtask tract-patch check)");
    timed(&out, "tract patch check", || {
        crate::vendor::run(p, crate::vendor::Action::Check)
    })?;
    // The browser, app and Worker crates hold no wasm32-only code: this lints them too, and the
    // wasm32 builds prove they compile there.
    out.say("lints: cargo clippy --workspace --all-targets -- -D warnings");
    timed(&out, "clippy", || {
        process::run(
            &out,
            cargo(
                p,
                [
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ),
        )
    })?;
    out.say(
        "building the wasmpredict CLI (the exporter replays every bundle's golden rows through it)",
    );
    timed(&out, "CLI build", || {
        process::run(&out, cargo(p, ["build", "--bin", "wasmpredict"]))
    })?;
    out.say("building the Python module (the exporter replays every bundle's golden rows in it)");
    timed(&out, "Python module", || crate::python::build(&out, p))?;
    background.wait("Python packages")?;
    let py = venv::python(&p.root);

    out.say("generating test fixtures with scikit-learn (target/fixtures)");
    timed(&out, "fixtures", || {
        process::run(
            &out,
            cmd(&py, [p.at("tests/python/make_fixtures.py")])
                .arg(fixtures(p))
                .current_dir(&p.root),
        )
    })?;
    std::fs::write(fixtures_complete(p), "")?;

    out.say("Rust tests (golden replay, engine parity, featurizer parity, API errors, bundle refusals, HTTP routes, CLI)");
    timed(&out, "Rust tests", || {
        process::run(&out, cargo(p, ["test", "--all-targets"]))?;
        // xtask's own (apart: in one invocation with the others, cargo would unify features
        // across them and rebuild the rest).
        process::run(&out, cargo(p, ["test", "-p", "xtask"]))
    })?;
    background.wait("Debian packages")?;
    out.say("Python tests: the exporter, the Python module, Spark in local mode, and against the native server (spec, schemathesis, tritonclient)");
    timed(&out, "Python tests", || {
        process::run(
            &out,
            // The container's test waits for its image, built on the wasm side (below).
            cmd(&py, ["-m", "pytest", "-q", "tests/python"])
                .arg(format!("--ignore={CONTAINER_TEST}"))
                .current_dir(&p.root),
        )
    })?;
    out.say("operations against the native server: versions, traffic split, shadow, feedback, metrics, admin token, CLI rollback");
    timed(&out, "operations tests (native)", || {
        process::run(&out, node_test(p, &["tests/ops/native.test.mjs"]))
    })?;

    out.say(&format!(
        "waiting for the wasm side (log: {})",
        crate::background::log_path(&p.target, "wasm builds").display()
    ));
    background.wait("wasm builds")?;
    out.say("the container image: built by podman from the static server binary, run under chroot");
    timed(&out, "container image and test", || {
        crate::container::image(&out, p, &crate::container::static_binary_path(p)?)?;
        process::run(
            &out,
            cmd(&py, ["-m", "pytest", "-q", CONTAINER_TEST]).current_dir(&p.root),
        )
    })?;
    out.say("JS predictor API under Node, app size budget");
    timed(&out, "JS predictor tests", || {
        process::run(&out, &mut node_test(p, &["tests/web/"]))
    })?;
    out.say("the npm package: npm pack build/site/pkg, installed into a Vite app, bundled, predicting in headless Chromium");
    timed(&out, "npm package in Vite + Chromium", || {
        process::run(&out, &mut node_test(p, &["tests/npm/"]))
    })?;
    out.say("wasm-bindgen tests of the predictor class in headless Chromium (under Node: with the wasm builds)");
    let chromedriver = crate::process::which("chromedriver")
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    timed(&out, "wasm-bindgen tests (Chromium)", || {
        process::run(
            &out,
            wasm_test(p)
                .env("WASM_BINDGEN_USE_BROWSER", "1")
                .env("CHROMEDRIVER", &chromedriver),
        )
    })?;
    out.say("Worker tests in workerd (node:test + Miniflare): the default Worker and the tract one, operations");
    timed(&out, "Worker tests in workerd", || {
        process::run(&out, &mut node_test(p, &["tests/worker/"]))
    })?;
    out.say("the bad-input matrix (tests/hardening/bad-inputs.json): wasmpredict serve, the Worker in workerd, the JS predictor");
    timed(&out, "bad-input matrix", || {
        process::run(&out, node_test(p, &["tests/hardening/"]))
    })?;

    out.say("the deploy gate (dry run) on the committed bundles, and its refusals (tests/ops/gate.test.mjs)");
    timed(&out, "deploy gate", || {
        deploy::gate(
            &out,
            p,
            &deploy::Options {
                dry_run: true,
                models: p.at("models"),
                live_url: None,
            },
        )
    })?;
    timed(&out, "deploy gate tests", || {
        process::run(&out, &mut node_test(p, &["tests/ops/gate.test.mjs"]))
    })?;

    against_run_sh(&out, p, &py)
}

/// The wasm builds, in the background: the browser side, the Worker, the predictor's
/// wasm-bindgen tests under Node, the container's static server binary, then (once this run's
/// fixtures exist) a Worker whose bundles need tract.
fn wasm_builds(out: &Out, p: &Paths) -> Result {
    out.say("building the web app, the JS predictor API (compact and tract builds) and the site");
    timed(out, "web build", || web::build(out, p, web::Mode::All))?;
    out.say("building the Worker (the bundled models: compact engine only)");
    let default_worker = worker::Options {
        models: p.at("models"),
        out: p.at("worker/build"),
        tract: false,
    };
    timed(out, "Worker build", || {
        worker::build(out, p, &default_worker)
    })?;
    out.say("wasm-bindgen tests of the predictor class under Node");
    timed(out, "wasm-bindgen tests (Node)", || {
        process::run(out, &mut wasm_test(p))
    })?;

    // Native, but here: a release build whose long single-threaded link, like the wasm builds',
    // leaves the other core to the foreground, and which fills the time this side would wait
    // for the fixtures. The image is built from it once this side is done.
    out.say("building the container's server binary (static, release)");
    timed(out, "static server binary (release)", || {
        crate::container::static_binary(out, p).map(|_| ())
    })?;

    out.say("building a Worker whose bundles need tract (an MLP and plain ONNX networks from the fixtures)");
    while !fixtures_complete(p).is_file() {
        if out.stopped() {
            return fail("stopped");
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    let models = p.at("target/worker-tract-models");
    tract_worker_models(p, &models)?;
    let tract_worker = worker::Options {
        models,
        out: p.at("target/worker-tract"),
        tract: false,
    };
    timed(out, "tract Worker build", || {
        worker::build(out, p, &tract_worker)
    })
}

/// target/worker-tract-models: iris, the fixtures that need tract, the fixture matrix's cases
/// (tests/python/model_matrix.py), the hostile bundles.
fn tract_worker_models(p: &Paths, models: &Path) -> Result {
    let _ = std::fs::remove_dir_all(models);
    copy_tree(&p.at("models/iris"), &models.join("iris"))?;
    let fixtures = fixtures(p);
    let mut names: Vec<String> = TRACT_WORKER_FIXTURES.map(String::from).to_vec();
    names.extend(matrix_cases(&fixtures)?);
    for name in &names {
        let to = models.join(name);
        std::fs::create_dir_all(&to)?;
        for file in ["manifest.json", "model.onnx", "golden.json", "explain.json"] {
            let from = fixtures.join(name).join(file);
            if file == "explain.json" && !from.is_file() {
                continue;
            }
            std::fs::copy(&from, to.join(file))
                .context(|| format!("cannot copy {}", from.display()))?;
        }
    }
    for name in TRACT_WORKER_HOSTILE {
        copy_tree(&fixtures.join("_hostile").join(name), &models.join(name))?;
    }
    Ok(())
}

/// The fixtures `_matrix/cases.json` marks as the matrix's own.
fn matrix_cases(fixtures: &Path) -> Result<Vec<String>> {
    let path = fixtures.join("_matrix/cases.json");
    let text =
        std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
    let cases: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(&text) {
        Ok(cases) => cases,
        Err(e) => return fail(format!("{} does not parse: {e}", path.display())),
    };
    Ok(cases
        .into_iter()
        .filter(|(_, case)| case["matrix"] == serde_json::Value::Bool(true))
        .map(|(name, _)| name)
        .collect())
}

fn copy_tree(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).context(|| format!("cannot create {}", to.display()))?;
    for entry in std::fs::read_dir(from).context(|| format!("cannot list {}", from.display()))? {
        let path = entry?.path();
        let dest = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest).context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}

/// `./run.sh` (the Worker under wrangler dev) on a free port, then the protocol, operations and
/// browser tests against it.
fn against_run_sh(out: &Out, p: &Paths, py: &Path) -> Result {
    out.say("starting ./run.sh (the Worker under wrangler dev) for the protocol tests");
    let port = http::free_port()?;
    let state = p.target.join("tmp/run-state");
    let _ = std::fs::remove_dir_all(&state);
    let log = crate::background::log_path(&p.target, "run.sh");
    let log_file =
        std::fs::File::create(&log).context(|| format!("cannot create {}", log.display()))?;
    let child = Command::new(p.at("run.sh"))
        .current_dir(&p.root)
        .env("PORT", port.to_string())
        .env("ADMIN_TOKEN", RUN_ADMIN_TOKEN)
        .env("STATE_DIR", &state)
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        // Its own process group: stopping it stops wrangler, workerd and any build it started.
        .process_group(0)
        .spawn()
        .context(|| "cannot start ./run.sh".to_string())?;
    let mut served = Served(child);
    let ready = http::wait_ready(port, "/v2/health/ready", Duration::from_secs(180), || {
        matches!(served.0.try_wait(), Ok(None))
    });
    if !ready {
        eprint!("{}", std::fs::read_to_string(&log).unwrap_or_default());
        return fail(format!(
            "./run.sh did not become ready on port {port} (log above: {})",
            log.display()
        ));
    }
    let url = format!("http://127.0.0.1:{port}");
    out.say(&format!(
        "spec and tritonclient tests against the Worker at {url}"
    ));
    // schemathesis ran against the native server above; the rest runs again against the Worker.
    process::run(
        out,
        cmd(
            py,
            [
                "-m",
                "pytest",
                "-q",
                "tests/python/test_http_api.py",
                "-k",
                "not schemathesis",
            ],
        )
        .current_dir(&p.root)
        .env("WASMPREDICT_URL", &url),
    )?;
    out.say("operations against ./run.sh (wrangler dev, the Durable Object): versions, split, shadow, feedback, metrics, admin token");
    process::run(
        out,
        node_test(p, &["tests/ops/run.test.mjs"]).env("WASMPREDICT_URL", &url),
    )?;
    out.say("the web app in headless Chromium against ./run.sh (playwright-core)");
    timed(out, "browser tests", || {
        process::run(
            out,
            node_test(p, &["tests/browser/"]).env("WASMPREDICT_URL", &url),
        )
    })?;
    served.stop();
    Ok(())
}

/// `./run.sh`'s process group, stopped when dropped.
struct Served(Child);

impl Served {
    fn stop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            crate::process::signal_group(self.0.id(), "TERM");
            let _ = self.0.wait();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}

fn cargo<const N: usize>(p: &Paths, args: [&str; N]) -> Command {
    let mut c = cmd("cargo", args);
    c.current_dir(&p.root);
    c
}

fn node_test(p: &Paths, paths: &[&str]) -> Command {
    let mut c = cmd("node", ["--test"]);
    c.args(paths).current_dir(&p.root);
    c
}

/// The predictor class's wasm-bindgen tests (under Node; in Chromium with
/// WASM_BINDGEN_USE_BROWSER), in the wasm target directory.
fn wasm_test(p: &Paths) -> Command {
    let mut c = cmd(
        "cargo",
        [
            "test",
            "-p",
            "wasmpredict-web",
            "--target",
            "wasm32-unknown-unknown",
        ],
    );
    c.current_dir(&p.root)
        .env("CARGO_TARGET_DIR", &p.wasm_target);
    c
}
