//! The tools wasmpredict builds and tests with: each `need_*` checks one and installs it when it
//! is missing, quickly when it is already there, and fails loudly on a version that would
//! build something broken.

use crate::out::{fail, Out, Result};
use crate::pins;
use crate::process::{cmd, on_path, output, probe, run};
use crate::steps::timed;
use std::path::Path;

/// The oldest rustc that builds tract 0.23 (rust-toolchain.toml names the one used).
const MIN_RUSTC: (u32, u32) = (1, 91);
/// binaryen's wasm-opt from npm (package.json): Debian's (108) silently breaks wasm-bindgen
/// 0.2.130 output (a blank page: `WebAssembly.Table.set(): Argument 1 is invalid for table`).
const WASM_OPT_VERSION: &str = "version 132";

pub fn need_rust() -> Result {
    let version = probe(&mut cmd("rustc", ["--version"])).unwrap_or_default();
    let Some(number) = version.split_whitespace().nth(1) else {
        return fail("rustc not found: install Rust with rustup (https://rustup.rs)");
    };
    let mut parts = number.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < MIN_RUSTC {
        return fail(format!(
            "rustc {number} is too old: wasmpredict needs >= {}.{} (tract 0.23)",
            MIN_RUSTC.0, MIN_RUSTC.1
        ));
    }
    Ok(())
}

pub fn need_clippy(out: &Out) -> Result {
    if probe(&mut cmd("cargo", ["clippy", "--version"])).is_none() {
        out.say("adding clippy");
        timed(out, "clippy component", || {
            run(out, &mut cmd("rustup", ["component", "add", "clippy"]))
        })?;
    }
    Ok(())
}

