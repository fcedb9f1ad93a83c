//! `cargo xtask tract-patch`: the vendored tract crates (vendor/tract-onnx, vendor/tract-nnef) as
//! what they are, the crates.io release plus a patch (vendor/patches/NAME.patch) and a few
//! unbuilt paths left out. `check` proves vendor/ is exactly that, `save` rewrites the patches
//! after a hand edit of vendor/, and `upgrade VERSION` re-applies them to a new release: a tract
//! upgrade is one command, then the tests (vendor/README.md).

use crate::out::{fail, Result};
use crate::paths::Paths;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The patched crates, each with the published paths it leaves out (not built: benches,
/// protobuf sources, tests) and that `check` therefore ignores.
const CRATES: &[(&str, &[&str])] = &[
    (
        "tract-onnx",
        &["benches", "protos", "build-proto.rs", "Cargo.lock"],
    ),
    ("tract-nnef", &["tests", "Cargo.lock"]),
];

#[derive(clap::Subcommand)]
pub enum Action {
    /// Check that vendor/ is the crates.io release plus vendor/patches/ (downloads the release
    /// once into target/tract-pristine/).
    Check,
    /// Rewrite vendor/patches/ from vendor/ as it is now (after editing vendor/ by hand).
    Save,
    /// Move to another tract release: download it, apply vendor/patches/, replace vendor/ and
    /// the version pins in Cargo.toml. A patch that no longer applies stops it, naming the
    /// crate; the release is left unpacked for a hand merge.
    Upgrade {
        /// The tract release, e.g. 0.23.10.
        version: String,
    },
}

pub fn run(p: &Paths, action: Action) -> Result {
    run_in(&p.root, &p.target, action).or_else(fail)
}

fn run_in(root: &Path, target: &Path, action: Action) -> std::result::Result<(), String> {
    let version = vendored_version(root)?;
    match action {
        Action::Check => {
            let mut differ = Vec::new();
            for (name, left_out) in CRATES {
                let expected = patched_release(root, target, name, &version, left_out)?;
                for path in differences(&expected, &root.join("vendor").join(name))? {
                    differ.push(format!("vendor/{name}/{path}"));
                }
            }
            if !differ.is_empty() {
                return Err(format!(
                    "vendor/ is not tract {version} plus vendor/patches/: {} differ \
                     (after editing vendor/ on purpose: cargo xtask tract-patch save)",
                    differ.join(", ")
                ));
            }
            eprintln!("vendor/: tract-onnx and tract-nnef {version} from crates.io plus vendor/patches/, exactly");
            Ok(())
        }
        Action::Save => {
            for (name, left_out) in CRATES {
                let pristine = pristine_release(target, name, &version, left_out)?;
                let patch = diff(&pristine, &root.join("vendor").join(name))?;
                let path = root.join("vendor/patches").join(format!("{name}.patch"));
                std::fs::write(&path, patch)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
        Action::Upgrade { version: new } => upgrade(root, target, &version, &new),
    }
}

/// The tract version vendor/ holds (its tract-onnx manifest's).
fn vendored_version(root: &Path) -> std::result::Result<String, String> {
    let path = root.join("vendor/tract-onnx/Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .map(str::to_string)
        .ok_or_else(|| format!("{} names no version", path.display()))
}

/// A command that must succeed, its failure as one line.
fn run_command(command: &mut Command) -> std::result::Result<(), String> {
    let shown = format!("{command:?}");
    let out = command
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(format!(
        "{shown} failed: {}",
        stderr.lines().last().unwrap_or("no output")
    ))
}

/// The release unpacked, minus the paths vendor/ leaves out, in a fresh directory.
fn pristine_release(
    target: &Path,
    name: &str,
    version: &str,
    left_out: &[&str],
) -> std::result::Result<PathBuf, String> {
    let cache = target.join("tract-pristine");
    std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    let archive = cache.join(format!("{name}-{version}.crate"));
    if !archive.is_file() {
        let url = format!("https://static.crates.io/crates/{name}/{name}-{version}.crate");
        let partial = archive.with_extension("part");
        run_command(
            Command::new("curl")
                .args(["-fsSL", "--retry", "2", "-o"])
                .arg(&partial)
                .arg(&url),
        )?;
        std::fs::rename(&partial, &archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    }
    let unpacked = cache.join(format!("{name}-{version}"));
    let _ = std::fs::remove_dir_all(&unpacked);
    run_command(
        Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&cache),
    )?;
    for path in left_out {
        let path = unpacked.join(path);
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| format!("{}: {e} (the release's layout changed?)", path.display()))?;
    }
    // Left by cargo's own unpacking only; never part of a release.
    let _ = std::fs::remove_file(unpacked.join(".cargo-ok"));
    Ok(unpacked)
}

/// The release with vendor/patches/NAME.patch applied.
fn patched_release(
    root: &Path,
    target: &Path,
    name: &str,
    version: &str,
    left_out: &[&str],
) -> std::result::Result<PathBuf, String> {
    let dir = pristine_release(target, name, version, left_out)?;
    let patch = root.join("vendor/patches").join(format!("{name}.patch"));
    // Inside a repository, `git apply` takes paths as relative to its top and silently skips
    // the rest: under the repository, run it from the top with --directory.
    let mut apply = Command::new("git");
    apply.args(["apply", "-p1", "--whitespace=nowarn"]);
    match dir.strip_prefix(root) {
        Ok(relative) => apply
            .arg(format!("--directory={}", relative.display()))
            .current_dir(root),
        Err(_) => apply.current_dir(&dir),
    };
    run_command(apply.arg(&patch)).map_err(|e| {
        format!("vendor/patches/{name}.patch does not apply to {name} {version}: {e}")
    })?;
    Ok(dir)
}

/// Every file of both trees, relative, sorted.
fn files(dir: &Path) -> std::result::Result<Vec<String>, String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> std::result::Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                walk(base, &path, out)?;
            } else if let Ok(relative) = path.strip_prefix(base) {
                out.push(relative.display().to_string());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// The relative paths whose contents differ between two trees (or exist in one only).
fn differences(expected: &Path, actual: &Path) -> std::result::Result<Vec<String>, String> {
    let (a, b) = (files(expected)?, files(actual)?);
    let mut all: Vec<&String> = a.iter().chain(&b).collect();
    all.sort();
    all.dedup();
    Ok(all
        .into_iter()
        .filter(|p| std::fs::read(expected.join(p)).ok() != std::fs::read(actual.join(p)).ok())
        .cloned()
        .collect())
}

/// The unified diff from `from` to `to` with paths relative to the crate root (what `git apply
/// -p1` takes in the release's directory): both trees are copied side by side as `a` and `b`,
/// so that git's own paths are `a/...` and `b/...`.
fn diff(from: &Path, to: &Path) -> std::result::Result<String, String> {
    let work = from.with_extension("diff");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    run_command(Command::new("cp").arg("-R").arg(from).arg(work.join("a")))?;
    run_command(Command::new("cp").arg("-R").arg(to).arg(work.join("b")))?;
    let _ = std::fs::remove_file(work.join("b/.cargo-ok"));
    let out = Command::new("git")
        .args([
            "diff",
            "--no-index",
            "--no-color",
            "--src-prefix=",
            "--dst-prefix=",
            "a",
            "b",
        ])
        .current_dir(&work)
        .output()
        .map_err(|e| format!("cannot run git diff: {e}"))?;
    // git diff --no-index exits 1 when the trees differ, 0 when they do not.
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "git diff failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("git diff printed non-UTF-8: {e}"))
}

fn upgrade(root: &Path, target: &Path, old: &str, new: &str) -> std::result::Result<(), String> {
    if old == new {
        return Err(format!("vendor/ already holds tract {new}"));
    }
    let mut patched = Vec::new();
    for (name, left_out) in CRATES {
        patched.push((name, patched_release(root, target, name, new, left_out)?));
    }
    for (name, dir) in patched {
        let target = root.join("vendor").join(name);
        std::fs::remove_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        run_command(Command::new("cp").arg("-R").arg(&dir).arg(&target))?;
    }
    for manifest in ["Cargo.toml", "fuzz/Cargo.toml"] {
        let path = root.join(manifest);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let pinned = text.replace(&format!("\"={old}\""), &format!("\"={new}\""));
        if pinned != text {
            std::fs::write(&path, pinned).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    eprintln!(
        "vendor/ now holds tract {new} with vendor/patches/ applied, and Cargo.toml pins it. Next: \
         `cargo update -p tract-onnx -p tract-nnef` (and the other tract crates), then ./test.sh; \
         BENCHMARKS.md's wasm sizes show whether the pruning still holds."
    );
    Ok(())
}
