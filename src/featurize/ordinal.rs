//! `OrdinalEncoder`: a category becomes its index among the fitted categories; a missing value
//! (where the categories hold one) and an unknown category become the codes the encoder was
//! given.

use super::categories::Categories;
use super::{check_width, Cell, Columns, FieldNames};
use crate::bundle::manifest::OrdinalUnknown;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct OrdinalEncoder {
    columns: Vec<Categories>,
    handle_unknown: OrdinalUnknown,
    unknown_value: f64,
    missing_value: f64,
}

impl OrdinalEncoder {
    pub fn compile(
        categories: &[Vec<serde_json::Value>],
        handle_unknown: OrdinalUnknown,
        unknown_value: Option<f64>,
        encoded_missing_value: Option<f64>,
        input: &Columns,
        names: &FieldNames,
    ) -> Result<Self, String> {
        check_width("ordinal_encoder.categories", categories.len(), input)?;
        let columns = categories
            .iter()
            .enumerate()
            .map(|(i, cats)| Categories::compile("ordinal_encoder", cats, i, input, names))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OrdinalEncoder {
            columns,
            handle_unknown,
            unknown_value: unknown_value.unwrap_or(f64::NAN),
            missing_value: encoded_missing_value.unwrap_or(f64::NAN),
        })
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
    ) -> Result<(), ApiError> {
        for (cell, categories) in input.iter().zip(&self.columns) {
            let code = if cell.is_missing() && categories.has_missing() {
                self.missing_value
            } else {
                match categories.lookup(cell) {
                    Some(k) => k as f64,
                    None if self.handle_unknown == OrdinalUnknown::UseEncodedValue => {
                        self.unknown_value
                    }
                    None => return Err(categories.unknown(cell)),
                }
            };
            out.push(Cell::Num(code));
        }
        Ok(())
    }
}
