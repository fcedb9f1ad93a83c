//! Files of raw rows, as `wasmpredict drift` and `wasmpredict predict --output` read them: CSV
//! with a header naming the model's fields, or JSON lines. Read as a stream, piece by piece, so a
//! file of any size takes bounded memory; each row comes with the 1-based line it starts on.

use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use wasmpredict::bundle::Field;
use wasmpredict::error::{ApiError, ErrorCode};
use wasmpredict::input::csv;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

/// The format a path's extension names (.csv; .jsonl, .ndjson, .json).
pub fn format_of(path: &str) -> Option<Format> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        Some(Format::Csv)
    } else if [".jsonl", ".ndjson", ".json"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Some(Format::Jsonl)
    } else {
        None
    }
}

/// One row of a file.
#[derive(Debug)]
pub enum Row {
    /// A CSV row: its cells as text, typed by the consumer (off the reading thread) through the
    /// file's header.
    Csv {
        header: Arc<csv::Header>,
        cells: Vec<String>,
    },
    /// A plain CSV line (no quotes; [`csv::Parser::plain_line`]), split by the consumer with
    /// [`csv::plain_cells`]: the common case, read without a string per cell.
    CsvLine {
        header: Arc<csv::Header>,
        line: String,
    },
    /// A JSON line's text (a record, or any request body), parsed by the consumer.
    Json(String),
}

/// An input file (`-`: standard input), counting the bytes read so far into `read`.
pub struct Input {
    pub reader: Box<dyn BufRead + Send>,
    /// The file's size, when it has one (not for standard input or a pipe).
    pub size: Option<u64>,
    pub read: Arc<AtomicU64>,
}

pub fn open(path: &str) -> Result<Input, String> {
    let read = Arc::new(AtomicU64::new(0));
    let (source, size): (Box<dyn Read + Send>, Option<u64>) = if path == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let size = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        (Box::new(file), size)
    };
    let counted = Counted {
        inner: source,
        read: Arc::clone(&read),
    };
    Ok(Input {
        reader: Box::new(BufReader::with_capacity(1 << 16, counted)),
        size,
        read,
    })
}

struct Counted {
    inner: Box<dyn Read + Send>,
    read: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Streams the rows of `reader` to `emit` with their line, or why a row cannot be read. `Err`
/// when the file as a whole cannot be read (bytes that are not UTF-8, a CSV header that does
/// not name the model's fields); `emit` returning false stops the reading early.
pub fn read(
    mut reader: impl BufRead,
    format: Format,
    fields: &[Field],
    mut emit: impl FnMut(usize, Result<Row, ApiError>) -> bool,
) -> Result<(), String> {
    let mut line = String::new();
    match format {
        Format::Csv => {
            let mut parser = csv::Parser::new();
            let mut state = CsvState {
                header: None,
                problem: None,
                stopped: false,
            };
            for n in 1.. {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => match (&state.header, parser.plain_line(&line)) {
                        (Some(header), Some((n, blank))) => {
                            let row = Row::CsvLine {
                                header: Arc::clone(header),
                                line: std::mem::take(&mut line),
                            };
                            state.stopped = !blank && !emit(n, Ok(row));
                        }
                        // The header line, plain or not, is read by the parser's rules.
                        (None, Some((n, _))) => {
                            let cells = csv::plain_cells(&line).map(str::to_string).collect();
                            state.row(n, cells, fields, &mut emit)
                        }
                        (_, None) => parser.feed(&line, &mut |n, cells| {
                            state.row(n, cells, fields, &mut emit)
                        }),
                    },
                    Err(e) => return Err(format!("line {n}: {e}")),
                }
                if state.problem.is_some() || state.stopped {
                    break;
                }
            }
            parser.finish(&mut |n, cells| state.row(n, cells, fields, &mut emit));
            state.problem.map_or(Ok(()), Err)
        }
        Format::Jsonl => {
            for n in 1.. {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(format!("line {n}: {e}")),
                }
                if line.trim().is_empty() {
                    continue;
                }
                if !emit(n, Ok(Row::Json(std::mem::take(&mut line)))) {
                    break;
                }
            }
            Ok(())
        }
    }
}

/// Where a CSV stream stands: its header once read, or why the file cannot be read.
struct CsvState {
    header: Option<Arc<csv::Header>>,
    problem: Option<String>,
    stopped: bool,
}

impl CsvState {
    fn row(
        &mut self,
        n: usize,
        cells: Vec<String>,
        fields: &[Field],
        emit: &mut impl FnMut(usize, Result<Row, ApiError>) -> bool,
    ) {
        if self.problem.is_some() || self.stopped {
            return;
        }
        match &self.header {
            None => match csv::Header::new(&cells, fields) {
                Ok(h) => self.header = Some(Arc::new(h)),
                Err(e) => self.problem = Some(format!("line {n}: {e}")),
            },
            Some(h) => {
                let row = Row::Csv {
                    header: Arc::clone(h),
                    cells,
                };
                self.stopped = !emit(n, Ok(row));
            }
        }
    }
}

/// A JSON line's value, or the error that it is not JSON.
pub fn json_line(text: &str) -> Result<serde_json::Value, ApiError> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("the line is not JSON: {e}")))
}
