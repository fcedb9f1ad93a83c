//! `manifest.json`, format version 4. Specified in `docs/bundle-format.md`; this file is its
//! Rust mirror and the exporter (`python/wasmpredict/`) writes exactly these fields. Version 2 added
//! the training `profile`, version 3 the `explain` file, version 4 the featurizer steps of
//! [`Step::FORMAT_4_TYPES`]; older manifests (without them) still load.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The newest bundle format this build understands.
pub const FORMAT_VERSION: u32 = 4;

/// The first format version with a training profile.
pub const PROFILE_FORMAT_VERSION: u32 = 2;

/// The first format version with explanation data (`explain`).
pub const EXPLAIN_FORMAT_VERSION: u32 = 3;

/// The first format version with the steps of [`Step::FORMAT_4_TYPES`].
pub const STEPS_4_FORMAT_VERSION: u32 = 4;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format_version: u32,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Who wrote the bundle (exporter and library versions), for humans.
    #[serde(default)]
    pub created_by: Option<String>,
    pub task: Task,
    /// sklearn's estimator class name, e.g. `RandomForestClassifier`.
    pub estimator: String,
    /// `classes_` in sklearn's order; absent for regression.
    #[serde(default)]
    pub classes: Option<Vec<serde_json::Value>>,
    /// The raw input schema: what a request sends.
    pub input: Vec<Field>,
    /// The fitted preprocessing, applied in Rust before the ONNX graph.
    pub featurizer: Step,
    /// Width of the featurizer's output, i.e. the ONNX graph's input columns.
    pub n_features: usize,
    pub model: ModelSpec,
    /// sha256 (hex) of every other file of the bundle, by file name.
    pub files: BTreeMap<String, String>,
    /// What the model saw in training, for drift checks (format version 2). Kept as JSON
    /// here and read by [`Profile::of`](super::profile::Profile::of) where drift is computed (and by `wasmpredict check`),
    /// so that adapters that never compute drift (the JS predictor) carry no code for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<serde_json::Value>,
    /// The file (listed in `files`) holding what explanations need beside the graph: linear
    /// models' feature means or trees' node covers (format version 3; `crate::explain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

/// One raw input field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// Whether the field may be null or absent: the pipeline imputes it or the estimator
    /// handles missing values (the exporter checks this against sklearn).
    #[serde(default)]
    pub nullable: bool,
    /// Training statistics of the field, for forms and drift checks.
    #[serde(default)]
    pub stats: Option<FieldStats>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Number,
    Category,
    Text,
    Bool,
}

impl FieldKind {
    /// The kind as the manifest spells it (`number`).
    pub fn name(self) -> String {
        crate::error::wire_name(&self)
    }

    pub fn expected(&self) -> &'static str {
        match self {
            FieldKind::Number => "a number",
            FieldKind::Category => "a string (a category)",
            FieldKind::Text => "a non-empty string (a text)",
            FieldKind::Bool => "a boolean",
        }
    }
}

/// Statistics of one field over the exporter's sample. Which members are set depends on the kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldStats {
    pub count: u64,
    #[serde(default)]
    pub missing: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// Category (or bool) frequencies: value and count, most frequent first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequencies: Option<Vec<(serde_json::Value, u64)>>,
    /// Text length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<LengthStats>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LengthStats {
    pub min: u64,
    pub max: u64,
    pub mean: f64,
}

