//! `QuantileTransformer`: each value's place among its column's fitted quantiles (numpy's
//! `interp`, taken in both directions and averaged as sklearn does for repeated quantiles),
//! then, for a normal output, the standard normal's quantile function, clipped as sklearn clips.

use super::elementwise::ValueMap;
use super::{check_width, Columns, FieldNames};
use crate::bundle::manifest::QuantileOutput;
use crate::error::ApiError;

/// sklearn's `BOUNDS_THRESHOLD`: values this close to the outermost quantiles map to the bounds.
const BOUNDS_THRESHOLD: f64 = 1e-7;

#[derive(Debug, Clone)]
pub(crate) struct Quantile {
    output: QuantileOutput,
    /// Per column, its quantiles (ascending), and the same negated in reverse order.
    quantiles: Vec<(Vec<f64>, Vec<f64>)>,
    references: Vec<f64>,
    references_reversed: Vec<f64>,
    clip: (f64, f64),
}

impl Quantile {
    pub fn compile(
        output: QuantileOutput,
        quantiles: &[Vec<f64>],
        references: &[f64],
        input: &Columns,
    ) -> Result<Self, String> {
        check_width("quantile.quantiles", quantiles.len(), input)?;
        let ascending =
            |v: &[f64]| v.iter().all(|x| x.is_finite()) && v.windows(2).all(|w| w[0] <= w[1]);
        if references.len() < 2 || !ascending(references) {
            return Err(
                "quantile.references must be two or more finite values in ascending order".into(),
            );
        }
        let mut columns = Vec::with_capacity(quantiles.len());
        for (i, q) in quantiles.iter().enumerate() {
            if q.len() != references.len() || !ascending(q) {
                return Err(format!(
                    "quantile.quantiles[{i}] must be {} finite values in ascending order",
                    references.len()
                ));
            }
            let negated: Vec<f64> = q.iter().rev().map(|x| -x).collect();
            columns.push((q.clone(), negated));
        }
        let edge = BOUNDS_THRESHOLD - f64::EPSILON;
        Ok(Quantile {
            output,
            quantiles: columns,
            references: references.to_vec(),
            references_reversed: references.iter().rev().map(|x| -x).collect(),
            clip: (normal_quantile(edge), normal_quantile(1.0 - edge)),
        })
    }
}

impl ValueMap for Quantile {
    fn map(&self, i: usize, x: f64, _: Option<usize>, _: &FieldNames) -> Result<f64, ApiError> {
        let (q, negated) = &self.quantiles[i];
        Ok(self.place(x, q, negated))
    }
}

impl Quantile {
    /// `x`'s place among the quantiles `q` (`negated`: the same negated, in reverse order).
    fn place(&self, x: f64, q: &[f64], negated: &[f64]) -> f64 {
        if x.is_nan() {
            return x;
        }
        let (low, high) = (q[0], q[q.len() - 1]);
        let (at_low, at_high) = match self.output {
            QuantileOutput::Uniform => (x == low, x == high),
            QuantileOutput::Normal => (x - BOUNDS_THRESHOLD < low, x + BOUNDS_THRESHOLD > high),
        };
        let mut p =
            0.5 * (interp(x, q, &self.references) - interp(-x, negated, &self.references_reversed));
        // sklearn sets the upper bound first, then the lower one.
        if at_high {
            p = 1.0;
        }
        if at_low {
            p = 0.0;
        }
        match self.output {
            QuantileOutput::Uniform => p,
            QuantileOutput::Normal => normal_quantile(p).clamp(self.clip.0, self.clip.1),
        }
    }
}

/// numpy's `interp(x, xp, fp)` for one finite `x`: clamped outside `xp`; at a repeated `xp`
/// value, the segment after its last occurrence (numpy's binary search); an exact hit on a
/// knot gives that knot's `fp`.
fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let last = xp.len() - 1;
    if x < xp[0] {
        return fp[0];
    }
    if x > xp[last] {
        return fp[last];
    }
    // The last j with xp[j] <= x.
    let j = xp.partition_point(|&v| v <= x) - 1;
    if j == last || xp[j] == x {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let y = slope * (x - xp[j]) + fp[j];
    if y.is_nan() {
        let y = slope * (x - xp[j + 1]) + fp[j + 1];
        if y.is_nan() && fp[j] == fp[j + 1] {
            return fp[j];
        }
        return y;
    }
    y
}

/// The standard normal's quantile function (scipy's `norm.ppf`): ±inf at 0 and 1. A rational
/// first guess (Abramowitz & Stegun 26.2.23, within 4.5e-4) refined by Halley steps on
/// `Φ(x) = p`, with `Φ` from `erfc`, which keeps its relative precision in the lower tail; the
/// upper half by symmetry from `1 - p`, as scipy's `ndtri` computes it.
pub(crate) fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        return -lower_quantile(1.0 - p);
    }
    lower_quantile(p)
}

/// Φ⁻¹(p) for 0 < p <= 0.5.
fn lower_quantile(p: f64) -> f64 {
    let t = (-2.0 * p.ln()).sqrt();
    let mut x = -(t
        - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
    let root_two_pi = (2.0 * std::f64::consts::PI).sqrt();
    for _ in 0..4 {
        let cdf = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
        let u = (cdf - p) * root_two_pi * (x * x / 2.0).exp();
        let step = u / (1.0 + x * u / 2.0);
        // Below ~1e-308 erfc leaves the normal range and the step is no longer a number: the
        // guess stands (sklearn clips such values at -5.199 anyway).
        if !step.is_finite() {
            break;
        }
        x -= step;
        if step.abs() <= 1e-17 * x.abs().max(1e-300) {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_known_values() {
        // scipy.stats.norm.ppf
        for (p, want) in [
            (0.5, 0.0),
            (0.975, 1.959963984540054),
            (0.025, -1.9599639845400545),
            (1e-7, -5.1993375821928165),
            (0.3, -0.5244005127080409),
            (1e-300, -37.0470962993612),
        ] {
            let got = normal_quantile(p);
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "{p}: {got} != {want}"
            );
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        for p in [1e-310, 5e-324, 1.0 - 1e-16] {
            assert!(!normal_quantile(p).is_nan(), "{p}");
        }
    }

    #[test]
    fn interp_follows_numpy_at_knots_repeats_and_outside() {
        let xp = [0.0, 1.0, 1.0, 2.0];
        let fp = [0.0, 0.25, 0.5, 1.0];
        assert_eq!(interp(-1.0, &xp, &fp), 0.0);
        assert_eq!(interp(0.5, &xp, &fp), 0.125);
        assert_eq!(interp(1.0, &xp, &fp), 0.5);
        assert_eq!(interp(1.5, &xp, &fp), 0.75);
        assert_eq!(interp(3.0, &xp, &fp), 1.0);
    }
}
