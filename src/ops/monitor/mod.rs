//! Monitoring served models: a rolling window per model and version of the requests they
//! answered and the rows they predicted ([`window`]), and the report `GET /models/{name}/monitor`
//! answers from it ([`summary`]): statuses, error codes, latency quantiles, the predictions'
//! mix and drift against the training profile (`crate::drift`).
//!
//! A service gathers what it answered (`crate::http`), turns it into a [`Window`] delta off the
//! request's path, and its adapter adds the deltas where the deployment's state lives: in
//! memory natively, in the `DeploymentState` Durable Object at the edge, where every isolate's
//! deltas meet. Specified in `docs/monitoring.md`.

pub mod summary;
pub mod window;

pub use summary::{report, MonitorReport, VersionInfo};
pub use window::{ModelWindow, RequestEntry, RowEntry, VersionWindow, Window};
