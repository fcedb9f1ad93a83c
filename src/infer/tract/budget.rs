//! What a graph may make tract allocate while it loads. tract folds constants as it wires each
//! node, so `ConstantOfShape([2^20, 2^20])` would ask for 4 TiB before any row is run (seen: a
//! panic in tract's allocator). The protobuf is read first and every tensor whose size is known
//! from constants (initializers, `Constant` nodes, and what `ConstantOfShape`, `Expand`, `Tile`
//! and `Range` build from constant inputs) is held to [`MAX_TENSOR_ELEMENTS`].

use crate::bundle::limits::{self, MAX_TENSOR_ELEMENTS};
use std::collections::HashMap;
use tract_onnx::pb::{GraphProto, NodeProto, TensorProto};

const FLOAT: i32 = 1;
const INT32: i32 = 6;
const INT64: i32 = 7;
const DOUBLE: i32 = 11;

/// Refuses a graph whose constants would build a tensor past the limit.
pub fn check(graph: &GraphProto) -> Result<(), String> {
    let mut constants: HashMap<&str, &TensorProto> = HashMap::new();
    for t in &graph.initializer {
        check_tensor(t)?;
        constants.insert(t.name.as_str(), t);
    }
    for node in &graph.node {
        for attr in &node.attribute {
            if let Some(t) = &attr.t {
                check_tensor(t)?;
            }
            for t in &attr.tensors {
                check_tensor(t)?;
            }
            if let Some(g) = &attr.g {
                check(g)?;
            }
            for g in &attr.graphs {
                check(g)?;
            }
        }
        if node.op_type == "Constant" {
            if let (Some(t), Some(out)) = (
                node.attribute.iter().find_map(|a| a.t.as_ref()),
                node.output.first(),
            ) {
                constants.insert(out.as_str(), t);
            }
        }
        let elements = built_elements(node, &constants);
        limits::check(
            &format!("elements built by {} node '{}'", node.op_type, node.name),
            elements,
            MAX_TENSOR_ELEMENTS,
        )?;
    }
    Ok(())
}

fn check_tensor(t: &TensorProto) -> Result<(), String> {
    limits::check(
        &format!("elements of tensor '{}'", t.name),
        volume(t.dims.iter().copied()),
        MAX_TENSOR_ELEMENTS,
    )
}

/// Elements of the tensor `node` builds from constant inputs (0 when it builds none or its
/// inputs are not constants).
fn built_elements(node: &NodeProto, constants: &HashMap<&str, &TensorProto>) -> u64 {
    let input = |i: usize| {
        node.input
            .get(i)
            .and_then(|name| constants.get(name.as_str()))
    };
    let ints = |i: usize| input(i).and_then(|t| numbers(t)).unwrap_or_default();
    match node.op_type.as_str() {
        "ConstantOfShape" | "Expand" => {
            let shape_input = usize::from(node.op_type == "Expand");
            volume(ints(shape_input).into_iter().map(|v| v as i64))
        }
        "Tile" => {
            let base = input(0).map_or(1, |t| volume(t.dims.iter().copied()));
            base.saturating_mul(volume(ints(1).into_iter().map(|v| v as i64)))
        }
        "Range" => match (ints(0).first(), ints(1).first(), ints(2).first()) {
            (Some(&start), Some(&limit), Some(&delta)) if delta != 0.0 => {
                let n = ((limit - start) / delta).ceil();
                if n.is_finite() {
                    n.max(0.0).min(u64::MAX as f64) as u64
                } else {
                    u64::MAX
                }
            }
            _ => 0,
        },
        _ => 0,
    }
}

/// The product of a shape's dimensions; unknown (-1, 0 as "copy") dimensions count as 1.
fn volume(dims: impl Iterator<Item = i64>) -> u64 {
    dims.fold(1u64, |acc, d| {
        acc.saturating_mul(u64::try_from(d).unwrap_or(1).max(1))
    })
}

/// A small numeric constant's values (shapes, repeats, Range bounds), whatever its storage.
fn numbers(t: &TensorProto) -> Option<Vec<f64>> {
    let raw = &t.raw_data;
    Some(match t.data_type {
        INT64 if !raw.is_empty() => raw
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()) as f64)
            .collect(),
        INT64 => t.int64_data.iter().map(|&v| v as f64).collect(),
        INT32 if !raw.is_empty() => raw
            .chunks_exact(4)
            .map(|c| f64::from(i32::from_le_bytes(c.try_into().unwrap_or_default())))
            .collect(),
        INT32 => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
        FLOAT if !raw.is_empty() => raw
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes(c.try_into().unwrap_or_default())))
            .collect(),
        FLOAT => t.float_data.iter().map(|&v| f64::from(v)).collect(),
        DOUBLE if !raw.is_empty() => raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect(),
        DOUBLE => t.double_data.clone(),
        _ => return None,
    })
}
