//! Where things are: the repository, the native target directory, and the wasm builds' own.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Paths {
    /// The repository root (the workspace's).
    pub root: PathBuf,
    /// The native builds' target directory (`CARGO_TARGET_DIR`, else `target`).
    pub target: PathBuf,
    /// The wasm builds' target directory, apart from the native one: cargo holds a target
    /// directory's lock for a whole invocation, and the wasm side (mostly one long
    /// single-threaded link per build) compiles while the native tests run.
    pub wasm_target: PathBuf,
}

impl Paths {
    pub fn new() -> Paths {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let wasm_target = std::env::var_os("WASMPREDICT_WASM_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| target.join("wasm"));
        Paths {
            root,
            target,
            wasm_target,
        }
    }

    /// A path under the repository root.
    pub fn at(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Paths under the repository root.
    pub fn all(&self, relative: &[&str]) -> Vec<PathBuf> {
        relative.iter().map(|r| self.root.join(r)).collect()
    }

    /// Where content-hash stamps of the wasm builds live.
    pub fn stamps(&self) -> PathBuf {
        self.wasm_target.join("stamps")
    }

    /// The debug build of the wasmpredict CLI (what the tests and the gate run).
    pub fn cli_debug(&self) -> PathBuf {
        self.target.join("debug/wasmpredict")
    }
}
