//! build/site, the directory the Worker serves as static assets:
//!   build/site/           the web app (build/app), example.html, api.html, sw.js, manifest
//!   build/site/pkg/       the JS/TS predictor API, also the npm package (`npm pack`):
//!                         predictor.js over wasm-bindgen's glue, the compact build every page
//!                         loads and the tract-enabled build fetched only when a bundle needs it
//!   build/site/bundles/   every bundle under models/ by the layout of
//!                         `wasmpredict::bundle::layout`, and index.json (what the app lists)
//! and the service worker's placeholders filled in: this build's version, the files it
//! precaches, and the API's first path segments (`wasmpredict::http::routes::API_ROOTS`).

use crate::out::{fail, Context, Failure, Out, Result};
use crate::paths::Paths;
use crate::pins;
use crate::stamps::hex;
use crate::wasm::{APP, PKG, PKG_TRACT};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use wasmpredict::bundle::layout;
use wasmpredict::ops::traffic::Traffic;

pub const SITE: &str = "build/site";

/// Assembles build/site from the built app and predictors; without the tract-enabled predictor
/// when `with_tract` is false (`cargo xtask serve` adds it once built).
pub fn assemble(out: &Out, p: &Paths, with_tract: bool) -> Result {
    out.say("assembling build/site (app, pkg, bundles)");
    let site = p.at(SITE);
    if site.exists() {
        std::fs::remove_dir_all(&site).context(|| format!("cannot remove {}", site.display()))?;
    }
    copy_dir(&p.at(APP), &site)?;
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    let compact = p.at(PKG);
    for file in ["wasmpredict_web.js", "wasmpredict_web_bg.wasm"] {
        copy(&compact.join(file), &pkg.join(file))?;
    }
    copy_typings(&compact, &pkg)?;
    if with_tract {
        copy_tract_predictor(p, &pkg)?;
    }
    // build/site/pkg is also the npm package: its version is the crate's.
    pins::check_npm_package_version(&p.root)?;
    for file in [
        "predictor.js",
        "predictor.d.ts",
        "package.json",
        "README.md",
    ] {
        copy(&p.at("web/js").join(file), &pkg.join(file))?;
    }
    let bundles = copy_bundles(&p.at("models"), &site.join("bundles"))?;
    out.line(&format!("bundles: {}", bundles.join(", ")));
    let (version, files) = service_worker(&site)?;
    out.line(&format!("service worker: version {version}, {files} files"));
    Ok(())
}

/// The tract-enabled predictor's files into `pkg`, its glue last (a page imports the glue,
/// which then fetches the wasm).
pub fn copy_tract_predictor(p: &Paths, pkg: &Path) -> Result {
    let tract = p.at(PKG_TRACT);
    copy(
        &tract.join("wasmpredict_web_tract_bg.wasm"),
        &pkg.join("wasmpredict_web_tract_bg.wasm"),
    )?;
    copy_typings(&tract, pkg)?;
    copy(
        &tract.join("wasmpredict_web_tract.js"),
        &pkg.join("wasmpredict_web_tract.js"),
    )
}

fn copy_typings(from: &Path, to: &Path) -> Result {
    for entry in std::fs::read_dir(from).context(|| format!("cannot list {}", from.display()))? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".d.ts") {
            copy(&path, &to.join(path.file_name().unwrap_or_default()))?;
        }
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result {
    std::fs::copy(from, to)
        .map(|_| ())
        .context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).context(|| format!("cannot create {}", to.display()))?;
    for entry in std::fs::read_dir(from).context(|| format!("cannot list {}", from.display()))? {
        let path = entry?.path();
        let dest = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            copy(&path, &dest)?;
        }
    }
    Ok(())
}

/// A bundle's files: its manifest and the files it lists (model.onnx, golden.json, ...).
fn bundle_files(dir: &Path) -> Result<(serde_json::Value, Vec<String>)> {
    let manifest = pins::read_json(&dir.join("manifest.json"))?;
    let mut files = vec!["manifest.json".to_string()];
    if let Some(listed) = manifest["files"].as_object() {
        files.extend(listed.keys().cloned());
    }
    Ok((manifest, files))
}

fn copy_bundle(from: &Path, to: &Path) -> Result<u64> {
    std::fs::create_dir_all(to).context(|| format!("cannot create {}", to.display()))?;
    let mut bytes = 0;
    for file in bundle_files(from)?.1 {
        bytes += std::fs::copy(from.join(&file), to.join(&file))
            .context(|| format!("cannot copy {}", from.join(&file).display()))?;
    }
    Ok(bytes)
}

