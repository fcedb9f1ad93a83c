//! Where `wasmpredict serve` keeps the deployment's state: the traffic table in
//! `STATE/traffic.json` (written atomically: a new file renamed over the old one), feedback in
//! SQLite (`STATE/feedback.sqlite`, the statements of `wasmpredict::ops::feedback`), and the
//! metrics aggregate and the monitoring window in memory (a restart empties them).

use rusqlite::{params, Connection};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use wasmpredict::http::{Effect, EffectDone, Service};
use wasmpredict::ops::feedback::{ScoreRow, SQL_EXPIRE, SQL_INSERT, SQL_SCHEMA, SQL_SCORES};
use wasmpredict::ops::metrics::Metrics;
use wasmpredict::ops::monitor::Window;
use wasmpredict::ops::traffic::Traffic;

pub struct NativeState {
    dir: PathBuf,
    db: Mutex<Connection>,
    metrics: Mutex<Metrics>,
    monitor: Mutex<Window>,
}

pub fn traffic_file(dir: &Path) -> PathBuf {
    dir.join("traffic.json")
}

/// The stored traffic table (empty when none was stored yet).
pub fn read_traffic(dir: &Path) -> Result<BTreeMap<String, Traffic>, String> {
    let path = traffic_file(dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} is not a traffic table: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the traffic table so that a reader sees the old or the new file, never a part.
pub fn write_traffic(dir: &Path, table: &BTreeMap<String, Traffic>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = traffic_file(dir);
    let tmp = dir.join(format!(".traffic.json.{}", std::process::id()));
    let bytes = serde_json::to_vec_pretty(table).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

impl NativeState {
    pub fn open(dir: &Path) -> Result<NativeState, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join("feedback.sqlite");
        let db =
            Connection::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        db.execute_batch(SQL_SCHEMA).map_err(|e| {
            format!(
                "cannot create the feedback table in {}: {e}",
                path.display()
            )
        })?;
        Ok(NativeState {
            dir: dir.to_path_buf(),
            db: Mutex::new(db),
            metrics: Mutex::new(Metrics::default()),
            monitor: Mutex::new(Window::default()),
        })
    }

    /// Applies the stored traffic to `service`; returns what did not fit its models.
    pub fn load_traffic(&self, service: &Service) -> Result<Vec<String>, String> {
        Ok(service.load_traffic_table(&read_traffic(&self.dir)?))
    }

    /// Performs a request's effect.
    pub fn perform(&self, service: &Service, effect: &Effect) -> Result<EffectDone, String> {
        match effect {
            Effect::SaveTraffic { model, traffic } => {
                let mut table = service.traffic_table();
                table.insert(model.clone(), traffic.clone());
                write_traffic(&self.dir, &table)?;
                Ok(EffectDone::Saved)
            }
            Effect::SaveFeedback { record, oldest_ms } => {
                let db = self
                    .db
                    .lock()
                    .map_err(|_| "the feedback store is poisoned".to_string())?;
                db.execute(SQL_EXPIRE, params![*oldest_ms as i64])
                    .map_err(|e| e.to_string())?;
                let r = record;
                let changed = db
                    .execute(
                        SQL_INSERT,
                        params![
                            r.id,
                            r.model,
                            r.version,
                            r.predicted,
                            r.actual,
                            r.correct,
                            r.error,
                            r.issued_ms,
                            r.received_ms
                        ],
                    )
                    .map_err(|e| e.to_string())?;
                Ok(if changed == 0 {
                    EffectDone::Duplicate
                } else {
                    EffectDone::Saved
                })
            }
            Effect::ReadMetrics => {
                let mut metrics = self
                    .metrics
                    .lock()
                    .map_err(|_| "the metrics are poisoned".to_string())?;
                metrics.merge(&service.take_metrics());
                Ok(EffectDone::Metrics {
                    metrics: metrics.clone(),
                    scores: self.scores()?,
                })
            }
            Effect::ReadScores { .. } => Ok(EffectDone::Scores(self.scores()?)),
            Effect::ReadMonitor { model } => {
                let window = self.absorb_monitor(service)?;
                Ok(EffectDone::Monitor(
                    window.models.get(model).cloned().unwrap_or_default(),
                ))
            }
        }
    }

    /// Adds what `service` answered since the last call to the monitoring window (held until
    /// the guard drops).
    pub fn absorb_monitor(&self, service: &Service) -> Result<MutexGuard<'_, Window>, String> {
        let delta = service.take_monitor();
        let mut window = self
            .monitor
            .lock()
            .map_err(|_| "the monitoring window is poisoned".to_string())?;
        window.add(delta);
        Ok(window)
    }

    fn scores(&self) -> Result<Vec<ScoreRow>, String> {
        let db = self
            .db
            .lock()
            .map_err(|_| "the feedback store is poisoned".to_string())?;
        let mut statement = db.prepare(SQL_SCORES).map_err(|e| e.to_string())?;
        let rows = statement
            .query_map([], |r| {
                Ok(ScoreRow {
                    model: r.get(0)?,
                    version: r.get(1)?,
                    n: r.get(2)?,
                    correct: r.get(3)?,
                    abs_error: r.get(4)?,
                    sq_error: r.get(5)?,
                })
            })
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
    }
}
