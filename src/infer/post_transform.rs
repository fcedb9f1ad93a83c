//! The `post_transform` of the ai.onnx.ml estimators, with onnxruntime's formulas (`ml_common.h`),
//! shared by the linear and tree-ensemble evaluators.

use crate::infer::GraphError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostTransform {
    None,
    Logistic,
    Softmax,
    SoftmaxZero,
}

impl PostTransform {
    pub fn parse(name: Option<&str>) -> Result<PostTransform, GraphError> {
        Ok(match name.unwrap_or("NONE") {
            "NONE" => PostTransform::None,
            "LOGISTIC" => PostTransform::Logistic,
            "SOFTMAX" => PostTransform::Softmax,
            "SOFTMAX_ZERO" => PostTransform::SoftmaxZero,
            other => {
                return Err(GraphError::Unsupported(format!(
                    "post_transform {other} is not supported"
                )))
            }
        })
    }

    /// Applies the transform to one row of two or more scores, in place.
    pub fn apply(self, scores: &mut [f32]) {
        self.apply_rows(scores, scores.len());
    }

    /// Applies the transform to every row (`width` scores each) of `scores`, in place. The
    /// exponentials of a whole batch are taken in one pass, which vectorizes.
    pub fn apply_rows(self, scores: &mut [f32], width: usize) {
        match self {
            PostTransform::None => {}
            PostTransform::Logistic => scores.iter_mut().for_each(|s| *s = logistic(*s)),
            PostTransform::Softmax => softmax_rows(scores, width),
            PostTransform::SoftmaxZero => {
                scores.chunks_exact_mut(width.max(1)).for_each(softmax_zero)
            }
        }
    }
}

/// `e^x` in float32: Cephes' `expf` (one range reduction, a degree-6 polynomial), within ~1 ulp.
/// Ours rather than libm's so that every platform computes the same bits (native libm and the
/// wasm build's differ) and so that a batch's exponentials vectorize.
#[inline]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Beyond these e^x is inf, or below f32's normal range (flushed to 0: within the tolerance
    // of every use here).
    const LOW: f32 = -87.336_55;
    const HIGH: f32 = 88.722_83;
    let input = x;
    let x = x.clamp(LOW, HIGH);
    // Round to nearest by adding and removing 1.5 * 2^23 (exact for |x * log2 e| < 2^22): no libm
    // call, so a batch's exponentials vectorize.
    const ROUND: f32 = 12_582_912.0;
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // 2^n through the exponent bits, in two halves so that n = 128 (e^x just below f32::MAX)
    // and n = -126 stay representable; scaling by powers of two is exact.
    let n = n as i32;
    let half = n >> 1;
    let pow2 = |k: i32| f32::from_bits(((k + 127) as u32) << 23);
    if input >= HIGH {
        f32::INFINITY
    } else if input < LOW {
        0.0
    } else {
        e * pow2(half) * pow2(n - half)
    }
}

/// ORT's `ComputeLogistic`.
pub fn logistic(x: f32) -> f32 {
    let v = 1.0 / (1.0 + exp(-x.abs()));
    if x < 0.0 {
        1.0 - v
    } else {
        v
    }
}

/// ORT's `ComputeSoftmax` on every row of `width` values: maxima first, then every
/// exponential of the batch in one pass, then the sums.
fn softmax_rows(values: &mut [f32], width: usize) {
    let width = width.max(1);
    for row in values.chunks_exact_mut(width) {
        let max = row.iter().copied().fold(-f32::MAX, f32::max);
        row.iter_mut().for_each(|v| *v -= max);
    }
    values.iter_mut().for_each(|v| *v = exp(*v));
    for row in values.chunks_exact_mut(width) {
        let sum: f32 = row.iter().fold(0.0, |a, b| a + b);
        row.iter_mut().for_each(|v| *v /= sum);
    }
}

/// ORT's `ComputeSoftmaxZero`: values within 1e-7 of zero are not exponentiated.
pub fn softmax_zero(values: &mut [f32]) {
    let max = values.iter().copied().fold(-f32::MAX, f32::max);
    let exp_neg_max = exp(-max);
    let mut sum = 0.0f32;
    for v in values.iter_mut() {
        if *v > 0.000_000_1 || *v < -0.000_000_1 {
            *v = exp(*v - max);
            sum += *v;
        } else {
            *v *= exp_neg_max;
        }
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulps_of_the_exact_value() {
        let mut worst = 0u32;
        let mut x = -87.0f32;
        while x < 88.7 {
            let (ours, exact) = (exp(x), (x as f64).exp() as f32);
            let ulps = (ours.to_bits() as i64 - exact.to_bits() as i64).unsigned_abs() as u32;
            worst = worst.max(ulps);
            x += 0.000_37;
        }
        assert!(worst <= 2, "exp is off by {worst} ulps");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-200.0), 0.0);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan() || exp(f32::NAN) >= 0.0);
    }

    #[test]
    fn transforms_match_their_formulas() {
        assert_eq!(logistic(0.0), 0.5);
        assert!((logistic(2.0) - 1.0 / (1.0 + (-2.0f32).exp())).abs() < 1e-7);
        let mut rows = [1.0f32, 2.0, 3.0, -1.0, 0.0, 5.0];
        PostTransform::Softmax.apply_rows(&mut rows, 3);
        let mut one = [-1.0f32, 0.0, 5.0];
        PostTransform::Softmax.apply(&mut one);
        assert_eq!(&rows[3..], &one);
        assert_eq!(logistic(-3.0), 1.0 - logistic(3.0));
        let mut v = [1.0f32, 2.0, 3.0];
        PostTransform::Softmax.apply(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[2] > v[1] && v[1] > v[0]);
        let mut z = [0.0f32, 1.0];
        softmax_zero(&mut z);
        assert_eq!(z[0], 0.0);
        assert_eq!(z[1], 1.0);
        assert!(PostTransform::parse(Some("PROBIT")).is_err());
    }
}
