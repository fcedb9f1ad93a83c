//! Which slot of the training profile's histograms a raw value falls in.
//!
//! A [`Binner`] is compiled once per bundle from its profile; it maps each raw row to one slot
//! per histogram (a field's values, a text's out-of-vocabulary share) and each prediction to
//! a slot of the predictions' histogram, by exactly the rules the exporter used to count the
//! training sample (docs/bundle-format.md, "Training profile").

use crate::bundle::profile::{Histogram, Profile};
use crate::bundle::{FieldKind, Manifest};
use crate::featurize::text::TextVectorizer;
use crate::input::Cell;
use std::collections::HashMap;

/// What one histogram reads of a row.
#[derive(Debug, Clone)]
enum Reads {
    /// A number: its bin.
    Number,
    /// A category or a bool: its listed value, or `other`.
    Listed,
    /// A text's length in characters: its bin.
    TextLength,
    /// A text's out-of-vocabulary share: its bin; missing when the text makes no term.
    TextOov(Box<TextVectorizer>),
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// Index of the raw field in the schema.
    pub field: usize,
    /// Whether this is the text's out-of-vocabulary histogram rather than its values.
    pub oov: bool,
    reads: Reads,
    slots: Slots,
}

/// How values map to slots: bins by edges, or listed values (then `other`), then missing.
#[derive(Debug, Clone)]
struct Slots {
    edges: Vec<f64>,
    strings: HashMap<String, usize>,
    bools: [Option<usize>; 2],
    /// Listed values (`values`) rather than bins (`edges`), and how many.
    listed: Option<usize>,
}

impl Slots {
    fn of(histogram: &Histogram) -> Slots {
        let mut strings = HashMap::new();
        let mut bools = [None, None];
        let listed = histogram.values.as_ref().map(Vec::len);
        for (i, v) in histogram.values.iter().flatten().enumerate() {
            match v {
                serde_json::Value::String(s) => {
                    strings.entry(s.clone()).or_insert(i);
                }
                serde_json::Value::Bool(b) => {
                    bools[usize::from(*b)].get_or_insert(i);
                }
                // Integer classes: predictions are slotted by class index, not by value.
                _ => {}
            }
        }
        Slots {
            edges: histogram.edges.clone().unwrap_or_default(),
            strings,
            bools,
            listed,
        }
    }

    /// Number of slots: bins or listed values + other, then missing.
    fn len(&self) -> usize {
        match self.listed {
            Some(n) => n + 2,
            None => self.edges.len() + 2,
        }
    }

    fn missing(&self) -> usize {
        self.len() - 1
    }

    /// The slot of a value that is not listed (only asked of listed histograms).
    fn other(&self) -> usize {
        self.listed.unwrap_or(0)
    }

    fn bin(&self, x: f64) -> usize {
        if x.is_nan() {
            return self.missing();
        }
        // Bin i holds edges[i-1] < x <= edges[i]: the number of edges below x.
        self.edges.partition_point(|&e| e < x)
    }
}

/// The compiled profile of one bundle.
#[derive(Debug, Clone)]
pub struct Binner {
    pub(crate) profile: Profile,
    pub(crate) columns: Vec<Column>,
    predictions: Slots,
}

/// Why a bundle cannot be checked for drift.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("the bundle has no training profile (format version {0}); export it again with this wasmpredict to check drift")]
    Missing(u32),
    #[error("the training profile cannot be used: {0}")]
    Invalid(String),
}

impl Binner {
    pub fn new(manifest: &Manifest) -> Result<Binner, ProfileError> {
        let profile = Profile::of(manifest)
            .map_err(ProfileError::Invalid)?
            .ok_or(ProfileError::Missing(manifest.format_version))?;
        let mut columns = Vec::new();
        for (i, (field, fp)) in manifest.input.iter().zip(&profile.fields).enumerate() {
            let reads = match field.kind {
                FieldKind::Number => Reads::Number,
                FieldKind::Category | FieldKind::Bool => Reads::Listed,
                FieldKind::Text => Reads::TextLength,
            };
            columns.push(Column {
                field: i,
                oov: false,
                reads,
                slots: Slots::of(&fp.values),
            });
            if let Some(oov) = &fp.oov {
                let vectorizer = TextVectorizer::for_field(&manifest.featurizer, &manifest.input, i)
                    .ok_or_else(|| {
                    ProfileError::Invalid(format!(
                        "text field '{}' has an out-of-vocabulary profile but no vectorizer reads it",
                        field.name
                    ))
                })?;
                columns.push(Column {
                    field: i,
                    oov: true,
                    reads: Reads::TextOov(Box::new(vectorizer)),
                    slots: Slots::of(oov),
                });
            }
        }
        Ok(Binner {
            predictions: Slots::of(&profile.predictions),
            profile,
            columns,
        })
    }

    /// Slots per histogram (fields' histograms in order, then the predictions').
    pub fn widths(&self) -> Vec<usize> {
        self.columns
            .iter()
            .map(|c| c.slots.len())
            .chain([self.predictions.len()])
            .collect()
    }

    /// Appends the slot of each field histogram for one row (cells in schema order).
    pub fn row_slots(&self, row: &[Cell<'_>], out: &mut Vec<u32>) {
        for column in &self.columns {
            let cell = row.get(column.field).copied().unwrap_or(Cell::Missing);
            let s = &column.slots;
            let slot = match (&column.reads, cell) {
                (_, c) if c.is_missing() => s.missing(),
                (Reads::Number, Cell::Num(x)) => s.bin(x),
                (Reads::Listed, Cell::Str(v)) => s.strings.get(v).copied().unwrap_or(s.other()),
                (Reads::Listed, Cell::Bool(b)) => s.bools[usize::from(b)].unwrap_or(s.other()),
                (Reads::TextLength, Cell::Str(t)) => s.bin(t.chars().count() as f64),
                (Reads::TextOov(v), Cell::Str(t)) => match v.out_of_vocabulary_share(t) {
                    Some(share) => s.bin(share),
                    None => s.missing(),
                },
                // A value of another type than its field's (request parsing refuses these).
                _ => s.missing(),
            };
            out.push(slot as u32);
        }
    }

    /// The predictions' slot of a classifier's answer (an index into `classes`).
    pub fn class_slot(&self, class: usize) -> u32 {
        let s = &self.predictions;
        match s.listed {
            Some(n) if class < n => class as u32,
            _ => s.other() as u32,
        }
    }

    /// The predictions' slot of a regressor's answer.
    pub fn value_slot(&self, value: f64) -> u32 {
        self.predictions.bin(value) as u32
    }
}
