//! The Python module (python/: the wasmpredict-python crate, imported as wasmpredict._native).
//! `build` makes it for the checkout's own use: the exporter's golden replay, models/export.py
//! and the Python tests import the package from python/ and find the module beside it. Users get
//! the same crate through maturin (`pip install ./python`); the tests build that wheel too
//! (tests/python/test_package.py), in the same profile, so it reuses this build. `release_package`
//! makes what `pip install ./python` installs, for the benchmarks.

use crate::out::{Context, Out, Result};
use crate::paths::Paths;
use crate::process::{cmd, run};
use std::path::{Path, PathBuf};

/// The file CPython imports as `wasmpredict._native` (abi3: one build for every CPython 3.11+).
const MODULE: &str = "python/wasmpredict/_native.abi3.so";

pub fn build(out: &Out, p: &Paths) -> Result {
    let built = compile(out, p, "dev")?;
    copy_if_changed(&built, &p.at(MODULE))
}

/// The package with a release build of its module, in `target/bench/python/wasmpredict`; the
/// directory to put on `sys.path` is returned.
pub fn release_package(out: &Out, p: &Paths) -> Result<PathBuf> {
    let built = compile(out, p, "release")?;
    let root = p.target.join("bench/python");
    let package = root.join("wasmpredict");
    std::fs::create_dir_all(&package).context(|| format!("cannot create {}", package.display()))?;
    let sources = p.at("python/wasmpredict");
    for entry in
        std::fs::read_dir(&sources).context(|| format!("cannot read {}", sources.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "py") {
            if let Some(name) = path.file_name() {
                copy_if_changed(&path, &package.join(name))?;
            }
        }
    }
    copy_if_changed(&built, &package.join("_native.abi3.so"))?;
    Ok(root)
}

/// `cargo build -p wasmpredict-python` in `profile`; the built library's path.
fn compile(out: &Out, p: &Paths, profile: &str) -> Result<PathBuf> {
    run(
        out,
        cmd(
            "cargo",
            ["build", "-p", "wasmpredict-python", "--profile", profile],
        )
        .current_dir(&p.root)
        // What maturin sets: leave libpython's symbols to the interpreter that imports us.
        .env("PYO3_BUILD_EXTENSION_MODULE", "1"),
    )?;
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(p.target.join(dir).join("lib_native.so"))
}

fn copy_if_changed(from: &Path, to: &Path) -> Result {
    if std::fs::read(to).ok() == std::fs::read(from).ok() {
        return Ok(());
    }
    // A new file, renamed over the old: a running interpreter keeps its mapping.
    let tmp = to.with_extension("tmp");
    std::fs::copy(from, &tmp).context(|| format!("cannot copy {}", from.display()))?;
    std::fs::rename(&tmp, to).context(|| format!("cannot write {}", to.display()))
}
