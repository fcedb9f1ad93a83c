//! `ai.onnx.ml` Scaler (`Y = (X - offset) * scale`), which tract does not implement. skl2onnx
//! emits it for a StandardScaler/MinMaxScaler converted inside the graph; wasmpredict's own
//! exporter scales in Rust instead, but a bundle whose graph carries the scaling must work too
//! (as must the `{'div': 'div'}` export, which tract runs as plain Sub/Div).

use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_core::ops::change_axes::wire_with_rank_broadcast;
use tract_onnx::tract_core::ops::math::{mul, sub};
use tract_onnx::tract_hir::internal::*;

pub fn register(reg: &mut OnnxOpRegister) {
    reg.insert("Scaler", scaler_builder);
}

#[derive(Debug, Clone)]
struct Scaler {
    offset: Vec<f32>,
    scale: Vec<f32>,
}

fn scaler_builder(
    _ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let floats = |name: &str| -> Vec<f32> {
        node.attribute
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.floats.clone())
            .unwrap_or_default()
    };
    let (offset, scale) = (floats("offset"), floats("scale"));
    Ok((expand(Scaler { offset, scale }), vec![]))
}

impl Expansion for Scaler {
    fn name(&self) -> StaticName {
        "Scaler".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        check_output_arity(outputs, 1)?;
        s.equals(&outputs[0].datum_type, f32::datum_type())?;
        s.equals(&outputs[0].shape, &inputs[0].shape)?;
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let mut x = inputs[0];
        if model.outlet_fact(x)?.datum_type != f32::datum_type() {
            x = model.wire_node(
                format!("{prefix}.to_f32"),
                tract_onnx::tract_core::ops::cast::cast(f32::datum_type()),
                &[x],
            )?[0];
        }
        // One value per column, or one for all columns (ONNX allows both).
        let row = |v: &[f32]| -> TractResult<Tensor> {
            let v = if v.is_empty() { vec![0.0] } else { v.to_vec() };
            tensor1(&v).into_shape(&[1, v.len()])
        };
        if !self.offset.is_empty() {
            let offset = model.add_const(format!("{prefix}.offset"), row(&self.offset)?)?;
            x = wire_with_rank_broadcast(format!("{prefix}.sub"), model, sub(), &[x, offset])?[0];
        }
        if !self.scale.is_empty() {
            let scale = model.add_const(format!("{prefix}.scale"), row(&self.scale)?)?;
            x = wire_with_rank_broadcast(format!("{prefix}.mul"), model, mul(), &[x, scale])?[0];
        }
        Ok(tvec!(x))
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(1)
    }
}
