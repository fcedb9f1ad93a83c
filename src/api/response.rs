//! Response bodies. One row: `prediction` (+ `probabilities` or `scores`); several rows:
//! `predictions` (+ a row of probabilities/scores per prediction). Both carry the model's
//! `classes` (classification), `model` and `version`.

use crate::explain::Explanation;
use serde::Serialize;

/// A class label exactly as in sklearn's `classes_`, or a regression value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Prediction {
    Class(serde_json::Value),
    /// A regression value (see [`decimal`]).
    Value(f64),
}

/// The graph computes in f32; widening 0.97f32 to f64 would print 0.9700000286102295 in every
/// JSON encoder (serde_json's Value, serde-wasm-bindgen). This keeps f32's shortest round-trip
/// decimal instead, so responses read like sklearn's numbers.
pub fn decimal(x: f32) -> f64 {
    if !x.is_finite() {
        return f64::from(x);
    }
    let mut buf = ryu::Buffer::new();
    buf.format_finite(x).parse().unwrap_or(f64::from(x))
}

/// Adds `"name": value` as the last member of the JSON object in `json` (which ends with its
/// `}`), where serializing the response struct would put a member declared last.
pub fn push_member(
    json: &mut Vec<u8>,
    name: &str,
    value: &impl Serialize,
) -> serde_json::Result<()> {
    let close = json.pop();
    json.push(b',');
    serde_json::to_writer(&mut *json, name)?;
    json.push(b':');
    serde_json::to_writer(&mut *json, value)?;
    json.extend(close);
    Ok(())
}

pub fn decimals(xs: &[f32]) -> Vec<f64> {
    xs.iter().copied().map(decimal).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    Single(SingleResponse),
    Batch(BatchResponse),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SingleResponse {
    pub prediction: Prediction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    /// Decision-function scores, for classifiers without `predict_proba` (LinearSVC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<serde_json::Value>>,
    pub model: String,
    pub version: String,
    /// With `"explain": true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchResponse {
    pub predictions: Vec<Prediction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<Vec<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<serde_json::Value>>,
    pub model: String,
    pub version: String,
    /// With `"explain": true`: one per row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanations: Option<Vec<Explanation>>,
}

/// The error body: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a crate::error::ApiError,
}

/// Writes a response's JSON straight from the graph's outputs: the bytes serde_json writes for
/// the same [`Response`] (tests/api.rs checks it on every bundle), without building the
/// response's vectors. A value prints as f32's shortest round-trip decimal, as [`decimal`] does.
#[derive(Debug, Clone)]
pub(crate) struct ResponseJson {
    /// Each class label as JSON.
    labels: Vec<String>,
    /// `,"classes":[...]` or nothing.
    classes: String,
    /// `,"model":"...","version":"..."}`.
    tail: String,
}

impl ResponseJson {
    pub fn new(classes: Option<&[serde_json::Value]>, model: &str, version: &str) -> ResponseJson {
        let json = |v: &dyn erased::Json| v.to_json();
        let labels = classes
            .unwrap_or_default()
            .iter()
            .map(|c| json(c))
            .collect();
        let classes = classes
            .map(|c| format!(",\"classes\":{}", json(&c.to_vec())))
            .unwrap_or_default();
        let tail = format!(
            ",\"model\":{},\"version\":{}}}",
            json(&model.to_string()),
            json(&version.to_string())
        );
        ResponseJson {
            labels,
            classes,
            tail,
        }
    }

