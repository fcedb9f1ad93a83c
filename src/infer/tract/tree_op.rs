//! Our tree ensembles as a tract op, registered in tract's ONNX op registry in place of tract's
//! own TreeEnsembleClassifier/Regressor (tract-onnx-opl 0.23.9's `src/ml/tree.rs` walks every
//! leaf of a tree per row, gets binary labels wrong, refuses binary boosting exports, has no
//! regressor and treats `BRANCH_GTE` nodes as leaves). Parsing and evaluation are the compact
//! engine's (`infer::trees`); this file only adapts them to tract's op traits.

use crate::infer::onnx::{Attribute, Node as OnnxNode, Tensor as OnnxTensor};
use crate::infer::trees::{Ensemble, Labels};
use std::sync::Arc;
use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// Registers our tree ensembles, replacing tract's.
pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("TreeEnsembleClassifier", builder);
    reg.insert("TreeEnsembleRegressor", builder);
}

fn datum_type(labels: &Labels) -> DatumType {
    match labels {
        Labels::Int(_) => i64::datum_type(),
        Labels::Str(_) => String::datum_type(),
    }
}

/// The tract op: one node per ensemble, evaluating a batch `[N, F]`.
#[derive(Debug, Clone)]
pub struct TreeEnsembleOp {
    ensemble: Arc<Ensemble>,
}

impl PartialEq for TreeEnsembleOp {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.ensemble, &other.ensemble)
    }
}
impl Eq for TreeEnsembleOp {}

impl Op for TreeEnsembleOp {
    fn name(&self) -> StaticName {
        if self.ensemble.is_classifier() {
            "WasmpredictTreeEnsembleClassifier".into()
        } else {
            "WasmpredictTreeEnsembleRegressor".into()
        }
    }
    op_as_typed_op!();
}

impl EvalOp for TreeEnsembleOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let input = input.cast_to::<f32>()?;
        let view = input.to_plain_array_view::<f32>()?;
        if view.ndim() != 2 {
            bail!("tree ensemble input must be [N, F], got {:?}", view.shape());
        }
        let (rows, cols) = (view.shape()[0], view.shape()[1]);
        let contiguous;
        let data: &[f32] = match view.as_slice() {
            Some(s) => s,
            None => {
                contiguous = view.iter().copied().collect::<Vec<f32>>();
                &contiguous
            }
        };
        let e = &self.ensemble;
        let out = e
            .eval(data, rows, cols)
            .map_err(|err| format_err!("{err}"))?;
        let values = tensor1(&out.values).into_shape(&[rows, e.n_outputs()])?;
        let labels = match e.labels() {
            None => return Ok(tvec!(values.into_tvalue())),
            Some(Labels::Int(l)) => tensor1(
                &out.labels
                    .iter()
                    .map(|&i| l[i as usize])
                    .collect::<Vec<i64>>(),
            ),
            Some(Labels::Str(l)) => tensor1(
                &out.labels
                    .iter()
                    .map(|&i| l[i as usize].clone())
                    .collect::<Vec<String>>(),
            ),
        };
        Ok(tvec!(labels.into_tvalue(), values.into_tvalue()))
    }
}

impl TypedOp for TreeEnsembleOp {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let n = inputs[0].shape[0].clone();
        let k: TDim = self.ensemble.n_outputs().into();
        Ok(match self.ensemble.labels() {
            Some(labels) => tvec!(
                datum_type(labels).fact(std::slice::from_ref(&n)),
                f32::fact(&[n, k])
            ),
            None => tvec!(f32::fact(&[n, k])),
        })
    }
    as_op!();
}

/// The inference-time face of the op: type rules, then wiring of the typed op.
#[derive(Debug, Clone)]
struct TreeEnsembleExpansion {
    op: TreeEnsembleOp,
}

impl Expansion for TreeEnsembleExpansion {
    fn name(&self) -> StaticName {
        self.op.name()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        let e = &self.op.ensemble;
        match e.labels() {
            Some(labels) => {
                check_output_arity(outputs, 2)?;
                s.equals(&outputs[0].datum_type, datum_type(labels))?;
                s.equals(&outputs[0].rank, 1)?;
                s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[1].datum_type, f32::datum_type())?;
                s.equals(&outputs[1].rank, 2)?;
                s.equals(&outputs[1].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[1].shape[1], e.n_outputs().to_dim())?;
            }
            None => {
                check_output_arity(outputs, 1)?;
                s.equals(&outputs[0].datum_type, f32::datum_type())?;
                s.equals(&outputs[0].rank, 2)?;
                s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
                s.equals(&outputs[0].shape[1], e.n_outputs().to_dim())?;
            }
        }
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, self.op.clone(), inputs)
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(if self.op.ensemble.is_classifier() {
            2
        } else {
            1
        })
    }
}

fn builder(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let ensemble = Ensemble::parse(&from_proto(node))
        .map_err(|e| format_err!("parsing {} '{}': {e}", node.op_type, node.name))?;
    let op = TreeEnsembleOp {
        ensemble: Arc::new(ensemble),
    };
    Ok((expand(TreeEnsembleExpansion { op }), vec![]))
}

/// tract's generated `NodeProto` as our reader's node (attributes only matter here).
fn from_proto(node: &NodeProto) -> OnnxNode {
    OnnxNode {
        name: node.name.clone(),
        op_type: node.op_type.clone(),
        domain: node.domain.clone(),
        inputs: node.input.clone(),
        outputs: node.output.clone(),
        attributes: node
            .attribute
            .iter()
            .map(|a| Attribute {
                name: a.name.clone(),
                f: (a.r#type == AttributeType::Float as i32).then_some(a.f),
                i: (a.r#type == AttributeType::Int as i32).then_some(a.i),
                s: (a.r#type == AttributeType::String as i32).then(|| a.s.clone()),
                t: a.t.as_ref().map(|t| OnnxTensor {
                    name: t.name.clone(),
                    dims: t.dims.clone(),
                    data_type: t.data_type,
                    ..Default::default()
                }),
                floats: a.floats.clone(),
                ints: a.ints.clone(),
                strings: a.strings.clone(),
                unsupported: false,
            })
            .collect(),
    }
}
