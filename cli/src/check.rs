use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A bundle directory as given, or every version of every model under a directory without a
/// manifest (a models directory, or a model's directory of versions).
fn expand(arg: &Path) -> Result<Vec<PathBuf>, String> {
    let dirs = wasmpredict::bundle::layout::bundle_dirs(arg)
        .map_err(|e| format!("{}: {e}", arg.display()))?;
    if dirs.is_empty() {
        return Err(format!(
            "{}: no manifest.json, and no bundles under it",
            arg.display()
        ));
    }
    Ok(dirs)
}

pub fn run(args: &[PathBuf], engine: Option<wasmpredict::infer::Engine>) -> ExitCode {
    // 2 if any bundle could not be loaded, else 1 if any golden row disagreed.
    let mut bad_bundle = false;
    let mut failed = false;
    let mut bundles = Vec::new();
    for arg in args {
        match expand(arg) {
            Ok(dirs) => bundles.extend(dirs),
            Err(e) => {
                eprintln!("error: {e}");
                bad_bundle = true;
            }
        }
    }
    for dir in &bundles {
        let predictor = match crate::load(dir, engine) {
            Ok(p) => p,
            Err(_) => {
                bad_bundle = true;
                continue;
            }
        };
        let m = predictor.manifest();
        let report = match wasmpredict::check::bundle(&predictor) {
            Ok(report) => report,
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                bad_bundle = true;
                continue;
            }
        };
        if report.ok() {
            println!(
                "ok   {} {}: {}/{} golden rows match sklearn (max abs diff {:.2e}, tolerance {:.0e})",
                m.name, m.version, report.matched, report.rows, report.max_abs_diff, report.tolerance
            );
        } else {
            failed = true;
            println!(
                "FAIL {} {}: {}/{} golden rows match sklearn",
                m.name, m.version, report.matched, report.rows
            );
            for line in report.mismatches.iter().take(10) {
                println!("     {line}");
            }
            if report.mismatches.len() > 10 {
                println!("     ... {} more", report.mismatches.len() - 10);
            }
        }
    }
    if bad_bundle {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
