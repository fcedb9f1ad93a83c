//! Buffers the steps of a featurizer reuse from one row to the next. A pipeline step's
//! intermediate row, a ColumnTransformer part's selected columns and the featurized row were a
//! fresh `Vec` each, eight allocations per churn row: on a million-row table a third of the
//! time went to malloc and free. Batch callers keep one `Scratch` for all their rows.

use crate::input::Cell;

#[derive(Debug, Default)]
pub struct Scratch<'a> {
    free: Vec<Vec<Cell<'a>>>,
    /// The featurized row, before its cells become the model's numbers.
    pub(super) row: Vec<Cell<'a>>,
}

impl<'a> Scratch<'a> {
    /// An empty buffer: one given back earlier, or a new one.
    pub(super) fn take(&mut self) -> Vec<Cell<'a>> {
        let mut buffer = self.free.pop().unwrap_or_default();
        buffer.clear();
        buffer
    }

    /// Hands `buffer` back for the next row.
    pub(super) fn give(&mut self, buffer: Vec<Cell<'a>>) {
        self.free.push(buffer);
    }
}
