//! The Python module (python/: the wasmpredict-python crate, imported as wasmpredict._native)
//! built for the checkout's own use: the exporter's golden replay, models/export.py and the
//! Python tests import the package from python/ and find the module beside it. Users get the
//! same crate through maturin (`pip install ./python`); the tests build that wheel too
//! (tests/python/test_package.py), in the same profile, so it reuses this build.

use crate::out::{Context, Out, Result};
use crate::paths::Paths;
use crate::process::{cmd, run};

/// The file CPython imports as `wasmpredict._native` (abi3: one build for every CPython 3.10+).
const MODULE: &str = "python/wasmpredict/_native.abi3.so";

pub fn build(out: &Out, p: &Paths) -> Result {
    run(
        out,
        cmd("cargo", ["build", "-p", "wasmpredict-python"])
            .current_dir(&p.root)
            // What maturin sets: leave libpython's symbols to the interpreter that imports us.
            .env("PYO3_BUILD_EXTENSION_MODULE", "1"),
    )?;
    let built = p.target.join("debug/lib_native.so");
    let module = p.at(MODULE);
    let same = std::fs::read(&module).ok() == std::fs::read(&built).ok();
    if !same {
        // A new file, renamed over the old: a running interpreter keeps its mapping.
        let tmp = module.with_extension("so.tmp");
        std::fs::copy(&built, &tmp).context(|| format!("cannot copy {}", built.display()))?;
        std::fs::rename(&tmp, &module).context(|| format!("cannot write {}", module.display()))?;
    }
    Ok(())
}
