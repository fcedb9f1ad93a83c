//! A service's settings (limits, CORS, the default model, operations), specified once: each
//! [`Setting`] names its Worker variable, its `wasmpredict serve` flag, its default and what a
//! value must be. Both adapters read values as text and hand them to
//! [`ServiceConfig::from_settings`], so a default lives only here and a value that does not
//! parse is refused at start, with one line naming the setting, in both places.

use crate::infer::Engine;

/// Limits, CORS and operations settings of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// The model that answers plain `/predict`; None: the adapter's choice (the first model by
    /// name), or none at all.
    pub default_model: Option<String>,
    /// Request bodies above this many bytes get 413.
    pub max_body_bytes: usize,
    /// Requests with more rows than this get 413.
    pub max_rows: usize,
    /// Origins allowed by CORS; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// Forces an engine for every model (benchmarks); None: the one that covers each graph.
    pub engine: Option<Engine>,
    /// The bearer token of the admin routes (`ADMIN_TOKEN`); None disables them.
    pub admin_token: Option<String>,
    /// Feedback is accepted for predictions at most this old, and kept this long.
    pub feedback_retention_days: u32,
    /// Requests and rows the monitoring window keeps per model version; 0 turns it off.
    pub monitor_window: usize,
}

/// One setting of a service, as every adapter and the docs name it.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The Worker's variable (wrangler.toml `[vars]`, or a secret) and the environment variable.
    pub var: &'static str,
    /// The `wasmpredict serve` flag, without `--`; None where the native server takes the value
    /// another way (the admin token: `--admin-token-file` or the environment).
    pub flag: Option<&'static str>,
    /// The value when none is given, as text; empty: none (the adapter may choose).
    pub default: &'static str,
    /// What a value must be (the refusal says it).
    pub expected: &'static str,
    /// What the setting does.
    pub help: &'static str,
    /// Several values, comma-separated (natively a repeatable flag).
    pub list: bool,
    /// A secret: a refusal does not repeat the value.
    pub secret: bool,
    /// Stores a value; false when it is not `expected`.
    apply: fn(&mut ServiceConfig, &str) -> bool,
}

/// Every setting, in the order `--help` and docs/api.md list them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        var: "DEFAULT_MODEL",
        flag: Some("default-model"),
        default: "",
        expected: "a model name",
        help: "The model answering plain POST /predict (default: the first model by name).",
        list: false,
        secret: false,
        apply: |c, v| {
            c.default_model = Some(v.to_string());
            !v.contains('/')
        },
    },
    Setting {
        var: "MAX_BODY_BYTES",
        flag: Some("max-body-bytes"),
        default: "1048576",
        expected: "a whole number of bytes, at least 1",
        help: "Largest accepted request body, in bytes (larger: 413 payload_too_large).",
        list: false,
        secret: false,
        apply: |c, v| positive(v).map(|n| c.max_body_bytes = n).is_some(),
    },
    Setting {
        var: "MAX_ROWS",
        flag: Some("max-rows"),
        default: "10000",
        expected: "a whole number of rows, at least 1",
        help: "Largest accepted batch, in rows (larger: 413 too_many_rows).",
        list: false,
        secret: false,
        apply: |c, v| positive(v).map(|n| c.max_rows = n).is_some(),
    },
    Setting {
        var: "ALLOWED_ORIGINS",
        flag: Some("allow-origin"),
        default: "*",
        expected: "`*` or comma-separated origins like https://app.example.com",
        help: "Origins CORS allows to call the API from a page; `*` allows any.",
        list: true,
        secret: false,
        apply: |c, v| {
            c.allowed_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_string)
                .collect();
            c.allowed_origins.iter().all(|o| is_origin(o))
        },
    },
    Setting {
        var: "FEEDBACK_RETENTION_DAYS",
        flag: Some("feedback-retention-days"),
        default: "30",
        expected: "a whole number of days from 1 to 36500",
        help: "Days feedback is accepted for a prediction, and kept.",
        list: false,
        secret: false,
        apply: |c, v| {
            v.parse::<u32>()
                .ok()
                .filter(|d| (1..=36_500).contains(d))
                .map(|d| c.feedback_retention_days = d)
                .is_some()
        },
    },
    Setting {
        var: "MONITOR_WINDOW",
        flag: Some("monitor-window"),
        default: "10000",
        expected: "a whole number of requests and rows (0 turns monitoring off)",
        help: "Requests and rows GET /models/{name}/monitor keeps per model version; 0 turns it off.",
        list: false,
        secret: false,
        apply: |c, v| v.parse().map(|n| c.monitor_window = n).is_ok(),
    },
    Setting {
        var: "ENGINE",
        flag: Some("engine"),
        default: "",
        expected: "compact or tract",
        help: "Force an engine for every model (benchmarks); by default each graph gets the engine that covers it.",
        list: false,
        secret: false,
        apply: |c, v| v.parse().map(|e| c.engine = Some(e)).is_ok(),
    },
    Setting {
        var: "ADMIN_TOKEN",
        flag: None,
        default: "",
        expected: "a token without spaces",
        help: "The bearer token of the admin routes; without one they answer 403.",
        list: false,
        secret: true,
        apply: |c, v| {
            c.admin_token = Some(v.to_string());
            !v.chars().any(char::is_whitespace)
        },
    },
];

/// A setting's value that is not what the setting takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {value:?} is not {expected}")]
pub struct ConfigError {
    /// How the adapter named the setting (`MAX_ROWS`, `--max-rows`).
    pub name: String,
    pub value: String,
    pub expected: &'static str,
}

