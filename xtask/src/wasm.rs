//! The wasm builds, each skipped when nothing it compiles changed: the browser predictor
//! (compact engine, and a tract-enabled build fetched only for graphs that need it), the Leptos
//! app, and the one cargo invocation that builds the tract-enabled predictor and Worker
//! together. All of them go to the wasm target directory, at opt-level z, then through the
//! wasm-bindgen CLI pinned to Cargo.lock and binaryen's wasm-opt.

use crate::out::{Context, Out, Result};
use crate::paths::Paths;
use crate::process::{cmd, run};
use crate::stamps;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the predictor's wasm is compiled from.
const PREDICTOR_INPUTS: [&str; 8] = [
    "src",
    "web/src",
    "web/Cargo.toml",
    "Cargo.toml",
    "Cargo.lock",
    "vendor",
    ".cargo/config.toml",
    "rust-toolchain.toml",
];
/// What the app is built from.
const APP_INPUTS: [&str; 7] = [
    "src",
    "www",
    "Cargo.toml",
    "Cargo.lock",
    "scripts/build-app.mjs",
    ".cargo/config.toml",
    "rust-toolchain.toml",
];

pub const PKG: &str = "build/web-pkg";
pub const PKG_TRACT: &str = "build/web-pkg-tract";
pub const APP: &str = "build/app";

/// `cargo` building for wasm32 into the wasm target directory, at opt-level z (size over speed
/// for what ships; the core's own crate stays at opt-level 3: Cargo.toml).
pub fn cargo(p: &Paths) -> Command {
    let mut c = cmd(
        "cargo",
        ["build", "--release", "--target", "wasm32-unknown-unknown"],
    );
    c.current_dir(&p.root)
        .env("CARGO_TARGET_DIR", &p.wasm_target)
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z");
    c
}

/// The built wasm of a crate.
pub fn built(p: &Paths, name: &str) -> PathBuf {
    p.wasm_target
        .join("wasm32-unknown-unknown/release")
        .join(format!("{name}.wasm"))
}

/// The tract-enabled wasm of the browser predictor and of the Worker, in one cargo invocation.
/// Cargo resolves dependency features per invocation, and the Worker's dependencies turn on a
/// few more (smallvec, memchr, syn for the derive macros...): built apart, tract compiled twice
/// for wasm32 (7 minutes of a fresh `cargo xtask test`); together, once. The Worker embeds the
/// bundles of `models` (changing it rebuilds only the Worker crate) and takes
/// WASM_BINDGEN_USE_JS_SYS=1 as worker-build sets it (the predictor has no async exports for it
/// to change).
pub fn build_tract_together(out: &Out, p: &Paths, models: &Path) -> Result {
    let mut c = cargo(p);
    c.args(["--lib", "-p", "wasmpredict-web", "-p", "wasmpredict-worker"])
        .args([
            "--features",
            "wasmpredict-web/tract,wasmpredict-worker/tract",
        ])
        .env("WASM_BINDGEN_USE_JS_SYS", "1")
        .env("WASMPREDICT_MODELS", models);
    run(out, &mut c)
}

/// Shrinks a wasm-bindgen output in place with binaryen 132 from npm: -Oz, which also drops
/// the name section. The features are listed because wasm-bindgen's output does not declare
/// all of them (BENCHMARKS.md has the sizes with and without it).
pub fn wasm_opt(out: &Out, p: &Paths, file: &Path) -> Result {
    let wasm_opt = crate::tools::wasm_opt(&p.root)?;
    let before = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let optimized = file.with_extension("wasm.opt");
    let mut c = cmd(&wasm_opt, ["-Oz"]);
    c.args([
        "--enable-simd",
        "--enable-bulk-memory",
        "--enable-sign-ext",
        "--enable-nontrapping-float-to-int",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
        "--enable-exception-handling",
    ])
    .arg(file)
    .arg("-o")
    .arg(&optimized);
    run(out, &mut c)?;
    std::fs::rename(&optimized, file).context(|| format!("cannot replace {}", file.display()))?;
    let after = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    out.line(&format!(
        "wasm-opt -Oz {}: {before} -> {after} bytes",
        file.display()
    ));
    Ok(())
}

/// One build of the browser predictor into `dir` (`NAME.js`, `NAME_bg.wasm`, .d.ts), compact
/// or tract-enabled; skipped when up to date.
pub fn build_predictor(out: &Out, p: &Paths, dir: &str, name: &str, tract: bool) -> Result {
    let dir = p.at(dir);
    let wasm = dir.join(format!("{name}_bg.wasm"));
    let stamp = stamps::check(&p.stamps(), &wasm, &p.all(&PREDICTOR_INPUTS))?;
    if stamp.fresh() {
        out.say(&format!(
            "the browser predictor {name} is up to date ({})",
            dir.display()
        ));
        return Ok(());
    }
    let engines = if tract {
        "compact and tract engines"
    } else {
        "compact engine"
    };
    out.say(&format!(
        "building the browser predictor {name} (wasm32, opt-level z, {engines})"
    ));
    if tract {
        build_tract_together(out, p, &p.at("models"))?;
    } else {
        run(out, cargo(p).args(["-p", "wasmpredict-web"]))?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut bindgen = cmd("wasm-bindgen", ["--target", "web", "--out-dir"]);
    bindgen
        .arg(&dir)
        .args(["--out-name", name])
        .arg(built(p, "wasmpredict_web"));
    run(out, &mut bindgen)?;
    wasm_opt(out, p, &wasm)?;
    stamp.record()
}

/// Whether the tract-enabled predictor must be (re)built.
pub fn tract_predictor_stale(p: &Paths) -> Result<bool> {
    let wasm = p.at(PKG_TRACT).join("wasmpredict_web_tract_bg.wasm");
    Ok(!stamps::check(&p.stamps(), &wasm, &p.all(&PREDICTOR_INPUTS))?.fresh())
}

/// The web app (build/app): the Leptos crate for wasm32, wasm-bindgen, wasm-opt, then
/// scripts/build-app.mjs (content-hashed names, integrity, the module loader); skipped when up
/// to date.
pub fn build_app(out: &Out, p: &Paths) -> Result {
    let app = p.at(APP);
    let stamp = stamps::check(&p.stamps(), &app.join("index.html"), &p.all(&APP_INPUTS))?;
    if stamp.fresh() {
        out.say(&format!("the web app is up to date ({})", app.display()));
        return Ok(());
    }
    out.say("building the web app (Leptos, wasm32, opt-level z)");
    run(
        out,
        cargo(p).args(["-p", "wasmpredict-app", "--bin", "wasmpredict-app"]),
    )?;
    let bindgen_dir = p.at("build/app-bindgen");
    let _ = std::fs::remove_dir_all(&bindgen_dir);
    let mut bindgen = cmd(
        "wasm-bindgen",
        ["--target", "web", "--no-typescript", "--out-dir"],
    );
    bindgen
        .arg(&bindgen_dir)
        .args(["--out-name", "wasmpredict-app"])
        .arg(built(p, "wasmpredict-app"));
    run(out, &mut bindgen)?;
    wasm_opt(out, p, &bindgen_dir.join("wasmpredict-app_bg.wasm"))?;
    let mut assemble = cmd("node", [p.at("scripts/build-app.mjs")]);
    assemble
        .arg(&bindgen_dir)
        .arg("wasmpredict-app")
        .arg(p.at("www"))
        .arg(&app)
        .current_dir(&p.root);
    run(out, &mut assemble)?;
    let _ = std::fs::remove_dir_all(&bindgen_dir);
    stamp.record()
}
