//! A reader for the parts of an ONNX model the engines need: the graph's nodes with their
//! attributes, initializers, inputs and outputs. Written against `onnx.proto` (IR version 3+);
//! anything else in the file (docs, metadata, training info) is skipped.
//!
//! Our own reader rather than tract's or a generated one: the compact engine must not link
//! tract, and this is ~300 lines of checked parsing with no dependency.

mod wire;

use wire::Fields;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    #[error("the ONNX file is truncated")]
    Truncated,
    #[error("the ONNX file is malformed: {0}")]
    Malformed(&'static str),
    #[error("{0}")]
    Invalid(String),
}

/// ONNX `TensorProto.DataType` values we read.
pub mod dtype {
    pub const FLOAT: i32 = 1;
    pub const INT32: i32 = 6;
    pub const INT64: i32 = 7;
    pub const STRING: i32 = 8;
    pub const DOUBLE: i32 = 11;
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub ir_version: i64,
    /// `(domain, version)`; the default domain is "".
    pub opsets: Vec<(String, i64)>,
    pub graph: Graph,
}

#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub name: String,
    pub nodes: Vec<Node>,
    pub initializers: Vec<Tensor>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
}

#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    pub op_type: String,
    pub domain: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub f: Option<f32>,
    pub i: Option<i64>,
    pub s: Option<Vec<u8>>,
    pub t: Option<Tensor>,
    pub floats: Vec<f32>,
    pub ints: Vec<i64>,
    pub strings: Vec<Vec<u8>>,
    /// Set when the attribute holds a subgraph or another kind we do not evaluate.
    pub unsupported: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<i64>,
    pub data_type: i32,
    pub floats: Vec<f32>,
    pub ints: Vec<i64>,
    pub doubles: Vec<f64>,
    pub strings: Vec<Vec<u8>>,
    pub raw: Vec<u8>,
    pub external: bool,
}

/// A graph input or output: name, element type and shape (`None` for a symbolic dimension).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueInfo {
    pub name: String,
    pub elem_type: i32,
    pub shape: Option<Vec<Option<i64>>>,
}

pub fn parse(bytes: &[u8]) -> Result<Model, OnnxError> {
    let mut model = Model::default();
    let mut graph = None;
    for field in Fields::new(bytes) {
        let (number, value) = field?;
        match number {
            1 => model.ir_version = value.int()?,
            7 => graph = Some(parse_graph(value.bytes()?)?),
            8 => {
                let (mut domain, mut version) = (String::new(), 0);
                for f in Fields::new(value.bytes()?) {
                    match f? {
                        (1, v) => domain = v.string()?,
                        (2, v) => version = v.int()?,
                        _ => {}
                    }
                }
                model.opsets.push((domain, version));
            }
            _ => {}
        }
    }
    model.graph = graph.ok_or(OnnxError::Malformed("the model has no graph"))?;
    Ok(model)
}

fn parse_graph(bytes: &[u8]) -> Result<Graph, OnnxError> {
    let mut g = Graph::default();
    for field in Fields::new(bytes) {
        let (number, value) = field?;
        match number {
            1 => g.nodes.push(parse_node(value.bytes()?)?),
            2 => g.name = value.string()?,
            5 => g.initializers.push(parse_tensor(value.bytes()?)?),
            11 => g.inputs.push(parse_value_info(value.bytes()?)?),
            12 => g.outputs.push(parse_value_info(value.bytes()?)?),
            15 => {
                return Err(OnnxError::Invalid(
                    "sparse initializers are not supported".into(),
                ))
            }
            _ => {}
        }
    }
    Ok(g)
}

fn parse_node(bytes: &[u8]) -> Result<Node, OnnxError> {
    let mut n = Node::default();
    for field in Fields::new(bytes) {
        let (number, value) = field?;
        match number {
            1 => n.inputs.push(value.string()?),
            2 => n.outputs.push(value.string()?),
            3 => n.name = value.string()?,
            4 => n.op_type = value.string()?,
            5 => n.attributes.push(parse_attribute(value.bytes()?)?),
            7 => n.domain = value.string()?,
            _ => {}
        }
    }
    Ok(n)
}