/// One featurizer step and its fitted parameters. Mirrors sklearn's `transform`.
///
/// In JSON an object with a `"type"`; read by a hand-written dispatch on it (see the
/// `Deserialize` impl below) rather than serde's internally tagged enums, whose buffering is a
/// large part of the browser's wasm.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Step {
    /// Steps applied one after the other (a `Pipeline` without its estimator).
    Pipeline { steps: Vec<Step> },
    /// Columns unchanged.
    Passthrough,
    /// `ColumnTransformer`: each transformer reads some input columns; outputs are concatenated
    /// in order. Columns not named by any transformer are dropped (the exporter turns
    /// `remainder='passthrough'` into an explicit transformer).
    ColumnTransformer {
        transformers: Vec<ColumnTransformerPart>,
    },
    /// `StandardScaler`: `(x - mean) / scale`; a null vector means that part is off.
    StandardScaler {
        mean: Option<Vec<f64>>,
        scale: Option<Vec<f64>>,
    },
    /// `MinMaxScaler`: `x * scale + min`, then clipped to `feature_range` if `clip`.
    MinMaxScaler {
        scale: Vec<f64>,
        min: Vec<f64>,
        clip: bool,
        feature_range: (f64, f64),
    },
    /// `SimpleImputer` with `missing_values=nan`: missing cells take `statistics[i]`.
    SimpleImputer { statistics: Vec<serde_json::Value> },
    /// `OneHotEncoder`.
    OneHotEncoder {
        categories: Vec<Vec<serde_json::Value>>,
        handle_unknown: HandleUnknown,
        /// Per input column, the category index whose column is dropped (`drop=`), if any.
        #[serde(default)]
        drop_idx: Option<Vec<Option<usize>>>,
    },
    /// `DictVectorizer`: reads the raw record as a dict. Strings become `name=value` indicators,
    /// numbers and booleans are used as values, absent names are zeros, unknown names ignored.
    DictVectorizer {
        feature_names: Vec<String>,
        separator: String,
    },
    /// `CountVectorizer` / `TfidfVectorizer` with the word analyzer and default token pattern.
    TextVectorizer(TextVectorizerParams),
    /// `Binarizer`: 1 where `x > threshold`, else 0 (a missing value too, as numpy compares NaN).
    Binarizer { threshold: f64 },
    /// `Normalizer`: each row divided by its norm (a zero norm leaves the row as it is).
    Normalizer { norm: RowNorm },
    /// `OrdinalEncoder`: a category's index in `categories[i]`.
    OrdinalEncoder {
        categories: Vec<Vec<serde_json::Value>>,
        handle_unknown: OrdinalUnknown,
        /// The code of an unknown category (`handle_unknown: use_encoded_value`); null is NaN.
        #[serde(default)]
        unknown_value: Option<f64>,
        /// The code of a missing value where `categories[i]` holds null; null is NaN.
        #[serde(default)]
        encoded_missing_value: Option<f64>,
    },
    /// `FunctionTransformer` with one of numpy's elementwise functions.
    Function { func: NumpyFunction },
    /// `PolynomialFeatures`: output `j` is the product over inputs `i` of `x_i ^ powers[j][i]`.
    Polynomial { powers: Vec<Vec<u32>> },
    /// `PCA` / `TruncatedSVD`: `(x · componentsᵀ - offset) / scale`, per output; a null vector
    /// means that part is off.
    Projection {
        components: Vec<Vec<f64>>,
        #[serde(default)]
        offset: Option<Vec<f64>>,
        #[serde(default)]
        scale: Option<Vec<f64>>,
    },
    /// Feature selectors (`SelectKBest`, `VarianceThreshold`, ...): the input columns at
    /// `columns`, in that order.
    Select { columns: Vec<usize> },
    /// `MissingIndicator`: 1 where the input column at `columns[j]` is missing, else 0. With
    /// `error_on_new`, a missing value in a column not listed is refused, as sklearn does.
    MissingIndicator {
        columns: Vec<usize>,
        error_on_new: bool,
    },
    /// `PowerTransformer` without its standardization (the exporter writes that as a
    /// `standard_scaler` after it): column `i` through the method with `lambdas[i]`.
    Power {
        method: PowerMethod,
        lambdas: Vec<f64>,
    },
    /// `KBinsDiscretizer`'s bin index: per column, how many of its inner edges
    /// (`edges[i][1..len-1]`) are at most the value (numpy's `searchsorted(side="right")`). A
    /// one-hot encoding is a `one_hot_encoder` step after it.
    Kbins { edges: Vec<Vec<f64>> },
    /// `QuantileTransformer`: column `i`'s place among `quantiles[i]` (ascending, one per
    /// reference), as a uniform value or through the normal quantile function.
    Quantile {
        output: QuantileOutput,
        quantiles: Vec<Vec<f64>>,
        references: Vec<f64>,
    },
    /// `TargetEncoder`: output column `e` reads input column `e / target_mean.len()`; a category
    /// gives `encodings[e][its index]`, an unknown one `target_mean[e % target_mean.len()]`.
    TargetEncoder {
        categories: Vec<Vec<serde_json::Value>>,
        encodings: Vec<Vec<f64>>,
        target_mean: Vec<f64>,
    },
}

impl Step {
    /// Every step's `type`, in the order the bundle format lists them, which is the order in
    /// which format versions added them.
    pub const TYPES: [&'static str; 21] = [
        "pipeline",
        "passthrough",
        "column_transformer",
        "standard_scaler",
        "min_max_scaler",
        "simple_imputer",
        "one_hot_encoder",
        "dict_vectorizer",
        "text_vectorizer",
        "binarizer",
        "normalizer",
        "ordinal_encoder",
        "function",
        "polynomial",
        "projection",
        "select",
        "missing_indicator",
        "power",
        "kbins",
        "target_encoder",
        "quantile",
    ];

