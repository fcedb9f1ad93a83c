//! Counting rows for a drift report in one place, whatever the adapter has: parsed rows and the
//! graph's outputs (CLI, servers), or a record and its JSON answer (the page).

use super::{Binner, Counts, DriftReport, ProfileError};
use crate::bundle::{Field, Manifest};
use crate::error::ApiError;
use crate::infer::Outputs;
use crate::input::Cell;
use serde_json::Value;

/// A bundle's profile and the rows counted against it so far.
#[derive(Debug, Clone)]
pub struct Tally {
    /// The schema, to read records.
    fields: Vec<Field>,
    /// Classification: the classes, to find a prediction's index.
    classes: Option<Vec<Value>>,
    binner: Binner,
    counts: Counts,
    slots: Vec<u32>,
}

impl Tally {
    pub fn new(manifest: &Manifest) -> Result<Tally, ProfileError> {
        let binner = Binner::new(manifest)?;
        let counts = Counts::new(&binner);
        Ok(Tally {
            fields: manifest.input.clone(),
            classes: manifest.classes.clone(),
            binner,
            counts,
            slots: Vec::new(),
        })
    }

    /// Counts rows the model answered (`outputs` has one answer per row).
    pub fn add_rows(&mut self, rows: &[Vec<Cell<'_>>], outputs: &Outputs) {
        for (i, row) in rows.iter().enumerate() {
            let prediction = match outputs {
                Outputs::Classification { labels, .. } => self
                    .binner
                    .class_slot(labels.get(i).copied().unwrap_or(usize::MAX)),
                Outputs::Regression { values } => self
                    .binner
                    .value_slot(values.get(i).map_or(f64::NAN, |&v| f64::from(v))),
            };
            self.add(row, prediction);
        }
    }

    /// Counts one record (an object of field values, as `{"record": ...}` takes it) with the
    /// prediction the model gave for it (the response's `prediction`).
    pub fn add_record(&mut self, record: &Value, prediction: &Value) -> Result<(), ApiError> {
        let row = crate::input::record(record, &self.fields)?;
        let slot = match (&self.classes, prediction.as_f64()) {
            (Some(classes), _) => self.binner.class_slot(
                classes
                    .iter()
                    .position(|c| c == prediction)
                    .unwrap_or(usize::MAX),
            ),
            (None, Some(x)) => self.binner.value_slot(x),
            (None, None) => self.binner.value_slot(f64::NAN),
        };
        self.add(&row, slot);
        Ok(())
    }

    fn add(&mut self, row: &[Cell<'_>], prediction: u32) {
        self.slots.clear();
        self.binner.row_slots(row, &mut self.slots);
        self.counts.add(&self.slots, prediction);
    }

    pub fn rows(&self) -> u64 {
        self.counts.rows
    }

    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Adds the rows `other` counted (a table tallied slice by slice on several threads);
    /// false, and nothing added, when `other` counts against another profile.
    pub fn merge(&mut self, other: &Tally) -> bool {
        self.counts.merge(&other.counts)
    }

    /// The report of the rows counted so far; `None` before the first row.
    pub fn report(&self) -> Option<DriftReport> {
        DriftReport::new(&self.binner, &self.counts)
    }
}
