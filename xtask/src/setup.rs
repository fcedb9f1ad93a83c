//! `cargo xtask setup`: checks every tool the builds and tests use and installs what is
//! missing (the test and serve commands check what they need themselves; this is all of it at
//! once, for a new machine). The Python packages and Chromium download beside the rest.

use crate::background::Background;
use crate::out::{Out, Result};
use crate::paths::Paths;
use crate::{pins, steps, tools, venv};

pub fn run(p: &Paths) -> Result {
    steps::command(&p.target, "set up", "cargo xtask setup failed", || {
        let mut background = Background::default();
        let result = setup(p, &mut background);
        background.stop_all();
        result
    })
}

fn setup(p: &Paths, background: &mut Background) -> Result {
    let out = Out::terminal();
    tools::need_rust()?;
    let root = p.root.clone();
    background.start(&p.target, "Python packages", move |out| {
        venv::need_venv(out, &root)
    })?;
    background.start(&p.target, "Debian packages", tools::need_debian_packages)?;
    tools::need_clippy(&out)?;
    tools::need_wasm_tools(&out, p)?;
    pins::check_worker_shim(&p.root)?;
    pins::check_npm_package_version(&p.root)?;
    pins::check_compatibility_date(&p.root)?;
    crate::wrangler_vars::check(&p.root)?;
    background.wait("Python packages")?;
    background.wait("Debian packages")?;
    out.say("building the Python module (python/wasmpredict/_native.abi3.so)");
    crate::steps::timed(&out, "Python module", || crate::python::build(&out, p))?;
    out.say("every tool is there, at its pinned version");
    Ok(())
}
