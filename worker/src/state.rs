//! `DeploymentState`: the Durable Object that holds what every isolate of the deployment
//! shares. One instance (named "deployment") answers consistently, unlike Workers KV, whose
//! reads may be served from a copy up to a minute old at each location: a rollback must reach
//! every isolate within seconds. Its SQLite storage holds
//! - `kv`: the traffic table, the metrics aggregate and each model's monitoring window (JSON);
//! - `feedback`: recorded outcomes (`wasmpredict::ops::feedback`'s statements, as natively).
//!
//! Routes (called by the isolates only; the object is not reachable from outside):
//! `GET /traffic`, `PUT /traffic/{model}`, `POST /feedback`, `POST /metrics` (add a delta),
//! `POST /metrics/read` (add a delta, answer the aggregate and the feedback scores),
//! `GET /scores`, `POST /monitor` (add a window delta), `POST /monitor/read/{model}` (add a
//! delta, answer the model's window).

use std::cell::RefCell;
use std::collections::BTreeMap;
use wasmpredict::ops::feedback::{
    FeedbackRecord, ScoreRow, SQL_EXPIRE, SQL_INSERT, SQL_SCHEMA, SQL_SCORES,
};
use wasmpredict::ops::metrics::Metrics;
use wasmpredict::ops::monitor::{window::add_model, ModelWindow, Window};
use wasmpredict::ops::traffic::Traffic;
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, Result, SqlStorage,
    SqlStorageValue, State,
};

#[durable_object]
pub struct DeploymentState {
    sql: SqlStorage,
    /// The monitoring windows read so far (each model's is stored under `monitor/{model}`).
    monitor: RefCell<BTreeMap<String, ModelWindow>>,
}

const SQL_KV: &str = "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

#[derive(serde::Deserialize)]
struct Value {
    value: String,
}

impl DeploymentState {
    fn get<T: serde::de::DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        let rows: Vec<Value> = self
            .sql
            .exec("SELECT value FROM kv WHERE key = ?", vec![key.into()])?
            .to_array()?;
        match rows.first() {
            Some(v) => {
                serde_json::from_str(&v.value).map_err(|e| worker::Error::RustError(e.to_string()))
            }
            None => Ok(T::default()),
        }
    }

    fn put<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let text =
            serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec(
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![key.into(), text.into()],
        )?;
        Ok(())
    }

    fn add_metrics(&self, delta: &Metrics) -> Result<Metrics> {
        let mut total: Metrics = self.get("metrics")?;
        if !delta.is_empty() {
            total.merge(delta);
            self.put("metrics", &total)?;
        }
        Ok(total)
    }

    /// Appends a window delta to each model's stored window.
    fn add_monitor(&self, delta: Window) -> Result<()> {
        for (model, versions) in delta.models {
            let key = format!("monitor/{model}");
            let mut window = match self.monitor.borrow_mut().remove(&model) {
                Some(w) => w,
                None => self.get(&key)?,
            };
            add_model(&mut window, versions, delta.capacity);
            self.put(&key, &window)?;
            self.monitor.borrow_mut().insert(model, window);
        }
        Ok(())
    }

    fn model_window(&self, model: &str) -> Result<ModelWindow> {
        if let Some(w) = self.monitor.borrow().get(model) {
            return Ok(w.clone());
        }
        self.get(&format!("monitor/{model}"))
    }

    fn scores(&self) -> Result<Vec<ScoreRow>> {
        self.sql.exec(SQL_SCORES, None)?.to_array()
    }

    fn store_feedback(&self, record: &FeedbackRecord, oldest_ms: f64) -> Result<bool> {
        self.sql.exec(SQL_EXPIRE, vec![oldest_ms.into()])?;
        let r = record;
        // In SQL_INSERT's order; numbers as JavaScript numbers (f64).
        let values: Vec<SqlStorageValue> = vec![
            r.id.as_str().into(),
            r.model.as_str().into(),
            r.version.as_str().into(),
            r.predicted.as_str().into(),
            r.actual.as_str().into(),
            r.correct.map(|c| c as f64).into(),
            r.error.into(),
            (r.issued_ms as f64).into(),
            (r.received_ms as f64).into(),
        ];
        let cursor = self.sql.exec(SQL_INSERT, values)?;
        // Drain the cursor so the statement has run, then ask how many rows it wrote.
        let _ = cursor.raw().count();
        Ok(cursor.rows_written() > 0)
    }
}

impl DurableObject for DeploymentState {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for statement in SQL_SCHEMA.split(';').chain([SQL_KV]) {
            if !statement.trim().is_empty() {
                if let Err(e) = sql.exec(statement, None) {
                    worker::console_error!("cannot create the state tables: {e}");
                }
            }
        }
        DeploymentState {
            sql,
            monitor: RefCell::new(BTreeMap::new()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let url = req.url()?;
        let path = url.path().to_string();
        match (req.method(), path.as_str()) {
            (Method::Get, "/traffic") => {
                Response::from_json(&self.get::<BTreeMap<String, Traffic>>("traffic")?)
            }
            (Method::Put, p) if p.starts_with("/traffic/") => {
                let model = p.trim_start_matches("/traffic/").to_string();
                let traffic: Traffic = req.json().await?;
                let mut table: BTreeMap<String, Traffic> = self.get("traffic")?;
                table.insert(model, traffic);
                self.put("traffic", &table)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, "/feedback") => {
                #[derive(serde::Deserialize)]
                struct Body {
                    record: FeedbackRecord,
                    oldest_ms: f64,
                }
                let body: Body = req.json().await?;
                let stored = self.store_feedback(&body.record, body.oldest_ms)?;
                Response::from_json(&serde_json::json!({ "stored": stored }))
            }
            (Method::Post, "/metrics") => {
                let delta: Metrics = req.json().await?;
                self.add_metrics(&delta)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, "/metrics/read") => {
                let delta: Metrics = req.json().await?;
                let metrics = self.add_metrics(&delta)?;
                Response::from_json(
                    &serde_json::json!({ "metrics": metrics, "scores": self.scores()? }),
                )
            }
            (Method::Get, "/scores") => Response::from_json(&self.scores()?),
            (Method::Post, "/monitor") => {
                self.add_monitor(req.json().await?)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Post, p) if p.starts_with("/monitor/read/") => {
                let model = p.trim_start_matches("/monitor/read/").to_string();
                self.add_monitor(req.json().await?)?;
                Response::from_json(&self.model_window(&model)?)
            }
            _ => Response::error(format!("no route {path}"), 404),
        }
    }
}
