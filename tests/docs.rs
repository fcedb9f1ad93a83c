//! The documentation is held to the code: docs/api.md's error table and docs/openapi.yaml's
//! error codes are exactly `ErrorCode::ALL` (`docs/error_codes.rs`).

#[path = "docs/error_codes.rs"]
mod error_codes;
#[path = "docs/markdown.rs"]
mod markdown;

use std::path::PathBuf;

/// The repository root (the core crate's manifest directory).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
