//! What each fuzz target does with its input, shared by the targets (`fuzz/fuzz_targets/`) and
//! the main crate's `tests/fuzz_regressions.rs`, which replays saved inputs through exactly the
//! same calls. Only `std`, `wasmpredict`, `serde_json` and `sha2` are used here, so the file
//! compiles in both crates.
//!
//! Every function must return normally for every input: a panic is a finding. Besides "no
//! panic", a few properties the code documents are checked:
//! - `request`: `Predictor::answer_json` (the fast path the servers, the Worker and the page
//!   use) answers the same bytes, or the same error, as serializing `Predictor::handle`'s answer;
//! - `csv`: feeding the parser in pieces gives the rows parsing the whole text gives, and a row
//!   written back with `csv::quote` parses to the same cells.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};
use wasmpredict::bundle::{FieldKind, Task};
use wasmpredict::error::ErrorCode;
use wasmpredict::http::{EffectDone, HttpRequest, RequestBody, Service, ServiceConfig};
use wasmpredict::infer::{Engine, Model, Outputs};
use wasmpredict::input::csv;
use wasmpredict::ops::feedback::ScoreRow;
use wasmpredict::ops::metrics::Metrics;
use wasmpredict::ops::monitor::{ModelWindow, Window};
use wasmpredict::ops::prediction_id::{IdKey, PredictionId};
use wasmpredict::ops::traffic::Traffic;
use wasmpredict::{Bundle, Predictor};

/// A bundle's files other than the manifest, by name.
pub type Files = BTreeMap<String, Vec<u8>>;

/// A bundle compiled into the binary: its name, version and files (manifest included).
pub struct Base {
    pub name: &'static str,
    pub version: &'static str,
    pub files: &'static [(&'static str, &'static [u8])],
}

macro_rules! bundle {
    ($name:literal, $version:literal, $dir:literal) => {
        bundle!(@files $name, $version, $dir, ["manifest.json", "model.onnx", "golden.json", "explain.json"])
    };
    ($name:literal, $version:literal, $dir:literal, no_explain) => {
        bundle!(@files $name, $version, $dir, ["manifest.json", "model.onnx", "golden.json"])
    };
    (@files $name:literal, $version:literal, $dir:literal, [$($file:literal),+]) => {
        Base {
            name: $name,
            version: $version,
            files: &[$(($file, include_bytes!(concat!("../../", $dir, "/", $file)))),+],
        }
    };
}

/// The committed models (`models/`), every version: what the servers serve.
pub const MODELS: [Base; 5] = [
    bundle!("iris", "1.0.0", "models/iris"),
    bundle!("churn", "1.0.0", "models/churn/1.0.0"),
    bundle!("churn", "1.1.0", "models/churn/1.1.0"),
    bundle!("news", "1.0.0", "models/news"),
    bundle!("rf-classification", "1.0.0", "models/rf-classification"),
];

/// Small test fixtures (`fuzz/bundles/`, copied from tests/python/make_fixtures.py's output
/// with golden.json cut to 3 rows): other estimator families, featurizer steps and graphs only
/// tract runs (MLP, hand-written networks, the Scaler op).
pub const FIXTURES: [Base; 12] = [
    bundle!("dt-binary", "1.0.0", "fuzz/bundles/dt-binary"),
    bundle!(
        "dt-regressor-branch-gte",
        "1.0.0",
        "fuzz/bundles/dt-regressor-branch-gte"
    ),
    bundle!(
        "linear-regression",
        "1.0.0",
        "fuzz/bundles/linear-regression"
    ),
    bundle!("lr-binary", "1.0.0", "fuzz/bundles/lr-binary"),
    bundle!(
        "mlp-classifier",
        "1.0.0",
        "fuzz/bundles/mlp-classifier",
        no_explain
    ),
    bundle!(
        "onnx-net-regressor",
        "1.0.0",
        "fuzz/bundles/onnx-net-regressor",
        no_explain
    ),
    bundle!(
        "linear-svc-multiclass",
        "1.0.0",
        "fuzz/bundles/linear-svc-multiclass"
    ),
    bundle!("hgb-binary-nan", "1.0.0", "fuzz/bundles/hgb-binary-nan"),
    bundle!(
        "gb-multiclass-branch-gte",
        "1.0.0",
        "fuzz/bundles/gb-multiclass-branch-gte"
    ),
    bundle!(
        "scaler-op-in-graph",
        "1.0.0",
        "fuzz/bundles/scaler-op-in-graph",
        no_explain
    ),
    bundle!("dict-vectorizer", "1.0.0", "fuzz/bundles/dict-vectorizer"),
    bundle!(
        "onehot-nan-category",
        "1.0.0",
        "fuzz/bundles/onehot-nan-category"
    ),
];

