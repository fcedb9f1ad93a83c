//! `wasmpredict bench`: load time, single-row latency and batch throughput of a bundle, end to
//! end through the request handler (JSON bytes in, response JSON bytes out), on the golden inputs.
//!
//! The protocol is the one every runtime follows in `./bench.sh` (BENCHMARKS.md): warm up, then
//! `rounds` rounds; a round's figure is the median of its calls; we report the median of the
//! round figures with their min and max, so the spread is visible.

use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

pub struct Plan {
    pub iterations: usize,
    pub batch: usize,
    pub rounds: usize,
    pub json: bool,
    pub engine: Option<wasmpredict::infer::Engine>,
}

/// Median of the round figures, with the lowest and highest round.
#[derive(Serialize)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(mut rounds: Vec<f64>) -> Spread {
        rounds.sort_by(f64::total_cmp);
        Spread {
            median: rounds.get(rounds.len() / 2).copied().unwrap_or(f64::NAN),
            min: rounds.first().copied().unwrap_or(f64::NAN),
            max: rounds.last().copied().unwrap_or(f64::NAN),
        }
    }
}

#[derive(Serialize)]
struct Report {
    bundle: String,
    engine: wasmpredict::infer::Engine,
    /// The request shape timed: "features" (positional rows, for all-number schemas: the
    /// textbook body) or "record" (named fields).
    body: &'static str,
    load_ms: Spread,
    single_us: Spread,
    /// 99th percentile of every timed single-row call of every round.
    single_p99_us: f64,
    batch_rows: usize,
    batch_ms: Spread,
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub fn run(bundles: &[PathBuf], plan: &Plan) -> ExitCode {
    if !plan.json {
        println!(
            "{:<20} {:<8} {:>10} {:>12} {:>12} {:>14} {:>14}",
            "bundle", "engine", "load ms", "single p50", "single p99", "batch/row", "batch rows/s"
        );
    }
    for dir in bundles {
        match bench_one(dir, plan) {
            Ok(r) if plan.json => match serde_json::to_string(&r) {
                Ok(line) => println!("{line}"),
                Err(e) => {
                    eprintln!("error: {}: {e}", dir.display());
                    return ExitCode::from(1);
                }
            },
            Ok(r) => println!(
                "{:<20} {:<8} {:>10.1} {:>10.1}us {:>10.1}us {:>12.2}us {:>14.0}",
                r.bundle,
                r.engine.to_string(),
                r.load_ms.median,
                r.single_us.median,
                r.single_p99_us,
                r.batch_ms.median * 1e3 / r.batch_rows as f64,
                r.batch_rows as f64 / (r.batch_ms.median / 1e3),
            ),
            Err(code) => return code,
        }
    }
    ExitCode::SUCCESS
}

fn bench_one(dir: &std::path::Path, plan: &Plan) -> Result<Report, ExitCode> {
    let mut loads = Vec::with_capacity(plan.rounds);
    let mut predictor = None;
    for _ in 0..plan.rounds {
        let started = Instant::now();
        let p = crate::load(dir, plan.engine)?;
        loads.push(started.elapsed().as_secs_f64() * 1e3);
        predictor = Some(p);
    }
    let Some(predictor) = predictor else {
        return Err(ExitCode::from(2));
    };
    let golden = match predictor.bundle().golden() {
        Some(Ok(g)) if !g.rows.is_empty() => g,
        _ => {
            eprintln!("error: {}: bench needs golden.json inputs", dir.display());
            return Err(ExitCode::from(2));
        }
    };
    // Positional rows when every field is a number (what the textbook and the benchmark pages
    // send), named records otherwise.
    let fields = &predictor.manifest().input;
    let positional = fields
        .iter()
        .all(|f| f.kind == wasmpredict::bundle::FieldKind::Number);
    let row = |input: &serde_json::Map<String, serde_json::Value>| -> serde_json::Value {
        if positional {
            fields
                .iter()
                .map(|f| input.get(&f.name).cloned().unwrap_or_default())
                .collect()
        } else {
            serde_json::Value::Object(input.clone())
        }
    };
    let key = if positional { "features" } else { "record" };
    let singles: Vec<Vec<u8>> = golden
        .rows
        .iter()
        .map(|r| serde_json::to_vec(&serde_json::json!({ key: row(&r.input) })).unwrap_or_default())
        .collect();
    let instances: Vec<serde_json::Value> = golden
        .rows
        .iter()
        .map(|r| row(&r.input))
        .cycle()
        .take(plan.batch)
        .collect();
    let batch_body =
        serde_json::to_vec(&serde_json::json!({ "instances": instances })).unwrap_or_default();
    let call = |body: &[u8]| -> Result<Duration, ExitCode> {
        let t = Instant::now();
        // What a server does: JSON bytes in, the response's JSON bytes out.
        match predictor.answer_json(body, usize::MAX, &|| 0.0) {
            Ok(_) => Ok(t.elapsed()),
            Err(e) => {
                eprintln!("error: {}: {e}", dir.display());
                Err(ExitCode::from(1))
            }
        }
    };

    for body in singles.iter().cycle().take(200) {
        call(body)?;
    }
    let mut every = Vec::with_capacity(plan.iterations * plan.rounds);
    let mut single_rounds = Vec::with_capacity(plan.rounds);
    let mut inputs = singles.iter().cycle();
    for _ in 0..plan.rounds {
        let mut round = Vec::with_capacity(plan.iterations);
        for body in inputs.by_ref().take(plan.iterations) {
            round.push(micros(call(body)?));
        }
        every.extend_from_slice(&round);
        single_rounds.push(Spread::of(round).median);
    }
    every.sort_by(f64::total_cmp);
    let p99 = every[((every.len() - 1) as f64 * 0.99) as usize];

    for _ in 0..2 {
        call(&batch_body)?;
    }
    let calls = (plan.iterations / 50).clamp(3, 10);
    let mut batch_rounds = Vec::with_capacity(plan.rounds);
    for _ in 0..plan.rounds {
        let mut round = Vec::with_capacity(calls);
        for _ in 0..calls {
            round.push(call(&batch_body)?.as_secs_f64() * 1e3);
        }
        batch_rounds.push(Spread::of(round).median);
    }
    Ok(Report {
        bundle: predictor.manifest().name.clone(),
        engine: predictor.engine(),
        body: key,
        load_ms: Spread::of(loads),
        single_us: Spread::of(single_rounds),
        single_p99_us: p99,
        batch_rows: plan.batch,
        batch_ms: Spread::of(batch_rounds),
    })
}