fn parse_attribute(bytes: &[u8]) -> Result<Attribute, OnnxError> {
    // Keys of unpacked `floats` (field 7, fixed32) and `ints` (field 8, varint) values.
    const FLOAT_KEY: u8 = 7 << 3 | 5;
    const INT_KEY: u8 = 8 << 3;
    let mut a = Attribute::default();
    let mut fields = Fields::new(bytes);
    while let Some(field) = fields.next() {
        let (number, value) = field?;
        match number {
            1 => a.name = value.string()?,
            2 => a.f = Some(value.float()?),
            3 => a.i = Some(value.int()?),
            4 => a.s = Some(value.bytes()?.to_vec()),
            5 => a.t = Some(parse_tensor(value.bytes()?)?),
            7 => {
                value.floats_into(&mut a.floats)?;
                fields.more_fixed32(FLOAT_KEY, &mut a.floats)?;
            }
            8 => {
                value.ints_into(&mut a.ints)?;
                fields.more_varints(INT_KEY, &mut a.ints)?;
            }
            9 => a.strings.push(value.bytes()?.to_vec()),
            // Subgraphs, tensor lists, sparse tensors, type protos.
            6 | 10 | 11 | 14 | 22 | 23 => a.unsupported = true,
            _ => {}
        }
    }
    Ok(a)
}

fn parse_tensor(bytes: &[u8]) -> Result<Tensor, OnnxError> {
    let mut t = Tensor::default();
    for field in Fields::new(bytes) {
        let (number, value) = field?;
        match number {
            1 => value.ints_into(&mut t.dims)?,
            2 => {
                t.data_type =
                    i32::try_from(value.int()?).map_err(|_| OnnxError::Malformed("data type"))?
            }
            4 => value.floats_into(&mut t.floats)?,
            // int32_data also carries other small types; we read it as integers.
            5 | 7 => value.ints_into(&mut t.ints)?,
            6 => t.strings.push(value.bytes()?.to_vec()),
            8 => t.name = value.string()?,
            9 => t.raw = value.bytes()?.to_vec(),
            10 => value.doubles_into(&mut t.doubles)?,
            13 => t.external = true,
            14 => t.external |= value.int()? == 1,
            _ => {}
        }
    }
    Ok(t)
}