/// `models/churn/traffic.json`: the starting traffic of the one model with two versions.
const CHURN_TRAFFIC: &[u8] = include_bytes!("../../models/churn/traffic.json");

/// Every base bundle, committed models first.
pub fn bases() -> impl Iterator<Item = &'static Base> {
    MODELS.iter().chain(FIXTURES.iter())
}

pub const N_BASES: usize = MODELS.len() + FIXTURES.len();

pub fn base(i: usize) -> &'static Base {
    bases()
        .nth(i % N_BASES)
        .expect("index taken modulo the count")
}

/// A base's golden.json with at most 3 rows (the committed models carry ~50), so that replaying
/// it stays cheap next to loading the bundle.
fn short_golden(bytes: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) => {
            if let Some(rows) = v.get_mut("rows").and_then(Value::as_array_mut) {
                rows.truncate(3);
            }
            serde_json::to_vec(&v).expect("a JSON tree serializes")
        }
        Err(_) => bytes.to_vec(),
    }
}

/// A base's files as `Bundle::from_files` takes them (short golden), manifest apart.
pub fn base_files(b: &Base) -> (Vec<u8>, Files) {
    let mut manifest = Vec::new();
    let mut files = BTreeMap::new();
    for (name, bytes) in b.files {
        match *name {
            "manifest.json" => manifest = bytes.to_vec(),
            "golden.json" => {
                files.insert(name.to_string(), short_golden(bytes));
            }
            _ => {
                files.insert(name.to_string(), bytes.to_vec());
            }
        }
    }
    (manifest, files)
}

/// Rewrites a manifest's `files` map to the sha256 of `files` (so that the hash check passes
/// and the input reaches the readers behind it). A manifest that is not a JSON object is left
/// as it is.
pub fn fix_hashes(manifest: &[u8], files: &Files) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let Ok(Value::Object(mut m)) = serde_json::from_slice::<Value>(manifest) else {
        return manifest.to_vec();
    };
    let hashes: serde_json::Map<String, Value> = files
        .iter()
        .map(|(name, bytes)| {
            let digest = Sha256::digest(bytes);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            (name.clone(), Value::String(hex))
        })
        .collect();
    m.insert("files".into(), Value::Object(hashes));
    serde_json::to_vec(&Value::Object(m)).expect("a JSON tree serializes")
}

/// The bundle as it is shipped (hashes verified), for the request and admin targets.
pub fn load_base(b: &Base) -> Bundle {
    let (manifest, files) = base_files(b);
    let manifest = fix_hashes(&manifest, &files);
    Bundle::from_files(&manifest, files).unwrap_or_else(|e| panic!("{} {}: {e}", b.name, b.version))
}

const NO_CLOCK: &dyn Fn() -> f64 = &|| 0.0;

// ---------------------------------------------------------------------------------------------
// request

/// The predictors the `request` target picks from: each committed model on the compact engine
/// and on tract, then each fixture on the engine it gets by default.
pub fn request_predictors() -> &'static [Predictor] {
    static PREDICTORS: OnceLock<Vec<Predictor>> = OnceLock::new();
    PREDICTORS.get_or_init(|| {
        let mut out = Vec::new();
        for b in &MODELS {
            for engine in [Engine::Compact, Engine::Tract] {
                let p = Predictor::with_engine(load_base(b), Some(engine))
                    .unwrap_or_else(|e| panic!("{} on {engine}: {e}", b.name));
                out.push(p);
            }
        }
        for b in &FIXTURES {
            let p = Predictor::new(load_base(b)).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            out.push(p);
        }
        out
    })
}

