//! `wasmpredict check --url URL PATH...`: the golden replay of `wasmpredict check`, against a
//! running server instead of in process. Every golden row of every version of every model under
//! PATH is posted to `URL/models/{name}/versions/{version}/predict` (in batches, as
//! `instances`) and compared with [`wasmpredict::check::compare`], the comparator `check` uses;
//! one line per bundle, exit 1 on any mismatch, 2 on an unreachable server or bad arguments.
//! For a model with several versions it also prints how often each version agrees with the live
//! one on both versions' golden inputs (the live version: `--live NAME=VERSION`, else the
//! models directory's). The deploy gate (`cargo xtask deploy`) runs it against the built Worker.

use crate::http_client::Server;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasmpredict::api::Prediction;
use wasmpredict::bundle::{layout, Golden, Task};
use wasmpredict::check::{Answer, GoldenReport};
use wasmpredict::ops::traffic::Traffic;
use wasmpredict::Bundle;

/// Golden rows per request: well under every server's default row and body limits.
const BATCH_ROWS: usize = 200;

/// One version of a model, with its golden rows.
struct Version {
    version: String,
    regression: bool,
    golden: Golden,
}

/// One model as the server names it, its versions lowest first, and the version live there
/// according to the models directory.
struct Model {
    name: String,
    /// The argument it came from (for messages).
    origin: PathBuf,
    live: String,
    versions: Vec<Version>,
}

/// One row's answer, owned.
struct RowAnswer {
    prediction: Prediction,
    probabilities: Option<Vec<f64>>,
    scores: Option<Vec<f64>>,
}

impl RowAnswer {
    fn answer(&self) -> Answer<'_> {
        Answer {
            prediction: &self.prediction,
            probabilities: self.probabilities.as_deref(),
            scores: self.scores.as_deref(),
        }
    }
}

/// Every golden row's answer (or why the server gave none).
type Answers = Vec<Result<RowAnswer, String>>;

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
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(replay(&server, &live, &models)) {
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

/// The models under one argument: a bundle directory (one version of the model its manifest
/// names), a models directory (the layout of `wasmpredict::bundle::layout`), or one model's
/// directory of versions (NAME/VERSION/).
fn models_in(path: &Path) -> Result<Vec<Model>, String> {
    let at = |e: wasmpredict::BundleError| format!("{}: {e}", path.display());
    if path.join("manifest.json").is_file() {
        let (name, version) = load(path)?;
        let live = version.version.clone();
        return Ok(vec![model(name, path, live, vec![version])?]);
    }
    let mut found = layout::discover(path).map_err(at)?;
    let versions_dir = !found.is_empty()
        && found
            .iter()
            .all(|m| m.versions.len() == 1 && m.versions[0].0 == m.name);
    if versions_dir {
        // NAME/VERSION/ given as NAME/: one model, named by its directory.
        let name = path
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let mut versions: Vec<(String, PathBuf)> =
            found.drain(..).flat_map(|m| m.versions).collect();
        versions.sort_by(|a, b| layout::compare_versions(&a.0, &b.0));
        let traffic = Some(path.join("traffic.json")).filter(|p| p.is_file());
        found = vec![layout::ModelDir {
            name,
            versions,
            traffic,
        }];
    }
    if found.is_empty() {
        return Err(format!(
            "{}: no manifest.json, and no bundles under it",
            path.display()
        ));
    }
    let mut models = Vec::new();
    for dir in found {
        let live = Traffic::initial(&dir).map_err(at)?.live().to_string();
        let mut versions = Vec::new();
        for (_, bundle_dir) in &dir.versions {
            versions.push(load(bundle_dir)?.1);
        }
        models.push(model(dir.name, path, live, versions)?);
    }
    Ok(models)
}

/// A bundle's name and version with its golden rows, its files verified against the manifest.
fn load(dir: &Path) -> Result<(String, Version), String> {
    let at = |e: wasmpredict::BundleError| format!("{}: {e}", dir.display());
    let bundle = Bundle::from_dir(dir).map_err(at)?;
    let golden = match bundle.golden() {
        Some(g) => g.map_err(at)?,
        None => {
            return Err(format!(
                "{}: the bundle has no golden.json to replay",
                dir.display()
            ))
        }
    };
    let m = &bundle.manifest;
    Ok((
        m.name.clone(),
        Version {
            version: m.version.clone(),
            regression: m.task == Task::Regression,
            golden,
        },
    ))
}

fn model(
    name: String,
    origin: &Path,
    live: String,
    versions: Vec<Version>,
) -> Result<Model, String> {
    if versions.is_empty() {
        return Err(format!(
            "{}: model {name} has no versions",
            origin.display()
        ));
    }
    Ok(Model {
        name,
        origin: origin.to_path_buf(),
        live,
        versions,
    })
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
                if !asked.contains_key(&(version, source)) {
                    let answers = ask(server, model, version, source).await?;
                    asked.insert((version, source), answers);
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

/// Version `version`'s answers to version `source`'s golden inputs, in batches.
async fn ask(
    server: &Server,
    model: &Model,
    version: usize,
    source: usize,
) -> Result<Answers, String> {
    let v = &model.versions[version];
    let path = format!("/models/{}/versions/{}/predict", model.name, v.version);
    let rows = &model.versions[source].golden.rows;
    let mut answers = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(BATCH_ROWS) {
        let instances: Vec<&serde_json::Map<String, serde_json::Value>> =
            chunk.iter().map(|r| &r.input).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "instances": instances }))
            .map_err(|e| e.to_string())?;
        let (status, bytes) = server.post_json(&path, body).await?;
        match batch_answers(status, &bytes, chunk.len(), v.regression) {
            Ok(batch) => answers.extend(batch.into_iter()),
            Err(why) => answers.extend(chunk.iter().map(|_| Err(why.clone()))),
        }
    }
    Ok(answers)
}

/// A batch response's rows, or why it is not one of `rows` answers.
fn batch_answers(
    status: u16,
    body: &[u8],
    rows: usize,
    regression: bool,
) -> Result<Answers, String> {
    let json: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}, not JSON: {}", String::from_utf8_lossy(body)))?;
    if status != 200 {
        let message = json["error"]["message"]
            .as_str()
            .map_or_else(|| json.to_string(), str::to_string);
        return Err(format!("refused: HTTP {status}: {message}"));
    }
    let predictions = json["predictions"]
        .as_array()
        .filter(|p| p.len() == rows)
        .ok_or_else(|| format!("the answer holds no {rows} predictions: {json}"))?;
    let per_row = |name: &str| -> Result<Option<Vec<Vec<f64>>>, String> {
        match json.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => serde_json::from_value::<Vec<Vec<f64>>>(v.clone())
                .ok()
                .filter(|rows_of| rows_of.len() == rows)
                .map(Some)
                .ok_or_else(|| format!("`{name}` is not {rows} rows of numbers: {v}")),
        }
    };
    let mut probabilities = per_row("probabilities")?.map(Vec::into_iter);
    let mut scores = per_row("scores")?.map(Vec::into_iter);
    Ok(predictions
        .iter()
        .map(|p| {
            let prediction = if regression {
                Prediction::Value(
                    p.as_f64()
                        .ok_or_else(|| format!("prediction {p} is not a number"))?,
                )
            } else {
                Prediction::Class(p.clone())
            };
            Ok(RowAnswer {
                prediction,
                probabilities: probabilities.as_mut().and_then(Iterator::next),
                scores: scores.as_mut().and_then(Iterator::next),
            })
        })
        .collect())
}
