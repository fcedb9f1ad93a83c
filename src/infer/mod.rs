//! The estimator graph, evaluated by one of two engines:
//!
//! - [`Engine::Compact`]: our own evaluator for the graphs skl2onnx writes for the estimators we
//!   export (linear models, tree ensembles and the small ops around them), with weights laid out
//!   for the CPU and sparse rows going straight into linear models. Small and fast; every build
//!   has it.
//! - [`Engine::Tract`]: tract, for every other ONNX graph (an MLP, a network exported from
//!   PyTorch or Keras), with our tree-ensemble and Scaler ops registered. Only in builds with the
//!   `tract` feature.
//!
//! At load, a graph the compact engine fully covers runs on it; any other runs on tract, or is
//! refused with [`LoadError::NeedsTract`] by a build without it. Outputs are mapped back to
//! sklearn's `classes_` by the label the graph itself computes.

mod compact;
pub mod onnx;
mod post_transform;
#[cfg(feature = "tract")]
mod tract;
pub mod trees;

use crate::bundle::manifest::{ModelSpec, Task};
use crate::featurize::SparseRows;
use serde::{Deserialize, Serialize};
use trees::Labels;

/// Which engine evaluates a bundle's graph. Reported by `GET /models/{name}`, `wasmpredict info`
/// and the JS `info()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    Compact,
    Tract,
}

impl Engine {
    /// Whether this build can run the engine.
    pub fn is_available(self) -> bool {
        match self {
            Engine::Compact => true,
            Engine::Tract => cfg!(feature = "tract"),
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Compact => "compact",
            Engine::Tract => "tract",
        })
    }
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Engine, String> {
        match s {
            "compact" => Ok(Engine::Compact),
            "tract" => Ok(Engine::Tract),
            other => Err(format!(
                "unknown engine '{other}': expected compact or tract"
            )),
        }
    }
}

/// Why a graph cannot be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    #[error(transparent)]
    Onnx(#[from] onnx::OnnxError),
    /// The compact engine does not cover this graph; tract may.
    #[error("{0}")]
    Unsupported(String),
    /// The graph is wrong (for every engine).
    #[error("{0}")]
    Invalid(String),
}

/// Why a bundle's graph could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The graph needs tract: this build does not include it, or the compact engine was forced.
    #[error("the graph needs the tract engine: {0}")]
    NeedsTract(String),
    #[error("{0}")]
    Graph(String),
}

/// The graph's input for a batch.
#[derive(Debug, Clone, Copy)]
pub enum Features<'a> {
    /// Row-major `[rows, n_features]`.
    Dense(&'a [f32]),
    /// Only for a model whose [`Model::accepts_sparse`] is true.
    Sparse(&'a SparseRows),
}

/// What the classifier's second output holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Second {
    Probabilities,
    Scores,
}

impl Second {
    /// The name answers give it: the member of a response body, the Python module's kind.
    pub fn name(self) -> &'static str {
        match self {
            Second::Probabilities => "probabilities",
            Second::Scores => "scores",
        }
    }
}

/// The graph's answer for a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Outputs {
    Classification {
        /// Index into sklearn's `classes_`, one per row.
        labels: Vec<usize>,
        /// Row-major `[rows, width]` probabilities or decision scores.
        values: Vec<f32>,
        width: usize,
        kind: Second,
    },
    Regression {
        values: Vec<f32>,
    },
}

impl Outputs {
    /// Appends the outputs of the rows that follow (a batch evaluated slice by slice).
    pub fn append(&mut self, more: Outputs) {
        match (self, more) {
            (
                Outputs::Classification { labels, values, .. },
                Outputs::Classification {
                    labels: l,
                    values: v,
                    ..
                },
            ) => {
                labels.extend(l);
                values.extend(v);
            }
            (Outputs::Regression { values }, Outputs::Regression { values: v }) => values.extend(v),
            // One model gives one kind of output; the two kinds never meet.
            _ => {}
        }
    }
}

/// What the manifest says the outputs are.
#[derive(Debug, Clone)]
pub(crate) struct OutputSpec<'a> {
    /// Graph outputs to compute: `[label, second]` or `[value]`.
    pub names: Vec<&'a str>,
    pub second: Option<Second>,
    pub classes: Option<&'a [serde_json::Value]>,
}

