//! `ColumnTransformer`: each part transforms its own columns; outputs are concatenated in order.

use super::{check_positions, compile, Cell, Columns, Compiled, Entry, FieldNames, Scratch};
use crate::bundle::manifest::ColumnTransformerPart;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct ColumnTransformer {
    /// Per part: the input columns it reads, the step, and its output width.
    parts: Vec<(Vec<usize>, Compiled, usize)>,
}

impl ColumnTransformer {
    pub fn compile(
        parts: &[ColumnTransformerPart],
        input: &Columns,
        names: &FieldNames,
    ) -> Result<(Self, Columns), String> {
        let mut compiled = Vec::with_capacity(parts.len());
        let mut out = Columns {
            lineage: Vec::new(),
            origin: Vec::new(),
        };
        for part in parts {
            check_positions(
                &format!("column_transformer part '{}'", part.name),
                &part.columns,
                input,
            )?;
            let sub = input.select(&part.columns);
            let (step, part_out) = compile(&part.transformer, &sub, names)
                .map_err(|e| format!("column_transformer part '{}': {e}", part.name))?;
            let width = part_out.width();
            out.lineage.extend(part_out.lineage);
            out.origin.extend(part_out.origin);
            compiled.push((part.columns.clone(), step, width));
        }
        Ok((ColumnTransformer { parts: compiled }, out))
    }

    /// Its parts' steps, in order.
    pub fn steps(&self) -> impl Iterator<Item = &Compiled> {
        self.parts.iter().map(|(_, step, _)| step)
    }

    /// What output `column` stands for (see `Featurizer::column_label`).
    pub fn label(&self, mut column: usize) -> Option<String> {
        for (_, step, width) in &self.parts {
            if column < *width {
                return step.label(column);
            }
            column -= width;
        }
        None
    }

    pub fn transform<'a>(
        &'a self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
        scratch: &mut Scratch<'a>,
    ) -> Result<(), ApiError> {
        let mut selected = scratch.take();
        let mut result = Ok(());
        for (columns, step, _) in &self.parts {
            selected.clear();
            selected.extend(columns.iter().map(|&c| input[c]));
            result = step.transform(&selected, out, names, scratch);
            if result.is_err() {
                break;
            }
        }
        scratch.give(selected);
        result
    }

    pub fn transform_sparse<'a>(
        &'a self,
        input: &[Cell<'a>],
        mut offset: usize,
        out: &mut Vec<Entry<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        let mut selected = Vec::new();
        for (columns, step, width) in &self.parts {
            selected.clear();
            selected.extend(columns.iter().map(|&c| input[c]));
            step.transform_sparse(&selected, offset, out, names)?;
            offset += width;
        }
        Ok(())
    }
}
