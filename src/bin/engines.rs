//! `wasmpredict-engines DIR...`: for every bundle directory given (or found directly under a
//! directory given), prints `name<TAB>engine` where engine is the one the bundle gets by
//! default: `compact` when the compact engine covers its graph, `tract` otherwise. Exit 2 with
//! one line on stderr for a bundle that cannot be read or whose graph is wrong.
//!
//! Built without tract (`--no-default-features`), so it is quick to build anywhere:
//! scripts/build-worker.sh runs it to decide whether the Worker must link tract.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasmpredict::Bundle;

fn bundle_dirs(arg: &Path) -> Vec<PathBuf> {
    if arg.join("manifest.json").is_file() {
        return vec![arg.to_path_buf()];
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(arg)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("manifest.json").is_file())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if args.is_empty() {
        eprintln!("usage: wasmpredict-engines BUNDLE_OR_DIR...");
        return ExitCode::from(2);
    }
    for dir in args.iter().flat_map(|a| bundle_dirs(a)) {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match Bundle::from_dir(&dir).and_then(|b| wasmpredict::api::default_engine(&b)) {
            Ok(engine) => println!("{name}\t{engine}"),
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