impl<'a> OutputSpec<'a> {
    fn new(
        spec: &'a ModelSpec,
        task: Task,
        classes: Option<&'a [serde_json::Value]>,
    ) -> Result<Self, String> {
        match task {
            Task::Classification => {
                let label = spec
                    .label
                    .as_deref()
                    .ok_or("model.label is required for classification")?;
                let (second_name, second) = match (&spec.probabilities, &spec.scores) {
                    (Some(p), None) => (p.as_str(), Second::Probabilities),
                    (None, Some(s)) => (s.as_str(), Second::Scores),
                    _ => {
                        return Err(
                            "exactly one of model.probabilities / model.scores must be set".into(),
                        )
                    }
                };
                let classes = classes.ok_or("classes are required for classification")?;
                Ok(OutputSpec {
                    names: vec![label, second_name],
                    second: Some(second),
                    classes: Some(classes),
                })
            }
            Task::Regression => {
                let value = spec
                    .value
                    .as_deref()
                    .ok_or("model.value is required for regression")?;
                Ok(OutputSpec {
                    names: vec![value],
                    second: None,
                    classes: None,
                })
            }
        }
    }
}

/// Our ONNX reader and the compact engine's compiler, on `onnx_bytes`.
fn compile_compact(
    onnx_bytes: &[u8],
    outputs: &OutputSpec<'_>,
    n_features: usize,
) -> Result<compact::CompactGraph, GraphError> {
    onnx::parse(onnx_bytes)
        .map_err(GraphError::from)
        .and_then(|m| compact::CompactGraph::compile(&m, &outputs.names, n_features))
}

/// The engine [`Model::load`] picks for a graph by default, decided without tract: compact
/// when it covers the graph, tract otherwise. A graph wrong for every engine is an error.
pub fn default_engine(
    onnx_bytes: &[u8],
    spec: &ModelSpec,
    task: Task,
    classes: Option<&[serde_json::Value]>,
    n_features: usize,
) -> Result<Engine, LoadError> {
    let outputs = OutputSpec::new(spec, task, classes).map_err(LoadError::Graph)?;
    match compile_compact(onnx_bytes, &outputs, n_features) {
        Ok(_) => Ok(Engine::Compact),
        Err(GraphError::Invalid(e)) => Err(LoadError::Graph(e)),
        // Bytes that are not protobuf are wrong for tract too.
        Err(e @ GraphError::Onnx(onnx::OnnxError::Truncated | onnx::OnnxError::Malformed(_))) => {
            Err(LoadError::Graph(e.to_string()))
        }
        Err(_) => Ok(Engine::Tract),
    }
}

/// A loaded estimator graph.
#[derive(Debug)]
pub struct Model {
    engine: Engine,
    /// Why the compact engine did not take the graph, when tract runs it.
    why_tract: Option<String>,
    runner: Runner,
    n_features: usize,
    task: Task,
    second: Option<Second>,
    /// For the compact engine: per label table entry, its position in `classes_`.
    label_map: Vec<Option<usize>>,
    n_classes: usize,
}

#[derive(Debug)]
enum Runner {
    Compact(compact::CompactGraph),
    #[cfg(feature = "tract")]
    Tract(tract::TractModel),
}

impl Model {
    /// Loads the graph on the compact engine if it covers it, else on tract (when built in);
    /// `engine` forces one.
    pub fn load(
        onnx_bytes: &[u8],
        spec: &ModelSpec,
        task: Task,
        classes: Option<&[serde_json::Value]>,
        n_features: usize,
        engine: Option<Engine>,
    ) -> Result<Model, LoadError> {
        let outputs = OutputSpec::new(spec, task, classes).map_err(LoadError::Graph)?;
        let compact = compile_compact(onnx_bytes, &outputs, n_features);
        let mut why_tract = None;
        let runner = match (engine, compact) {
            (None | Some(Engine::Compact), Ok(graph)) => Runner::Compact(graph),
            (Some(Engine::Compact), Err(GraphError::Unsupported(e))) => {
                return Err(LoadError::NeedsTract(format!(
                    "{e}, and the compact engine was asked for"
                )))
            }
            (Some(Engine::Compact), Err(e)) => return Err(LoadError::Graph(e.to_string())),
            (None, Err(GraphError::Invalid(e))) => return Err(LoadError::Graph(e)),
            (None | Some(Engine::Tract), compact) => {
                let why = match compact {
                    Ok(_) => "tract was asked for".to_string(),
                    Err(e) => e.to_string(),
                };
                let runner = Self::tract(onnx_bytes, &outputs, n_features, &why)?;
                why_tract = Some(why);
                runner
            }
        };
        let mut model = Model {
            engine: match runner {
                Runner::Compact(_) => Engine::Compact,
                #[cfg(feature = "tract")]
                Runner::Tract(_) => Engine::Tract,
            },
            why_tract,
            runner,
            n_features,
            task,
            second: outputs.second,
            label_map: Vec::new(),
            n_classes: classes.map_or(0, <[_]>::len),
        };
        if let (Runner::Compact(g), Some(classes)) = (&model.runner, outputs.classes) {
            model.label_map = compact_label_map(g, classes);
        }
        // One dry run proves the graph evaluates and its outputs have the expected shapes.
        model
            .run(Features::Dense(&vec![0.0; n_features]), 1)
            .map_err(|e| LoadError::Graph(format!("the graph does not evaluate: {e}")))?;
        Ok(model)
    }