/// `request`: byte 0 picks the predictor (low 5 bits) and the call (high 3 bits); the rest is a
/// request body.
/// - calls 0-3: `answer_json` (what `/predict` runs), checked against `handle` (the JSON-tree
///   path): same bytes or the same error; call 1 with at most 3 rows per request; calls 2-3
///   also checked against `answer_json_paced` (the Worker's evaluation in slices);
/// - calls 4-5: the OIP v2 `infer` mapping (what `/v2/models/{name}/infer` runs);
/// - call 6: `features` (the featurized rows);
/// - call 7: the body's rows through the drift tally, as the page's batch view counts them.
pub fn request(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let predictors = request_predictors();
    let index = usize::from(sel & 0x1f) % predictors.len();
    let p = &predictors[index];
    match sel >> 5 {
        0..=3 => {
            let max_rows = if sel >> 5 == 1 { 3 } else { usize::MAX };
            let fast = p.answer_json(body, max_rows, NO_CLOCK);
            if matches!(&fast, Err(e) if e.code == ErrorCode::TooManyRows) && max_rows == 3 {
                return;
            }
            if sel >> 5 >= 2 {
                // The Worker's paced evaluation (slices of 2 rows here) answers the same.
                let paced = wasmpredict::api::run_now(p.answer_json_paced(
                    body,
                    max_rows,
                    NO_CLOCK,
                    &SlicesOfTwo,
                ));
                match (&fast, &paced) {
                    (Ok(a), Ok(b)) => assert!(
                        a.json == b.json,
                        "answer_json and answer_json_paced answer differently:\n  one go: {}\n  paced: {}",
                        String::from_utf8_lossy(&a.json),
                        String::from_utf8_lossy(&b.json)
                    ),
                    (Err(a), Err(b)) => {
                        assert_eq!(a, b, "answer_json and answer_json_paced refuse differently")
                    }
                    (a, b) => panic!(
                        "answer_json and answer_json_paced disagree: {:?} vs {:?}",
                        a.as_ref().map(|a| String::from_utf8_lossy(&a.json).into_owned()),
                        b.as_ref().map(|b| String::from_utf8_lossy(&b.json).into_owned())
                    ),
                }
            }
            let slow = p
                .handle(body)
                .map(|r| serde_json::to_vec(&r).expect("a response serializes (handle's path)"));
            match (fast, slow) {
                (Ok(fast), Ok(slow)) => assert!(
                    fast.json == slow,
                    "answer_json and handle answer differently:\n  fast: {}\n  slow: {}",
                    String::from_utf8_lossy(&fast.json),
                    String::from_utf8_lossy(&slow)
                ),
                (Err(a), Err(b)) => assert_eq!(a, b, "answer_json and handle refuse differently"),
                (a, b) => panic!(
                    "answer_json and handle disagree: {:?} vs {:?}",
                    a.map(|a| String::from_utf8_lossy(&a.json).into_owned()),
                    b.map(|b| String::from_utf8_lossy(&b).into_owned())
                ),
            }
        }
        4 | 5 => {
            if let Ok(v) = wasmpredict::api::parse_body(body) {
                if let Ok(inferred) = wasmpredict::http::oip::infer(p, &v, 10_000, NO_CLOCK) {
                    serde_json::to_vec(&inferred.answer).expect("an OIP answer serializes");
                }
            }
        }
        6 => {
            if let Ok(v) = wasmpredict::api::parse_body(body) {
                let _ = p.features(&v);
            }
        }
        _ => {
            let Ok(v) = wasmpredict::api::parse_body(body) else {
                return;
            };
            let Some(mut tally) = tally_for(index) else {
                return;
            };
            let records: Vec<&Value> = match &v {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for record in records {
                let prediction = match p.predict(&json!({ "record": record })) {
                    Ok(r) => serde_json::to_value(r).expect("a response serializes")["prediction"]
                        .clone(),
                    Err(_) => record.get("prediction").cloned().unwrap_or(Value::Null),
                };
                let _ = tally.add_record(record, &prediction);
            }
            if let Some(report) = tally.report() {
                serde_json::to_vec(&report).expect("a drift report serializes");
            }
        }
    }
}

/// A pace that evaluates 2 rows per slice and never waits (paced evaluation, as the Worker
/// runs it, with an executor that polls to the end).
struct SlicesOfTwo;

impl wasmpredict::api::Pace for SlicesOfTwo {
    fn slice_rows(&self) -> Option<usize> {
        Some(2)
    }
    fn pause(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// A fresh drift tally for `request_predictors()[i]` (compiled once, cloned per input), or None
/// when the bundle has no training profile.
fn tally_for(i: usize) -> Option<wasmpredict::drift::Tally> {
    static TALLIES: OnceLock<Vec<Option<wasmpredict::drift::Tally>>> = OnceLock::new();
    TALLIES
        .get_or_init(|| {
            request_predictors()
                .iter()
                .map(|p| wasmpredict::drift::Tally::new(p.manifest()).ok())
                .collect()
        })
        .get(i)
        .cloned()
        .flatten()
}

// ---------------------------------------------------------------------------------------------
// bundles

/// Separates the parts of a bundle in raw-mode inputs.
pub const SEPARATOR: &[u8] = b"\n--8<--\n";

fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&rest[..i]);
        rest = &rest[i + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

/// The files of a bundle input and its manifest:
/// - byte 0 picks a base bundle, or (`N_BASES` modulo `N_BASES + 1`) raw mode;
/// - byte 1: bits 0-1 say which file of the base the rest replaces (model.onnx, manifest.json,
///   golden.json, explain.json); bit 2 keeps the manifest's hashes as they are (otherwise they
///   are recomputed, so the input reaches the graph and manifest readers);
/// - raw mode: the rest is `manifest SEPARATOR model.onnx [SEPARATOR golden.json [SEPARATOR
///   explain.json]]`, the model under the name the manifest's `model.file` gives.
pub fn bundle_input(data: &[u8]) -> Option<(Vec<u8>, Files)> {
    let (&which, rest) = data.split_first()?;
    let (&flags, rest) = rest.split_first()?;
    let which = usize::from(which) % (N_BASES + 1);
    let (manifest, files) = if which < N_BASES {
        let (mut manifest, mut files) = base_files(base(which));
        let name =
            ["model.onnx", "manifest.json", "golden.json", "explain.json"][usize::from(flags & 3)];
        if name == "manifest.json" {
            manifest = rest.to_vec();
        } else {
            files.insert(name.to_string(), rest.to_vec());
        }
        (manifest, files)
    } else {
        let parts = split_parts(rest);
        let manifest = parts[0].to_vec();
        let model_file = serde_json::from_slice::<Value>(&manifest)
            .ok()
            .and_then(|m| m["model"]["file"].as_str().map(str::to_string))
            .unwrap_or_else(|| "model.onnx".to_string());
        let mut files = BTreeMap::new();
        for (name, bytes) in [model_file.as_str(), "golden.json", "explain.json"]
            .into_iter()
            .zip(parts.iter().skip(1))
        {
            files.insert(name.to_string(), bytes.to_vec());
        }
        (manifest, files)
    };
    let manifest = if flags & 4 == 0 {
        fix_hashes(&manifest, &files)
    } else {
        manifest
    };
    Some((manifest, files))
}

/// A record a bundle's input schema accepts (the values may still be out of range).
fn sample_record(p: &Predictor, nulls: bool) -> Value {
    let mut record = serde_json::Map::new();
    for (i, f) in p.manifest().input.iter().enumerate() {
        let v = if nulls && i % 2 == 0 {
            Value::Null
        } else {
            match f.kind {
                FieldKind::Number => json!(0.5),
                FieldKind::Category => json!("a"),
                FieldKind::Text => json!("a wonderful, moving film"),
                FieldKind::Bool => json!(true),
            }
        };
        record.insert(f.name.clone(), v);
    }
    Value::Object(record)
}

/// Bundles whose model.onnx is larger are not explained by [`exercise`].
pub const EXPLAIN_MAX_MODEL_BYTES: usize = 100_000;

/// What a server and `wasmpredict check` do with a bundle that loaded: describe it, replay its
/// golden rows (and their explanations), compile its drift profile, answer a few requests.
pub fn exercise(p: &Predictor) {
    serde_json::to_vec(&wasmpredict::api::describe(p)).expect("describe serializes");
    // Explanations of a big forest (TreeSHAP over rf-classification's 100 trees) cost ~100 times
    // the rest of an input: only smaller graphs are explained, to keep the target's pace.
    let explain = p.bundle().model_bytes().len() <= EXPLAIN_MAX_MODEL_BYTES;
    if let Some(Ok(golden)) = p.bundle().golden() {
        let _ = wasmpredict::check::replay(p, &golden);
        if explain {
            let _ = wasmpredict::check::explanations(p, &golden);
        }
    }
    if let Ok(mut tally) = wasmpredict::drift::Tally::new(p.manifest()) {
        let record = sample_record(p, false);
        let _ = tally.add_record(&record, &json!(0));
        if let Some(report) = tally.report() {
            serde_json::to_vec(&report).expect("a drift report serializes");
        }
    }
    let record = sample_record(p, false);
    let with_nulls = sample_record(p, true);
    let positional: Vec<Value> = p.manifest().input.iter().map(|_| json!(0.5)).collect();
    let bodies = [
        json!({ "record": record }),
        json!({ "instances": [record, with_nulls] }),
        json!({ "record": record, "explain": true }),
        json!({ "features": positional }),
    ];
    for body in bodies
        .iter()
        .filter(|b| explain || b.get("explain").is_none())
    {
        let bytes = serde_json::to_vec(body).expect("a JSON tree serializes");
        let _ = p.answer_json(&bytes, 10_000, NO_CLOCK);
    }
    let width = p.manifest().input.len();
    let _ = p.predict_f32(&vec![0.5; width * 2], 2);
}

/// `bundle_compact` / `bundle_tract`: a bundle (see [`bundle_input`]) loaded on `engine`, then,
/// if it loaded, used as a server would use it.
pub fn bundle(data: &[u8], engine: Engine) {
    let Some((manifest, files)) = bundle_input(data) else {
        return;
    };
    let Ok(bundle) = Bundle::from_files(&manifest, files) else {
        return;
    };
    let _ = wasmpredict::api::default_engine(&bundle);
    if let Ok(p) = Predictor::with_engine(bundle, Some(engine)) {
        exercise(&p);
    }
}

// ---------------------------------------------------------------------------------------------
// onnx

/// `onnx`: the compact evaluator's own ONNX reader and graph compiler on raw bytes. Byte 0
/// picks a base bundle whose manifest says what the graph must produce (task, classes, output
/// names, feature count); the rest is the model.onnx. The graph is read, compiled for the
/// compact engine (which also evaluates one row of zeros) and, if that worked, run on a few
/// rows including NaN and infinities.
pub fn onnx(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    static MANIFESTS: OnceLock<Vec<wasmpredict::bundle::Manifest>> = OnceLock::new();
    let manifests = MANIFESTS.get_or_init(|| bases().map(|b| load_base(b).manifest).collect());
    let m = &manifests[usize::from(which) % manifests.len()];
    let _ = wasmpredict::infer::onnx::parse(bytes);
    let _ = wasmpredict::infer::default_engine(
        bytes,
        &m.model,
        m.task,
        m.classes.as_deref(),
        m.n_features,
    );
    let Ok(model) = Model::load(
        bytes,
        &m.model,
        m.task,
        m.classes.as_deref(),
        m.n_features,
        Some(Engine::Compact),
    ) else {
        return;
    };
    let n = m.n_features;
    let mut x = vec![0.0f32; n * 4];
    for (i, v) in x.iter_mut().enumerate() {
        *v = match i % 5 {
            0 => f32::NAN,
            1 => -1e30,
            2 => 1.5,
            3 => f32::INFINITY,
            _ => -0.25,
        };
    }
    let _ = model.run(wasmpredict::infer::Features::Dense(&x), 4);
    let sparse = wasmpredict::featurize::SparseRows::from_dense(&x, n);
    if model.accepts_sparse() {
        let _ = model.run(wasmpredict::infer::Features::Sparse(&sparse), 4);
    }
    if m.task == Task::Classification {
        if let Ok(Outputs::Classification { labels, .. }) =
            model.run(wasmpredict::infer::Features::Dense(&x[..n]), 1)
        {
            assert_eq!(labels.len(), 1, "one label per row");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// csv

/// `csv`: the page's batch view on an uploaded file. Byte 0 picks a committed model (low 3
/// bits) and how the text is cut into pieces for `Parser::feed` (the rest); the rest of the input
/// is the file (UTF-8, lossily). Checks: pieces parse as the whole does; each row written back
/// with `quote` parses to the same cells. Then the page's flow: header, records, predictions,
/// drift tally.
pub fn csv(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let rows = csv::parse(&text);

    // The same text fed in pieces of 1 to 8 characters (lengths from a small LCG seeded by sel).
    let mut pieces = Vec::new();
    let mut parser = csv::Parser::new();
    let mut emit = |line: usize, cells: Vec<String>| pieces.push((line, cells));
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut state = u32::from(sel) | 1;
    let mut at = 0;
    while at < chars.len() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = 1 + (state >> 16) as usize % 8;
        let end = (at + len).min(chars.len());
        let from = chars[at].0;
        let to = chars.get(end).map_or(text.len(), |c| c.0);
        parser.feed(&text[from..to], &mut emit);
        at = end;
    }
    parser.finish(&mut emit);
    assert_eq!(
        rows, pieces,
        "parsing in pieces differs from parsing the whole text"
    );

    for (_, cells) in &rows {
        if cells.len() == 1 && cells[0].trim().is_empty() {
            continue; // a blank line: skipped by design
        }
        let line: Vec<String> = cells.iter().map(|c| csv::quote(c)).collect();
        let back = csv::parse(&line.join(","));
        assert_eq!(back.len(), 1, "a quoted row parses to one row: {cells:?}");
        assert_eq!(&back[0].1, cells, "a quoted row parses back to its cells");
    }

    let predictors = request_predictors();
    // The committed models on the compact engine: even indices of the first 10.
    let index = (usize::from(sel & 7) % MODELS.len()) * 2;
    let p = &predictors[index];
    let fields = &p.manifest().input;
    for (_, cells) in rows.iter().take(4) {
        for f in fields {
            for c in cells {
                let _ = csv::typed(f, c);
            }
        }
    }
    let Some(((_, header), body)) = rows.split_first() else {
        return;
    };
    let Ok(header) = csv::Header::new(header, fields) else {
        return;
    };
    let mut tally = tally_for(index);
    for (_, cells) in body.iter().take(16) {
        let Ok(record) = header.record(cells) else {
            continue;
        };
        let record = Value::Object(record);
        if let Ok(r) = p.predict(&json!({ "record": record })) {
            let r = serde_json::to_value(r).expect("a response serializes");
            if let Some(t) = &mut tally {
                let _ = t.add_record(&record, &r["prediction"]);
            }
        }
    }
    if let Some(report) = tally.as_ref().and_then(|t| t.report()) {
        serde_json::to_vec(&report).expect("a drift report serializes");
    }
}

// ---------------------------------------------------------------------------------------------
// admin and feedback bodies

pub const ADMIN_TOKEN: &str = "fuzz-admin-token";
/// When every request arrives (ms since the epoch): fixed, so that runs are reproducible.
pub const NOW_MS: u64 = 1_790_000_000_000;
/// In a feedback body, replaced by a valid id of a prediction of the route's model.
pub const ID_MARK: &str = "@ID@";
/// Replaced by a valid id issued a year before [`NOW_MS`] (past the retention).
pub const OLD_ID_MARK: &str = "@OLD@";

/// The models of the admin target, as `wasmpredict serve` would serve `models/`.
pub const ADMIN_MODELS: [&str; 4] = ["iris", "churn", "news", "rf-classification"];

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let mut s = Service::new(ServiceConfig {
            default_model: Some("rf-classification".into()),
            admin_token: Some(ADMIN_TOKEN.into()),
            monitor_window: 64,
            max_rows: 100,
            engine: Some(Engine::Compact),
            ..ServiceConfig::default()
        });
        for b in &MODELS {
            let bundle = load_base(b);
            s.add_version(b.name, b.version, move || Ok(bundle.clone()));
        }
        s.load_all().expect("the committed models load");
        reset(&s);
        s
    })
}

/// Puts the shared service back as it started (the traffic, metrics and monitoring that earlier
/// inputs changed).
fn reset(s: &Service) {
    for name in ADMIN_MODELS {
        let traffic = if name == "churn" {
            Traffic::parse(CHURN_TRAFFIC, &s.versions(name)).expect("traffic.json is valid")
        } else {
            Traffic::only(s.versions(name)[0])
        };
        s.set_traffic(name, traffic).expect("a known model");
    }
    let _ = s.take_metrics();
    let _ = s.take_monitor();
}

/// A prediction id the service would have issued for `model`'s first version.
fn prediction_id(service: &Service, model: &str, issued_ms: u64) -> String {
    let p = service.predictor(model).expect("a committed model");
    let m = p.manifest();
    let prediction = m
        .classes
        .as_ref()
        .and_then(|c| c.first())
        .map_or_else(|| "1.5".to_string(), Value::to_string);
    PredictionId {
        model: m.name.clone(),
        version: m.version.clone(),
        prediction,
        issued_ms,
        nonce: 7,
    }
    .encode(&IdKey::from_secret(Some(ADMIN_TOKEN)))
}

fn request_to<'a>(
    method: &'a str,
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
) -> HttpRequest<'a> {
    HttpRequest {
        method,
        path,
        headers,
        body: RequestBody::Bytes(body),
        received_ms: NOW_MS,
    }
}

