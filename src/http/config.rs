//! A service's settings: limits, CORS, the default model, operations.

/// Limits, CORS and operations settings of a service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The model that answers plain `/predict`.
    pub default_model: Option<String>,
    /// Request bodies above this many bytes get 413.
    pub max_body_bytes: usize,
    /// Requests with more rows than this get 413.
    pub max_rows: usize,
    /// Origins allowed by CORS; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Forces an engine for every model (benchmarks); None: the one that covers each graph.
    pub engine: Option<crate::infer::Engine>,
    /// The bearer token of the admin routes (`ADMIN_TOKEN`); None disables them.
    pub admin_token: Option<String>,
    /// Feedback is accepted for predictions at most this old, and kept this long.
    pub feedback_retention_days: u32,
    /// Requests and rows the monitoring window keeps per model version; 0 turns it off.
    pub monitor_window: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            default_model: None,
            max_body_bytes: 1 << 20,
            max_rows: 10_000,
            allowed_origins: vec!["*".into()],
            engine: None,
            admin_token: None,
            feedback_retention_days: 30,
            monitor_window: crate::ops::monitor::DEFAULT_CAPACITY,
        }
    }
}

impl ServiceConfig {
    pub fn retention_ms(&self) -> u64 {
        u64::from(self.feedback_retention_days) * 86_400_000
    }
}
