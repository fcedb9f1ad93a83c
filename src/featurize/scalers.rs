//! `StandardScaler` and `MinMaxScaler`. Missing values (NaN) pass through, as in sklearn.

use super::elementwise::ValueMap;
use super::{check_width, Columns, FieldNames};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct StandardScaler {
    mean: Option<Vec<f64>>,
    scale: Option<Vec<f64>>,
}

impl StandardScaler {
    pub fn compile(
        mean: &Option<Vec<f64>>,
        scale: &Option<Vec<f64>>,
        input: &Columns,
    ) -> Result<Self, String> {
        if let Some(m) = mean {
            check_width("standard_scaler.mean", m.len(), input)?;
        }
        if let Some(s) = scale {
            check_width("standard_scaler.scale", s.len(), input)?;
            if s.iter().any(|x| *x == 0.0 || !x.is_finite()) {
                return Err("standard_scaler.scale must be finite and non-zero".into());
            }
        }
        Ok(StandardScaler {
            mean: mean.clone(),
            scale: scale.clone(),
        })
    }
}

impl ValueMap for StandardScaler {
    fn map(&self, i: usize, x: f64, _: Option<usize>, _: &FieldNames) -> Result<f64, ApiError> {
        let mut x = x;
        if let Some(mean) = &self.mean {
            x -= mean[i];
        }
        if let Some(scale) = &self.scale {
            x /= scale[i];
        }
        Ok(x)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MinMaxScaler {
    scale: Vec<f64>,
    min: Vec<f64>,
    clip: Option<(f64, f64)>,
}

impl MinMaxScaler {
    pub fn compile(
        scale: &[f64],
        min: &[f64],
        clip: bool,
        feature_range: (f64, f64),
        input: &Columns,
    ) -> Result<Self, String> {
        check_width("min_max_scaler.scale", scale.len(), input)?;
        check_width("min_max_scaler.min", min.len(), input)?;
        Ok(MinMaxScaler {
            scale: scale.to_vec(),
            min: min.to_vec(),
            clip: clip.then_some(feature_range),
        })
    }
}

impl ValueMap for MinMaxScaler {
    fn map(&self, i: usize, x: f64, _: Option<usize>, _: &FieldNames) -> Result<f64, ApiError> {
        // sklearn: X *= scale_; X += min_; then np.clip (which keeps NaN).
        let mut x = x * self.scale[i] + self.min[i];
        if let Some((lo, hi)) = self.clip {
            if !x.is_nan() {
                x = x.clamp(lo, hi);
            }
        }
        Ok(x)
    }
}