    /// The step types format version 4 added: the ones after `text_vectorizer` in [`Step::TYPES`]
    /// (the list keeps the order in which formats added them).
    pub const FORMAT_4_TYPES: &'static [&'static str] = Step::TYPES.split_at(9).1;

    /// This step's `type` in the manifest.
    pub fn type_name(&self) -> &'static str {
        match self {
            Step::Pipeline { .. } => "pipeline",
            Step::Passthrough => "passthrough",
            Step::ColumnTransformer { .. } => "column_transformer",
            Step::StandardScaler { .. } => "standard_scaler",
            Step::MinMaxScaler { .. } => "min_max_scaler",
            Step::SimpleImputer { .. } => "simple_imputer",
            Step::OneHotEncoder { .. } => "one_hot_encoder",
            Step::DictVectorizer { .. } => "dict_vectorizer",
            Step::TextVectorizer(_) => "text_vectorizer",
            Step::Binarizer { .. } => "binarizer",
            Step::Normalizer { .. } => "normalizer",
            Step::OrdinalEncoder { .. } => "ordinal_encoder",
            Step::Function { .. } => "function",
            Step::Polynomial { .. } => "polynomial",
            Step::Projection { .. } => "projection",
            Step::Select { .. } => "select",
            Step::MissingIndicator { .. } => "missing_indicator",
            Step::Power { .. } => "power",
            Step::Kbins { .. } => "kbins",
            Step::TargetEncoder { .. } => "target_encoder",
            Step::Quantile { .. } => "quantile",
        }
    }

    /// The steps directly inside this one.
    pub fn children(&self) -> Vec<&Step> {
        match self {
            Step::Pipeline { steps } => steps.iter().collect(),
            Step::ColumnTransformer { transformers } => {
                transformers.iter().map(|t| &t.transformer).collect()
            }
            _ => Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Step, D::Error> {
        use serde::de::Error;
        use serde_json::Value;
        let mut map = serde_json::Map::deserialize(d)?;
        let kind = match map.remove("type") {
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "a step's type must be a string, got {other}"
                )))
            }
            None => return Err(D::Error::missing_field("type")),
        };
        let body = Value::Object(map);
        macro_rules! body {
            ($($field:ident: $ty:ty $(= $default:ident)?),*) => {{
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Body { $($(#[serde($default)])? $field: $ty),* }
                Body::deserialize(&body).map_err(|e| D::Error::custom(format!("{kind} step: {e}")))?
            }};
        }
        Ok(match kind.as_str() {
            "pipeline" => Step::Pipeline {
                steps: body!(steps: Vec<Step>).steps,
            },
            "passthrough" => {
                body!();
                Step::Passthrough
            }
            "column_transformer" => Step::ColumnTransformer {
                transformers: body!(transformers: Vec<ColumnTransformerPart>).transformers,
            },
            "standard_scaler" => {
                let b = body!(mean: Option<Vec<f64>>, scale: Option<Vec<f64>>);
                Step::StandardScaler {
                    mean: b.mean,
                    scale: b.scale,
                }
            }
            "min_max_scaler" => {
                let b =
                    body!(scale: Vec<f64>, min: Vec<f64>, clip: bool, feature_range: (f64, f64));
                Step::MinMaxScaler {
                    scale: b.scale,
                    min: b.min,
                    clip: b.clip,
                    feature_range: b.feature_range,
                }
            }
            "simple_imputer" => Step::SimpleImputer {
                statistics: body!(statistics: Vec<serde_json::Value>).statistics,
            },
            "one_hot_encoder" => {
                let b = body!(categories: Vec<Vec<serde_json::Value>>, handle_unknown: HandleUnknown, drop_idx: Option<Vec<Option<usize>>> = default);
                Step::OneHotEncoder {
                    categories: b.categories,
                    handle_unknown: b.handle_unknown,
                    drop_idx: b.drop_idx,
                }
            }
            "dict_vectorizer" => {
                let b = body!(feature_names: Vec<String>, separator: String);
                Step::DictVectorizer {
                    feature_names: b.feature_names,
                    separator: b.separator,
                }
            }
            "text_vectorizer" => Step::TextVectorizer(
                TextVectorizerParams::deserialize(&body)
                    .map_err(|e| D::Error::custom(format!("{kind} step: {e}")))?,
            ),
            "binarizer" => Step::Binarizer {
                threshold: body!(threshold: f64).threshold,
            },
            "normalizer" => Step::Normalizer {
                norm: body!(norm: RowNorm).norm,
            },
            "ordinal_encoder" => {
                let b = body!(categories: Vec<Vec<serde_json::Value>>, handle_unknown: OrdinalUnknown, unknown_value: Option<f64> = default, encoded_missing_value: Option<f64> = default);
                Step::OrdinalEncoder {
                    categories: b.categories,
                    handle_unknown: b.handle_unknown,
                    unknown_value: b.unknown_value,
                    encoded_missing_value: b.encoded_missing_value,
                }
            }
            "function" => Step::Function {
                func: body!(func: NumpyFunction).func,
            },
            "polynomial" => Step::Polynomial {
                powers: body!(powers: Vec<Vec<u32>>).powers,
            },
            "projection" => {
                let b = body!(components: Vec<Vec<f64>>, offset: Option<Vec<f64>> = default, scale: Option<Vec<f64>> = default);
                Step::Projection {
                    components: b.components,
                    offset: b.offset,
                    scale: b.scale,
                }
            }
            "select" => Step::Select {
                columns: body!(columns: Vec<usize>).columns,
            },
            "missing_indicator" => {
                let b = body!(columns: Vec<usize>, error_on_new: bool);
                Step::MissingIndicator {
                    columns: b.columns,
                    error_on_new: b.error_on_new,
                }
            }
            "power" => {
                let b = body!(method: PowerMethod, lambdas: Vec<f64>);
                Step::Power {
                    method: b.method,
                    lambdas: b.lambdas,
                }
            }
            "kbins" => Step::Kbins {
                edges: body!(edges: Vec<Vec<f64>>).edges,
            },
            "quantile" => {
                let b =
                    body!(output: QuantileOutput, quantiles: Vec<Vec<f64>>, references: Vec<f64>);
                Step::Quantile {
                    output: b.output,
                    quantiles: b.quantiles,
                    references: b.references,
                }
            }
            "target_encoder" => {
                let b = body!(categories: Vec<Vec<serde_json::Value>>, encodings: Vec<Vec<f64>>, target_mean: Vec<f64>);
                Step::TargetEncoder {
                    categories: b.categories,
                    encodings: b.encodings,
                    target_mean: b.target_mean,
                }
            }
            other => return Err(D::Error::unknown_variant(other, &Step::TYPES)),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnTransformerPart {
    pub name: String,
    /// Positions of the columns this part reads, in the transformer's input.
    pub columns: Vec<usize>,
    pub transformer: Step,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandleUnknown {
    Error,
    Ignore,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextVectorizerParams {
    /// Terms in output-column order (sklearn's `vocabulary_` inverted).
    pub vocabulary: Vec<String>,
    /// What a term is: words (the default), or character n-grams (format 4).
    #[serde(default)]
    pub analyzer: Analyzer,
    pub lowercase: bool,
    pub ngram_range: (usize, usize),
    /// Removed after tokenization, before n-grams.
    #[serde(default)]
    pub stop_words: Vec<String>,
    pub binary: bool,
    /// Inverse document frequencies (tf-idf); absent for a CountVectorizer or `use_idf=False`.
    #[serde(default)]
    pub idf: Option<Vec<f64>>,
    #[serde(default)]
    pub sublinear_tf: bool,
    #[serde(default)]
    pub norm: Option<Norm>,
}

/// A text vectorizer's `analyzer`, spelled as sklearn spells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Analyzer {
    /// Runs of two or more word characters (the default `token_pattern`).
    #[default]
    Word,
    /// Character n-grams of the whole text, whitespace runs collapsed to one space.
    Char,
    /// Character n-grams inside each whitespace-separated word, padded with a space.
    CharWb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    L1,
    L2,
}

/// A `Normalizer`'s norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowNorm {
    L1,
    L2,
    Max,
}

/// What an `OrdinalEncoder` does with a category it was not fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrdinalUnknown {
    Error,
    UseEncodedValue,
}

/// The numpy functions a `FunctionTransformer` may apply (elementwise, on float64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumpyFunction {
    Log1p,
    Expm1,
    Sqrt,
    Abs,
    Exp,
    Log,
}

/// A `QuantileTransformer`'s `output_distribution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantileOutput {
    Uniform,
    Normal,
}

/// A `PowerTransformer`'s method, spelled as sklearn spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerMethod {
    #[serde(rename = "yeo-johnson")]
    YeoJohnson,
    #[serde(rename = "box-cox")]
    BoxCox,
}

/// Where the estimator graph is and which of its outputs mean what.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub file: String,
    pub input: String,
    /// Classifier: the predicted label output.
    #[serde(default)]
    pub label: Option<String>,
    /// Classifier with `predict_proba`: the probability output, `[N, n_classes]`.
    #[serde(default)]
    pub probabilities: Option<String>,
    /// Classifier without `predict_proba` (LinearSVC): the decision function output.
    #[serde(default)]
    pub scores: Option<String>,
    /// Regressor: the predicted value output, `[N, 1]`.
    #[serde(default)]
    pub value: Option<String>,
    /// Whether the graph accepts NaN features (tree ensembles with missing-value routing).
    #[serde(default)]
    pub accepts_nan: bool,
}

#[cfg(test)]
mod tests {
    use super::Step;

    #[test]
    fn format_4_types_start_after_the_text_vectorizer() {
        assert_eq!(Step::FORMAT_4_TYPES.first(), Some(&"binarizer"));
        assert_eq!(Step::TYPES[..9].last(), Some(&"text_vectorizer"));
    }
}
