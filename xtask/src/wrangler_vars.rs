//! wrangler.toml's `[vars]` are the deployed Worker's settings: each must be one of the core's
//! settings (`wasmpredict::http::config::SETTINGS`) with a value it can read, checked before
//! `wrangler dev` or `wrangler deploy` runs, so a misspelt name or `MAX_ROWS = "10k"` stops the
//! command in one line instead of reaching the Worker (which would answer every request with
//! 503 invalid_configuration).

use crate::out::{fail, Context, Result};
use std::collections::BTreeMap;
use std::path::Path;
use wasmpredict::http::config::{Setting, SETTINGS};
use wasmpredict::http::ServiceConfig;

pub fn check(root: &Path) -> Result {
    let path = root.join("wrangler.toml");
    let text =
        std::fs::read_to_string(&path).context(|| format!("cannot read {}", path.display()))?;
    check_text(&text).or_else(|e| fail(format!("wrangler.toml [vars]: {e}")))
}

fn check_text(text: &str) -> std::result::Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Wrangler {
        #[serde(default)]
        vars: BTreeMap<String, toml::Value>,
    }
    let wrangler: Wrangler = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut values = BTreeMap::new();
    for (name, value) in &wrangler.vars {
        if Setting::by_var(name).is_none() {
            let names: Vec<&str> = SETTINGS.iter().map(|s| s.var).collect();
            return Err(format!(
                "{name} is not a setting; the settings are {}",
                names.join(", ")
            ));
        }
        // The Worker reads a var as text: a TOML string, or a number's or boolean's spelling.
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(x) => x.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => return Err(format!("{name} must be a string")),
        };
        values.insert(name.as_str(), text);
    }
    ServiceConfig::from_settings(|s| values.get(s.var).cloned(), |s| s.var.to_string())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::check_text;

    #[test]
    fn vars_must_be_settings_the_worker_can_read() {
        assert_eq!(
            check_text("[vars]\nDEFAULT_MODEL = \"iris\"\nMAX_ROWS = 500\n"),
            Ok(())
        );
        assert_eq!(check_text("name = \"x\"\n"), Ok(()));
        assert_eq!(
            check_text("[vars]\nMAX_ROWS = \"10k\"\n"),
            Err("MAX_ROWS: \"10k\" is not a whole number of rows, at least 1".to_string())
        );
        let misspelt = check_text("[vars]\nMAX_ROW = \"10\"\n").unwrap_err();
        assert!(
            misspelt.starts_with("MAX_ROW is not a setting; the settings are DEFAULT_MODEL"),
            "{misspelt}"
        );
    }

    #[test]
    fn the_repository_wrangler_toml_passes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join("wrangler.toml")).expect("wrangler.toml");
        assert_eq!(check_text(&text), Ok(()));
    }
}
