//! The Open Inference Protocol (KServe v2) over the same predictor: model metadata with one input
//! per raw field, and `infer` taking either those named inputs or one FP32 `[N, F]` input of
//! positional features. Bodies are converted to the core request shapes, so validation and
//! errors are the ones of `/predict`.

use super::oip_types::{self, Datatype};
use crate::api::{Pace, Prediction, Predictor, Response, Timings};
use crate::bundle::{FieldKind, Task};
use crate::error::{ApiError, ErrorCode};
use serde_json::{json, Map, Value};

/// `GET /v2/models/{name}`: `versions` are every version the server holds of the model.
pub fn metadata(p: &Predictor, versions: &[&str]) -> Value {
    let m = p.manifest();
    let inputs: Vec<Value> = m
        .input
        .iter()
        .map(|f| {
            let datatype = match f.kind {
                FieldKind::Number => "FP64",
                FieldKind::Bool => "BOOL",
                FieldKind::Category | FieldKind::Text => "BYTES",
            };
            json!({ "name": f.name, "datatype": datatype, "shape": [-1] })
        })
        .collect();
    json!({
        "name": m.name,
        "versions": versions,
        "platform": "wasmpredict_onnx",
        "inputs": inputs,
        "outputs": outputs_metadata(p),
    })
}

fn label_datatype(p: &Predictor) -> &'static str {
    let strings = p
        .manifest()
        .classes
        .as_ref()
        .is_some_and(|c| c.iter().any(Value::is_string));
    if strings {
        "BYTES"
    } else {
        "INT64"
    }
}

fn outputs_metadata(p: &Predictor) -> Vec<Value> {
    let m = p.manifest();
    match m.task {
        Task::Regression => vec![json!({ "name": "value", "datatype": "FP32", "shape": [-1] })],
        Task::Classification => {
            let k = m.classes.as_ref().map_or(0, Vec::len);
            let second = if m.model.scores.is_some() {
                "scores"
            } else {
                "probabilities"
            };
            let width = if second == "scores" && k == 2 { 1 } else { k };
            vec![
                json!({ "name": "label", "datatype": label_datatype(p), "shape": [-1] }),
                json!({ "name": second, "datatype": "FP32", "shape": [-1, width] }),
            ]
        }
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::UnknownBodyShape, message)
}

/// Flattens nested arrays (row-major), as the protocol allows either layout.
fn flatten<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| flatten(v, out)),
        other => out.push(other),
    }
}

fn shape_of(input: &Map<String, Value>, name: &str) -> Result<Vec<usize>, ApiError> {
    input
        .get("shape")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(format!("input '{name}' needs a shape")))?
        .iter()
        .map(|d| {
            d.as_u64().map(|d| d as usize).ok_or_else(|| {
                bad(format!(
                    "input '{name}': shape must be non-negative integers"
                ))
            })
        })
        .collect()
}

/// One infer input: name, shape, data (row-major), and its datatype as written and as parsed.
type ParsedInput<'a> = (&'a str, Vec<usize>, Vec<&'a Value>, (&'a str, Datatype));

