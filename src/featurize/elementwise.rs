//! Steps that map each value by itself: `Binarizer` and `FunctionTransformer` with a numpy
//! function.

use super::{field_error, numeric, Cell, Columns, FieldNames};
use crate::bundle::manifest::NumpyFunction;
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
pub(crate) struct Binarizer {
    threshold: f64,
    lineage: Vec<Option<usize>>,
}

impl Binarizer {
    pub fn compile(threshold: f64, input: &Columns) -> Result<Self, String> {
        if threshold.is_nan() {
            return Err("binarizer.threshold must be a number".into());
        }
        Ok(Binarizer {
            threshold,
            lineage: input.lineage.clone(),
        })
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        for (cell, lineage) in input.iter().zip(&self.lineage) {
            // numpy's `X > threshold` is false for NaN: a missing value becomes 0, as in sklearn.
            let x = numeric(*cell, *lineage, names)?;
            out.push(Cell::Num(if x > self.threshold { 1.0 } else { 0.0 }));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Function {
    func: NumpyFunction,
    lineage: Vec<Option<usize>>,
}

impl Function {
    pub fn compile(func: NumpyFunction, input: &Columns) -> Function {
        Function {
            func,
            lineage: input.lineage.clone(),
        }
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        for (cell, lineage) in input.iter().zip(&self.lineage) {
            let x = numeric(*cell, *lineage, names)?;
            let y = self.apply(x);
            // numpy answers log(0) with -inf and exp(1000) with inf, which the estimator's own
            // input check then refuses: refuse it here, naming the field. (NaN from a negative
            // value is numpy's answer too; the model's missing-value rule judges it.)
            if y.is_infinite() && x.is_finite() {
                let what = format!(
                    "gives {}({x}) = {y}, which the model cannot read",
                    self.name()
                );
                return Err(field_error(
                    ErrorCode::NonFiniteNumber,
                    *lineage,
                    names,
                    &what,
                ));
            }
            out.push(Cell::Num(y));
        }
        Ok(())
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
