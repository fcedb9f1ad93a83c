//! Drift: how far the rows a model sees are from what it was trained on.
//!
//! The bundle's training profile (`crate::bundle::profile`) holds histograms of the exporter's
//! sample; a [`Binner`] puts new rows into the same slots, [`Counts`] adds them up (and merges
//! counts from several isolates or windows), and a [`DriftReport`] compares them with training
//! by PSI and Jensen-Shannon distance ([`stats`]). [`Tally`] does all three for an adapter. One implementation for the page, the CLI and
//! the servers; specified in `docs/drift.md`.

mod binner;
mod report;
pub mod stats;
mod tally;

pub use binner::{Binner, ProfileError};
pub use report::{Counts, Distribution, DriftReport, FieldDrift};
pub use stats::{Verdict, THRESHOLDS};
pub use tally::Tally;
