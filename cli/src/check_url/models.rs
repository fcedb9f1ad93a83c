//! What `check --url` replays: the models under each argument, their versions' golden rows,
//! and the version live in the models directory.

use std::path::{Path, PathBuf};
use wasmpredict::bundle::{layout, Golden, Task};
use wasmpredict::ops::traffic::Traffic;
use wasmpredict::Bundle;

/// One version of a model, with its golden rows.
pub struct Version {
    pub version: String,
    pub regression: bool,
    pub golden: Golden,
}

/// One model as the server names it, its versions lowest first, and the version live there
/// according to the models directory.
pub struct Model {
    pub name: String,
    /// The argument it came from (for messages).
    pub origin: PathBuf,
    pub live: String,
    pub versions: Vec<Version>,
}

/// The models under one argument: a bundle directory (one version of the model its manifest
/// names), a models directory (the layout of `wasmpredict::bundle::layout`), or one model's
/// directory of versions (NAME/VERSION/).
pub fn models_in(path: &Path) -> Result<Vec<Model>, String> {
    let at = |e: wasmpredict::BundleError| format!("{}: {e}", path.display());
    if path.join("manifest.json").is_file() {
        let (name, version) = load(path)?;
        let live = version.version.clone();
        return Ok(vec![model(name, path, live, vec![version])?]);
    }
    let mut found = layout::discover(path).map_err(at)?;
    let versions_dir = !found.is_empty()
        && found
            .iter()
            .all(|m| m.versions.len() == 1 && m.versions[0].0 == m.name);
    if versions_dir {
        // NAME/VERSION/ given as NAME/: one model, named by its directory.
        let name = path
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let mut versions: Vec<(String, PathBuf)> =
            found.drain(..).flat_map(|m| m.versions).collect();
        versions.sort_by(|a, b| layout::compare_versions(&a.0, &b.0));
        let traffic = Some(path.join("traffic.json")).filter(|p| p.is_file());
        found = vec![layout::ModelDir {
            name,
            versions,
            traffic,
        }];
    }
    if found.is_empty() {
        return Err(format!(
            "{}: no manifest.json, and no bundles under it",
            path.display()
        ));
    }
    let mut models = Vec::new();
    for dir in found {
        let live = Traffic::initial(&dir).map_err(at)?.live().to_string();
        let mut versions = Vec::new();
        for (_, bundle_dir) in &dir.versions {
            versions.push(load(bundle_dir)?.1);
        }
        models.push(model(dir.name, path, live, versions)?);
    }
    Ok(models)
}

/// A bundle's name and version with its golden rows, its files verified against the manifest.
fn load(dir: &Path) -> Result<(String, Version), String> {
    let at = |e: wasmpredict::BundleError| format!("{}: {e}", dir.display());
    let bundle = Bundle::from_dir(dir).map_err(at)?;
    let golden = match bundle.golden() {
        Some(g) => g.map_err(at)?,
        None => {
            return Err(format!(
                "{}: the bundle has no golden.json to replay",
                dir.display()
            ))
        }
    };
    let m = &bundle.manifest;
    Ok((
        m.name.clone(),
        Version {
            version: m.version.clone(),
            regression: m.task == Task::Regression,
            golden,
        },
    ))
}

fn model(
    name: String,
    origin: &Path,
    live: String,
    versions: Vec<Version>,
) -> Result<Model, String> {
    if versions.is_empty() {
        return Err(format!(
            "{}: model {name} has no versions",
            origin.display()
        ));
    }
    Ok(Model {
        name,
        origin: origin.to_path_buf(),
        live,
        versions,
    })
}
