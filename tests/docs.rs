//! The documentation is held to the code: every relative link and repository path named in a
//! Markdown file exists (`docs/links.rs`), and docs/api.md's error table and docs/openapi.yaml's
//! error codes are exactly `ErrorCode::ALL` (`docs/error_codes.rs`), and its Settings table is
//! the core's settings table (`docs/settings.rs`). The CLI reference
//! (docs/cli.md) is compared with the clap definitions in the cli crate (cli/src/cli_docs.rs).

#[path = "docs/error_codes.rs"]
mod error_codes;
#[path = "docs/links.rs"]
mod links;
#[path = "docs/markdown.rs"]
mod markdown;
#[path = "docs/settings.rs"]
mod settings;

use std::path::PathBuf;

/// The repository root (the core crate's manifest directory).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
