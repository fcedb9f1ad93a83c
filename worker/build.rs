//! Embeds every bundle under the models directory (`WASMPREDICT_MODELS`, default ../models; the
//! layout of `wasmpredict::bundle::layout`: NAME/ or NAME/VERSION/ with a manifest.json, and an
//! optional NAME/traffic.json) into the Worker: adding a bundle directory and rebuilding serves
//! it. Refuses to embed a bundle this build could not serve: one whose graph needs tract when
//! the `tract` feature is off (`cargo xtask build worker` turns it on exactly then).

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
    let found = wasmpredict::bundle::layout::discover(&models)
        .unwrap_or_else(|e| panic!("cannot read the models under {}: {e}", models.display()));
    let mut out = String::from("/// (name, version, manifest.json, other files) of an embedded bundle.\npub type Embedded = (&'static str, &'static str, &'static [u8], &'static [(&'static str, &'static [u8])]);\n/// Every embedded bundle.\npub static BUNDLES: &[Embedded] = &[\n");
    let mut traffic = String::from("/// (name, traffic.json) of every model that has one.\npub static TRAFFIC: &[(&str, &[u8])] = &[\n");
    for model in found {
        let name = &model.name;
        println!("cargo:rerun-if-changed={}", models.join(name).display());
        for (version, dir) in &model.versions {
            let dir = dir.canonicalize().expect("canonical path");
            println!("cargo:rerun-if-changed={}", dir.display());
            let bundle = wasmpredict::Bundle::from_dir(&dir)
                .unwrap_or_else(|e| panic!("bundle {name} {version}: {e}"));
            let engine = wasmpredict::api::default_engine(&bundle)
                .unwrap_or_else(|e| panic!("bundle {name} {version}: {e}"));
            if engine == Engine::Tract && !with_tract {
                panic!(
                    "bundle {name} {version} needs the tract engine: build the Worker with --features tract \
                     (`cargo xtask build worker` does so when a bundle needs it)"
                );
            }
            // The files the manifest lists (and that from_dir just verified), nothing else.
            write!(
                out,
                "    ({name:?}, {version:?}, include_bytes!({:?}), &[",
                dir.join("manifest.json").display().to_string()
            )
            .unwrap();
            for f in bundle.manifest.files.keys() {
                write!(
                    out,
                    "({f:?}, include_bytes!({:?})), ",
                    dir.join(f).display().to_string()
                )
                .unwrap();
            }
            out.push_str("]),\n");
        }
        if let Some(path) = &model.traffic {
            let path = path.canonicalize().expect("canonical path");
            println!("cargo:rerun-if-changed={}", path.display());
            // The same check the native server makes at start.
            if let Err(e) = wasmpredict::ops::traffic::Traffic::initial(&model) {
                panic!("{e}");
            }
            writeln!(
                traffic,
                "    ({name:?}, include_bytes!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
    }
    out.push_str("];\n");
    traffic.push_str("];\n");
    out.push_str(&traffic);
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("bundles.rs");
    std::fs::write(dest, out).expect("write bundles.rs");
}
