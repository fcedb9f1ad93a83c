//! Paced evaluation (the Worker's: slices of rows with a pause between them) answers exactly
//! what one-go evaluation answers, for every committed model and body shape, explanations and
//! errors included; it pauses once between each two slices.

mod common;

use common::*;
use serde_json::{json, Value};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasmpredict::api::{run_now, Pace};
use wasmpredict::http::{Handled, HttpRequest, RequestBody, Service, ServiceConfig};
use wasmpredict::Bundle;

/// Slices of `rows`; each pause is pending once (as a timer is), then ready, and counted.
struct Sliced {
    rows: usize,
    pauses: Cell<usize>,
}

impl Sliced {
    fn new(rows: usize) -> Sliced {
        Sliced {
            rows,
            pauses: Cell::new(0),
        }
    }
}

struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Pace for Sliced {
    fn slice_rows(&self) -> Option<usize> {
        Some(self.rows)
    }
    fn pause(&self) -> Pin<Box<dyn Future<Output = ()> + '_>> {
        self.pauses.set(self.pauses.get() + 1);
        Box::pin(PendingOnce(false))
    }
}

/// `n` rows cycling through the bundle's golden inputs.
fn rows(dir: &std::path::Path, n: usize) -> Vec<Value> {
    let golden = Bundle::from_dir(dir).unwrap().golden().unwrap().unwrap();
    (0..n)
        .map(|i| Value::Object(golden.rows[i % golden.rows.len()].input.clone()))
        .collect()
}

#[test]
fn paced_answers_equal_one_go_answers_for_every_model_and_shape() {
    for dir in model_bundles() {
        let p = predictor(&dir);
        let batch = rows(&dir, 1_300);
        let positional: Vec<Value> = batch
            .iter()
            .map(|r| {
                Value::Array(
                    p.manifest()
                        .input
                        .iter()
                        .map(|f| r.get(&f.name).cloned().unwrap_or(Value::Null))
                        .collect(),
                )
            })
            .collect();
        for body in [
            json!({ "instances": batch }),
            json!({ "features": positional }),
            json!({ "record": batch[0] }),
            json!({ "instances": batch[..40], "explain": true }),
        ] {
            let text = serde_json::to_vec(&body).unwrap();
            let one_go = p.answer_json(&text, 10_000, &|| 0.0);
            let pace = Sliced::new(128);
            let paced = run_now(p.answer_json_paced(&text, 10_000, &|| 0.0, &pace));
            let (one_go, paced) = (one_go.unwrap(), paced.unwrap());
            assert_eq!(
                String::from_utf8_lossy(&paced.json),
                String::from_utf8_lossy(&one_go.json),
                "{}",
                dir.display()
            );
            assert_eq!(paced.outputs, one_go.outputs);
            let n = one_go.rows;
            let explained = body.get("explain").is_some();
            let expected_pauses = if explained {
                // Predictions in slices of 128, explanations one row at a time (128 / 256 < 1).
                n.div_ceil(128) - 1 + n - 1
            } else {
                n.div_ceil(128) - 1
            };
            assert_eq!(
                pace.pauses.get(),
                expected_pauses,
                "{} {n} rows",
                dir.display()
            );
        }
    }
}

#[test]
fn an_error_in_a_later_slice_names_its_row_in_the_whole_batch() {
    let dir = model_dir("iris");
    let p = predictor(&dir);
    let mut batch = rows(&dir, 1_000);
    batch[750]["sepal_width"] = json!("wide");
    let text = serde_json::to_vec(&json!({ "instances": batch })).unwrap();
    let one_go = p.answer_json(&text, 10_000, &|| 0.0).unwrap_err();
    let paced =
        run_now(p.answer_json_paced(&text, 10_000, &|| 0.0, &Sliced::new(100))).unwrap_err();
    assert_eq!(paced.message, one_go.message);
    assert!(paced.message.starts_with("row 750: "), "{}", paced.message);
    assert_eq!(paced.field.as_deref(), Some("sepal_width"));
}

#[test]
fn the_service_answers_paced_as_it_answers_in_one_go() {
    let mut service = Service::new(ServiceConfig::default());
    let dir = model_dir("news");
    service.add_version("news", "1.0.0", move || Bundle::from_dir(&dir));
    let texts: Vec<Value> = (0..2_000)
        .map(|i| json!({ "text": format!("a wonderful moving film number {i}") }))
        .collect();
    let body = serde_json::to_vec(&json!({ "instances": texts })).unwrap();
    let v2 = serde_json::to_vec(&json!({"inputs": [{"name": "text", "shape": [3, 1], "datatype": "BYTES", "data": ["a fine film", "dull", "moving"]}]})).unwrap();
    for (path, body) in [
        ("/models/news/predict", &body),
        ("/v2/models/news/infer", &v2),
    ] {
        let req = HttpRequest {
            method: "POST",
            path,
            headers: &[],
            body: RequestBody::Bytes(body),
            received_ms: 0,
        };
        let one_go = match service.handle(&req, &|| 0.0) {
            Handled::Response(r) => r,
            Handled::Effect(_) => panic!("no effect expected"),
        };
        let pace = Sliced::new(300);
        let paced = match run_now(service.handle_paced(&req, &|| 0.0, &pace)) {
            Handled::Response(r) => r,
            Handled::Effect(_) => panic!("no effect expected"),
        };
        assert_eq!(
            paced.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&paced.body)
        );
        assert_eq!(paced.body, one_go.body, "{path}");
        if path.ends_with("predict") {
            assert_eq!(pace.pauses.get(), 2_000usize.div_ceil(300) - 1);
        }
    }
}