fn positive(v: &str) -> Option<usize> {
    v.parse().ok().filter(|&n| n >= 1)
}

/// `*`, or an origin as browsers send it: scheme, host, optional port, no path.
fn is_origin(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', ' ', ','])
}

impl Setting {
    /// The setting of a Worker variable.
    pub fn by_var(var: &str) -> Option<&'static Setting> {
        SETTINGS.iter().find(|s| s.var == var)
    }
}

impl ServiceConfig {
    /// Reads every setting through `value` (the adapter's text for it, or None for the
    /// default); blank text counts as none. `name` says how the adapter spells a setting in
    /// its refusal (a flag natively, the variable in the Worker).
    pub fn from_settings(
        value: impl Fn(&Setting) -> Option<String>,
        name: impl Fn(&Setting) -> String,
    ) -> Result<ServiceConfig, ConfigError> {
        // Every field is written by its setting below.
        let mut config = ServiceConfig {
            default_model: None,
            max_body_bytes: 0,
            max_rows: 0,
            allowed_origins: Vec::new(),
            engine: None,
            admin_token: None,
            feedback_retention_days: 0,
            monitor_window: 0,
        };
        for setting in SETTINGS {
            let given = value(setting).filter(|v| !v.trim().is_empty());
            let text = given.as_deref().unwrap_or(setting.default).trim();
            if text.is_empty() {
                continue;
            }
            if !(setting.apply)(&mut config, text) {
                return Err(ConfigError {
                    name: name(setting),
                    value: if setting.secret {
                        "(hidden)".to_string()
                    } else {
                        text.to_string()
                    },
                    expected: setting.expected,
                });
            }
        }
        Ok(config)
    }

    pub fn retention_ms(&self) -> u64 {
        u64::from(self.feedback_retention_days) * 86_400_000
    }
}

impl Default for ServiceConfig {
    /// Every setting at its default.
    fn default() -> Self {
        // The defaults parse (tested below), so this cannot fail.
        ServiceConfig::from_settings(|_| None, |s| s.var.to_string())
            .unwrap_or_else(|e| panic!("a default in SETTINGS does not parse: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<ServiceConfig, ConfigError> {
        ServiceConfig::from_settings(
            |s| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == s.var)
                    .map(|(_, v)| v.to_string())
            },
            |s| s.var.to_string(),
        )
    }

    #[test]
    fn defaults_parse_and_are_what_the_service_expects() {
        let c = from(&[]).expect("defaults parse");
        assert_eq!(c, ServiceConfig::default());
        assert_eq!(c.max_body_bytes, 1 << 20);
        assert_eq!(c.max_rows, 10_000);
        assert_eq!(c.allowed_origins, ["*"]);
        assert_eq!(c.feedback_retention_days, 30);
        assert_eq!(c.monitor_window, 10_000);
        assert_eq!(
            (c.default_model, c.engine, c.admin_token),
            (None, None, None)
        );
    }

    #[test]
    fn values_are_read_and_bad_ones_refused_naming_the_setting() {
        let c = from(&[
            ("MAX_ROWS", " 20 "),
            (
                "ALLOWED_ORIGINS",
                "https://a.example, http://localhost:8080",
            ),
            ("ENGINE", "tract"),
            ("MONITOR_WINDOW", "0"),
            ("DEFAULT_MODEL", "iris"),
            ("ADMIN_TOKEN", "s3cret"),
            ("FEEDBACK_RETENTION_DAYS", ""),
        ])
        .expect("parses");
        assert_eq!(c.max_rows, 20);
        assert_eq!(
            c.allowed_origins,
            ["https://a.example", "http://localhost:8080"]
        );
        assert_eq!(c.engine, Some(Engine::Tract));
        assert_eq!(c.monitor_window, 0);
        assert_eq!(c.default_model.as_deref(), Some("iris"));
        assert_eq!(c.admin_token.as_deref(), Some("s3cret"));
        assert_eq!(c.feedback_retention_days, 30, "blank is the default");
        for (var, value) in [
            ("MAX_ROWS", "10k"),
            ("MAX_ROWS", "0"),
            ("MAX_BODY_BYTES", "-1"),
            ("MAX_BODY_BYTES", "1.5"),
            ("FEEDBACK_RETENTION_DAYS", "0"),
            ("MONITOR_WINDOW", "lots"),
            ("ENGINE", "onnxruntime"),
            ("ALLOWED_ORIGINS", "https://a.example/path"),
            ("ALLOWED_ORIGINS", "a.example"),
            ("DEFAULT_MODEL", "models/iris"),
        ] {
            let e = from(&[(var, value)]).expect_err(value);
            assert_eq!(e.name, var);
            assert_eq!(e.value, value);
            let line = e.to_string();
            assert!(
                line.starts_with(&format!("{var}: \"{value}\" is not ")),
                "{line}"
            );
            assert_eq!(line.lines().count(), 1);
        }
        let secret = from(&[("ADMIN_TOKEN", "two words")]).expect_err("refused");
        assert_eq!(
            secret.to_string(),
            "ADMIN_TOKEN: \"(hidden)\" is not a token without spaces"
        );
    }

    #[test]
    fn every_setting_has_a_distinct_var_and_flag() {
        let mut vars: Vec<&str> = SETTINGS.iter().map(|s| s.var).collect();
        let mut flags: Vec<&str> = SETTINGS.iter().filter_map(|s| s.flag).collect();
        let (nv, nf) = (vars.len(), flags.len());
        vars.sort_unstable();
        vars.dedup();
        flags.sort_unstable();
        flags.dedup();
        assert_eq!((vars.len(), flags.len()), (nv, nf));
    }
}
