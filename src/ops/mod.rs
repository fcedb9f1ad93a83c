//! Operations over served models, platform-free: which version answers ([`traffic`]),
//! prediction ids and feedback ([`prediction_id`], [`feedback`]), counters and histograms
//! ([`metrics`], gathered per request by [`serving_stats`]), the monitoring window
//! ([`monitor`]) and the admin token ([`token`]). The adapters keep the state where their
//! platform keeps it (a file and SQLite natively, a Durable Object at the edge).

pub mod feedback;
pub mod metrics;
pub mod monitor;
pub mod prediction_id;
pub mod serving_stats;
pub mod token;
pub mod traffic;
