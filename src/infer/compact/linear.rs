//! `ai.onnx.ml` LinearClassifier and LinearRegressor: `scores = X · Wᵀ + b`, with the weights
//! laid out feature-major (one feature's weights for every target side by side), so that a dense
//! row streams through them and a sparse row (a tf-idf or one-hot vector: a few (column, value)
//! pairs) touches only its own columns. Labels and post transforms as onnxruntime computes them.

use crate::featurize::SparseRows;
use crate::infer::onnx::Node;
use crate::infer::post_transform::PostTransform;
use crate::infer::trees::Labels;
use crate::infer::GraphError;

/// The weights of a linear op.
#[derive(Debug, Clone)]
pub struct Linear {
    pub n_features: usize,
    pub n_targets: usize,
    /// `[n_features, n_targets]`, row-major.
    weights: Vec<f32>,
    intercepts: Vec<f32>,
    post: PostTransform,
}

/// What a linear classifier outputs besides its scores.
#[derive(Debug, Clone)]
pub struct ClassifierHead {
    pub labels: Labels,
    /// One score per row and two labels: ORT writes `[1 - s, s]` and picks `s > 0`.
    pub add_second_class: bool,
}

impl Linear {
    fn from_node(node: &Node, n_targets: usize) -> Result<Linear, GraphError> {
        let coefficients = node.floats("coefficients");
        if n_targets == 0
            || coefficients.is_empty()
            || !coefficients.len().is_multiple_of(n_targets)
        {
            return Err(GraphError::Invalid(format!(
                "{}: {} coefficients for {n_targets} targets",
                node.describe(),
                coefficients.len()
            )));
        }
        let n_features = coefficients.len() / n_targets;
        let mut weights = vec![0f32; coefficients.len()];
        for t in 0..n_targets {
            for j in 0..n_features {
                weights[j * n_targets + t] = coefficients[t * n_features + j];
            }
        }
        let intercepts = match node.floats("intercepts") {
            [] => vec![0.0; n_targets],
            i if i.len() == n_targets => i.to_vec(),
            i => {
                return Err(GraphError::Invalid(format!(
                    "{}: {} intercepts for {n_targets} targets",
                    node.describe(),
                    i.len()
                )))
            }
        };
        Ok(Linear {
            n_features,
            n_targets,
            weights,
            intercepts,
            post: PostTransform::parse(node.string("post_transform")?.as_deref())?,
        })
    }

    pub fn classifier(node: &Node) -> Result<(Linear, ClassifierHead), GraphError> {
        let ints = node.ints("classlabels_ints");
        let strings = node.strings("classlabels_strings")?;
        // ORT: the target count is the number of intercepts.
        let n_targets = node.floats("intercepts").len();
        let linear = Linear::from_node(node, n_targets)?;
        let two_labels = ints.len() == 2 || strings.len() == 2;
        let labels = if !strings.is_empty() {
            Labels::Str(strings)
        } else {
            Labels::Int(ints.to_vec())
        };
        let labels = match (n_targets, labels) {
            // One score without two labels: ORT answers "1"/"0" (or 1/0).
            (1, Labels::Str(s)) if s.len() != 2 => Labels::Str(vec!["0".into(), "1".into()]),
            (1, Labels::Int(i)) if i.len() != 2 => Labels::Int(vec![0, 1]),
            (k, l) if k > 1 && l.len() != k => {
                return Err(GraphError::Invalid(format!(
                    "{}: {} class labels for {k} targets",
                    node.describe(),
                    l.len()
                )))
            }
            (_, l) => l,
        };
        let head = ClassifierHead {
            labels,
            add_second_class: n_targets == 1 && two_labels,
        };
        Ok((linear, head))
    }

    pub fn regressor(node: &Node) -> Result<Linear, GraphError> {
        let targets = node.int("targets").unwrap_or(1);
        let targets = usize::try_from(targets)
            .ok()
            .filter(|&t| t > 0)
            .ok_or_else(|| {
                GraphError::Invalid(format!("{}: targets {targets}", node.describe()))
            })?;
        Linear::from_node(node, targets)
    }

