//! `wasmpredict bench`: load time, single-row latency and batch throughput of a bundle, end to
//! end through the request handler (JSON bytes in, response out), on the golden inputs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub fn run(bundles: &[PathBuf], iterations: usize, batch: usize) -> ExitCode {
    println!(
        "{:<20} {:>10} {:>12} {:>12} {:>14} {:>14}",
        "bundle", "load ms", "single p50", "single p90", "batch/row", "batch rows/s"
    );
    for dir in bundles {
        let started = Instant::now();
        let predictor = match super::load(dir) {
            Ok(p) => p,
            Err(code) => return code,
        };
        let load = started.elapsed();
        let golden = match predictor.bundle().golden() {
            Some(Ok(g)) if !g.rows.is_empty() => g,
            _ => {
                eprintln!("error: {}: bench needs golden.json inputs", dir.display());
                return ExitCode::from(2);
            }
        };
        let singles: Vec<Vec<u8>> = golden
            .rows
            .iter()
            .map(|r| {
                serde_json::to_vec(&serde_json::json!({ "record": r.input })).unwrap_or_default()
            })
            .collect();
        let instances: Vec<&serde_json::Map<String, serde_json::Value>> = golden
            .rows
            .iter()
            .map(|r| &r.input)
            .cycle()
            .take(batch)
            .collect();
        let batch_body =
            serde_json::to_vec(&serde_json::json!({ "instances": instances })).unwrap_or_default();

        // Warm-up, then timed single-row requests cycling through the golden inputs.
        for body in singles.iter().take(20) {
            let _ = predictor.handle(body);
        }
        let mut times: Vec<Duration> = Vec::with_capacity(iterations);
        for body in singles.iter().cycle().take(iterations) {
            let t = Instant::now();
            if let Err(e) = predictor.handle(body) {
                eprintln!("error: {}: {e}", dir.display());
                return ExitCode::from(1);
            }
            times.push(t.elapsed());
        }
        times.sort_unstable();
        let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];

        let _ = predictor.handle(&batch_body);
        let rounds = (iterations / batch.max(1)).clamp(3, 50);
        let mut batch_times: Vec<Duration> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                let _ = predictor.handle(&batch_body);
                t.elapsed()
            })
            .collect();
        batch_times.sort_unstable();
        let per_batch = batch_times[batch_times.len() / 2];
        let per_row = per_batch / batch as u32;
        let name = predictor.manifest().name.clone();
        println!(
            "{:<20} {:>10.1} {:>10.1}us {:>10.1}us {:>12.2}us {:>14.0}",
            name,
            load.as_secs_f64() * 1e3,
            pct(0.5).as_secs_f64() * 1e6,
            pct(0.9).as_secs_f64() * 1e6,
            per_row.as_secs_f64() * 1e6,
            batch as f64 / per_batch.as_secs_f64(),
        );
    }
    ExitCode::SUCCESS
}
