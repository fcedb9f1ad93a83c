//! The fuzz targets' shared code: see [`harness`]. `tests/fuzz_regressions.rs` in the main crate
//! includes the same file to replay saved inputs.

pub mod harness;
