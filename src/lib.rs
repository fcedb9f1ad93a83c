//! wasmpredict: a scikit-learn model and its featurization in one Rust module.
//!
//! This crate is the platform-free core: it uses no wasm-bindgen, worker, tokio or HTTP-server
//! types, so the same code answers in the browser (`web/`, `www/`), at the edge (`worker/`) and
//! natively (`cli/`). Those crates are thin adapters: they turn their platform's requests into
//! the calls below and keep state where their platform keeps it.
//!
//! # Layers
//!
//! Each module may use only the modules of the lines above its own (a test,
//! `tests/layering.rs`, reads every `crate::` path and fails on one that climbs):
//!
//! 1. [`error`] (the error codes every adapter answers with) and [`decimal`] (f32 printed as
//!    sklearn's numbers read).
//! 2. [`bundle`]: the bundle on disk or in memory (`manifest.json`, `model.onnx`,
//!    `golden.json`, `explain.json`), format-version gate, sha256 and size limits, and the
//!    layout of a models directory (`NAME/` or `NAME/VERSION/`).
//! 3. [`input`]: reading raw values: strict JSON, CSV, and typing a value against its schema
//!    field into a [`input::Cell`].
//! 4. [`featurize`]: sklearn's fitted preprocessing (imputers, scalers, one-hot,
//!    DictVectorizer, tf-idf, ColumnTransformer) re-implemented from the manifest's fitted
//!    parameters; dense or sparse rows out.
//! 5. [`infer`]: the estimator graph on one of two engines: the compact engine (our own
//!    evaluator of what skl2onnx writes: linear models, tree ensembles and the ops around them)
//!    or tract (feature `tract`, for any other ONNX graph), picked at load.
//! 6. [`explain`] (per-field contributions: linear, TreeSHAP) and [`drift`] (the training
//!    profile's slots, PSI and Jensen-Shannon distance).
//! 7. [`api`]: request shapes, response bodies and the [`Predictor`], the one handler from a
//!    request body to an answer.
//! 8. [`check`] (golden replay: one comparator for labels, probabilities and scores) and
//!    [`ops`] (traffic splits, prediction ids, feedback, metrics, the monitoring window, the
//!    admin token).
//! 9. [`http`]: the HTTP API as plain data (sans-IO): routes, the service with its models and
//!    versions, limits, CORS, the Open Inference Protocol; state changes come back as effects
//!    the adapter performs where its platform keeps state.
//!
//! # Engines
//!
//! tract is a neural-network runtime: its typed-model machinery was most of 6 MB of wasm, it
//! expands LinearClassifier into generic ops, and its tree ensembles are slow and wrong for
//! binary models (tract-onnx-opl 0.23.9 walks every leaf of a tree per row, takes the binary
//! label from unprocessed scores, refuses binary boosting exports, has no TreeEnsembleRegressor
//! and treats `BRANCH_GTE` nodes as leaves). The compact engine evaluates exactly the ops
//! skl2onnx writes for linear models and tree ensembles, with onnxruntime's semantics: trees
//! rewritten at load into one `x <= t` form with NaN routing kept and walked 16 at a time;
//! linear weights feature-major, so a tf-idf row of 20 terms touches 20 rows of weights instead
//! of 8000. `tests/engines.rs` runs every fixture through both engines and onnxruntime.

pub mod api;
pub mod bundle;
pub mod check;
pub mod decimal;
pub mod drift;
pub mod error;
pub mod explain;
pub mod featurize;
pub mod http;
pub mod infer;
pub mod input;
pub mod ops;

pub use api::{Predictor, Response};
pub use bundle::Bundle;
pub use error::{ApiError, BundleError};
