//! Explanations of a prediction: how much each raw field moved the model's raw score away from
//! its expected value on the training sample (docs/explanations.md).
//!
//! - linear models ([`linear`]): exact contributions `w·(x − mean)`;
//! - tree ensembles ([`tree_shap`]): path-dependent TreeSHAP, as `shap.TreeExplainer` computes
//!   it, from the node covers the exporter writes beside the graph (`explain.json`).
//!
//! Both give one value per model feature; the featurizer's lineage folds them back into the raw
//! fields (a one-hot category's columns into its field, a text's terms into the text, whose
//! strongest terms are listed). The base value plus the contributions is the raw score: a
//! classifier's decision function or log-odds (a random forest's probability), a regressor's
//! value.

mod forest;
mod linear;
mod tree_shap;

use crate::bundle::{Bundle, FieldKind, Manifest, Task};
use crate::error::{ApiError, ErrorCode};
use crate::featurize::Featurizer;
use crate::input::Cell;
use forest::Forest;
use linear::Linear;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// Terms listed per text field.
const TOP_TERMS: usize = 5;

/// Rows one request may ask to explain. TreeSHAP costs about a millisecond per row for a
/// 100-tree forest (docs/explanations.md): a full 10,000-row batch would hold a server's thread
/// for seconds, and exceed a Worker's CPU limit.
pub const MAX_ROWS: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    #[error("this bundle carries no explanation data (format version {0}); export it again with this wasmpredict to explain its predictions")]
    Missing(u32),
    #[error("explanations are not available for this model: {0}")]
    Unsupported(String),
    #[error("the bundle's explanation data cannot be used: {0}")]
    Invalid(String),
}

/// `explain.json`, as the exporter writes it (a plain struct rather than a tagged enum: serde's
/// tagged enums buffer through generic code that costs the page's wasm kilobytes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainFile {
    kind: String,
    /// `linear`: the model features' means over the export sample.
    #[serde(default)]
    feature_means: Option<Vec<f64>>,
    /// `trees`: per tree (increasing tree id), each node's training cover, by node id.
    #[serde(default)]
    covers: Option<Vec<Vec<f64>>>,
}

enum ExplainData {
    Linear { feature_means: Vec<f64> },
    Trees { covers: Vec<Vec<f64>> },
}

impl ExplainFile {
    fn data(self) -> Result<ExplainData, String> {
        match (self.kind.as_str(), self.feature_means, self.covers) {
            ("linear", Some(feature_means), None) => Ok(ExplainData::Linear { feature_means }),
            ("trees", None, Some(covers)) => Ok(ExplainData::Trees { covers }),
            (kind, _, _) => Err(format!(
                "kind '{kind}' needs exactly its own member (linear: feature_means, trees: covers)"
            )),
        }
    }
}

#[derive(Debug, Clone)]
enum Model {
    Linear(Linear),
    Trees(Forest),
}

/// The outputs an explanation reports.
#[derive(Debug, Clone, Copy)]
enum Reported {
    /// One score: a regressor's, or a two-class classifier's positive class.
    One(usize),
    /// One per class.
    All,
}

/// A bundle's explainer, built once on first use.
#[derive(Debug, Clone)]
pub struct Explainer {
    model: Model,
    n_outputs: usize,
    reported: Reported,
    /// Per model feature, its raw field.
    origins: Vec<usize>,
    fields: Vec<(String, FieldKind)>,
}

/// One row's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// One value, or one per class.
    pub base_value: Vec<f64>,
    /// Per raw field, in schema order.
    pub contributions: Vec<(String, Vec<f64>)>,
    /// Per text field: its strongest terms.
    pub terms: Vec<(String, Vec<Term>)>,
    scalar: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub term: String,
    pub contribution: Vec<f64>,
    /// Where the term occurs in the field's text: `[start, end)` in Unicode code points (none
    /// when its absence is what counts).
    pub spans: Vec<(usize, usize)>,
}

fn values<S: Serializer>(v: &[f64], scalar: bool, s: S) -> Result<S::Ok, S::Error> {
    match (scalar, v.first()) {
        (true, Some(x)) => s.serialize_f64(*x),
        _ => v.serialize(s),
    }
}

