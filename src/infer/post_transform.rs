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
        match self {
            PostTransform::None => {}
            PostTransform::Logistic => scores.iter_mut().for_each(|s| *s = logistic(*s)),
            PostTransform::Softmax => softmax(scores),
            PostTransform::SoftmaxZero => softmax_zero(scores),
        }
    }
}

/// ORT's `ComputeLogistic`.
pub fn logistic(x: f32) -> f32 {
    let v = 1.0 / (1.0 + (-x.abs()).exp());
    if x < 0.0 {
        1.0 - v
    } else {
        v
    }
}

/// ORT's `ComputeSoftmax`.
pub fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(-f32::MAX, f32::max);
    let mut sum = 0.0f32;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in values.iter_mut() {
        *v /= sum;
    }
}

/// ORT's `ComputeSoftmaxZero`: values within 1e-7 of zero are not exponentiated.
pub fn softmax_zero(values: &mut [f32]) {
    let max = values.iter().copied().fold(-f32::MAX, f32::max);
    let exp_neg_max = (-max).exp();
    let mut sum = 0.0f32;
    for v in values.iter_mut() {
        if *v > 0.000_000_1 || *v < -0.000_000_1 {
            *v = (*v - max).exp();
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
    fn transforms_match_their_formulas() {
        assert_eq!(logistic(0.0), 0.5);
        assert!((logistic(2.0) - 1.0 / (1.0 + (-2.0f32).exp())).abs() < 1e-7);
        assert_eq!(logistic(-3.0), 1.0 - logistic(3.0));
        let mut v = [1.0f32, 2.0, 3.0];
        softmax(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[2] > v[1] && v[1] > v[0]);
        let mut z = [0.0f32, 1.0];
        softmax_zero(&mut z);
        assert_eq!(z[0], 0.0);
        assert_eq!(z[1], 1.0);
        assert!(PostTransform::parse(Some("PROBIT")).is_err());
    }
}
