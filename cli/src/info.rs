use std::path::Path;
use std::process::ExitCode;

pub fn run(bundle: &Path, json: bool, engine: Option<wasmpredict::infer::Engine>) -> ExitCode {
    let predictor = match crate::load(bundle, engine) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let m = predictor.manifest();
    if json {
        // The manifest, and what loading it decided.
        let mut value = serde_json::to_value(m).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("engine".into(), serde_json::json!(predictor.engine()));
            object.insert(
                "engine_reason".into(),
                serde_json::json!(predictor.why_tract()),
            );
            object.insert(
                "size_bytes".into(),
                serde_json::json!(predictor.bundle().size()),
            );
        }
        match serde_json::to_string_pretty(&value) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    println!(
        "{} {} (bundle format {})",
        m.name, m.version, m.format_version
    );
    if let Some(d) = &m.description {
        println!("  {d}");
    }
    println!("task:       {:?}, estimator {}", m.task, m.estimator);
    match predictor.why_tract() {
        Some(why) => println!("engine:     {} ({why})", predictor.engine()),
        None => println!("engine:     {}", predictor.engine()),
    }
    if let Some(classes) = &m.classes {
        let c: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
        println!("classes:    {}", c.join(", "));
    }
    println!(
        "features:   {} raw fields -> {} model features",
        m.input.len(),
        m.n_features
    );
    println!(
        "size:       {} bytes of files ({} bytes {})",
        predictor.bundle().size(),
        predictor.bundle().model_bytes().len(),
        m.model.file
    );
    if let Some(c) = &m.created_by {
        println!("created by: {c}");
    }
    println!("fields:");
    for f in &m.input {
        let kind = f.kind.name();
        let mut detail = String::new();
        if let Some(s) = &f.stats {
            if let (Some(lo), Some(hi)) = (s.min, s.max) {
                detail = format!("range {lo} .. {hi}");
            } else if let Some(freq) = &s.frequencies {
                let v: Vec<String> = freq.iter().take(6).map(|(v, _)| v.to_string()).collect();
                detail = format!(
                    "{}{}",
                    v.join(", "),
                    if freq.len() > 6 { ", ..." } else { "" }
                );
            } else if let Some(l) = &s.length {
                detail = format!("length {} .. {} chars", l.min, l.max);
            }
        }
        println!(
            "  {:<20} {:<8} {}{}",
            f.name,
            kind,
            if f.nullable { "nullable " } else { "" },
            detail
        );
    }
    ExitCode::SUCCESS
}
