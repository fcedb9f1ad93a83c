//! Embeds every bundle under ../models (a directory with a manifest.json) into the Worker:
//! adding a bundle directory and rebuilding serves it.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    println!("cargo:rerun-if-changed={}", models.display());
    let mut out = String::from("/// (name, manifest.json, other files) of every embedded bundle.\npub static BUNDLES: &[(&str, &[u8], &[(&str, &[u8])])] = &[\n");
    let mut dirs: Vec<_> = std::fs::read_dir(&models)
        .expect("models/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 bundle name");
        let dir = dir.canonicalize().expect("canonical path");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("bundle dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
            .filter(|n| n != "manifest.json" && !n.starts_with('.'))
            .collect();
        files.sort();
        write!(
            out,
            "    ({name:?}, include_bytes!({:?}), &[",
            dir.join("manifest.json").display().to_string()
        )
        .unwrap();
        for f in files {
            write!(
                out,
                "({f:?}, include_bytes!({:?})), ",
                dir.join(&f).display().to_string()
            )
            .unwrap();
        }
        out.push_str("]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("bundles.rs");
    std::fs::write(dest, out).expect("write bundles.rs");
}