/// `admin_bodies`: byte 0 picks the operation (low 3 bits), the model (next 2 bits) and a flag
/// (bit 5); the rest is the body (or, where the state store answers, what the store answered).
/// 0. `PUT /admin/models/{m}/traffic`, stored, then a predict request under the new traffic;
/// 1. `POST /models/{m}/feedback` (`@ID@` / `@OLD@` become valid ids), stored or a duplicate;
/// 2. `GET /metrics` with the store answering `metrics SEPARATOR scores` (JSON);
/// 3. `GET /models/{m}/monitor` with the store answering a model window (JSON);
/// 4. `GET /admin/models/{m}/feedback` with the store answering score rows (JSON);
/// 5. the state store's own parsing: a monitoring delta added to a window, a metrics delta
///    merged and rendered, a traffic body parsed, a prediction id decoded;
/// 6. the `Authorization` header of an admin route;
/// 7. any route: the first line is `METHOD PATH`, the rest the body.
pub fn admin_bodies(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let s = service();
    reset(s);
    let model = ADMIN_MODELS[usize::from(sel >> 3) & 3];
    let flag = sel & 0x20 != 0;
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let auth: [(&str, &str); 2] = [("authorization", &bearer), ("x-user-id", "user-42")];
    match sel & 7 {
        0 => {
            let path = format!("/admin/models/{model}/traffic");
            let req = request_to("PUT", &path, &auth, body);
            let r = s.handle_with(&req, NO_CLOCK, |_| Ok(EffectDone::Saved));
            if r.status == 200 {
                let golden = json!({ "record": sample_of(model) });
                let bytes = serde_json::to_vec(&golden).expect("JSON serializes");
                let path = format!("/models/{model}/predict");
                let headers = if flag { &auth[..] } else { &auth[..1] };
                let req = request_to("POST", &path, headers, &bytes);
                let _ = s.handle_with(&req, NO_CLOCK, |_| Ok(EffectDone::Saved));
                let model_path = format!("/models/{model}");
                let req = request_to("GET", &model_path, &[], &[]);
                let _ = s.handle_with(&req, NO_CLOCK, |_| Ok(EffectDone::Saved));
            }
        }
        1 => {
            let text = String::from_utf8_lossy(body)
                .replace(ID_MARK, &prediction_id(s, model, NOW_MS - 60_000))
                .replace(
                    OLD_ID_MARK,
                    &prediction_id(s, model, NOW_MS - 365 * 86_400_000),
                );
            let path = format!("/models/{model}/feedback");
            let req = request_to("POST", &path, &[], text.as_bytes());
            let done = if flag {
                EffectDone::Duplicate
            } else {
                EffectDone::Saved
            };
            let _ = s.handle_with(&req, NO_CLOCK, |_| Ok(done));
        }
        2 => {
            let parts = split_parts(body);
            let metrics: Metrics = serde_json::from_slice(parts[0]).unwrap_or_default();
            let scores: Vec<ScoreRow> = parts
                .get(1)
                .and_then(|p| serde_json::from_slice(p).ok())
                .unwrap_or_default();
            let req = request_to("GET", "/metrics", &auth, &[]);
            let _ = s.handle_with(&req, NO_CLOCK, |_| {
                Ok(EffectDone::Metrics { metrics, scores })
            });
        }
        3 => {
            let Ok(window) = serde_json::from_slice::<ModelWindow>(body) else {
                return;
            };
            let path = format!("/models/{model}/monitor");
            let req = request_to("GET", &path, &auth, &[]);
            let _ = s.handle_with(&req, NO_CLOCK, |_| Ok(EffectDone::Monitor(window)));
        }
        4 => {
            let Ok(rows) = serde_json::from_slice::<Vec<ScoreRow>>(body) else {
                return;
            };
            let path = format!("/admin/models/{model}/feedback");
            let req = request_to("GET", &path, &auth, &[]);
            let _ = s.handle_with(&req, NO_CLOCK, |_| Ok(EffectDone::Scores(rows)));
        }
        5 => {
            if let Ok(delta) = serde_json::from_slice::<Window>(body) {
                let mut window = Window::new(if flag { 3 } else { 0 });
                window.add(delta.clone());
                window.add(delta);
                let _ = window.is_empty();
                serde_json::to_vec(&window).expect("a window serializes");
            }
            if let Ok(delta) = serde_json::from_slice::<Metrics>(body) {
                let mut metrics = Metrics::default();
                metrics.merge(&delta);
                metrics.merge(&delta);
                let _ = metrics.render(&[]);
                serde_json::to_vec(&metrics).expect("metrics serialize");
            }
            let _ = Traffic::parse(body, &s.versions(model));
            if let Ok(text) = std::str::from_utf8(body) {
                let _ = PredictionId::decode(text, &IdKey::from_secret(Some(ADMIN_TOKEN)));
                let _ = PredictionId::decode(text, &IdKey::from_secret(None));
            }
        }
        6 => {
            let header = String::from_utf8_lossy(body);
            let _ = wasmpredict::ops::token::check(Some(ADMIN_TOKEN), Some(&header));
            let headers = [("authorization", header.as_ref())];
            let path = format!("/admin/models/{model}/traffic");
            let req = request_to("GET", &path, &headers, &[]);
            let _ = s.handle_with(&req, NO_CLOCK, |_| Ok(EffectDone::Saved));
        }
        _ => {
            let text = String::from_utf8_lossy(body);
            let (line, rest) = text.split_once('\n').unwrap_or((&text, ""));
            let (method, path) = line.split_once(' ').unwrap_or(("POST", line));
            let headers = if flag { &auth[..] } else { &auth[1..] };
            let req = request_to(method, path, headers, rest.as_bytes());
            let _ = s.handle_with(&req, NO_CLOCK, |effect| {
                Ok(match effect {
                    wasmpredict::http::Effect::ReadMetrics => EffectDone::Metrics {
                        metrics: Metrics::default(),
                        scores: Vec::new(),
                    },
                    wasmpredict::http::Effect::ReadScores { .. } => EffectDone::Scores(Vec::new()),
                    wasmpredict::http::Effect::ReadMonitor { .. } => {
                        EffectDone::Monitor(ModelWindow::new())
                    }
                    _ => EffectDone::Saved,
                })
            });
        }
    }
}

/// A record of a committed model (its first golden row).
fn sample_of(model: &str) -> Value {
    let p = service().predictor(model).expect("a committed model");
    match p.bundle().golden() {
        Some(Ok(g)) => g
            .rows
            .first()
            .map_or(Value::Null, |r| Value::Object(r.input.clone())),
        _ => Value::Null,
    }
}
