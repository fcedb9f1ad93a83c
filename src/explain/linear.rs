//! Exact contributions of a linear model (`ai.onnx.ml` LinearClassifier / LinearRegressor):
//! for output k, `w_kj · (x_j − mean_j)` per feature and `b_k + w_k · mean` as the base value,
//! as shap's LinearExplainer computes them against the training sample's means. They add up
//! to the raw score `w_k · x + b_k` (a classifier's decision function, before any softmax or
//! logistic).

use super::ExplainError;
use crate::infer::onnx::Node as OnnxNode;

#[derive(Debug, Clone)]
pub struct Linear {
    /// Row-major `[outputs, features]`.
    weights: Vec<f64>,
    n_features: usize,
    base: Vec<f64>,
    means: Vec<f64>,
}

impl Linear {
    pub fn parse(node: &OnnxNode, means: &[f64]) -> Result<Linear, ExplainError> {
        let weights: Vec<f64> = node
            .floats("coefficients")
            .iter()
            .map(|&w| f64::from(w))
            .collect();
        let intercepts: Vec<f64> = node
            .floats("intercepts")
            .iter()
            .map(|&b| f64::from(b))
            .collect();
        let n_features = means.len();
        if n_features == 0 || !weights.len().is_multiple_of(n_features) {
            return Err(ExplainError::Invalid(format!(
                "{} coefficients do not fit {n_features} feature means",
                weights.len()
            )));
        }
        let n_outputs = weights.len() / n_features;
        let intercept = |k: usize| match intercepts.len() {
            0 => Ok(0.0),
            n if n == n_outputs => Ok(intercepts[k]),
            n => Err(ExplainError::Invalid(format!(
                "{n} intercepts for {n_outputs} coefficient rows"
            ))),
        };
        let mut base = Vec::with_capacity(n_outputs);
        for k in 0..n_outputs {
            let row = &weights[k * n_features..(k + 1) * n_features];
            base.push(intercept(k)? + row.iter().zip(means).map(|(w, m)| w * m).sum::<f64>());
        }
        Ok(Linear {
            weights,
            n_features,
            base,
            means: means.to_vec(),
        })
    }

    pub fn n_outputs(&self) -> usize {
        self.base.len()
    }

    /// A two-class classifier's positive score: the second row when the graph has one per
    /// class (skl2onnx writes `[-w, w]`), else its only row.
    pub fn positive_output(&self) -> usize {
        usize::from(self.n_outputs() > 1)
    }

    pub fn base_values(&self) -> Vec<f64> {
        self.base.clone()
    }

    /// Adds one row's contributions to `phi[feature * n_outputs + output]`.
    pub fn contributions(&self, x: &[f64], phi: &mut [f64]) {
        let n_outputs = self.n_outputs();
        for (j, (&xj, &mj)) in x.iter().zip(&self.means).enumerate() {
            let d = xj - mj;
            for k in 0..n_outputs {
                phi[j * n_outputs + k] += self.weights[k * self.n_features + j] * d;
            }
        }
    }
}