struct Values<'a>(&'a [f64], bool);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        values(self.0, self.1, s)
    }
}

impl Serialize for Term {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("term", &self.term)?;
        m.serialize_entry(
            "contribution",
            &Values(&self.contribution, self.contribution.len() == 1),
        )?;
        let spans: Vec<[usize; 2]> = self.spans.iter().map(|&(a, b)| [a, b]).collect();
        m.serialize_entry("spans", &spans)?;
        m.end()
    }
}

impl Serialize for Explanation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Fields<'a>(&'a [(String, Vec<f64>)], bool);
        impl Serialize for Fields<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (name, v) in self.0 {
                    m.serialize_entry(name, &Values(v, self.1))?;
                }
                m.end()
            }
        }
        struct Terms<'a>(&'a [(String, Vec<Term>)]);
        impl Serialize for Terms<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (name, terms) in self.0 {
                    m.serialize_entry(name, terms)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("base_value", &Values(&self.base_value, self.scalar))?;
        m.serialize_entry("contributions", &Fields(&self.contributions, self.scalar))?;
        if !self.terms.is_empty() {
            m.serialize_entry("terms", &Terms(&self.terms))?;
        }
        m.end()
    }
}

impl Explainer {
    pub fn new(bundle: &Bundle, featurizer: &Featurizer) -> Result<Explainer, ExplainError> {
        let manifest = &bundle.manifest;
        let file = manifest
            .explain
            .as_deref()
            .ok_or(ExplainError::Missing(manifest.format_version))?;
        let bytes = bundle
            .file(file)
            .ok_or_else(|| ExplainError::Invalid(format!("{file} is not in the bundle")))?;
        let data = serde_json::from_slice::<ExplainFile>(bytes)
            .map_err(|e| e.to_string())
            .and_then(ExplainFile::data)
            .map_err(|e| ExplainError::Invalid(format!("{file}: {e}")))?;
        let graph = crate::infer::onnx::parse(bundle.model_bytes())
            .map_err(|e| ExplainError::Invalid(e.to_string()))?
            .graph;
        let node = graph
            .nodes
            .iter()
            .find(|n| n.inputs.first() == Some(&manifest.model.input))
            .ok_or_else(|| {
                ExplainError::Unsupported("no graph node reads the model's input".into())
            })?;
        let model = match (&data, node.op_type.as_str()) {
            (ExplainData::Linear { feature_means }, "LinearClassifier" | "LinearRegressor") => {
                if feature_means.len() != featurizer.n_features() {
                    return Err(ExplainError::Invalid(format!(
                        "{} feature means for {} model features",
                        feature_means.len(),
                        featurizer.n_features()
                    )));
                }
                Model::Linear(Linear::parse(node, feature_means)?)
            }
            (ExplainData::Trees { covers }, "TreeEnsembleClassifier" | "TreeEnsembleRegressor") => {
                Model::Trees(Forest::parse(node, covers)?)
            }
            (_, op) => {
                return Err(ExplainError::Unsupported(format!(
                    "a graph starting with {op} and {file} of another kind"
                )))
            }
        };
        let (n_outputs, positive) = match &model {
            Model::Linear(l) => (l.n_outputs(), l.positive_output()),
            Model::Trees(f) => (f.n_outputs(), f.positive_output()),
        };
        let reported = reported(manifest, n_outputs, positive)?;
        let origins = featurizer
            .column_fields()
            .into_iter()
            .enumerate()
            .map(|(j, f)| {
                f.ok_or_else(|| {
                    ExplainError::Unsupported(format!(
                        "model feature {j} does not come from one raw field"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Explainer {
            model,
            n_outputs,
            reported,
            origins,
            fields: manifest
                .input
                .iter()
                .map(|f| (f.name.clone(), f.kind))
                .collect(),
        })
    }

    /// The outputs an explanation reports, of one value per output (`reported` checked that
    /// `k < n_outputs`).
    fn reported_part<'a>(&self, values: &'a [f64]) -> &'a [f64] {
        match self.reported {
            Reported::One(k) => values.get(k..=k).unwrap_or_default(),
            Reported::All => values,
        }
    }

    /// Explains one raw row (cells in schema order).
    pub fn explain(
        &self,
        featurizer: &Featurizer,
        row: &[Cell<'_>],
    ) -> Result<Explanation, ApiError> {
        let x = featurizer.transform(row)?;
        let mut phi = vec![0.0; x.len() * self.n_outputs];
        let base = match &self.model {
            Model::Linear(l) => {
                l.contributions(&x, &mut phi);
                l.base_values()
            }
            Model::Trees(f) => {
                let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                f.shap(&x32, &mut phi);
                f.base_values()
            }
        };
        let column =
            |j: usize| self.reported_part(&phi[j * self.n_outputs..(j + 1) * self.n_outputs]);
        let width = match self.reported {
            Reported::One(_) => 1,
            Reported::All => self.n_outputs,
        };
        let mut by_field = vec![vec![0.0; width]; self.fields.len()];
        // A text's columns (one per vocabulary term), to list its strongest terms.
        let mut text_columns: Vec<Vec<usize>> = vec![Vec::new(); self.fields.len()];
        for (j, &field) in self.origins.iter().enumerate() {
            if let Some(total) = by_field.get_mut(field) {
                for (t, v) in total.iter_mut().zip(column(j)) {
                    *t += v;
                }
            }
            if self
                .fields
                .get(field)
                .is_some_and(|f| f.1 == FieldKind::Text)
            {
                text_columns[field].push(j);
            }
        }
        let strength = |j: usize| column(j).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let strongest_first = |a: &usize, b: &usize| strength(*b).total_cmp(&strength(*a));
        let mut terms = Vec::new();
        for (field, mut cols) in text_columns.into_iter().enumerate() {
            if cols.is_empty() {
                continue;
            }
            // The top few of thousands of terms: select them, then sort only those.
            if cols.len() > TOP_TERMS {
                cols.select_nth_unstable_by(TOP_TERMS - 1, strongest_first);
                cols.truncate(TOP_TERMS);
            }
            cols.sort_by(strongest_first);
            let mut top: Vec<Term> = cols
                .into_iter()
                .filter(|&j| strength(j) > 0.0)
                .map(|j| Term {
                    term: featurizer
                        .column_label(j)
                        .unwrap_or_else(|| format!("feature {j}")),
                    contribution: column(j).to_vec(),
                    spans: Vec::new(),
                })
                .collect();
            let name = &self.fields[field].0;
            if let (Some(vectorizer), Some(Cell::Str(text))) =
                (featurizer.text_vectorizer(name), row.get(field))
            {
                let wanted: Vec<&str> = top.iter().map(|t| t.term.as_str()).collect();
                let spans = vectorizer.term_spans(text, &wanted);
                for (t, s) in top.iter_mut().zip(spans) {
                    t.spans = s;
                }
            }
            terms.push((name.clone(), top));
        }
        Ok(Explanation {
            base_value: self.reported_part(&base).to_vec(),
            contributions: self
                .fields
                .iter()
                .map(|(name, _)| name.clone())
                .zip(by_field)
                .collect(),
            terms,
            scalar: matches!(self.reported, Reported::One(_)),
        })
    }
}

/// Which outputs a model's explanation reports, checked against the manifest.
fn reported(
    manifest: &Manifest,
    n_outputs: usize,
    positive: usize,
) -> Result<Reported, ExplainError> {
    match (manifest.task, manifest.classes.as_ref().map(Vec::len)) {
        (Task::Regression, _) if n_outputs == 1 => Ok(Reported::One(0)),
        (Task::Classification, Some(2)) if positive < n_outputs => Ok(Reported::One(positive)),
        (Task::Classification, Some(k)) if k > 2 && k == n_outputs => Ok(Reported::All),
        _ => Err(ExplainError::Unsupported(format!(
            "{n_outputs} raw scores for a {:?} model",
            manifest.task
        ))),
    }
}

/// An [`ExplainError`] as the API reports it.
pub fn unavailable(e: &ExplainError) -> ApiError {
    ApiError::for_field(ErrorCode::ExplanationUnavailable, "explain", e.to_string())
}