/// The bundles by the models directory's layout: bundles/NAME/ holds the live version (the one
/// a server starts with), bundles/NAME/VERSION/ every version of a model that has several; and
/// bundles/index.json, the list the app reads (name, live version, versions, task, estimator,
/// description, bytes of each bundle). Returns `NAME VERSION/VERSION...` per model.
pub fn copy_bundles(models: &Path, to: &Path) -> Result<Vec<String>> {
    let found = layout::discover(models).context(|| format!("{}", models.display()))?;
    let mut index = Vec::new();
    let mut names = Vec::new();
    for model in &found {
        let live = Traffic::initial(model)
            .context(|| model.name.clone())?
            .live()
            .to_string();
        let Some((_, live_dir)) = model
            .versions
            .iter()
            .find(|(v, _)| *v == live)
            .or(model.versions.last())
        else {
            continue;
        };
        let bytes = copy_bundle(live_dir, &to.join(&model.name))?;
        if model.versions.len() > 1 {
            for (version, dir) in &model.versions {
                copy_bundle(dir, &to.join(&model.name).join(version))?;
            }
        }
        let (manifest, _) = bundle_files(live_dir)?;
        let versions = model.version_names();
        let mut entry = serde_json::json!({
            "name": model.name,
            "version": manifest["version"],
            "live": live,
            "versions": versions,
            "bytes": bytes,
        });
        for field in ["task", "estimator", "description"] {
            if let Some(value) = manifest.get(field) {
                entry[field] = value.clone();
            }
        }
        index.push(entry);
        names.push(format!("{} {}", model.name, versions.join("/")));
    }
    let index = serde_json::json!({ "bundles": index });
    std::fs::write(to.join("index.json"), index.to_string())
        .context(|| format!("cannot write {}", to.join("index.json").display()))?;
    Ok(names)
}

/// Fills sw.js's placeholders: `__WASMPREDICT_VERSION__` (a hash of every other file of the
/// site), `__WASMPREDICT_PRECACHE__` (the files to precache, as paths: sw.js turns each into the
/// key it caches it under) and `__WASMPREDICT_API_ROOTS__` (the route table's first segments).
/// Returns the version and the number of files precached.
fn service_worker(site: &Path) -> Result<(String, usize)> {
    let mut files = Vec::new();
    walk(site, &mut files)?;
    files.sort();
    let mut hash = Sha256::new();
    let mut precache = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(site)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        if relative == "sw.js" {
            continue;
        }
        hash.update(relative.as_bytes());
        hash.update(std::fs::read(file).context(|| format!("cannot read {}", file.display()))?);
        if precached(&relative) {
            precache.push(format!("/{relative}"));
        }
    }
    let version = hex(&hash.finalize())[..16].to_string();
    let sw_path = site.join("sw.js");
    let sw = std::fs::read_to_string(&sw_path)
        .context(|| format!("cannot read {}", sw_path.display()))?;
    let json = |v: &[&str]| serde_json::to_string(v).unwrap_or_default();
    let precache: Vec<&str> = precache.iter().map(String::as_str).collect();
    let filled = fill(&sw, "__WASMPREDICT_VERSION__", &version)?;
    let filled = fill(&filled, "__WASMPREDICT_PRECACHE__", &json(&precache))?;
    let filled = fill(
        &filled,
        "__WASMPREDICT_API_ROOTS__",
        &json(&wasmpredict::http::routes::API_ROOTS),
    )?;
    std::fs::write(&sw_path, filled).context(|| format!("cannot write {}", sw_path.display()))?;
    Ok((version, precache.len()))
}

/// Whether the service worker precaches a file of the site (its path under build/site). Not
/// the tract-enabled predictor (a page fetches it only for a bundle that needs it, and the
/// service worker then keeps it), nor the versioned copies of bundles (bundles/NAME/VERSION/:
/// sw.js fetches and verifies a version when it becomes live).
fn precached(relative: &str) -> bool {
    let versioned_bundle = relative.starts_with("bundles/") && relative.matches('/').count() >= 3;
    !relative.contains("_tract") && !versioned_bundle
}

/// `text` with its one `placeholder` replaced.
fn fill(text: &str, placeholder: &str, value: &str) -> Result<String> {
    match text.matches(placeholder).count() {
        1 => Ok(text.replace(placeholder, value)),
        n => fail(format!(
            "www/sw.js holds {placeholder} {n} times: once expected"
        )),
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result {
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Failure(format!("cannot list {}: {e}", dir.display())))?
    {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{fill, precached};

    #[test]
    fn precache_leaves_out_the_tract_predictor_and_versioned_bundles() {
        for path in [
            "index.html",
            "pkg/predictor.js",
            "pkg/wasmpredict_web_bg.wasm",
            "bundles/iris/model.onnx",
            "bundles/churn/manifest.json",
            "bundles/index.json",
        ] {
            assert!(precached(path), "{path}");
        }
        for path in [
            "pkg/wasmpredict_web_tract_bg.wasm",
            "pkg/wasmpredict_web_tract.js",
            "bundles/churn/1.1.0/model.onnx",
        ] {
            assert!(!precached(path), "{path}");
        }
    }

    #[test]
    fn a_placeholder_is_filled_once() {
        assert_eq!(fill("a __X__ b", "__X__", "1").expect("filled"), "a 1 b");
        assert!(fill("a b", "__X__", "1").is_err());
        assert!(fill("__X__ __X__", "__X__", "1").is_err());
    }
}
