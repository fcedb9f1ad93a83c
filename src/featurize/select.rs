//! Steps that pick input columns: feature selectors (`select`) and `MissingIndicator`.

use super::{check_positions, Cell, Columns, FieldNames};
use crate::error::{ApiError, ErrorCode};

#[derive(Debug, Clone)]
pub(crate) struct Select {
    columns: Vec<usize>,
}

impl Select {
    pub fn compile(columns: &[usize], input: &Columns) -> Result<(Self, Columns), String> {
        check_positions("select", columns, input)?;
        Ok((
            Select {
                columns: columns.to_vec(),
            },
            input.select(columns),
        ))
    }

    /// The input column an output column is.
    pub fn source(&self, column: usize) -> Option<usize> {
        self.columns.get(column).copied()
    }

    pub fn transform<'a>(&self, input: &[Cell<'a>], out: &mut Vec<Cell<'a>>) {
        out.extend(self.columns.iter().map(|&c| input[c]));
    }
}

#[derive(Debug, Clone)]
pub(crate) struct MissingIndicator {
    columns: Vec<usize>,
    /// With sklearn's `error_on_new`: the columns never missing in training, which a missing
    /// value is refused in.
    refused: Vec<usize>,
    lineage: Vec<Option<usize>>,
}

impl MissingIndicator {
    pub fn compile(
        columns: &[usize],
        error_on_new: bool,
        input: &Columns,
    ) -> Result<(Self, Columns), String> {
        check_positions("missing_indicator", columns, input)?;
        let refused = if error_on_new {
            (0..input.width())
                .filter(|c| !columns.contains(c))
                .collect()
        } else {
            Vec::new()
        };
        Ok((
            MissingIndicator {
                columns: columns.to_vec(),
                refused,
                lineage: input.lineage.clone(),
            },
            Columns::encoded(input, columns.iter().map(|&c| Some(c))),
        ))
    }

    pub fn transform<'a>(
        &self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        if let Some(&c) = self.refused.iter().find(|&&c| input[c].is_missing()) {
            let what = "is missing, and a MissingIndicator fitted without missing values in it refuses that (error_on_new)";
            return Err(match self.lineage[c].and_then(|f| names.get(f)) {
                Some(name) => ApiError::for_field(
                    ErrorCode::MissingValue,
                    name.clone(),
                    format!("field '{name}' {what}"),
                ),
                None => ApiError::new(
                    ErrorCode::MissingValue,
                    format!("feature column {c} {what}"),
                ),
            });
        }
        out.extend(
            self.columns
                .iter()
                .map(|&c| Cell::Num(if input[c].is_missing() { 1.0 } else { 0.0 })),
        );
        Ok(())
    }
}
