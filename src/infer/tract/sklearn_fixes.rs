//! Fixes applied to skl2onnx graphs before tract translates them.
//!
//! tract's LinearClassifier cannot produce string labels (`String doesn't implement Zero`), which
//! every text or category-labelled linear model needs. We rename its `classlabels_strings` to
//! `classlabels_ints` 0..k and map the integer back to the string after the run. (Tree
//! ensembles are handled by our own op, which supports string labels directly.)

use tract_onnx::pb::{attribute_proto::AttributeType, ModelProto};

/// Rewrites string class labels of LinearClassifier nodes to their indices; returns the
/// original labels in index order, if any node had them.
pub fn index_string_labels(model: &mut ModelProto) -> Option<Vec<String>> {
    let graph = model.graph.as_mut()?;
    let mut found = None;
    for node in graph
        .node
        .iter_mut()
        .filter(|n| n.op_type == "LinearClassifier")
    {
        let Some(attr) = node
            .attribute
            .iter_mut()
            .find(|a| a.name == "classlabels_strings")
        else {
            continue;
        };
        let labels: Vec<String> = attr
            .strings
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        attr.name = "classlabels_ints".into();
        attr.r#type = AttributeType::Ints as i32;
        attr.ints = (0..labels.len() as i64).collect();
        attr.strings.clear();
        found = Some(labels);
    }
    found
}
