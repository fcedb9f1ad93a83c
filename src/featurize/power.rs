//! `PowerTransformer`'s power maps, as scipy computes them (`stats.yeojohnson`,
//! `special.boxcox`); its standardization is a `standard_scaler` step after this one.

use super::elementwise::ValueMap;
use super::{check_width, field_error, Columns, FieldNames};
use crate::bundle::manifest::PowerMethod;
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
pub(crate) struct Power {
    method: PowerMethod,
    lambdas: Vec<f64>,
}

impl Power {
    pub fn compile(method: PowerMethod, lambdas: &[f64], input: &Columns) -> Result<Self, String> {
        check_width("power.lambdas", lambdas.len(), input)?;
        if lambdas.iter().any(|l| !l.is_finite()) {
            return Err("power.lambdas must be finite".into());
        }
        Ok(Power {
            method,
            lambdas: lambdas.to_vec(),
        })
    }
}

impl ValueMap for Power {
    fn map(
        &self,
        i: usize,
        x: f64,
        field: Option<usize>,
        names: &FieldNames,
    ) -> Result<f64, ApiError> {
        let lambda = self.lambdas[i];
        Ok(match self.method {
            PowerMethod::YeoJohnson => yeo_johnson(x, lambda),
            PowerMethod::BoxCox => {
                // sklearn refuses a batch whose smallest value is not positive (NaN is skipped
                // by its nanmin, and maps to NaN).
                if x <= 0.0 {
                    return Err(field_error(
                        ErrorCode::OutOfDomain,
                        field,
                        names,
                        &format!(
                            "is {x}, but the Box-Cox transform the model uses needs a value above 0"
                        ),
                    ));
                }
                box_cox(x, lambda)
            }
        })
    }
}

/// scipy's `_yeojohnson_transform` (its lambda tests against float64's epsilon included).
fn yeo_johnson(x: f64, lambda: f64) -> f64 {
    if x >= 0.0 {
        if lambda.abs() < f64::EPSILON {
            x.ln_1p()
        } else {
            (lambda * x.ln_1p()).exp_m1() / lambda
        }
    } else if (lambda - 2.0).abs() > f64::EPSILON {
        -((2.0 - lambda) * (-x).ln_1p()).exp_m1() / (2.0 - lambda)
    } else {
        // NaN lands here too (NaN >= 0 is false) and stays NaN, as in scipy.
        -(-x).ln_1p()
    }
}

/// scipy's `special.boxcox` (x > 0).
fn box_cox(x: f64, lambda: f64) -> f64 {
    if lambda.abs() < 1e-19 {
        x.ln()
    } else if lambda * x.ln() < 709.78 {
        (lambda * x.ln()).exp_m1() / lambda
    } else {
        lambda.signum() * (lambda * x.ln() - lambda.abs().ln()).exp() - 1.0 / lambda
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yeo_johnson_special_lambdas_are_logarithms() {
        assert_eq!(yeo_johnson(3.0, 0.0), 3f64.ln_1p());
        assert_eq!(yeo_johnson(-3.0, 2.0), -(3f64.ln_1p()));
        assert!((yeo_johnson(3.0, 1.0) - 3.0).abs() < 1e-15);
        assert!((yeo_johnson(-3.0, 1.0) + 3.0).abs() < 1e-15);
        assert!(yeo_johnson(f64::NAN, 0.5).is_nan());
    }

    #[test]
    fn box_cox_matches_its_definition() {
        assert_eq!(box_cox(2.5, 0.0), 2.5f64.ln());
        assert!((box_cox(2.5, 0.5) - (2.5f64.sqrt() - 1.0) / 0.5).abs() < 1e-15);
    }
}
