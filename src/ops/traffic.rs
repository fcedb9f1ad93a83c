//! Which version of a model answers a request: the live version, an optional weighted split
//! (sticky per request key), and an optional shadow version. The body of
//! `PUT /admin/models/{name}/traffic` and the stored state are this one type.

use crate::bundle::layout::ModelDir;
use crate::error::{ApiError, BundleError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A model's traffic: `{"split": {"1.0.0": 90, "1.1.0": 10}, "sticky_header": "x-user-id",
/// "shadow": "1.2.0"}`. `{"split": {"1.0.0": 100}}` makes 1.0.0 the only live version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// Version -> percent of requests; the weights sum to 100.
    pub split: BTreeMap<String, u32>,
    /// A request header whose value (hashed) picks the version, so one user always sees one
    /// version. Without it (or when a request lacks the header) each request draws at random.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticky_header: Option<String>,
    /// A version evaluated on the same requests, its answers compared with the live ones and
    /// never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<String>,
}

impl Traffic {
    /// All requests to `version`.
    pub fn only(version: &str) -> Traffic {
        Traffic {
            split: BTreeMap::from([(version.to_string(), 100)]),
            sticky_header: None,
            shadow: None,
        }
    }

    /// The traffic a server starts with for a model of a models directory: its `traffic.json`
    /// (checked against the versions), else every request to the highest version.
    pub fn initial(model: &ModelDir) -> Result<Traffic, BundleError> {
        let versions = model.version_names();
        let Some(bytes) = model.traffic_bytes()? else {
            return Ok(Traffic::only(versions.last().copied().unwrap_or_default()));
        };
        let path = model
            .traffic
            .as_deref()
            .unwrap_or(std::path::Path::new("traffic.json"));
        Traffic::parse(&bytes, &versions)
            .map_err(|e| BundleError::Manifest(format!("{}: {}", path.display(), e.message)))
    }

    /// Parses and validates a traffic body against the versions a model has; an error names
    /// the field at fault.
    pub fn parse(body: &[u8], versions: &[&str]) -> Result<Traffic, ApiError> {
        use serde_json::Value;
        let invalid = |field: &str, message: String| {
            ApiError::for_field(ErrorCode::InvalidTraffic, field, message)
        };
        let shape = "{\"split\": {\"VERSION\": PERCENT, ...}, \"sticky_header\"?: \"HEADER\", \"shadow\"?: \"VERSION\"}";
        let value: Value = crate::input::strict_json::from_slice(body).map_err(|e| {
            ApiError::new(ErrorCode::InvalidJson, format!("the body is not JSON: {e}"))
        })?;
        let Value::Object(object) = value else {
            return Err(ApiError::new(
                ErrorCode::InvalidTraffic,
                format!("the traffic body must be {shape}"),
            ));
        };
        // `model`, `live` and `versions` are what GET adds to the state: a GET's body can be PUT back.
        let known = [
            "split",
            "sticky_header",
            "shadow",
            "model",
            "live",
            "versions",
        ];
        if let Some(key) = object.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(invalid(
                key,
                format!("'{key}' is not a traffic field; the body is {shape}"),
            ));
        }
        let Some(Value::Object(weights)) = object.get("split") else {
            return Err(invalid(
                "split",
                format!("split must be an object of version -> percent: {shape}"),
            ));
        };
        let mut split = BTreeMap::new();
        for (version, weight) in weights {
            let weight = weight.as_u64().filter(|&w| w <= 100).ok_or_else(|| {
                invalid("split", format!("the weight of '{version}' is {weight}; a weight is a whole percent from 0 to 100"))
            })?;
            split.insert(version.clone(), weight as u32);
        }
        let text = |field: &str| -> Result<Option<String>, ApiError> {
            match object.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(invalid(
                    field,
                    format!("{field} must be a string, not {other}"),
                )),
            }
        };
        let traffic = Traffic {
            split,
            sticky_header: text("sticky_header")?,
            shadow: text("shadow")?,
        };
        traffic.validate(versions)?;
        Ok(traffic)
    }

    /// Checks the split's versions exist and sum to 100, the header is a header name, and the
    /// shadow is a version outside the split.
    pub fn validate(&self, versions: &[&str]) -> Result<(), ApiError> {
        let invalid = |field: &str, message: String| {
            ApiError::for_field(ErrorCode::InvalidTraffic, field, message)
        };
        let known = versions.join(", ");
        if self.split.is_empty() {
            return Err(invalid(
                "split",
                format!("split names no version; versions: {known}"),
            ));
        }
        for version in self.split.keys() {
            if !versions.contains(&version.as_str()) {
                return Err(invalid(
                    "split",
                    format!("split names version '{version}', which this model does not have; versions: {known}"),
                ));
            }
        }
        let total: u64 = self.split.values().map(|&w| u64::from(w)).sum();
        if total != 100 {
            return Err(invalid(
                "split",
                format!("the split's weights sum to {total}; they must sum to 100"),
            ));
        }
        if let Some(header) = &self.sticky_header {
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if header.is_empty() || header.len() > 64 || !header.chars().all(token) {
                return Err(invalid(
                    "sticky_header",
                    format!("sticky_header '{header}' is not an HTTP header name"),
                ));
            }
        }
        if let Some(shadow) = &self.shadow {
            if !versions.contains(&shadow.as_str()) {
                return Err(invalid(
                    "shadow",
                    format!("shadow names version '{shadow}', which this model does not have; versions: {known}"),
                ));
            }
            if self.split.get(shadow).is_some_and(|&w| w > 0) {
                return Err(invalid(
                    "shadow",
                    format!("version '{shadow}' already answers part of the traffic; a shadow must be outside the split"),
                ));
            }
        }
        Ok(())
    }

    /// The version with the largest share (the highest such version on a tie): what
    /// `GET /models/{name}` calls live.
    pub fn live(&self) -> &str {
        self.split
            .iter()
            .filter(|(_, &w)| w > 0)
            .max_by(|a, b| {
                a.1.cmp(b.1)
                    .then_with(|| crate::bundle::layout::compare_versions(a.0, b.0))
            })
            .map(|(v, _)| v.as_str())
            .unwrap_or_default()
    }

    /// What `GET /admin/models/{name}/traffic` answers: the traffic, the live version and every
    /// version of the model (a body that can be PUT back as it is).
    pub fn state(&self, model: &str, versions: &[&str]) -> serde_json::Value {
        let mut body = serde_json::json!(self);
        body["model"] = model.into();
        body["live"] = self.live().into();
        body["versions"] = versions.into();
        body
    }

    /// The version that answers a request: by the sticky key's hash when there is one, else by
    /// `random` (any uniformly drawn number).
    pub fn choose(&self, model: &str, sticky_key: Option<&str>, random: u64) -> &str {
        let draw = match sticky_key {
            Some(key) => sticky_hash(model, key),
            None => random,
        };
        let mut bucket = draw % 100;
        for (version, &weight) in &self.split {
            if bucket < u64::from(weight) {
                return version;
            }
            bucket -= u64::from(weight);
        }
        self.live()
    }
}

