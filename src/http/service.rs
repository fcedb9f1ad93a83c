//! The [`Service`]: what one deployment holds between requests, and the counters an adapter
//! collects from it. What it does is spread by job: `registry` (models, versions, traffic),
//! `handling` (a request to a response), `effects` (state the adapter keeps), and the route
//! families (`predict`, `admin`, `oip`, `monitor`).

use super::config::ServiceConfig;
use super::monitor::Pending;
use super::registry::Slot;
use crate::ops::metrics::Metrics;
use crate::ops::prediction_id::IdKey;
use crate::ops::serving_stats::ServingStats;
use crate::ops::traffic::Traffic;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

/// The served models and what requests leave behind for the adapter to collect.
pub struct Service {
    /// Name -> versions (lowest first).
    pub(super) models: BTreeMap<String, Vec<(String, Slot)>>,
    /// Each model's traffic (shared: a request takes a reference, not a copy).
    pub(super) traffic: RwLock<BTreeMap<String, Arc<Traffic>>>,
    /// Series recorded since the last [`Service::take_metrics`] (shadow comparisons).
    metrics: Mutex<Metrics>,
    /// Request counters since the last [`Service::take_metrics`].
    pub(super) stats: Mutex<ServingStats>,
    /// Predict answers since the last [`Service::take_monitor`].
    pub(super) pending: Mutex<Pending>,
    /// Counts random draws (traffic splits, id nonces).
    pub(super) draws: AtomicU64,
    id_key: IdKey,
    pub(super) config: ServiceConfig,
}

impl Service {
    pub fn new(config: ServiceConfig) -> Service {
        Service {
            models: BTreeMap::new(),
            traffic: RwLock::new(BTreeMap::new()),
            metrics: Mutex::new(Metrics::default()),
            stats: Mutex::new(ServingStats::default()),
            pending: Mutex::new(Pending::default()),
            draws: AtomicU64::new(0),
            id_key: IdKey::from_secret(config.admin_token.as_deref()),
            config,
        }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The key that signs prediction ids.
    pub(super) fn id_key(&self) -> &IdKey {
        &self.id_key
    }

    /// The metrics recorded since the last call (the adapter adds them to its aggregate).
    pub fn take_metrics(&self) -> Metrics {
        let mut metrics = self
            .metrics
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default();
        if let Ok(mut stats) = self.stats.lock() {
            metrics.merge(&stats.take());
        }
        metrics
    }

    /// Puts metrics back that could not be sent (they go with the next send).
    pub fn restore_metrics(&self, metrics: Metrics) {
        self.record(|m| m.merge(&metrics));
    }

    pub(super) fn record(&self, change: impl FnOnce(&mut Metrics)) {
        if let Ok(mut m) = self.metrics.lock() {
            change(&mut m);
        }
    }
}
