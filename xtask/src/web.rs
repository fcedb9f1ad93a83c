//! `cargo xtask build web`: the browser side, each wasm build skipped when up to date, then
//! build/site assembled (src/site.rs).

use crate::out::{fail, Out, Result};
use crate::paths::Paths;
use crate::site::{self, SITE};
use crate::steps::timed;
use crate::wasm::{self, PKG, PKG_TRACT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything.
    All,
    /// Everything but a tract-enabled predictor that must be (re)built: `cargo xtask serve`
    /// serves first and builds it after (the bundled models never need it).
    TractLater,
    /// That predictor alone, into an assembled build/site/pkg.
    TractOnly,
}

/// Builds the browser side; says whether the tract-enabled predictor was left for later.
pub fn build(out: &Out, p: &Paths, mode: Mode) -> Result<bool> {
    crate::tools::need_wasm_tools(out, p)?;
    if mode == Mode::TractOnly {
        let pkg = p.at(SITE).join("pkg");
        if !pkg.join("predictor.js").is_file() {
            return fail("build/site is not assembled: run `cargo xtask build web` first");
        }
        build_tract_predictor(out, p)?;
        site::copy_tract_predictor(p, &pkg)?;
        return Ok(false);
    }
    timed(out, "compact browser predictor", || {
        wasm::build_predictor(out, p, PKG, "wasmpredict_web", false)
    })?;
    let deferred = mode == Mode::TractLater && wasm::tract_predictor_stale(p)?;
    if deferred {
        out.say("the tract-enabled browser predictor is left for later (only bundles the compact engine does not run need it)");
    } else {
        build_tract_predictor(out, p)?;
    }
    timed(out, "web app", || wasm::build_app(out, p))?;
    site::assemble(out, p, !deferred)?;
    Ok(deferred)
}

pub fn build_tract_predictor(out: &Out, p: &Paths) -> Result {
    timed(out, "tract browser predictor", || {
        wasm::build_predictor(out, p, PKG_TRACT, "wasmpredict_web_tract", true)
    })
}
