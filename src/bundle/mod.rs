//! A model bundle: `manifest.json`, the estimator graph and golden predictions.
//!
//! Loading checks, in this order, that the format version is one this build reads, that the
//! manifest parses, and that every file it lists is present with the listed sha256. Nothing
//! here touches the file system except [`Bundle::from_dir`], so the browser and the Worker
//! build bundles from bytes with [`Bundle::from_files`].

mod golden;
pub mod layout;
pub mod limits;
pub mod manifest;
pub mod profile;
mod validate;

pub use golden::{Golden, GoldenRow};
pub use manifest::{Field, FieldKind, Manifest, Step, Task, FORMAT_VERSION};
pub use profile::{FieldProfile, Histogram, Profile};

use crate::error::BundleError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const MANIFEST_FILE: &str = "manifest.json";

/// A verified bundle: the manifest and the bytes of every file it lists.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// Builds a bundle from the manifest bytes and the other files' bytes, verifying them.
    pub fn from_files(
        manifest_json: &[u8],
        mut files: BTreeMap<String, Vec<u8>>,
    ) -> Result<Bundle, BundleError> {
        let manifest = parse_manifest(manifest_json)?;
        for (name, expected) in &manifest.files {
            let bytes = files
                .get(name)
                .ok_or_else(|| BundleError::MissingFile(name.clone()))?;
            limits::check(
                &format!("{name}'s size"),
                bytes.len() as u64,
                limits::MAX_FILE_BYTES,
            )
            .map_err(BundleError::TooLarge)?;
            let actual = sha256_hex(bytes);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(BundleError::HashMismatch {
                    file: name.clone(),
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        files.retain(|name, _| manifest.files.contains_key(name));
        Ok(Bundle { manifest, files })
    }

    /// Reads a bundle directory: `manifest.json` and every file it lists.
    pub fn from_dir(dir: impl AsRef<std::path::Path>) -> Result<Bundle, BundleError> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let path = dir.join(name);
            let io = |source| BundleError::Io {
                path: path.display().to_string(),
                source,
            };
            // The size first: a file past the limit is refused before it is read.
            let size = std::fs::metadata(&path).map_err(io)?.len();
            limits::check(&format!("{name}'s size"), size, limits::MAX_FILE_BYTES)
                .map_err(BundleError::TooLarge)?;
            std::fs::read(&path).map_err(io)
        };
        let manifest_json = read(MANIFEST_FILE)?;
        let manifest = parse_manifest(&manifest_json)?;
        let mut files = BTreeMap::new();
        for name in manifest.files.keys() {
            if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                return Err(BundleError::Manifest(format!(
                    "file name '{name}' must be a plain name"
                )));
            }
            match read(name) {
                Ok(bytes) => {
                    files.insert(name.clone(), bytes);
                }
                Err(BundleError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    return Err(BundleError::MissingFile(name.clone()))
                }
                Err(e) => return Err(e),
            }
        }
        Bundle::from_files(&manifest_json, files)
    }

    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    pub fn model_bytes(&self) -> &[u8] {
        // from_files checked that the model file is listed, hence present.
        self.files
            .get(&self.manifest.model.file)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Total size of the bundle's files in bytes (manifest excluded).
    pub fn size(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    /// The golden predictions, if the bundle has a `golden.json`.
    pub fn golden(&self) -> Option<Result<Golden, BundleError>> {
        self.file(golden::GOLDEN_FILE).map(Golden::parse)
    }
}

/// Checks the format version before anything else, so that a bundle from a newer exporter is
/// refused with a message saying so rather than with a parse error about a field we don't know.
/// The manifest is read as a JSON tree first and its types from that tree: one deserializer
/// for everything (the request bodies' JSON trees use the same), which keeps the wasm small.
fn parse_manifest(bytes: &[u8]) -> Result<Manifest, BundleError> {
    use serde::Deserialize;
    limits::check(
        "manifest.json's size",
        bytes.len() as u64,
        limits::MAX_FILE_BYTES,
    )
    .map_err(BundleError::TooLarge)?;
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| BundleError::Manifest(e.to_string()))?;
    match value.get("format_version").map(|v| v.as_u64()) {
        None => return Err(BundleError::Manifest("format_version is missing".into())),
        Some(None) => {
            return Err(BundleError::Manifest(
                "format_version must be a positive integer".into(),
            ))
        }
        Some(Some(0)) => {
            return Err(BundleError::Manifest(
                "format_version 0 is not valid".into(),
            ))
        }
        Some(Some(found)) if found > u64::from(FORMAT_VERSION) => {
            return Err(BundleError::NewerFormat {
                found: u32::try_from(found).unwrap_or(u32::MAX),
                supported: FORMAT_VERSION,
            })
        }
        Some(Some(_)) => {}
    }
    // Read from the tree as u64 first: on wasm32 a width past usize would otherwise fail as a
    // type error, not as the limit it is.
    if let Some(n) = value.get("n_features").and_then(serde_json::Value::as_u64) {
        limits::check("n_features", n, limits::MAX_FEATURES).map_err(BundleError::TooLarge)?;
    }
    let manifest =
        Manifest::deserialize(&value).map_err(|e| BundleError::Manifest(e.to_string()))?;
    manifest.validate()?;
    Ok(manifest)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