    /// The answer for `rows` rows of `outputs` (`single`: the one-row shape).
    pub fn write(&self, outputs: &crate::infer::Outputs, single: bool, out: &mut Vec<u8>) {
        use crate::infer::{Outputs, Second};
        let number = |out: &mut Vec<u8>, x: f32| write_f32(x, out);
        let (key, plural) = if single {
            ("{\"prediction\":", "")
        } else {
            ("{\"predictions\":[", "]")
        };
        out.extend_from_slice(key.as_bytes());
        match outputs {
            Outputs::Regression { values } => {
                for (i, &v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    number(out, v);
                }
                out.extend_from_slice(plural.as_bytes());
            }
            Outputs::Classification {
                labels,
                values,
                width,
                kind,
            } => {
                for (i, &l) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(
                        self.labels.get(l).map_or("null", String::as_str).as_bytes(),
                    );
                }
                out.extend_from_slice(plural.as_bytes());
                out.extend_from_slice(match kind {
                    Second::Probabilities => b",\"probabilities\":",
                    Second::Scores => b",\"scores\":",
                });
                if !single {
                    out.push(b'[');
                }
                for (r, row) in values.chunks((*width).max(1)).enumerate() {
                    if r > 0 {
                        out.push(b',');
                    }
                    out.push(b'[');
                    for (k, &v) in row.iter().enumerate() {
                        if k > 0 {
                            out.push(b',');
                        }
                        number(out, v);
                    }
                    out.push(b']');
                }
                if !single {
                    out.push(b']');
                }
            }
        }
        out.extend_from_slice(self.classes.as_bytes());
        out.extend_from_slice(self.tail.as_bytes());
    }
}

/// serde_json's compact encoding of a value, for the precomputed parts of a response.
mod erased {
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".into())
        }
    }
}

/// Writes `x` as serde_json writes `decimal(x)` (f32's shortest round-trip digits, laid out as
/// serde_json lays out an f64: fixed notation for decimal exponents -5 to 15, otherwise
/// `d.ddde+N`), or `null` when not finite. Without the f64 parse `decimal` needs.
pub fn write_f32(x: f32, out: &mut Vec<u8>) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(x).as_bytes();
    // ryu's text as sign, significant digits and the exponent of the first digit.
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exp) = match text.iter().position(|&c| c == b'e') {
        Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
        None => (text, 0),
    };
    let point = mantissa
        .iter()
        .position(|&c| c == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; 24];
    let mut n = 0;
    let mut exp10 = exp + point as i32 - 1;
    for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
        if n == 0 && c == b'0' {
            exp10 -= 1;
            continue;
        }
        if n < digits.len() {
            digits[n] = c;
            n += 1;
        }
    }
    while n > 0 && digits[n - 1] == b'0' {
        n -= 1;
    }
    if negative {
        out.push(b'-');
    }
    if n == 0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    let digits = &digits[..n];
    if (-5..=15).contains(&exp10) {
        if exp10 < 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-exp10 - 1) as usize));
            out.extend_from_slice(digits);
        } else {
            let int_len = exp10 as usize + 1;
            if n <= int_len {
                out.extend_from_slice(digits);
                out.extend(std::iter::repeat_n(b'0', int_len - n));
                out.extend_from_slice(b".0");
            } else {
                out.extend_from_slice(&digits[..int_len]);
                out.push(b'.');
                out.extend_from_slice(&digits[int_len..]);
            }
        }
        return;
    }
    out.push(digits[0]);
    if n > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    out.extend_from_slice(if exp10 > 0 { b"e+" } else { b"e-" });
    let mut num = itoa_buf(exp10.unsigned_abs());
    out.append(&mut num);
}

fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let v = digits.iter().fold(0i32, |a, &c| {
        a.saturating_mul(10).saturating_add(i32::from(c - b'0'))
    });
    if negative {
        -v
    } else {
        v
    }
}

fn itoa_buf(mut v: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(3);
    loop {
        out.push(b'0' + (v % 10) as u8);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    /// Writing f32's shortest decimal directly prints what serde_json prints for [`super::decimal`]
    /// of it: the fast writer and the serde path agree on every number.
    #[test]
    fn f32_written_directly_equals_serde_json_of_its_decimal() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let check = |x: f32| {
            if !x.is_finite() {
                return;
            }
            let mut direct = Vec::new();
            super::write_f32(x, &mut direct);
            let direct = String::from_utf8(direct).unwrap();
            let via_serde = serde_json::to_string(&super::decimal(x)).unwrap();
            assert_eq!(direct, via_serde, "{x:e}");
        };
        for x in [
            0.0,
            -0.0,
            0.97,
            0.03,
            1.0,
            1e20,
            1e-7,
            123456790.0,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            0.1,
            100.0,
            1e16,
            1e15,
            1e-5,
            1.5e-6,
            0.00015,
            1e-4,
        ] {
            check(x);
        }
        for _ in 0..2_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            check(f32::from_bits(state as u32));
        }
    }
}
