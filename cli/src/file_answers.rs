//! How `wasmpredict predict --output` answers a chunk of a file: its rows predicted as one batch
//! (row by row when the batch fails, so that only bad rows get an error), each answer written as
//! a CSV row (`line,prediction,probability_<class>...,error`) or a JSON line, in input order.

use crate::rows::{self, Format, Row};
use std::io::Write;
use std::ops::Range;
use std::sync::Arc;
use wasmpredict::api::{request, ErrorBody};
use wasmpredict::decimal::write_f32;
use wasmpredict::error::{ApiError, ErrorCode};
use wasmpredict::infer::{Outputs, Second};
use wasmpredict::input::csv;
use wasmpredict::Predictor;

/// Rows of a file packed for a worker: every CSV cell and JSON line of the chunk in one text,
/// one allocation freed by the worker that answers it. (Strings per cell, allocated by the
/// reading thread and freed by a worker, cost glibc's allocator more than the predictions.)
#[derive(Default)]
pub(super) struct Chunk {
    text: String,
    /// The end offset in `text` of each CSV cell.
    ends: Vec<usize>,
    rows: Vec<(usize, Packed)>,
}

enum Packed {
    /// Its cells: a range of `ends`.
    Csv {
        header: Arc<csv::Header>,
        cells: Range<usize>,
    },
    /// A plain CSV line: a range of `text`.
    CsvLine {
        header: Arc<csv::Header>,
        line: Range<usize>,
    },
    /// Its line: a range of `text`.
    Json(Range<usize>),
    Refused(ApiError),
}

impl Chunk {
    pub(super) fn push(&mut self, line: usize, row: Result<Row, ApiError>) {
        let packed = match row {
            Ok(Row::Csv { header, cells }) => {
                let first = self.ends.len();
                for c in &cells {
                    self.text.push_str(c);
                    self.ends.push(self.text.len());
                }
                Packed::Csv {
                    header,
                    cells: first..self.ends.len(),
                }
            }
            Ok(Row::CsvLine { header, line }) => {
                let start = self.text.len();
                self.text.push_str(&line);
                Packed::CsvLine {
                    header,
                    line: start..self.text.len(),
                }
            }
            Ok(Row::Json(line)) => {
                let start = self.text.len();
                self.text.push_str(&line);
                Packed::Json(start..self.text.len())
            }
            Err(e) => Packed::Refused(e),
        };
        self.rows.push((line, packed));
    }

    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The texts of the cells `cells` (a range of `ends`).
    fn cells(&self, cells: Range<usize>) -> Vec<&str> {
        cells
            .map(|k| {
                let start = if k == 0 { 0 } else { self.ends[k - 1] };
                self.text.get(start..self.ends[k]).unwrap_or_default()
            })
            .collect()
    }
}

/// A chunk's answers, as output text.
pub(super) struct Answered {
    pub(super) index: usize,
    pub(super) text: Vec<u8>,
    pub(super) rows: usize,
    pub(super) bad: Vec<(usize, String)>,
}

/// How answers are written: the columns a classifier's rows get, and the format.
pub(super) struct Writer {
    format: Format,
    /// Class labels as CSV cells and as JSON text.
    /// Each class label: as written, as a CSV cell, as JSON text.
    classes: Vec<(String, String, String)>,
    second: Option<Second>,
}

impl Writer {
    pub(super) fn new(predictor: &Predictor, format: Format) -> Writer {
        let manifest = predictor.manifest();
        let classes = manifest
            .classes
            .iter()
            .flatten()
            .map(|c| (plain(c), csv::quote(&plain(c)), c.to_string()))
            .collect();
        let second = match (&manifest.model.probabilities, &manifest.model.scores) {
            (Some(_), _) => Some(Second::Probabilities),
            (None, Some(_)) => Some(Second::Scores),
            _ => None,
        };
        Writer {
            format,
            classes,
            second,
        }
    }

    /// The CSV header (`line,prediction,probability_<class>...,error`); nothing for JSON lines.
    pub(super) fn header(&self) -> Vec<u8> {
        if self.format == Format::Jsonl {
            return Vec::new();
        }
        let mut cells = vec!["line".to_string(), "prediction".to_string()];
        let prefix = match self.second {
            Some(Second::Probabilities) => "probability_",
            Some(Second::Scores) => "score_",
            None => "",
        };
        if self.second.is_some() {
            cells.extend(
                self.classes
                    .iter()
                    .map(|(c, _, _)| csv::quote(&format!("{prefix}{c}"))),
            );
        }
        cells.push("error".into());
        (cells.join(",") + "\n").into_bytes()
    }