    /// Scores of dense rows (`x` row-major, `n_features` wide) into `out` (`n_targets` per row).
    /// The sums run in f64, as scikit-learn's do: a float32 sum of large terms (an unscaled
    /// feature, a log-probability weight) loses digits that a sigmoid or softmax then shows.
    pub fn scores_dense(&self, x: &[f32], out: &mut [f32]) {
        let k = self.n_targets;
        let mut acc = vec![0f64; k];
        for (row, scores) in x.chunks_exact(self.n_features).zip(out.chunks_exact_mut(k)) {
            acc.fill(0.0);
            for (&v, w) in row.iter().zip(self.weights.chunks_exact(k)) {
                let v = f64::from(v);
                for (a, &w) in acc.iter_mut().zip(w) {
                    *a += v * f64::from(w);
                }
            }
            self.finish_sums(&acc, scores);
        }
    }

    /// Scores of sparse rows: the same sums as the dense rows they stand for (a zero adds
    /// nothing), in the same column order.
    pub fn scores_sparse(&self, x: &SparseRows, out: &mut [f32]) -> Result<(), GraphError> {
        let k = self.n_targets;
        let mut acc = vec![0f64; k];
        for (r, scores) in out.chunks_exact_mut(k).enumerate() {
            acc.fill(0.0);
            for (&j, &v) in x.row(r) {
                let j = j as usize;
                let w = self.weights.get(j * k..(j + 1) * k).ok_or_else(|| {
                    GraphError::Invalid(format!(
                        "sparse column {j} is outside the model's {} features",
                        self.n_features
                    ))
                })?;
                let v = f64::from(v);
                for (a, &w) in acc.iter_mut().zip(w) {
                    *a += v * f64::from(w);
                }
            }
            self.finish_sums(&acc, scores);
        }
        Ok(())
    }

    /// One row's sums plus the intercepts, rounded once to the graph's float32.
    fn finish_sums(&self, acc: &[f64], scores: &mut [f32]) {
        for ((s, &a), &b) in scores.iter_mut().zip(acc).zip(&self.intercepts) {
            *s = (a + f64::from(b)) as f32;
        }
    }

    /// Regressor: ORT transforms only rows of two or more targets.
    pub fn finish_regression(&self, scores: &mut [f32]) {
        if self.n_targets > 1 {
            scores
                .chunks_exact_mut(self.n_targets)
                .for_each(|row| self.post.apply(row));
        }
    }

