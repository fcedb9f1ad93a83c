//! The training profile (`manifest.json` → `profile`, format version 2): what the model saw in
//! training, so that drift can be measured where the data is (`crate::drift`). Written by the
//! exporter from its sample; specified in `docs/bundle-format.md` ("Training profile").

use super::manifest::{FieldKind, Manifest, Task};
use serde::{Deserialize, Serialize};

/// The profile of the exporter's sample: one entry per raw field (in `input` order) and the
/// distribution of the model's own predictions on the same rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Rows of the sample; every histogram below counts exactly these rows.
    pub rows: u64,
    pub fields: Vec<FieldProfile>,
    /// Classification: one value per class (the manifest's `classes`); regression: bins.
    pub predictions: Histogram,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldProfile {
    pub name: String,
    /// Numbers: the values; categories and bools: the values; texts: the length in characters.
    pub values: Histogram,
    /// Texts only: the share of each row's terms (the analyzer's n-grams) that are not in the
    /// vocabulary; a row without terms counts as missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oov: Option<Histogram>,
}

/// A histogram over bins (`edges`) or over listed values (`values`), with missing rows apart.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    /// Bin edges, strictly increasing: bin 0 holds `x <= edges[0]`, bin `i` holds
    /// `edges[i-1] < x <= edges[i]`, the last bin `x > edges[last]`. Midpoints between training
    /// values at the deciles, so that no training value lies on an edge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Vec<f64>>,
    /// Listed values (categories, booleans, classes), most frequent first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<serde_json::Value>>,
    /// One count per bin (`edges.len() + 1`) or per listed value.
    pub counts: Vec<u64>,
    /// Rows whose value is not listed (categories beyond the exporter's 200 most frequent).
    #[serde(default)]
    pub other: u64,
    pub missing: u64,
}

impl Histogram {
    /// Every slot's count in the order the drift statistics use: bins or values, then `other`
    /// (listed values only), then missing.
    pub fn slots(&self) -> Vec<u64> {
        let mut out = self.counts.clone();
        if self.values.is_some() {
            out.push(self.other);
        }
        out.push(self.missing);
        out
    }

    fn check(&self, at: &str, rows: u64, want_values: bool) -> Result<(), String> {
        match (&self.edges, &self.values, want_values) {
            (Some(edges), None, false) => {
                if edges.iter().any(|e| !e.is_finite()) {
                    return Err(format!("{at}.edges must be finite numbers"));
                }
                if edges.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(format!("{at}.edges must be strictly increasing"));
                }
                if self.counts.len() != edges.len() + 1 {
                    return Err(format!(
                        "{at}.counts has {} entries; {} edges make {} bins",
                        self.counts.len(),
                        edges.len(),
                        edges.len() + 1
                    ));
                }
                if self.other != 0 {
                    return Err(format!("{at}.other is only for listed values"));
                }
            }
            (None, Some(values), true) => {
                if self.counts.len() != values.len() {
                    return Err(format!(
                        "{at}.counts has {} entries for {} values",
                        self.counts.len(),
                        values.len()
                    ));
                }
            }
            (_, _, false) => return Err(format!("{at} must have edges (and no values)")),
            (_, _, true) => return Err(format!("{at} must have values (and no edges)")),
        }
        let total = self
            .counts
            .iter()
            .chain([&self.other, &self.missing])
            .try_fold(0u64, |sum, &c| sum.checked_add(c));
        match total {
            Some(n) if n == rows => Ok(()),
            Some(n) => Err(format!("{at} counts {n} rows; the profile has {rows}")),
            None => Err(format!("{at} counts more rows than a u64 holds")),
        }
    }
}

impl Profile {
    /// The manifest's profile, read and checked against the manifest; `None` when it has none
    /// (format version 1).
    pub fn of(manifest: &Manifest) -> Result<Option<Profile>, String> {
        let Some(value) = &manifest.profile else {
            return Ok(None);
        };
        let profile = Profile::deserialize(value).map_err(|e| format!("profile: {e}"))?;
        profile.validate(manifest)?;
        Ok(Some(profile))
    }

    /// The profile's semantic checks against its manifest: one entry per input field in order,
    /// each histogram of the kind its field needs, and every histogram counting `rows` rows.
    pub fn validate(&self, manifest: &Manifest) -> Result<(), String> {
        if self.rows == 0 {
            return Err("profile.rows must be positive".into());
        }
        if self.fields.len() != manifest.input.len() {
            return Err(format!(
                "profile.fields has {} entries for {} input fields",
                self.fields.len(),
                manifest.input.len()
            ));
        }
        for (i, (profile, field)) in self.fields.iter().zip(&manifest.input).enumerate() {
            let at = format!("profile.fields[{i}]");
            if profile.name != field.name {
                return Err(format!(
                    "{at}.name is '{}' but input field {i} is '{}'",
                    profile.name, field.name
                ));
            }
            let listed = matches!(field.kind, FieldKind::Category | FieldKind::Bool);
            profile
                .values
                .check(&format!("{at}.values"), self.rows, listed)?;
            match (&profile.oov, field.kind) {
                (Some(oov), FieldKind::Text) => {
                    oov.check(&format!("{at}.oov"), self.rows, false)?
                }
                (None, FieldKind::Text) => return Err(format!("{at}.oov is required for a text")),
                (Some(_), _) => return Err(format!("{at}.oov is only for a text field")),
                (None, _) => {}
            }
        }
        let classification = manifest.task == Task::Classification;
        self.predictions
            .check("profile.predictions", self.rows, classification)?;
        if classification && self.predictions.values.as_ref() != manifest.classes.as_ref() {
            return Err("profile.predictions.values must be the manifest's classes".into());
        }
        Ok(())
    }
}
