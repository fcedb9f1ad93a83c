//! wasmpredict: a scikit-learn model and its featurization in one Rust module.
//!
//! The crate is layered like this (every layer is platform-free: no wasm-bindgen, worker or HTTP
//! types, so the same code runs in the browser, at the edge and natively):
//!
//! - [`bundle`]: the on-disk (or in-memory) bundle: `manifest.json`, `model.onnx`, `golden.json`,
//!   with format-version and sha256 checks.
//! - [`featurize`]: sklearn's fitted preprocessing (imputers, scalers, one-hot, DictVectorizer,
//!   tf-idf, ColumnTransformer) re-implemented from the manifest's fitted parameters.
//! - [`infer`]: the tract plan for the estimator graph, with our own tree-ensemble op that closes
//!   tract's gaps with skl2onnx exports.
//! - [`api`]: request and response bodies and the one handler every adapter calls.
//!
//! The CLI (`src/main.rs`, feature `cli`) is a thin adapter over [`api`].

pub mod api;
pub mod bundle;
pub mod check;
pub mod drift;
pub mod error;
pub mod explain;
pub mod featurize;
pub mod http;
pub mod infer;
pub mod ops;

pub use api::{Predictor, Response};
pub use bundle::Bundle;
pub use error::{ApiError, BundleError};
