//! `wasmpredict-engines DIR...`: for every bundle directory given (or found under a models
//! directory given, every version of every model), prints `name<TAB>version<TAB>engine` where
//! engine is the one the bundle gets by default: `compact` when the compact engine covers its
//! graph, `tract` otherwise. Exit 2 with one line on stderr for a bundle that cannot be read
//! or whose graph is wrong.
//!
//! `wasmpredict-engines --layout MODELS_DIR` prints the models directory as JSON instead:
//! `[{"name", "live", "versions": [{"version", "dir"}]}]` (scripts/build-web.sh copies the
//! bundles by it, so the layout rule lives only in `wasmpredict::bundle::layout`).
//!
//! Built without tract (`--no-default-features`), so it is quick to build anywhere:
//! scripts/build-worker.sh runs it to decide whether the Worker must link tract.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasmpredict::bundle::layout;
use wasmpredict::{Bundle, BundleError};

fn layout_json(dir: &Path) -> Result<String, BundleError> {
    let mut out = Vec::new();
    for model in layout::discover(dir)? {
        let versions: Vec<serde_json::Value> = model
            .versions
            .iter()
            .map(|(v, d)| serde_json::json!({"version": v, "dir": d}))
            .collect();
        out.push(serde_json::json!({"name": model.name, "live": model.initial_traffic()?.live(), "versions": versions}));
    }
    Ok(serde_json::Value::from(out).to_string())
}

fn main() -> ExitCode {
    let mut args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if args.first().is_some_and(|a| a.as_os_str() == "--layout") {
        args.remove(0);
        let [dir] = args.as_slice() else {
            eprintln!("usage: wasmpredict-engines --layout MODELS_DIR");
            return ExitCode::from(2);
        };
        return match layout_json(dir) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                ExitCode::from(2)
            }
        };
    }
    if args.is_empty() {
        eprintln!("usage: wasmpredict-engines BUNDLE_OR_MODELS_DIR... | --layout MODELS_DIR");
        return ExitCode::from(2);
    }
    for arg in &args {
        let dirs = match layout::bundle_dirs(arg) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {}: {e}", arg.display());
                return ExitCode::from(2);
            }
        };
        for dir in dirs {
            let engine = Bundle::from_dir(&dir).and_then(|b| {
                let m = &b.manifest;
                wasmpredict::api::default_engine(&b)
                    .map(|e| format!("{}\t{}\t{e}", m.name, m.version))
            });
            match engine {
                Ok(line) => println!("{line}"),
                Err(e) => {
                    eprintln!("error: {}: {e}", dir.display());
                    return ExitCode::from(2);
                }
            }
        }
    }
    ExitCode::SUCCESS
}
