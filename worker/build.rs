//! Embeds every bundle under the models directory (`WASMPREDICT_MODELS`, default ../models: each
//! directory with a manifest.json) into the Worker: adding a bundle directory and rebuilding
//! serves it. Refuses to embed a bundle this build could not serve: one whose graph needs tract
//! when the `tract` feature is off (scripts/build-worker.sh turns it on exactly then).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use wasmpredict::infer::Engine;

fn main() {
    println!("cargo:rerun-if-env-changed=WASMPREDICT_MODELS");
    let models = std::env::var_os("WASMPREDICT_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../models"));
    println!("cargo:rerun-if-changed={}", models.display());
    let with_tract = std::env::var_os("CARGO_FEATURE_TRACT").is_some();
    let mut out = String::from("/// (name, manifest.json, other files) of every embedded bundle.\npub static BUNDLES: &[(&str, &[u8], &[(&str, &[u8])])] = &[\n");
    let mut dirs: Vec<_> = std::fs::read_dir(&models)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", models.display()))
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
        println!("cargo:rerun-if-changed={}", dir.display());
        let bundle =
            wasmpredict::Bundle::from_dir(&dir).unwrap_or_else(|e| panic!("bundle {name}: {e}"));
        let engine = wasmpredict::api::default_engine(&bundle)
            .unwrap_or_else(|e| panic!("bundle {name}: {e}"));
        if engine == Engine::Tract && !with_tract {
            panic!(
                "bundle {name} needs the tract engine: build the Worker with --features tract \
                 (scripts/build-worker.sh does so when a bundle needs it)"
            );
        }
        // The files the manifest lists (and that from_dir just verified), nothing else.
        let files: Vec<&String> = bundle.manifest.files.keys().collect();
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
                dir.join(f).display().to_string()
            )
            .unwrap();
        }
        out.push_str("]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("bundles.rs");
    std::fs::write(dest, out).expect("write bundles.rs");
}