/// A stable 64-bit hash of (model, key): the same on every platform and in every isolate, so a
/// user keeps their version everywhere (FNV-1a, then a SplitMix64 finalizer to spread it).
pub fn sticky_hash(model: &str, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in model
        .as_bytes()
        .iter()
        .chain([0u8].iter())
        .chain(key.as_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h)
}

/// SplitMix64's finalizer: a bijective scramble of a 64-bit value.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSIONS: &[&str] = &["1.0.0", "1.1.0", "1.2.0"];

    fn parse(body: &str) -> Result<Traffic, ApiError> {
        Traffic::parse(body.as_bytes(), VERSIONS)
    }

    #[test]
    fn accepts_the_contract_body() {
        let t = parse(r#"{"split": {"1.0.0": 90, "1.1.0": 10}, "sticky_header": "x-user-id", "shadow": "1.2.0"}"#)
            .expect("valid");
        assert_eq!(t.live(), "1.0.0");
        assert_eq!(
            parse(r#"{"split": {"1.1.0": 100}}"#).unwrap().live(),
            "1.1.0"
        );
        assert_eq!(
            parse(r#"{"split": {"1.0.0": 50, "1.1.0": 50}}"#)
                .unwrap()
                .live(),
            "1.1.0"
        );
    }

    #[test]
    fn refuses_bad_bodies_naming_the_field() {
        for (body, field) in [
            (r#"{"split": {"1.0.0": 90}}"#, "split"),
            (r#"{"split": {"9.9.9": 100}}"#, "split"),
            (r#"{"split": {}}"#, "split"),
            (r#"{"split": {"1.0.0": -1}}"#, "split"),
            (r#"{"split": {"1.0.0": 100}, "shadow": "7.0.0"}"#, "shadow"),
            (
                r#"{"split": {"1.0.0": 90, "1.2.0": 10}, "shadow": "1.2.0"}"#,
                "shadow",
            ),
            (
                r#"{"split": {"1.0.0": 100}, "sticky_header": "x user"}"#,
                "sticky_header",
            ),
            (r#"{"live": "1.0.0"}"#, "split"),
        ] {
            let e = parse(body).expect_err(body);
            assert_eq!(e.code, ErrorCode::InvalidTraffic, "{body}");
            assert_eq!(e.field.as_deref(), Some(field), "{body}: {}", e.message);
        }
    }

    #[test]
    fn split_shares_and_stickiness() {
        let t = parse(r#"{"split": {"1.0.0": 90, "1.1.0": 10}}"#).unwrap();
        let n = 100_000u64;
        let canary = (0..n)
            .filter(|&i| t.choose("churn", None, mix64(i)) == "1.1.0")
            .count() as f64;
        assert!((canary / n as f64 - 0.10).abs() < 0.01, "{canary}");
        let users = (0..n)
            .filter(|i| t.choose("churn", Some(&format!("user-{i}")), 0) == "1.1.0")
            .count() as f64;
        assert!((users / n as f64 - 0.10).abs() < 0.01, "{users}");
        for i in 0..100 {
            let key = format!("user-{i}");
            let first = t.choose("churn", Some(&key), 1);
            assert!((0..20).all(|r| t.choose("churn", Some(&key), mix64(r)) == first));
        }
    }
}
