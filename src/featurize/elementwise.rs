//! Steps that map each value by itself, each with its column's parameters: the loop they share
//! ([`PerValue`]), and `Binarizer` and `FunctionTransformer` with a numpy function (the scalers,
//! `PowerTransformer`, `QuantileTransformer` and `KBinsDiscretizer` have files of their own).

use super::{field_error, numeric, Cell, Columns, FieldNames};
use crate::bundle::manifest::NumpyFunction;
use crate::error::{ApiError, ErrorCode};

/// What a step that maps each value by itself computes.
pub(crate) trait ValueMap {
    /// The output for value `x` of input column `column`; `field` (the raw field the column
    /// comes from, if one) and `names` are for errors.
    fn map(
        &self,
        column: usize,
        x: f64,
        field: Option<usize>,
        names: &FieldNames,
    ) -> Result<f64, ApiError>;
}

/// A [`ValueMap`] step: every input cell read as a number (a string is refused, naming its
/// field), mapped, one output cell per input cell.
#[derive(Debug, Clone)]
pub(crate) struct PerValue<M> {
    map: M,
    lineage: Vec<Option<usize>>,
}

impl<M: ValueMap> PerValue<M> {
    pub fn new(map: M, input: &Columns) -> Self {
        PerValue {
            map,
            lineage: input.lineage.clone(),
        }
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        for (column, (cell, &field)) in input.iter().zip(&self.lineage).enumerate() {
            let x = numeric(*cell, field, names)?;
            out.push(Cell::Num(self.map.map(column, x, field, names)?));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Binarizer {
    threshold: f64,
}

impl Binarizer {
    pub fn compile(threshold: f64) -> Result<Self, String> {
        if threshold.is_nan() {
            return Err("binarizer.threshold must be a number".into());
        }
        Ok(Binarizer { threshold })
    }
}

impl ValueMap for Binarizer {
    fn map(&self, _: usize, x: f64, _: Option<usize>, _: &FieldNames) -> Result<f64, ApiError> {
        // numpy's `X > threshold` is false for NaN: a missing value becomes 0, as in sklearn.
        Ok(if x > self.threshold { 1.0 } else { 0.0 })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Function {
    func: NumpyFunction,
}

impl Function {
    pub fn compile(func: NumpyFunction) -> Function {
        Function { func }
    }

    fn apply(&self, x: f64) -> f64 {
        match self.func {
            NumpyFunction::Log1p => x.ln_1p(),
            NumpyFunction::Expm1 => x.exp_m1(),
            NumpyFunction::Sqrt => x.sqrt(),
            NumpyFunction::Abs => x.abs(),
            NumpyFunction::Exp => x.exp(),
            NumpyFunction::Log => x.ln(),
        }
    }

    fn name(&self) -> &'static str {
        match self.func {
            NumpyFunction::Log1p => "log1p",
            NumpyFunction::Expm1 => "expm1",
            NumpyFunction::Sqrt => "sqrt",
            NumpyFunction::Abs => "abs",
            NumpyFunction::Exp => "exp",
            NumpyFunction::Log => "log",
        }
    }
}

impl ValueMap for Function {
    fn map(
        &self,
        _: usize,
        x: f64,
        field: Option<usize>,
        names: &FieldNames,
    ) -> Result<f64, ApiError> {
        let y = self.apply(x);
        // numpy answers log(0) with -inf and exp(1000) with inf, which the estimator's own input
        // check then refuses: refuse it here, naming the field. (NaN from a negative value is
        // numpy's answer too; the model's missing-value rule judges it.)
        if y.is_infinite() && x.is_finite() {
            let what = format!(
                "gives {}({x}) = {y}, which the model cannot read",
                self.name()
            );
            return Err(field_error(ErrorCode::NonFiniteNumber, field, names, &what));
        }
        Ok(y)
    }
}