/// Converts an infer request into core rows (as an `instances` body).
pub(super) fn to_instances(p: &Predictor, body: &Value) -> Result<Value, ApiError> {
    let fields = &p.manifest().input;
    let inputs = body
        .get("inputs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("an infer request needs \"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}, ...]"))?;
    if inputs.is_empty() {
        return Err(ApiError::new(
            ErrorCode::EmptyBatch,
            "the request has no inputs",
        ));
    }
    let parsed: Vec<ParsedInput> = inputs
        .iter()
        .map(|input| {
            let input = input
                .as_object()
                .ok_or_else(|| bad("each input must be an object"))?;
            let name = input
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("each input needs a name"))?;
            let shape = shape_of(input, name)?;
            let mut data = Vec::new();
            flatten(
                input
                    .get("data")
                    .ok_or_else(|| bad(format!("input '{name}' has no data")))?,
                &mut data,
            );
            let expected = shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| {
                    ApiError::for_field(
                        ErrorCode::WrongFeatureCount,
                        name,
                        format!("input '{name}': shape {shape:?} is too large"),
                    )
                })?;
            if data.len() != expected {
                return Err(ApiError::for_field(
                    ErrorCode::WrongFeatureCount,
                    name,
                    format!(
                        "input '{name}' has shape {shape:?} ({expected} values) but {} data values",
                        data.len()
                    ),
                ));
            }
            let datatype = oip_types::check(name, input.get("datatype"), &data)?;
            Ok((name, shape, data, datatype))
        })
        .collect::<Result<_, _>>()?;

    // One FP32 [N, F] input of positional features, as the textbook's models take.
    let by_name = |n: &str| fields.iter().any(|f| f.name == n);
    if parsed.len() == 1 && !by_name(parsed[0].0) {
        let (name, shape, data, _) = &parsed[0];
        if shape.len() != 2 || shape[1] != fields.len() {
            return Err(ApiError::for_field(
                ErrorCode::WrongFeatureCount,
                *name,
                format!(
                    "input '{name}' is not a field name, so it must be positional features of shape [N, {}], got {shape:?}",
                    fields.len()
                ),
            ));
        }
        let rows: Vec<Value> = data
            .chunks(fields.len().max(1))
            .map(|r| Value::Array(r.iter().map(|v| (*v).clone()).collect()))
            .collect();
        return Ok(json!({ "instances": rows }));
    }

    // Named inputs, one per field, each of shape [N] or [N, 1].
    let mut n_rows = None;
    for (name, shape, data, (text, datatype)) in &parsed {
        let Some(field) = fields.iter().find(|f| f.name == *name) else {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            return Err(ApiError::for_field(
                ErrorCode::UnknownField,
                *name,
                format!(
                    "unknown input '{name}'; the model's inputs are: {}",
                    names.join(", ")
                ),
            ));
        };
        oip_types::suits(name, text, *datatype, field.kind)?;
        if !(shape.len() == 1 || (shape.len() == 2 && shape[1] == 1)) {
            return Err(ApiError::for_field(
                ErrorCode::WrongFeatureCount,
                *name,
                format!("input '{name}' must have shape [N] or [N, 1], got {shape:?}"),
            ));
        }
        match n_rows {
            None => n_rows = Some(data.len()),
            Some(n) if n != data.len() => {
                return Err(ApiError::for_field(
                    ErrorCode::WrongFeatureCount,
                    *name,
                    format!(
                        "input '{name}' has {} rows, other inputs have {n}",
                        data.len()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let n = n_rows.unwrap_or(0);
    let rows: Vec<Value> = (0..n)
        .map(|i| {
            let record: Map<String, Value> = parsed
                .iter()
                .map(|(name, _, data, _)| (name.to_string(), data[i].clone()))
                .collect();
            Value::Object(record)
        })
        .collect();
    Ok(json!({ "instances": rows }))
}

/// An inference answer, with its predictions (what the monitoring window keeps of it).
pub struct Inferred {
    pub answer: Value,
    pub timings: Timings,
    pub predictions: Vec<Prediction>,
}

/// `POST /v2/models/{name}[/versions/{v}]/infer`.
pub fn infer(
    p: &Predictor,
    body: &Value,
    max_rows: usize,
    clock: &dyn Fn() -> f64,
) -> Result<Inferred, ApiError> {
    crate::api::run_now(infer_paced(p, body, max_rows, clock, &crate::api::NoPause))
}

/// [`infer`], evaluating long batches slice by slice as `pace` says.
pub async fn infer_paced(
    p: &Predictor,
    body: &Value,
    max_rows: usize,
    clock: &dyn Fn() -> f64,
    pace: &dyn Pace,
) -> Result<Inferred, ApiError> {
    let mut instances = to_instances(p, body)?;
    // `"parameters": {"explain": true}` asks for explanations, answered in the response's
    // `parameters.explanations` (the protocol's place for what is not a tensor).
    if let Some(explain) = body.get("parameters").and_then(|ps| ps.get("explain")) {
        if !explain.is_boolean() {
            return Err(ApiError::for_field(
                ErrorCode::WrongType,
                "parameters.explain",
                format!("parameters.explain must be true or false, got {explain}"),
            ));
        }
        if let Some(object) = instances.as_object_mut() {
            object.insert(crate::api::request::EXPLAIN.into(), explain.clone());
        }
    }
    let requested: Option<Vec<&str>> = match body.get("outputs") {
        None | Some(Value::Null) => None,
        Some(Value::Array(outs)) => Some(
            outs.iter()
                .map(|o| {
                    o.get("name")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("each requested output needs a name"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(bad("\"outputs\" must be an array of {\"name\": ...}")),
    };
    let (response, timings) = p
        .predict_timed_paced(&instances, max_rows, clock, pace)
        .await?;
    let Response::Batch(batch) = response else {
        return Err(bad("internal: an instances body must answer as a batch"));
    };
    let n = batch.predictions.len();
    let explanations = batch.explanations;
    let mut outputs = Vec::new();
    let values: Vec<Value> = batch
        .predictions
        .iter()
        .map(|pr| match pr {
            Prediction::Class(c) => c.clone(),
            Prediction::Value(v) => json!(v),
        })
        .collect();
    match p.manifest().task {
        Task::Regression => outputs
            .push(json!({ "name": "value", "datatype": "FP32", "shape": [n], "data": values })),
        Task::Classification => {
            outputs.push(json!({ "name": "label", "datatype": label_datatype(p), "shape": [n], "data": values }));
            let (name, rows) = match (batch.probabilities, batch.scores) {
                (Some(p), _) => ("probabilities", p),
                (None, Some(s)) => ("scores", s),
                (None, None) => ("probabilities", Vec::new()),
            };
            let width = rows.first().map_or(0, Vec::len);
            let flat: Vec<f64> = rows.into_iter().flatten().collect();
            outputs.push(
                json!({ "name": name, "datatype": "FP32", "shape": [n, width], "data": flat }),
            );
        }
    }
    if let Some(requested) = requested {
        let available: Vec<String> = outputs
            .iter()
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect();
        if let Some(unknown) = requested
            .iter()
            .find(|r| !available.iter().any(|a| a == *r))
        {
            return Err(ApiError::new(
                ErrorCode::UnknownField,
                format!(
                    "unknown output '{unknown}'; the model's outputs are: {}",
                    available.join(", ")
                ),
            ));
        }
        outputs.retain(|o| o["name"].as_str().is_some_and(|n| requested.contains(&n)));
    }
    let mut answer = json!({
        "model_name": p.manifest().name,
        "model_version": p.manifest().version,
        "outputs": outputs,
    });
    if let Some(id) = body.get("id").filter(|v| v.is_string()) {
        answer["id"] = id.clone();
    }
    if let Some(explanations) = explanations {
        answer["parameters"] = json!({ "explanations": explanations });
    }
    Ok(Inferred {
        answer,
        timings,
        predictions: batch.predictions,
    })
}

/// The Open Inference Protocol's error body is `{"error": "<message>"}` (KServe's spec; NVIDIA's
/// tritonclient concatenates it as a string). On /v2 routes the core error is reshaped to that,
/// keeping `code` and `field` as extra members.
pub(super) fn v2_error_body(response: &mut super::HttpResponse) {
    if response.status < 400 {
        return;
    }
    let Ok(serde_json::Value::Object(mut body)) =
        serde_json::from_slice::<serde_json::Value>(&response.body)
    else {
        return;
    };
    if let Some(serde_json::Value::Object(error)) = body.remove("error") {
        let mut flat = serde_json::Map::new();
        flat.insert(
            "error".into(),
            error.get("message").cloned().unwrap_or_default(),
        );
        for key in ["code", "field"] {
            if let Some(v) = error.get(key) {
                flat.insert(key.into(), v.clone());
            }
        }
        if let Ok(bytes) = serde_json::to_vec(&flat) {
            response.body = bytes;
        }
    }
}
