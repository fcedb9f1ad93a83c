//! Where bundles live in a models directory, as TF Serving lays them out:
//! `DIR/NAME/manifest.json` is the one version of model NAME; `DIR/NAME/VERSION/manifest.json`
//! are its versions, side by side. `DIR/NAME/traffic.json` (optional) is the traffic a server
//! starts with (read by `ops::traffic`); without it the highest version is live.

use crate::error::BundleError;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// One model of a models directory: its versions' bundle directories, lowest version first.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDir {
    pub name: String,
    pub versions: Vec<(String, PathBuf)>,
    /// `NAME/traffic.json`, if there is one.
    pub traffic: Option<PathBuf>,
}

#[derive(serde::Deserialize)]
struct NameAndVersion {
    name: String,
    version: String,
}

fn read_name_version(dir: &Path) -> Result<NameAndVersion, BundleError> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|source| BundleError::Io {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| BundleError::Manifest(format!("{}: {e}", path.display())))
}

impl ModelDir {
    /// The versions, lowest first.
    pub fn version_names(&self) -> Vec<&str> {
        self.versions.iter().map(|(v, _)| v.as_str()).collect()
    }

    /// The bytes of `traffic.json`, if the model has one ([`crate::ops::traffic`] reads them).
    pub fn traffic_bytes(&self) -> Result<Option<Vec<u8>>, BundleError> {
        let Some(path) = &self.traffic else {
            return Ok(None);
        };
        std::fs::read(path)
            .map(Some)
            .map_err(|source| BundleError::Io {
                path: path.display().to_string(),
                source,
            })
    }
}

/// Every model under `models`, by name. A versioned model's directories must be named after
/// the versions their manifests declare, and declare the model's name.
pub fn discover(models: &Path) -> Result<Vec<ModelDir>, BundleError> {
    let io = |source| BundleError::Io {
        path: models.display().to_string(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(models).map_err(io)? {
        let dir = entry.map_err(io)?.path();
        let Some(name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            continue;
        };
        if name.starts_with('.') || !dir.is_dir() {
            continue;
        }
        let traffic = Some(dir.join("traffic.json")).filter(|p| p.is_file());
        if dir.join("manifest.json").is_file() {
            let declared = read_name_version(&dir)?;
            out.push(ModelDir {
                name,
                versions: vec![(declared.version, dir)],
                traffic,
            });
            continue;
        }
        let mut versions = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let sub = entry.map_err(io)?.path();
            if !sub.join("manifest.json").is_file() {
                continue;
            }
            let declared = read_name_version(&sub)?;
            let dir_name = sub.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if declared.version != dir_name || declared.name != name {
                return Err(BundleError::Manifest(format!(
                    "{} declares model '{}' version '{}'; a versioned bundle must sit in {}/{}/",
                    sub.join("manifest.json").display(),
                    declared.name,
                    declared.version,
                    declared.name,
                    declared.version
                )));
            }
            versions.push((declared.version, sub));
        }
        if versions.is_empty() {
            continue;
        }
        versions.sort_by(|a, b| compare_versions(&a.0, &b.0));
        out.push(ModelDir {
            name,
            versions,
            traffic,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// A bundle directory itself, or every version of every model under a models directory (or
/// under one model's directory of versions), lowest version first.
pub fn bundle_dirs(path: &Path) -> Result<Vec<PathBuf>, BundleError> {
    if path.join("manifest.json").is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    Ok(discover(path)?
        .into_iter()
        .flat_map(|m| m.versions.into_iter().map(|(_, dir)| dir))
        .collect())
}

/// Orders versions the way people read them: `1.10.0` after `1.9.0`; dot-separated parts
/// compare as numbers when both are numbers, as text otherwise.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let mut left = a.split(['.', '-', '+']);
    let mut right = b.split(['.', '-', '+']);
    loop {
        match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_numerically() {
        let mut v = vec!["1.10.0", "1.9.0", "1.0.0", "2.0.0-rc1", "1.9.0-beta"];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(v, ["1.0.0", "1.9.0", "1.9.0-beta", "1.10.0", "2.0.0-rc1"]);
    }
}
