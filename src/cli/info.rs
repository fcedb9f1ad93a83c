use std::path::Path;
use std::process::ExitCode;
use wasmpredict::bundle::FieldKind;

pub fn run(bundle: &Path, json: bool) -> ExitCode {
    let predictor = match super::load(bundle) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let m = predictor.manifest();
    if json {
        match serde_json::to_string_pretty(m) {
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
        let kind = match f.kind {
            FieldKind::Number => "number",
            FieldKind::Category => "category",
            FieldKind::Text => "text",
            FieldKind::Bool => "bool",
        };
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
