//! The served models of [`Service`]: each model's versions, each loaded on first use (once),
//! its training profile compiled when the monitoring window first needs it, and the traffic
//! table saying which version answers (read on every predict request, shared rather than
//! copied; set by the admin route or from what another process stored: the Worker's Durable
//! Object, the native state file).

use super::service::Service;
use crate::api::Predictor;
use crate::bundle::layout::{compare_versions, ModelDir};
use crate::bundle::Bundle;
use crate::drift::Binner;
use crate::error::{ApiError, BundleError, ErrorCode};
use crate::ops::traffic::Traffic;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

type Loader = Box<dyn Fn() -> Result<Bundle, BundleError> + Send + Sync>;

/// A model version that is loaded on first use, once.
pub(super) struct Slot {
    loader: Loader,
    loaded: OnceLock<Result<Arc<Predictor>, String>>,
    /// Its training profile, compiled when the monitoring window first needs it.
    binner: OnceLock<Result<Binner, String>>,
}

impl Service {
    /// Registers version `version` of model `name`; `loader` runs on its first request.
    pub fn add_version(
        &mut self,
        name: impl Into<String>,
        version: impl Into<String>,
        loader: impl Fn() -> Result<Bundle, BundleError> + Send + Sync + 'static,
    ) {
        let versions = self.models.entry(name.into()).or_default();
        let version = version.into();
        versions.retain(|(v, _)| *v != version);
        versions.push((
            version,
            Slot {
                loader: Box::new(loader),
                loaded: OnceLock::new(),
                binner: OnceLock::new(),
            },
        ));
        versions.sort_by(|a, b| compare_versions(&a.0, &b.0));
    }

    /// Registers every version of every model of a models directory (see
    /// [`crate::bundle::layout`]), with each model's `traffic.json` as its starting traffic.
    pub fn add_models(&mut self, models: Vec<ModelDir>) -> Result<(), BundleError> {
        for model in models {
            for (version, dir) in &model.versions {
                let dir = dir.clone();
                self.add_version(&model.name, version, move || Bundle::from_dir(&dir));
            }
            let traffic = Traffic::initial(&model)?;
            self.set_traffic(&model.name, traffic)
                .map_err(|e| BundleError::Manifest(format!("{}: {}", model.name, e.message)))?;
        }
        Ok(())
    }

    /// Settles which model answers plain `/predict` once the models are added: the configured
    /// one, which must be among them, else the first by name.
    pub fn settle_default_model(&mut self) -> Result<(), String> {
        match &self.config.default_model {
            Some(name) if !self.models.contains_key(name) => {
                let names: Vec<&str> = self.model_names().collect();
                Err(format!(
                    "the default model '{name}' is not among {}",
                    names.join(", ")
                ))
            }
            Some(_) => Ok(()),
            None => {
                self.config.default_model = self.models.keys().next().cloned();
                Ok(())
            }
        }
    }

    pub fn model_names(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// A model's versions, lowest first.
    pub fn versions(&self, name: &str) -> Vec<&str> {
        self.models
            .get(name)
            .map(|v| v.iter().map(|(v, _)| v.as_str()).collect())
            .unwrap_or_default()
    }

    pub fn has_model(&self, name: &str) -> bool {
        self.models.contains_key(name)
    }

    pub(super) fn unknown_model(&self, name: &str) -> ApiError {
        let names: Vec<&str> = self.model_names().collect();
        ApiError::new(
            ErrorCode::ModelNotFound,
            format!("no model named '{name}'; available: {}", names.join(", ")),
        )
    }

    /// The predictor of a model's version (the live one when `version` is None), loading it on
    /// first use.
    pub fn predictor_version(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Arc<Predictor>, ApiError> {
        let versions = self
            .models
            .get(name)
            .ok_or_else(|| self.unknown_model(name))?;
        let live;
        let version = match version {
            Some(v) => v,
            None => {
                live = self.traffic(name).live().to_string();
                &live
            }
        };
        let (_, slot) = versions.iter().find(|(v, _)| v == version).ok_or_else(|| {
            ApiError::new(
                ErrorCode::ModelNotFound,
                format!(
                    "model '{name}' has no version '{version}'; versions: {}",
                    self.versions(name).join(", ")
                ),
            )
        })?;
        let loaded = slot.loaded.get_or_init(|| {
            (slot.loader)()
                .and_then(|b| Predictor::with_engine(b, self.config.engine))
                .map(Arc::new)
                .map_err(|e| format!("model '{name}' version {version} cannot be loaded: {e}"))
        });
        loaded
            .clone()
            .map_err(|e| ApiError::new(ErrorCode::ModelUnavailable, e))
    }

    /// The live version's predictor.
    pub fn predictor(&self, name: &str) -> Result<Arc<Predictor>, ApiError> {
        self.predictor_version(name, None)
    }

    /// Loads every version of every model (a server does so at start: a broken bundle should
    /// stop it there, not at a request).
    pub fn load_all(&self) -> Result<(), ApiError> {
        for (name, versions) in &self.models {
            for (version, _) in versions {
                self.predictor_version(name, Some(version))?;
            }
        }
        Ok(())
    }

    /// A version's compiled training profile, or why it has none (compiled once).
    pub(super) fn binner(&self, name: &str, version: &str) -> Result<&Binner, String> {
        let slot = self
            .models
            .get(name)
            .and_then(|versions| versions.iter().find(|(v, _)| v == version))
            .map(|(_, slot)| slot)
            .ok_or_else(|| format!("model '{name}' has no version '{version}'"))?;
        slot.binner
            .get_or_init(|| {
                let p = self
                    .predictor_version(name, Some(version))
                    .map_err(|e| e.message)?;
                Binner::new(p.manifest()).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

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
