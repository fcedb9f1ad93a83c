//! `wasmpredict check --url URL PATH...`: the golden replay of `wasmpredict check`, against a
//! running server instead of in process. Every golden row of every version of every model under
//! PATH is posted to `URL/models/{name}/versions/{version}/predict` (in batches, as
//! `instances`) and compared with [`wasmpredict::check::compare`], the comparator `check` uses;
//! one line per bundle, exit 1 on any mismatch, 2 on an unreachable server or bad arguments.
//! For a model with several versions it also prints how often each version agrees with the live
//! one on both versions' golden inputs (the live version: `--live NAME=VERSION`, else the
//! models directory's). The deploy gate (`cargo xtask deploy`) runs it against the built Worker.

mod answers;
mod models;

use crate::http_client::{block_on, Server};
use answers::{ask, Answers, RowAnswer};
use models::{models_in, Model, Version};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use wasmpredict::api::Prediction;
use wasmpredict::check::GoldenReport;

pub fn run(paths: &[PathBuf], url: &str, live: &[String]) -> ExitCode {
    let setup = Server::parse(url).and_then(|server| {
        let live = parse_live(live)?;
        let mut models = Vec::new();
        for path in paths {
            models.extend(models_in(path)?);
        }
        Ok((server, live, models))
    });
    let (server, live, models) = match setup {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let replayed = match block_on(replay(&server, &live, &models)) {
        Ok(replayed) => replayed,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match replayed {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: cannot reach {}: {e}", server.url());
            ExitCode::from(2)
        }
    }
}

/// `--live NAME=VERSION` arguments as a map.
fn parse_live(args: &[String]) -> Result<BTreeMap<String, String>, String> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => {
                Ok((name.to_string(), version.to_string()))
            }
            _ => Err(format!("--live {a}: give NAME=VERSION")),
        })
        .collect()
}

/// Replays every model; Ok(whether every golden row matched), Err when the server cannot be
/// reached.
async fn replay(
    server: &Server,
    deployed: &BTreeMap<String, String>,
    models: &[Model],
) -> Result<bool, String> {
    let mut all_ok = true;
    for model in models {
        // Each version's answers on each version's golden inputs, asked once.
        let mut asked: BTreeMap<(usize, usize), Answers> = BTreeMap::new();
        for (i, v) in model.versions.iter().enumerate() {
            let answers = ask(server, model, i, i).await?;
            let mut report = GoldenReport::new(&v.golden);
            for (row, answer) in answers.iter().enumerate() {
                let answer = answer
                    .as_ref()
                    .map(RowAnswer::answer)
                    .map_err(String::clone);
                report.add(row, answer, &v.golden);
            }
            all_ok &= print_report(model, v, &report, server);
            asked.insert((i, i), answers);
        }
        if model.versions.len() > 1 {
            agreement(server, model, deployed, &mut asked).await?;
        }
    }
    Ok(all_ok)
}

fn print_report(model: &Model, v: &Version, report: &GoldenReport, server: &Server) -> bool {
    if report.ok() {
        println!(
            "ok   {} {}: {}/{} golden rows match sklearn at {} (max abs diff {:.2e}, tolerance {:.0e})",
            model.name,
            v.version,
            report.matched,
            report.rows,
            server.url(),
            report.max_abs_diff,
            v.golden.tolerance
        );
        return true;
    }
    println!(
        "FAIL {} {}: {}/{} golden rows match sklearn at {}",
        model.name,
        v.version,
        report.matched,
        report.rows,
        server.url()
    );
    for line in report.mismatches.iter().take(10) {
        println!("     {line}");
    }
    if report.mismatches.len() > 10 {
        println!("     ... {} more", report.mismatches.len() - 10);
    }
    false
}

/// How often each version agrees with the live one, on both versions' golden inputs.
async fn agreement(
    server: &Server,
    model: &Model,
    deployed: &BTreeMap<String, String>,
    asked: &mut BTreeMap<(usize, usize), Answers>,
) -> Result<(), String> {
    let live_version = deployed.get(&model.name).unwrap_or(&model.live);
    let Some(live) = model
        .versions
        .iter()
        .position(|v| &v.version == live_version)
    else {
        println!(
            "     live deployment serves {} {live_version}, which {} lacks: agreement not measured for {}",
            model.name,
            model.origin.display(),
            model.name
        );
        return Ok(());
    };
    for (other, v) in model.versions.iter().enumerate() {
        if other == live {
            continue;
        }
        let mut parts = Vec::new();
        for source in [live, other] {
            for version in [live, other] {
                if let Entry::Vacant(slot) = asked.entry((version, source)) {
                    slot.insert(ask(server, model, version, source).await?);
                }
            }
            let source_name = &model.versions[source].version;
            let rows = model.versions[source].golden.rows.len();
            parts.push(
                match agree(&asked[&(live, source)], &asked[&(other, source)]) {
                    Ok(Agreement::SameClass(share)) => format!(
                        "{:.1}% same class on {source_name}'s {rows} golden rows",
                        100.0 * share
                    ),
                    Ok(Agreement::MeanAbsDifference(mad)) => {
                        format!("mean |difference| {mad:.3e} on {source_name}'s {rows} golden rows")
                    }
                    Err(why) => format!("not measured on {source_name}'s golden rows ({why})"),
                },
            );
        }
        println!(
            "     {} {} vs live {}: {}",
            model.name,
            v.version,
            model.versions[live].version,
            parts.join("; ")
        );
    }
    Ok(())
}

enum Agreement {
    SameClass(f64),
    MeanAbsDifference(f64),
}

fn agree(a: &Answers, b: &Answers) -> Result<Agreement, String> {
    let mut same = 0usize;
    let mut sum = 0.0;
    let mut regression = false;
    for (x, y) in a.iter().zip(b) {
        let (x, y) = match (x, y) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) => return Err(e.clone()),
        };
        match (&x.prediction, &y.prediction) {
            (Prediction::Value(p), Prediction::Value(q)) => {
                regression = true;
                sum += (p - q).abs();
            }
            (p, q) => same += usize::from(p == q),
        }
    }
    let n = a.len().max(1) as f64;
    Ok(if regression {
        Agreement::MeanAbsDifference(sum / n)
    } else {
        Agreement::SameClass(same as f64 / n)
    })
}
