//! The tract engine, for graphs the compact engine does not cover (an MLP, a network exported
//! from PyTorch or Keras): the ONNX graph is loaded once with our tree-ensemble and Scaler ops in
//! tract's registry, typed with a symbolic batch dimension (one plan serves 1 and 1000 rows),
//! optimized, and kept with a reusable run state.

mod budget;
mod scaler;
mod sklearn_fixes;
mod tree_op;

use super::{OutputSpec, Outputs, Second};
use std::sync::{Arc, Mutex};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::{bail, format_err};

type Plan = TypedRunnableModel;
type PlanState = TypedSimpleState;

/// A loaded, optimized graph.
pub struct TractModel {
    plan: Arc<Plan>,
    /// Reused between runs so that a prediction does not rebuild the plan's state; a caller that
    /// finds it busy (native server under concurrency) runs on a fresh state instead of waiting.
    state: Mutex<PlanState>,
    n_features: usize,
    outputs: OutputLayout,
}

impl std::fmt::Debug for TractModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractModel")
            .field("n_features", &self.n_features)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
enum OutputLayout {
    Classifier {
        classes: Vec<serde_json::Value>,
        second: Second,
        /// Set when the graph's integer labels index these strings (see `sklearn_fixes`).
        label_names: Option<Vec<String>>,
    },
    Regressor,
}

impl TractModel {
    pub fn load(
        onnx_bytes: &[u8],
        spec: &OutputSpec<'_>,
        n_features: usize,
    ) -> TractResult<TractModel> {
        let mut onnx = tract_onnx::onnx();
        tree_op::register(&mut onnx.op_register);
        scaler::register(&mut onnx.op_register);
        let mut proto = onnx.proto_model_for_read(&mut &onnx_bytes[..])?;
        if let Some(graph) = &proto.graph {
            budget::check(graph).map_err(|e| format_err!("{e}"))?;
        }
        let label_names = sklearn_fixes::index_string_labels(&mut proto);
        let mut model = onnx.model_for_proto_model(&proto)?;
        let names = &spec.names;
        let outputs = match (spec.second, spec.classes) {
            (Some(second), Some(classes)) => OutputLayout::Classifier {
                classes: classes.to_vec(),
                second,
                label_names,
            },
            _ => OutputLayout::Regressor,
        };
        model.select_outputs_by_name(names)?;
        let batch = model.symbols.sym("N");
        model.set_input_fact(0, f32::fact(&[batch.to_dim(), n_features.to_dim()]).into())?;
        let plan = model.into_optimized()?.into_runnable()?;
        let state = plan.spawn()?;
        Ok(TractModel {
            plan,
            state: Mutex::new(state),
            n_features,
            outputs,
        })
    }

    /// Runs `rows` rows of `n_features` features each (row-major).
    pub fn run(&self, features: &[f32], rows: usize) -> TractResult<Outputs> {
        if features.len() != rows * self.n_features {
            bail!(
                "expected {} features, got {}",
                rows * self.n_features,
                features.len()
            );
        }
        let input =
            tract_ndarray::Array2::from_shape_vec((rows, self.n_features), features.to_vec())?;
        let inputs = tvec!(input.into_tensor().into_tvalue());
        let results = match self.state.try_lock() {
            Ok(mut state) => state.run(inputs)?,
            Err(_) => self.plan.spawn()?.run(inputs)?,
        };
        match &self.outputs {
            OutputLayout::Regressor => {
                let values = results[0].to_plain_array_view::<f32>()?;
                if values.len() != rows {
                    bail!(
                        "regressor output has {} values for {rows} rows",
                        values.len()
                    );
                }
                Ok(Outputs::Regression {
                    values: values.iter().copied().collect(),
                })
            }
            OutputLayout::Classifier {
                classes,
                second,
                label_names,
            } => {
                let labels = label_indices(&results[0], classes, label_names.as_deref())?;
                let values = results[1].cast_to::<f32>()?;
                let values = values.to_plain_array_view::<f32>()?;
                let width = values.len().checked_div(rows).unwrap_or(0);
                if labels.len() != rows || width * rows != values.len() {
                    bail!("classifier outputs do not match {rows} rows");
                }
                Ok(Outputs::Classification {
                    labels,
                    values: values.iter().copied().collect(),
                    width,
                    kind: *second,
                })
            }
        }
    }
}

/// Maps the graph's label output (int64 or string class labels) to positions in `classes_`.
fn label_indices(
    labels: &Tensor,
    classes: &[serde_json::Value],
    label_names: Option<&[String]>,
) -> TractResult<Vec<usize>> {
    let find = |pred: &dyn Fn(&serde_json::Value) -> bool, shown: String| {
        classes
            .iter()
            .position(pred)
            .ok_or_else(|| format_err!("label {shown} is not in classes"))
    };
    // tract types the result of an ONNX `Cast(to=INT64)` as its dimension type (TDim): read
    // such labels as the integers they are.
    let as_i64;
    let labels = if labels.datum_type() == TDim::datum_type() {
        as_i64 = labels.cast_to::<i64>()?.into_owned();
        &as_i64
    } else {
        labels
    };
    if let (Some(names), Ok(view)) = (label_names, labels.to_plain_array_view::<i64>()) {
        view.iter()
            .map(|&l| {
                let name = usize::try_from(l)
                    .ok()
                    .and_then(|i| names.get(i))
                    .ok_or_else(|| format_err!("label index {l} out of range"))?;
                find(
                    &|c: &serde_json::Value| c.as_str() == Some(name.as_str()),
                    name.clone(),
                )
            })
            .collect()
    } else if let Ok(view) = labels.to_plain_array_view::<i64>() {
        view.iter()
            .map(|&l| {
                find(
                    &|c: &serde_json::Value| c.as_i64() == Some(l) || c.as_f64() == Some(l as f64),
                    l.to_string(),
                )
            })
            .collect()
    } else if let Ok(view) = labels.to_plain_array_view::<String>() {
        view.iter()
            .map(|l| {
                find(
                    &|c: &serde_json::Value| c.as_str() == Some(l.as_str()),
                    l.clone(),
                )
            })
            .collect()
    } else {
        bail!("unsupported label type {:?}", labels.datum_type())
    }
}
