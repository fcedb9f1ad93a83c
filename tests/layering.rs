//! The core's layers (src/lib.rs): a module may use only the modules of the layers below its own.
//! Reads every `crate::` path (and every `super::` path that leaves its top-level module) in
//! src/, comments left out, and fails on one that climbs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module and its layer, lowest first: the order src/lib.rs documents.
const LAYERS: &[&[&str]] = &[
    &["error", "decimal"],
    &["bundle"],
    &["input"],
    &["featurize"],
    &["infer"],
    &["explain", "drift"],
    &["api"],
    &["check", "ops"],
    &["http"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's module path under src/: `src/infer/trees/eval.rs` -> [infer, trees, eval],
/// `src/infer/mod.rs` -> [infer], `src/lib.rs` -> [].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src/");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without its comments (line comments; string contents are kept, which
/// at worst reports a `crate::` spelled inside a string, never hides one).
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut previous = '\0';
        let mut kept = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '"' if previous != '\\' => in_string = !in_string,
                '/' if !in_string && previous == '/' => {
                    kept = i - 1;
                    break;
                }
                _ => {}
            }
            previous = c;
        }
        out.push_str(&line[..kept]);
        out.push('\n');
    }
    out
}

/// The top-level modules a file's code names: `crate::X` and `super::` chains that leave the
/// file's own top-level module.
fn named_modules(module: &[String], code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        out.push(ident(&code[i + "crate::".len()..]));
    }
    // `super::` from a file at depth d resolves to depth d - 1 (a module's own file is at the
    // depth of its path; its children's at one more).
    for (i, _) in code.match_indices("super::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut rest = &code[i..];
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        if ups >= module.len() {
            out.push(ident(rest));
        }
    }
    out
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut climbs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let module = module_path(&src, file);
        let Some(top) = module.first() else { continue };
        let Some(own) = layer_of(top) else {
            unplaced.push(top.clone());
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable");
        for used in named_modules(&module, &code(&text)) {
            if used == *top || used.is_empty() {
                continue;
            }
            match layer_of(&used) {
                Some(layer) if layer < own => {}
                _ => climbs
                    .entry(file.strip_prefix(&src).unwrap().display().to_string())
                    .or_default()
                    .push(used),
            }
        }
    }
    unplaced.sort();
    unplaced.dedup();
    assert!(
        unplaced.is_empty(),
        "top-level modules missing from LAYERS (and from src/lib.rs's layers): {unplaced:?}"
    );
    assert!(
        climbs.is_empty(),
        "imports that climb the layers (src/lib.rs): {climbs:#?}"
    );
}

#[test]
fn the_reader_finds_what_it_must() {
    let module = vec!["bundle".to_string(), "layout".to_string()];
    let code =
        code("use crate::ops::traffic::Traffic; // crate::http\nlet x = super::super::api::y;\n");
    assert_eq!(named_modules(&module, &code), ["ops", "api"]);
}
