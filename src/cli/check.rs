use std::path::PathBuf;
use std::process::ExitCode;
use wasmpredict::check::replay;

pub fn run(bundles: &[PathBuf]) -> ExitCode {
    let mut failed = false;
    for dir in bundles {
        let predictor = match super::load(dir) {
            Ok(p) => p,
            Err(_) => {
                failed = true;
                continue;
            }
        };
        let m = predictor.manifest();
        let golden = match predictor.bundle().golden() {
            Some(Ok(g)) => g,
            Some(Err(e)) => {
                eprintln!("error: {}: {e}", dir.display());
                failed = true;
                continue;
            }
            None => {
                eprintln!("error: {}: the bundle has no golden.json to replay", dir.display());
                failed = true;
                continue;
            }
        };
        let report = replay(&predictor, &golden);
        if report.ok() {
            println!(
                "ok   {} {}: {}/{} golden rows match sklearn (max abs diff {:.2e}, tolerance {:.0e})",
                m.name, m.version, report.matched, report.rows, report.max_abs_diff, golden.tolerance
            );
        } else {
            failed = true;
            println!("FAIL {} {}: {}/{} golden rows match sklearn", m.name, m.version, report.matched, report.rows);
            for line in report.mismatches.iter().take(10) {
                println!("     {line}");
            }
            if report.mismatches.len() > 10 {
                println!("     ... {} more", report.mismatches.len() - 10);
            }
        }
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
