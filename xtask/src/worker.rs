//! The Worker (`worker/build/index.js` + `index_bg.wasm`), the way worker-build 0.8.7 builds it
//! but without installing it (a 4-10 minute compile on a fresh machine): cargo builds the Worker
//! crate for wasm32, wasm-bindgen (the CLI pinned to Cargo.lock) writes its module-target glue,
//! and scripts/package-worker.mjs wraps it in worker-build's shim (worker/js/shim.js) with
//! esbuild. It embeds the bundles of a models directory and links tract only if one of them
//! needs it (or when asked: the benchmark measures the tract path with `--tract`).

use crate::out::{fail, Context, Out, Result};
use crate::paths::Paths;
use crate::process::{cmd, run};
use crate::{pins, stamps, wasm};
use std::path::{Path, PathBuf};
use wasmpredict::bundle::layout;
use wasmpredict::infer::Engine;
use wasmpredict::Bundle;

/// What the Worker is compiled from, besides the bundles it embeds.
const INPUTS: [&str; 11] = [
    "src",
    "worker/src",
    "worker/js",
    "worker/build.rs",
    "worker/Cargo.toml",
    "Cargo.toml",
    "Cargo.lock",
    "vendor",
    "scripts/package-worker.mjs",
    ".cargo/config.toml",
    "rust-toolchain.toml",
];

pub struct Options {
    /// The models directory whose bundles are embedded.
    pub models: PathBuf,
    /// Where the build goes (index.js, index_bg.wasm, worker/shim.mjs).
    pub out: PathBuf,
    /// Link tract even when no bundle needs it.
    pub tract: bool,
}

/// The bundles that need tract (`NAME VERSION`), by the core's own rule.
pub fn needing_tract(models: &Path) -> Result<Vec<String>> {
    let dirs = layout::bundle_dirs(models)
        .context(|| format!("cannot read the bundles in {}", models.display()))?;
    let mut out = Vec::new();
    for dir in dirs {
        let bundle = Bundle::from_dir(&dir).context(|| format!("{}", dir.display()))?;
        let engine =
            wasmpredict::api::default_engine(&bundle).context(|| format!("{}", dir.display()))?;
        if engine == Engine::Tract {
            out.push(format!(
                "{} {}",
                bundle.manifest.name, bundle.manifest.version
            ));
        }
    }
    Ok(out)
}

pub fn build(out: &Out, p: &Paths, o: &Options) -> Result {
    crate::tools::need_wasm_tools(out, p)?;
    // worker/js/shim.js speaks to the worker crate's exports (__worker_init_state,
    // __wbg_reset_state): a different worker crate needs a new shim.
    pins::check_worker_shim(&p.root)?;
    let models = std::path::absolute(&o.models).context(|| o.models.display().to_string())?;
    if !models.is_dir() {
        return fail(format!("{}: no such models directory", o.models.display()));
    }
    let out_dir = std::path::absolute(&o.out).context(|| o.out.display().to_string())?;
    let wasm_file = out_dir.join("index_bg.wasm");
    let built_from = format!(
        "{}{}",
        models.display(),
        if o.tract { " (tract)" } else { "" }
    );
    let mut inputs = p.all(&INPUTS);
    inputs.push(models.clone());
    let stamp = stamps::check(&p.stamps(), &wasm_file, &inputs)?;
    // `.models` says which directory (and whether tract was forced) the last build embedded.
    let same_models =
        std::fs::read_to_string(out_dir.join(".models")).is_ok_and(|m| m.trim() == built_from);
    if stamp.fresh() && same_models {
        out.say(&format!(
            "the Worker is up to date ({}, bundles of {})",
            wasm_file.display(),
            models.display()
        ));
        return Ok(());
    }
    // tract only if an embedded bundle needs it (worker/build.rs refuses a build that lacks it).
    let need = needing_tract(&models)?;
    if !need.is_empty() {
        out.say(&format!("bundles that need tract: {}", need.join(", ")));
    }
    let tract = o.tract || !need.is_empty();
    out.say(&format!(
        "building the Worker (wasm32, opt-level z{}) with the bundles of {}",
        if tract { ", tract" } else { "" },
        models.display()
    ));
    if tract {
        wasm::build_tract_together(out, p, &models)?;
    } else {
        // What worker-build sets: wasm-bindgen's macro using js_sys's futures.
        let mut c = wasm::cargo(p);
        c.args(["-p", "wasmpredict-worker", "--lib"])
            .env("WASM_BINDGEN_USE_JS_SYS", "1")
            .env("WASMPREDICT_MODELS", &models);
        run(out, &mut c)?;
    }
    // Written beside the output, then swapped in: a failed build leaves the last good one.
    std::fs::create_dir_all(&out_dir).context(|| format!("cannot create {}", out_dir.display()))?;
    let staging = out_dir.join(".staging");
    let _ = std::fs::remove_dir_all(&staging);
    let result = package(out, p, &staging).and_then(|()| {
        for name in ["index.js", "index_bg.wasm", "worker"] {
            let target = out_dir.join(name);
            if target.is_dir() {
                std::fs::remove_dir_all(&target)?;
            } else if target.exists() {
                std::fs::remove_file(&target)?;
            }
            std::fs::rename(staging.join(name), &target)
                .context(|| format!("cannot move {name} into {}", out_dir.display()))?;
        }
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&staging);
    result?;
    stamp.record()?;
    std::fs::write(out_dir.join(".models"), format!("{built_from}\n"))?;
    let size = std::fs::metadata(&wasm_file).map(|m| m.len()).unwrap_or(0);
    out.line(&format!("{}: {size} bytes", wasm_file.display()));
    Ok(())
}

/// wasm-bindgen's module-target glue, worker-build's shim around it, wasm-opt: into `staging`.
fn package(out: &Out, p: &Paths, staging: &Path) -> Result {
    let mut bindgen = cmd("wasm-bindgen", [wasm::built(p, "wasmpredict_worker")]);
    bindgen
        .arg("--out-dir")
        .arg(staging)
        .args([
            "--out-name",
            "index",
            "--target",
            "module",
            "--no-typescript",
        ])
        .args([
            "--experimental-reset-state-function",
            "--force-enable-abort-handler",
        ]);
    run(out, &mut bindgen)?;
    let mut shim = cmd("node", [p.at("scripts/package-worker.mjs")]);
    shim.arg(staging).current_dir(&p.root);
    run(out, &mut shim)?;
    wasm::wasm_opt(out, p, &staging.join("index_bg.wasm"))
}
