//! What `GET /models/{name}` and the JS `info()` say of a model.

use super::Predictor;
use serde_json::json;

/// What `GET /models/{name}` answers (and the JS `info()`): the manifest's public parts, the
/// bundle's size and the engine that evaluates its graph.
pub fn describe(p: &Predictor) -> serde_json::Value {
    let (m, size) = (p.manifest(), p.bundle().size());
    json!({
        "name": m.name,
        "version": m.version,
        "description": m.description,
        "format_version": m.format_version,
        "created_by": m.created_by,
        "task": m.task,
        "estimator": m.estimator,
        "classes": m.classes,
        "input": m.input,
        "n_features": m.n_features,
        "featurizer_steps": step_types(&m.featurizer),
        "files": m.files,
        // The bundle carries what `"explain": true` needs (explain.json).
        "explainable": m.explain.is_some(),
        "size_bytes": size,
        "engine": p.engine(),
        "engine_reason": p.why_tract(),
    })
}

fn step_types(step: &crate::bundle::Step) -> Vec<String> {
    use crate::bundle::Step;
    fn walk(step: &Step, out: &mut Vec<String>) {
        // A pipeline is its steps; every other container is listed before what it holds.
        if !matches!(step, Step::Pipeline { .. }) {
            out.push(step.type_name().into());
        }
        step.children().into_iter().for_each(|s| walk(s, out));
    }
    let mut out = Vec::new();
    walk(step, &mut out);
    out
}