pub fn need_wasm_target(out: &Out) -> Result {
    let installed =
        probe(&mut cmd("rustup", ["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        out.say("adding the wasm32-unknown-unknown target");
        timed(out, "wasm32 target", || {
            run(
                out,
                &mut cmd("rustup", ["target", "add", "wasm32-unknown-unknown"]),
            )
        })?;
    }
    Ok(())
}

/// The npm packages package.json pins (wrangler, miniflare, esbuild, binaryen's wasm-opt,
/// playwright-core, vite), installed with `npm ci` unless each is there at its pinned version.
pub fn need_node_modules(out: &Out, root: &Path) -> Result {
    if !on_path("node") {
        return fail("node not found: install Node.js >= 20");
    }
    if !on_path("npm") {
        return fail("npm not found (it comes with Node.js)");
    }
    let missing = npm_missing(root)?;
    if !missing.is_empty() {
        out.say(&format!(
            "installing the pinned npm packages (npm ci; not installed at their pinned version: {})",
            missing.join(", ")
        ));
        timed(out, "npm ci", || {
            run(
                out,
                cmd("npm", ["ci", "--no-audit", "--no-fund"]).current_dir(root),
            )
        })?;
        let still = npm_missing(root)?;
        if !still.is_empty() {
            return fail(format!(
                "npm ci left these at the wrong version: {}",
                still.join(", ")
            ));
        }
    }
    Ok(())
}

/// The devDependencies of DIR/package.json not installed in DIR/node_modules at the version
/// pinned (content, not mtimes).
pub fn npm_missing(dir: &Path) -> Result<Vec<String>> {
    let package = pins::read_json(&dir.join("package.json"))?;
    let mut missing = Vec::new();
    for section in ["dependencies", "devDependencies"] {
        let Some(pinned) = package[section].as_object() else {
            continue;
        };
        for (name, version) in pinned {
            let installed =
                pins::npm_version(&dir.join("node_modules").join(name).join("package.json")).ok();
            if installed.as_deref() != version.as_str() {
                missing.push(format!("{name}@{}", version.as_str().unwrap_or("?")));
            }
        }
    }
    Ok(missing)
}

/// The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock exactly; installs it
/// if missing (first time ~6-10 minutes).
pub fn need_wasm_bindgen(out: &Out, root: &Path) -> Result {
    let locked = pins::lock_version(root, "wasm-bindgen")?;
    let installed = || {
        probe(&mut cmd("wasm-bindgen", ["--version"]))
            .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
    };
    if installed().as_deref() != Some(locked.as_str()) {
        out.say(&format!(
            "installing wasm-bindgen-cli {locked} (first time ~10 minutes)"
        ));
        // Not --locked: its lock file asks for a webpki-roots the registry no longer serves.
        timed(out, "wasm-bindgen-cli install", || {
            run(
                out,
                &mut cmd(
                    "cargo",
                    ["install", "wasm-bindgen-cli", "--version", &locked],
                ),
            )
        })?;
    }
    match installed() {
        Some(v) if v == locked => Ok(()),
        Some(v) => fail(format!(
            "the wasm-bindgen CLI on PATH is {v} but Cargo.lock has {locked}: put ~/.cargo/bin first on PATH"
        )),
        None => fail("wasm-bindgen not found on PATH after installing it: put ~/.cargo/bin on PATH"),
    }
}

/// node_modules/.bin/wasm-opt, binaryen 132 (never Debian's).
pub fn wasm_opt(root: &Path) -> Result<std::path::PathBuf> {
    let path = root.join("node_modules/.bin/wasm-opt");
    let version = probe(&mut cmd(&path, ["--version"]));
    match version {
        None => fail(format!(
            "{} missing: run npm ci in {}",
            path.display(),
            root.display()
        )),
        Some(v)
            if v.contains(&format!("{WASM_OPT_VERSION} "))
                || v.trim_end().ends_with(WASM_OPT_VERSION) =>
        {
            Ok(path)
        }
        Some(v) => fail(format!(
            "wasm-opt is '{}', expected binaryen {WASM_OPT_VERSION} (npm binaryen@132.0.0)",
            v.trim()
        )),
    }
}

/// Debian's Chromium and chromedriver, for the browser tests (never a browser download).
pub fn need_chromium(out: &Out) -> Result {
    if on_path("chromium") && on_path("chromedriver") {
        return Ok(());
    }
    out.say("installing Debian's chromium (browser tests)");
    timed(out, "chromium install", || {
        apt_install(out, &["chromium", "chromium-driver"])
    })
}

/// The Debian packages the tests use, one apt run at a time: Chromium for the browser tests,
/// Java for Spark, podman for the container image.
pub fn need_debian_packages(out: &Out) -> Result {
    need_chromium(out)?;
    need_java(out)?;
    need_podman(out)
}

/// podman, which builds the container image (the container test; `cargo xtask build container`).
pub fn need_podman(out: &Out) -> Result {
    if on_path("podman") {
        return Ok(());
    }
    out.say("installing Debian's podman (the container test)");
    timed(out, "podman install", || apt_install(out, &["podman"]))
}

/// Java 17 or later, for Spark in local mode (the Spark tests).
pub fn need_java(out: &Out) -> Result {
    // `java -version` writes to stderr: `openjdk version "17.0.15" ...`.
    let said = cmd("java", ["-version"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .unwrap_or_default();
    let major = said
        .split('"')
        .nth(1)
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    if major.is_some_and(|m| m >= 17) {
        return Ok(());
    }
    out.say("installing Debian's openjdk-17-jre-headless (Spark tests)");
    timed(out, "Java install", || {
        apt_install(out, &["openjdk-17-jre-headless"])
    })
}

/// wrk, the HTTP load generator of the benchmark and the soak.
pub fn need_wrk(out: &Out) -> Result {
    if on_path("wrk") {
        return Ok(());
    }
    out.say("installing wrk (apt)");
    timed(out, "wrk install", || apt_install(out, &["wrk"]))
}

fn apt_install(out: &Out, packages: &[&str]) -> Result {
    let root_user = output(&mut cmd("id", ["-u"])).is_ok_and(|id| id.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root_user {
            cmd("apt-get", args)
        } else {
            cmd("sudo", [&["apt-get"], args].concat())
        };
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(out, &mut apt(&["update", "-qq"]))?;
    run(
        out,
        &mut apt(&[&["install", "-y", "-qq"], packages].concat()),
    )
}

/// What every wasm build needs: Rust with the wasm32 target, the wasm-bindgen CLI of Cargo.lock,
/// the pinned npm packages (esbuild, binaryen's wasm-opt).
pub fn need_wasm_tools(out: &Out, p: &crate::paths::Paths) -> Result {
    need_rust()?;
    need_wasm_target(out)?;
    need_wasm_bindgen(out, &p.root)?;
    need_node_modules(out, &p.root)?;
    wasm_opt(&p.root).map(|_| ())
}
