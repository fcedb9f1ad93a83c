//! The two drift statistics and their thresholds, on histograms of counts over the same slots.
//!
//! Both follow Evidently's definitions, so that their thresholds mean what users know:
//! - PSI (population stability index) = Σ (a − e) · ln(a / e) over the slots' shares, with an
//!   empty slot counted as a share of 0.0001 (Evidently's `psi_stat_test`);
//! - the Jensen-Shannon *distance* (the square root of the divergence, natural log), as
//!   `scipy.spatial.distance.jensenshannon` computes it (Evidently's `jensenshannon_stat_test`).

use serde::{Deserialize, Serialize};

/// PSI from which a distribution is worth watching.
pub const PSI_WATCH: f64 = 0.1;
/// PSI from which it has drifted (act).
pub const PSI_ACT: f64 = 0.25;
/// Jensen-Shannon distance from which it has drifted (Evidently's default threshold).
pub const JS_DRIFT: f64 = 0.1;

/// Share given to an empty slot in PSI, so that its logarithm is finite (Evidently's value).
const PSI_EMPTY_SHARE: f64 = 0.0001;

/// The thresholds, as reported beside every drift report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub psi_watch: f64,
    pub psi_act: f64,
    pub js: f64,
}

pub const THRESHOLDS: Thresholds = Thresholds {
    psi_watch: PSI_WATCH,
    psi_act: PSI_ACT,
    js: JS_DRIFT,
};

/// How far one distribution is from training, worst last (so `max` is the overall verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Stable,
    /// PSI at or above [`PSI_WATCH`].
    Watch,
    /// PSI at or above [`PSI_ACT`], or Jensen-Shannon distance at or above [`JS_DRIFT`].
    Drift,
}

impl Verdict {
    /// The verdict's one spelling, in JSON and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Stable => "stable",
            Verdict::Watch => "watch",
            Verdict::Drift => "drift",
        }
    }

    pub fn of(psi: f64, js: f64) -> Verdict {
        if psi >= PSI_ACT || js >= JS_DRIFT {
            Verdict::Drift
        } else if psi >= PSI_WATCH {
            Verdict::Watch
        } else {
            Verdict::Stable
        }
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
        let name = String::deserialize(d)?;
        [Verdict::Stable, Verdict::Watch, Verdict::Drift]
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown verdict '{name}'")))
    }
}

/// Each count as a share of their total (all zeros when the total is zero).
pub fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}

/// PSI of `current` against `training` (counts over the same slots).
pub fn psi(training: &[u64], current: &[u64]) -> f64 {
    shares(training)
        .into_iter()
        .zip(shares(current))
        .map(|(e, a)| {
            let e = if e == 0.0 { PSI_EMPTY_SHARE } else { e };
            let a = if a == 0.0 { PSI_EMPTY_SHARE } else { a };
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Jensen-Shannon distance (natural log) between the two distributions.
pub fn js_distance(training: &[u64], current: &[u64]) -> f64 {
    let (p, q) = (shares(training), shares(current));
    // x · ln(x / m), with 0 · ln 0 = 0 (scipy's rel_entr).
    let rel = |x: f64, m: f64| if x > 0.0 { x * (x / m).ln() } else { 0.0 };
    let divergence: f64 = p
        .iter()
        .zip(&q)
        .map(|(&p, &q)| {
            let m = (p + q) / 2.0;
            (rel(p, m) + rel(q, m)) / 2.0
        })
        .sum();
    // Rounding can leave a tiny negative divergence for equal distributions.
    divergence.max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_distributions_have_no_drift() {
        let a = [10, 20, 0, 70];
        let b = [1, 2, 0, 7];
        assert!(psi(&a, &b).abs() < 1e-12);
        assert!(js_distance(&a, &b) < 1e-7);
        assert_eq!(
            Verdict::of(psi(&a, &b), js_distance(&a, &b)),
            Verdict::Stable
        );
    }

    #[test]
    fn psi_matches_a_hand_computation() {
        // shares (0.5, 0.5) vs (0.9, 0.1)
        let want = (0.9 - 0.5) * (0.9f64 / 0.5).ln() + (0.1 - 0.5) * (0.1f64 / 0.5).ln();
        assert!((psi(&[5, 5], &[9, 1]) - want).abs() < 1e-12);
        // An empty slot counts as 0.0001.
        let want = (1.0 - 0.5) * (1.0f64 / 0.5).ln() + (0.0001 - 0.5) * (0.0001f64 / 0.5).ln();
        assert!((psi(&[1, 1], &[4, 0]) - want).abs() < 1e-12);
    }

    #[test]
    fn disjoint_distributions_are_at_the_largest_js_distance() {
        assert!((js_distance(&[1, 0], &[0, 1]) - std::f64::consts::LN_2.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn verdicts_follow_the_thresholds() {
        assert_eq!(Verdict::of(0.099, 0.0), Verdict::Stable);
        assert_eq!(Verdict::of(0.1, 0.0), Verdict::Watch);
        assert_eq!(Verdict::of(0.25, 0.0), Verdict::Drift);
        assert_eq!(Verdict::of(0.0, 0.1), Verdict::Drift);
    }
}