    /// Predicts a chunk: its good rows as one batch, row by row if the batch fails, so that
    /// only the bad rows get an error.
    pub(super) fn answer(&self, predictor: &Predictor, index: usize, chunk: Chunk) -> Answered {
        let fields = &predictor.manifest().input;
        // JSON lines parsed first: the cells below borrow their values.
        let bodies: Vec<Option<Result<serde_json::Value, ApiError>>> = chunk
            .rows
            .iter()
            .map(|(_, row)| match row {
                Packed::Json(range) => Some(rows::json_line(
                    chunk.text.get(range.clone()).unwrap_or_default(),
                )),
                _ => None,
            })
            .collect();
        // Per input row: its line and the range of its cells in `cells`, or its error.
        let mut parsed: Vec<(usize, Result<Range<usize>, ApiError>)> = Vec::new();
        let mut cells = Vec::with_capacity(chunk.len());
        for ((line, row), body) in chunk.rows.iter().zip(&bodies) {
            let got = match (row, body) {
                (Packed::Csv { header, cells }, _) => header
                    .cells(&chunk.cells(cells.clone()), fields)
                    .map(|r| vec![r]),
                (Packed::CsvLine { header, line }, _) => {
                    let text = chunk.text.get(line.clone()).unwrap_or_default();
                    let texts: Vec<&str> = csv::plain_cells(text).collect();
                    header.cells(&texts, fields).map(|r| vec![r])
                }
                (_, Some(Ok(body))) => match request::explain_requested(body) {
                    Ok(true) => Err(ApiError::for_field(
                        ErrorCode::UnknownBodyShape,
                        "explain",
                        "explanations are not written to files; predict the row through the API",
                    )),
                    Ok(false) => request::parse(body, fields).map(|r| r.rows),
                    Err(e) => Err(e),
                },
                (_, Some(Err(e))) | (Packed::Refused(e), None) => Err(e.clone()),
                (Packed::Json(_), None) => Err(ApiError::new(
                    ErrorCode::InferenceFailed,
                    "a JSON line was not parsed",
                )),
            };
            parsed.push((
                *line,
                got.map(|rows| {
                    let start = cells.len();
                    cells.extend(rows);
                    start..cells.len()
                }),
            ));
        }
        let mut out = Answered {
            index,
            text: Vec::with_capacity(cells.len() * 48),
            rows: 0,
            bad: Vec::new(),
        };
        match predictor.predict_rows(&cells) {
            Ok(outputs) => {
                for (line, slot) in parsed {
                    match slot {
                        Ok(range) => range.for_each(|i| self.row(&mut out, line, &outputs, i)),
                        Err(e) => self.error(&mut out, line, &e),
                    }
                }
            }
            // A row the featurizer or the graph refuses: each input row on its own.
            Err(_) => {
                for (line, slot) in parsed {
                    let one = slot.and_then(|range| {
                        let n = range.len();
                        predictor.predict_rows(&cells[range]).map(|o| (o, n))
                    });
                    match one {
                        Ok((outputs, n)) => {
                            (0..n).for_each(|i| self.row(&mut out, line, &outputs, i))
                        }
                        Err(e) => self.error(&mut out, line, &e),
                    }
                }
            }
        }
        out
    }

    /// Row `i` of `outputs`, the answer to the input row on `line`.
    fn row(&self, out: &mut Answered, line: usize, outputs: &Outputs, i: usize) {
        let (label, scores) = match outputs {
            Outputs::Classification {
                labels,
                values,
                width,
                ..
            } => (
                labels.get(i).copied(),
                values.get(i * width..(i + 1) * width),
            ),
            Outputs::Regression { values } => (None, values.get(i..i + 1)),
        };
        let Some(scores) = scores else {
            let short = ApiError::new(
                ErrorCode::InferenceFailed,
                "the model answered fewer rows than it was given",
            );
            return self.error(out, line, &short);
        };
        out.rows += 1;
        let text = &mut out.text;
        let csv = self.format == Format::Csv;
        // Writing into a Vec cannot fail.
        let _ = if csv {
            write!(text, "{line},")
        } else {
            write!(text, "{{\"line\":{line},\"prediction\":")
        };
        match outputs {
            Outputs::Classification { kind, .. } => {
                let class = label.and_then(|l| self.classes.get(l));
                let (cell, json) = class.map_or(("", "null"), |(_, c, j)| (c.as_str(), j.as_str()));
                text.extend_from_slice(if csv { cell } else { json }.as_bytes());
                if csv {
                    for v in scores {
                        text.push(b',');
                        write_f32(*v, text);
                    }
                    text.extend_from_slice(b",\n");
                } else {
                    let key = match kind {
                        Second::Probabilities => ",\"probabilities\":[",
                        Second::Scores => ",\"scores\":[",
                    };
                    text.extend_from_slice(key.as_bytes());
                    for (k, v) in scores.iter().enumerate() {
                        if k > 0 {
                            text.push(b',');
                        }
                        write_f32(*v, text);
                    }
                    text.extend_from_slice(b"]}\n");
                }
            }
            Outputs::Regression { .. } => {
                scores.iter().for_each(|v| write_f32(*v, text));
                text.extend_from_slice(if csv { &b",\n"[..] } else { &b"}\n"[..] });
            }
        }
    }

    /// The input row on `line` was refused: its error, in the row's place.
    fn error(&self, out: &mut Answered, line: usize, e: &ApiError) {
        out.bad.push((line, e.message.clone()));
        if self.format == Format::Csv {
            // line, an empty prediction and class columns, the error.
            let empty = if self.second.is_some() {
                self.classes.len()
            } else {
                0
            };
            let row = format!(
                "{line},{}{},{}\n",
                "",
                ",".repeat(empty),
                csv::quote(&e.message)
            );
            out.text.extend_from_slice(row.as_bytes());
        } else {
            let body = serde_json::to_string(&ErrorBody { error: e }).unwrap_or_default();
            // {"error":{...}} -> {"line":N,"error":{...}}
            let row = format!("{{\"line\":{line},{}\n", body.trim_start_matches('{'));
            out.text.extend_from_slice(row.as_bytes());
        }
    }
}

/// A class label as a CSV cell: a string as it is, a number as JSON writes it.
fn plain(c: &serde_json::Value) -> String {
    match c {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
