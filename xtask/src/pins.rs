//! The versions that must agree, read from the files that pin them, and checked loudly: a
//! mismatch here builds something that fails later and far from its cause (a blank page, a
//! Worker that does not start).

use crate::out::{fail, Context, Result};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
}

/// The one version of a crate in Cargo.lock (several, or none, is an error: each crate checked
/// here is pinned once).
pub fn lock_version(root: &Path, name: &str) -> Result<String> {
    let path = root.join("Cargo.lock");
    let text =
        std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
    locked(&text, name).map_err(|e| crate::out::Failure(format!("{}: {e}", path.display())))
}

fn locked(lock_file: &str, name: &str) -> Result<String> {
    let lock: CargoLock = toml::from_str(lock_file).context(|| "not a lock file".to_string())?;
    let versions: Vec<&str> = lock
        .package
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.version.as_str())
        .collect();
    match versions.as_slice() {
        [v] => Ok((*v).to_string()),
        [] => fail(format!("{name} not found")),
        several => fail(format!(
            "{name} {}: one version expected",
            several.join(" and ")
        )),
    }
}

/// The `"version"` of a package.json.
pub fn npm_version(package_json: &Path) -> Result<String> {
    let json = read_json(package_json)?;
    json["version"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| crate::out::Failure(format!("{} has no version", package_json.display())))
}

pub fn read_json(path: &Path) -> Result<serde_json::Value> {
    let bytes = std::fs::read(path).context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).context(|| format!("{} is not JSON", path.display()))
}

/// worker/js/shim.js is worker-build's for one version of the `worker` crate (its header says
/// which): the crate in Cargo.lock must be that one.
pub fn check_worker_shim(root: &Path) -> Result {
    let shim_path = root.join("worker/js/shim.js");
    let shim = std::fs::read_to_string(&shim_path)
        .context(|| format!("cannot read {}", shim_path.display()))?;
    let Some(shim_version) = shim
        .split("worker-build ")
        .nth(1)
        .and_then(|rest| rest.split("'s shim").next())
    else {
        return fail(format!(
            "{} does not say which worker-build it is (\"worker-build X.Y.Z's shim\")",
            shim_path.display()
        ));
    };
    let locked = lock_version(root, "worker")?;
    if locked != shim_version {
        return fail(format!(
            "Cargo.lock has worker {locked}, worker/js/shim.js is worker-build {shim_version}'s: update both together"
        ));
    }
    Ok(())
}

/// build/site/pkg is also the npm package: web/js/package.json's version is the web crate's.
pub fn check_npm_package_version(root: &Path) -> Result {
    let npm = npm_version(&root.join("web/js/package.json"))?;
    let crate_version = lock_version(root, "wasmpredict-web")?;
    if npm != crate_version {
        return fail(format!(
            "web/js/package.json has version {npm}, the wasmpredict-web crate {crate_version}: make them equal"
        ));
    }
    Ok(())
}

/// wrangler.toml's `compatibility_date` must not be newer than the installed workerd, whose
/// version (`1.YYYYMMDD.N`) carries its date.
pub fn check_compatibility_date(root: &Path) -> Result {
    #[derive(Deserialize)]
    struct Wrangler {
        compatibility_date: String,
    }
    let path = root.join("wrangler.toml");
    let text =
        std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
    let wrangler: Wrangler = toml::from_str(&text).context(|| format!("{}", path.display()))?;
    let workerd = npm_version(&root.join("node_modules/workerd/package.json"))?;
    let Some(date) = workerd.split('.').nth(1).filter(|d| d.len() == 8) else {
        return fail(format!(
            "workerd {workerd}: not the 1.YYYYMMDD.N version expected"
        ));
    };
    let workerd_date = format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]);
    if wrangler.compatibility_date > workerd_date {
        return fail(format!(
            "wrangler.toml's compatibility_date {} is newer than workerd {workerd} ({workerd_date}): workerd refuses it; lower it or update wrangler",
            wrangler.compatibility_date
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::locked;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["once_cell"]

[[package]]
name = "syn"
version = "1.0.109"

[[package]]
name = "syn"
version = "2.0.100"
"#;

    #[test]
    fn one_version_of_a_locked_crate() {
        assert_eq!(locked(LOCK, "wasm-bindgen").expect("locked"), "0.2.130");
        assert!(locked(LOCK, "worker").unwrap_err().0.contains("not found"));
        assert!(locked(LOCK, "syn")
            .unwrap_err()
            .0
            .contains("1.0.109 and 2.0.100"));
        assert!(locked("[[package]\nname = ", "syn").is_err());
    }
}
