//! The traffic table of [`Service`]: which version of each model answers, read on every
//! predict request (shared, not copied), set by the admin route or by what another process
//! stored (the Worker's Durable Object, the native state file).

use super::service::Service;
use crate::error::ApiError;
use crate::ops::traffic::Traffic;
use std::collections::BTreeMap;
use std::sync::Arc;

impl Service {
    /// A model's traffic: the stored one, or all to its highest version.
    pub fn traffic(&self, name: &str) -> Arc<Traffic> {
        if let Some(t) = self.traffic.read().ok().and_then(|t| t.get(name).cloned()) {
            return t;
        }
        let default = Arc::new(Traffic::only(
            self.versions(name).last().copied().unwrap_or_default(),
        ));
        if self.has_model(name) {
            if let Ok(mut table) = self.traffic.write() {
                return table.entry(name.to_string()).or_insert(default).clone();
            }
        }
        default
    }

    /// Every model's traffic (for persisting it).
    pub fn traffic_table(&self) -> BTreeMap<String, Traffic> {
        self.model_names()
            .map(|n| (n.to_string(), Traffic::clone(&self.traffic(n))))
            .collect()
    }

    /// Sets a model's traffic after validating it against the model's versions.
    pub fn set_traffic(&self, name: &str, traffic: Traffic) -> Result<(), ApiError> {
        if !self.has_model(name) {
            return Err(self.unknown_model(name));
        }
        traffic.validate(&self.versions(name))?;
        if let Ok(mut table) = self.traffic.write() {
            table.insert(name.to_string(), Arc::new(traffic));
        }
        Ok(())
    }

    pub fn set_traffic_bytes(&self, name: &str, body: &[u8]) -> Result<(), ApiError> {
        let traffic = Traffic::parse(body, &self.versions(name))?;
        self.set_traffic(name, traffic)
    }

    /// Replaces the traffic of every model the table names (what another process stored);
    /// entries that do not fit this deployment's models are skipped and named.
    pub fn load_traffic_table(&self, table: &BTreeMap<String, Traffic>) -> Vec<String> {
        let mut skipped = Vec::new();
        for (name, traffic) in table {
            if let Err(e) = self.set_traffic(name, traffic.clone()) {
                skipped.push(format!("{name}: {}", e.message));
            }
        }
        skipped
    }
}