    /// The graph on tract; `why` says why the compact engine does not run it.
    #[cfg(feature = "tract")]
    fn tract(
        onnx_bytes: &[u8],
        outputs: &OutputSpec<'_>,
        n_features: usize,
        _why: &str,
    ) -> Result<Runner, LoadError> {
        tract::TractModel::load(onnx_bytes, outputs, n_features)
            .map(Runner::Tract)
            .map_err(|e| LoadError::Graph(format!("{e:#}")))
    }

    #[cfg(not(feature = "tract"))]
    fn tract(
        _onnx_bytes: &[u8],
        _outputs: &OutputSpec<'_>,
        _n_features: usize,
        why: &str,
    ) -> Result<Runner, LoadError> {
        Err(LoadError::NeedsTract(format!(
            "{why}; this build does not include tract"
        )))
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Why tract runs the graph (what the compact engine does not cover), if it does.
    pub fn why_tract(&self) -> Option<&str> {
        self.why_tract.as_deref()
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Whether [`Features::Sparse`] rows may be passed (the graph feeds its input straight into
    /// a linear model).
    pub fn accepts_sparse(&self) -> bool {
        match &self.runner {
            Runner::Compact(g) => g.accepts_sparse(),
            #[cfg(feature = "tract")]
            Runner::Tract(_) => false,
        }
    }

    /// Runs `rows` rows.
    pub fn run(&self, features: Features<'_>, rows: usize) -> Result<Outputs, GraphError> {
        match &self.runner {
            Runner::Compact(g) => self.compact_outputs(g.run(features, rows)?, rows),
            #[cfg(feature = "tract")]
            Runner::Tract(t) => {
                let dense;
                let x = match features {
                    Features::Dense(x) => x,
                    Features::Sparse(s) => {
                        dense = s.to_dense();
                        &dense
                    }
                };
                t.run(x, rows)
                    .map_err(|e| GraphError::Invalid(format!("{e:#}")))
            }
        }
    }

    fn compact_outputs(
        &self,
        raw: Vec<compact::RawOutput>,
        rows: usize,
    ) -> Result<Outputs, GraphError> {
        use compact::RawOutput;
        let bad = |what: &str| {
            GraphError::Invalid(format!(
                "the graph's {what} output does not match {rows} rows"
            ))
        };
        match (self.task, raw.as_slice()) {
            (Task::Regression, [RawOutput::Dense { data, cols }]) => {
                if *cols != 1 || data.len() != rows {
                    return Err(bad("value"));
                }
                Ok(Outputs::Regression { values: data.clone() })
            }
            (Task::Classification, [RawOutput::Labels { indices, .. }, RawOutput::Dense { data, cols }]) => {
                if indices.len() != rows || data.len() != rows * cols {
                    return Err(bad("label or second"));
                }
                if self.second == Some(Second::Probabilities) && *cols != self.n_classes {
                    return Err(GraphError::Invalid(format!(
                        "the graph gives {cols} probabilities per row for {} classes",
                        self.n_classes
                    )));
                }
                let labels = indices
                    .iter()
                    .map(|&i| {
                        self.label_map.get(i as usize).copied().flatten().ok_or_else(|| {
                            GraphError::Invalid(format!("the graph's label #{i} is not one of the bundle's classes"))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Outputs::Classification {
                    labels,
                    values: data.clone(),
                    width: *cols,
                    kind: self.second.unwrap_or(Second::Probabilities),
                })
            }
            _ => Err(GraphError::Invalid("the graph's outputs are not a label and scores (classification) or one value (regression)".into())),
        }
    }
}

/// Each label a compact graph can output, as a position in sklearn's `classes_` (None if the
/// label is not a class; reported when a row predicts it).
fn compact_label_map(
    g: &compact::CompactGraph,
    classes: &[serde_json::Value],
) -> Vec<Option<usize>> {
    let Some(labels) = g.output_labels() else {
        return Vec::new();
    };
    match labels {
        Labels::Int(ints) => ints
            .iter()
            .map(|&l| {
                classes
                    .iter()
                    .position(|c| c.as_i64() == Some(l) || c.as_f64() == Some(l as f64))
            })
            .collect(),
        Labels::Str(strings) => strings
            .iter()
            .map(|l| classes.iter().position(|c| c.as_str() == Some(l.as_str())))
            .collect(),
    }
}