    /// Classifier: label index per row (into the head's labels) and the scores ORT outputs
    /// (`[rows, n_targets]`, or `[rows, 2]` when a second class is added).
    pub fn finish_classification(
        &self,
        head: &ClassifierHead,
        scores: Vec<f32>,
    ) -> (Vec<u32>, Vec<f32>) {
        let k = self.n_targets;
        if k == 1 {
            let labels = scores.iter().map(|&s| u32::from(s > 0.0)).collect();
            if !head.add_second_class {
                return (labels, scores);
            }
            let out = scores.iter().flat_map(|&s| [1.0 - s, s]).collect();
            return (labels, out);
        }
        let mut scores = scores;
        let mut labels = Vec::with_capacity(scores.len() / k);
        for row in scores.chunks_exact(k) {
            // First maximum of the raw scores.
            let mut best = 0;
            for j in 1..k {
                if row[j] > row[best] {
                    best = j;
                }
            }
            labels.push(best as u32);
        }
        self.post.apply_rows(&mut scores, k);
        (labels, scores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::onnx::Attribute;

    fn node(
        op: &str,
        coefficients: &[f32],
        intercepts: &[f32],
        post: &str,
        labels: &[i64],
    ) -> Node {
        let mut attributes = vec![
            Attribute {
                name: "coefficients".into(),
                floats: coefficients.to_vec(),
                ..Default::default()
            },
            Attribute {
                name: "intercepts".into(),
                floats: intercepts.to_vec(),
                ..Default::default()
            },
            Attribute {
                name: "post_transform".into(),
                s: Some(post.as_bytes().to_vec()),
                ..Default::default()
            },
        ];
        if !labels.is_empty() {
            attributes.push(Attribute {
                name: "classlabels_ints".into(),
                ints: labels.to_vec(),
                ..Default::default()
            });
        }
        Node {
            op_type: op.into(),
            attributes,
            ..Default::default()
        }
    }

    #[test]
    fn dense_and_sparse_rows_give_the_same_scores() {
        // 3 targets over 4 features.
        let coef = [
            1.0, 0.0, -2.0, 0.5, 0.25, 3.0, 0.0, -1.0, 2.0, 2.0, 2.0, 2.0,
        ];
        let (lin, _) = Linear::classifier(&node(
            "LinearClassifier",
            &coef,
            &[0.1, 0.2, 0.3],
            "NONE",
            &[7, 8, 9],
        ))
        .unwrap();
        let x = [0.0, 1.5, 0.0, -2.0, 3.0, 0.0, 0.0, 0.0];
        let mut dense = vec![0.0; 6];
        lin.scores_dense(&x, &mut dense);
        let sparse = SparseRows::from_dense(&x, 4);
        let mut from_sparse = vec![0.0; 6];
        lin.scores_sparse(&sparse, &mut from_sparse).unwrap();
        assert_eq!(dense, from_sparse);
        let want0 = [
            1.5 * 0.0 + -2.0 * 0.5 + 0.1,
            1.5 * 3.0 + -2.0 * -1.0 + 0.2,
            (1.5 + -2.0) * 2.0 + 0.3,
        ];
        assert_eq!(&dense[..3], &want0);
        assert_eq!(&dense[3..], &[3.0 + 0.1, 0.25 * 3.0 + 0.2, 2.0 * 3.0 + 0.3]);
    }

    #[test]
    fn classifier_labels_and_transforms_follow_onnxruntime() {
        // Multiclass, softmax: argmax of the raw scores, then softmax.
        let (lin, head) = Linear::classifier(&node(
            "LinearClassifier",
            &[1.0, -1.0, 0.0],
            &[0.0, 0.0, 0.5],
            "SOFTMAX",
            &[4, 5, 6],
        ))
        .unwrap();
        let mut s = vec![0.0; 3];
        lin.scores_dense(&[2.0], &mut s);
        let (labels, probs) = lin.finish_classification(&head, s);
        assert_eq!(labels, [0]);
        assert!((probs.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        // One score and two labels: [1 - s, s], label s > 0, no logistic (as ORT does).
        let (lin, head) = Linear::classifier(&node(
            "LinearClassifier",
            &[2.0],
            &[-1.0],
            "LOGISTIC",
            &[0, 1],
        ))
        .unwrap();
        let mut s = vec![0.0; 2];
        lin.scores_dense(&[0.25, 1.0], &mut s);
        let (labels, out) = lin.finish_classification(&head, s);
        assert_eq!(labels, [0, 1]);
        assert_eq!(out, [1.0 - -0.5, -0.5, 1.0 - 1.0, 1.0]);
        // Wrong label count.
        assert!(Linear::classifier(&node(
            "LinearClassifier",
            &[1.0, 2.0],
            &[0.0, 0.0],
            "NONE",
            &[1, 2, 3]
        ))
        .is_err());
        assert!(Linear::classifier(&node(
            "LinearClassifier",
            &[1.0, 2.0, 3.0],
            &[0.0, 0.0],
            "NONE",
            &[1, 2]
        ))
        .is_err());
    }

    #[test]
    fn regressor_with_and_without_intercepts() {
        let lin =
            Linear::regressor(&node("LinearRegressor", &[1.0, 2.0], &[0.5], "NONE", &[])).unwrap();
        let mut out = vec![0.0; 1];
        lin.scores_dense(&[3.0, 4.0], &mut out);
        assert_eq!(out, [3.0 + 8.0 + 0.5]);
        let lin =
            Linear::regressor(&node("LinearRegressor", &[1.0, 2.0], &[], "NONE", &[])).unwrap();
        lin.scores_dense(&[3.0, 4.0], &mut out);
        assert_eq!(out, [11.0]);
    }
}