fn parse_value_info(bytes: &[u8]) -> Result<ValueInfo, OnnxError> {
    let mut v = ValueInfo::default();
    for field in Fields::new(bytes) {
        let (number, value) = field?;
        match number {
            1 => v.name = value.string()?,
            2 => {
                // TypeProto.tensor_type (1): elem_type (1), shape (2) of dims (1): value (1) / param (2).
                for f in Fields::new(value.bytes()?) {
                    let (1, tensor_type) = f? else { continue };
                    for f in Fields::new(tensor_type.bytes()?) {
                        match f? {
                            (1, t) => v.elem_type = i32::try_from(t.int()?).unwrap_or(0),
                            (2, shape) => {
                                let mut dims = Vec::new();
                                for d in Fields::new(shape.bytes()?) {
                                    let (1, dim) = d? else { continue };
                                    let mut size = None;
                                    for f in Fields::new(dim.bytes()?) {
                                        if let (1, x) = f? {
                                            size = Some(x.int()?);
                                        }
                                    }
                                    dims.push(size);
                                }
                                v.shape = Some(dims);
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(v)
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn ints(&self, name: &str) -> &[i64] {
        self.attr(name)
            .map(|a| a.ints.as_slice())
            .unwrap_or_default()
    }

    pub fn floats(&self, name: &str) -> &[f32] {
        self.attr(name)
            .map(|a| a.floats.as_slice())
            .unwrap_or_default()
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.attr(name).and_then(|a| a.i)
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, OnnxError> {
        self.attr(name)
            .and_then(|a| a.s.as_ref())
            .map(|s| {
                String::from_utf8(s.clone())
                    .map_err(|_| OnnxError::Invalid(format!("attribute {name} is not UTF-8")))
            })
            .transpose()
    }

    pub fn strings(&self, name: &str) -> Result<Vec<String>, OnnxError> {
        self.attr(name)
            .map(|a| {
                a.strings
                    .iter()
                    .map(|s| {
                        String::from_utf8(s.clone()).map_err(|_| {
                            OnnxError::Invalid(format!("attribute {name} holds a non-UTF-8 string"))
                        })
                    })
                    .collect()
            })
            .unwrap_or(Ok(Vec::new()))
    }

    /// Where the node is, for messages: its op type and name.
    pub fn describe(&self) -> String {
        if self.name.is_empty() {
            self.op_type.clone()
        } else {
            format!("{} '{}'", self.op_type, self.name)
        }
    }
}

impl Tensor {
    /// Element count from `dims` (1 for a scalar), or None on overflow or a negative dim.
    pub fn element_count(&self) -> Option<usize> {
        self.dims.iter().try_fold(1usize, |n, &d| {
            usize::try_from(d).ok().and_then(|d| n.checked_mul(d))
        })
    }

    /// The values as float32, whatever numeric type and storage the tensor uses.
    pub fn to_f32(&self) -> Result<Vec<f32>, OnnxError> {
        let n = self.checked_len()?;
        let values: Vec<f32> = match self.data_type {
            dtype::FLOAT if !self.raw.is_empty() => self.raw_values(n, f32::from_le_bytes)?,
            dtype::FLOAT => self.floats.clone(),
            dtype::DOUBLE if !self.raw.is_empty() => self
                .raw_values(n, f64::from_le_bytes)?
                .into_iter()
                .map(|d| d as f32)
                .collect(),
            dtype::DOUBLE => self.doubles.iter().map(|&d| d as f32).collect(),
            dtype::INT64 | dtype::INT32 => self.to_i64()?.into_iter().map(|v| v as f32).collect(),
            other => {
                return Err(self.invalid(format!("has element type {other}, expected a number")))
            }
        };
        self.expect_len(values, n)
    }

    pub fn to_i64(&self) -> Result<Vec<i64>, OnnxError> {
        let n = self.checked_len()?;
        let values: Vec<i64> = match self.data_type {
            dtype::INT64 if !self.raw.is_empty() => self.raw_values(n, i64::from_le_bytes)?,
            dtype::INT32 if !self.raw.is_empty() => self
                .raw_values(n, i32::from_le_bytes)?
                .into_iter()
                .map(i64::from)
                .collect(),
            dtype::INT64 | dtype::INT32 => self.ints.clone(),
            other => {
                return Err(self.invalid(format!("has element type {other}, expected integers")))
            }
        };
        self.expect_len(values, n)
    }

    fn invalid(&self, what: String) -> OnnxError {
        OnnxError::Invalid(format!("tensor '{}' {what}", self.name))
    }

    /// The element count, for a tensor whose data is in the file.
    fn checked_len(&self) -> Result<usize, OnnxError> {
        if self.external {
            return Err(self.invalid("uses external data, which bundles do not carry".into()));
        }
        self.element_count()
            .ok_or_else(|| self.invalid("has invalid dims".into()))
    }

    /// `raw_data` as `n` little-endian values of `W` bytes.
    fn raw_values<T, const W: usize>(
        &self,
        n: usize,
        decode: fn([u8; W]) -> T,
    ) -> Result<Vec<T>, OnnxError> {
        if n.checked_mul(W) != Some(self.raw.len()) {
            return Err(self.invalid(format!(
                "has {} bytes of raw data for {n} values",
                self.raw.len()
            )));
        }
        Ok(self
            .raw
            .chunks_exact(W)
            .map(|c| decode(c.try_into().unwrap_or([0; W])))
            .collect())
    }

    fn expect_len<T>(&self, values: Vec<T>, n: usize) -> Result<Vec<T>, OnnxError> {
        if values.len() != n {
            return Err(self.invalid(format!(
                "holds {} values for dims {:?}",
                values.len(),
                self.dims
            )));
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed bundles parse, and what we read matches what they are known to hold.
    #[test]
    fn reads_the_committed_models() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let iris = parse(&std::fs::read(root.join("iris/model.onnx")).unwrap()).unwrap();
        let ops: Vec<&str> = iris
            .graph
            .nodes
            .iter()
            .map(|n| n.op_type.as_str())
            .collect();
        assert_eq!(ops, ["LinearClassifier", "Normalizer"]);
        let lc = &iris.graph.nodes[0];
        assert_eq!(lc.domain, "ai.onnx.ml");
        assert_eq!(lc.floats("coefficients").len(), 12);
        assert_eq!(lc.ints("classlabels_ints"), [0, 1, 2]);
        assert_eq!(
            lc.string("post_transform").unwrap().as_deref(),
            Some("SOFTMAX")
        );
        assert_eq!(iris.graph.inputs[0].name, "input");
        assert_eq!(iris.graph.inputs[0].shape, Some(vec![None, Some(4)]));
        assert!(iris.opsets.iter().any(|(d, _)| d == "ai.onnx.ml"));

        let rf = parse(&std::fs::read(root.join("rf-classification/model.onnx")).unwrap()).unwrap();
        let te = &rf.graph.nodes[0];
        assert_eq!(te.op_type, "TreeEnsembleClassifier");
        assert_eq!(te.ints("nodes_treeids").len(), 14396);
        assert_eq!(te.strings("nodes_modes").unwrap().len(), 14396);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let model = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/iris/model.onnx"),
        )
        .unwrap();
        for cut in [1, 7, 50, model.len() / 2, model.len() - 1] {
            // Either a clean error or (for cuts at a field boundary) a smaller model.
            let _ = parse(&model[..cut]);
        }
        assert!(parse(b"").is_err());
        assert!(parse(&[0xff; 32]).is_err());
    }
}
