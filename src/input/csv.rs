//! CSV input (RFC 4180) as the page's batch view and `wasmpredict drift` read it: a header row
//! naming the model's fields, then one raw row per line. Cells are typed by their field
//! ([`typed`]), so a CSV row becomes the same record a JSON request would send.

use crate::bundle::{Field, FieldKind};
use crate::error::{ApiError, ErrorCode};
use crate::input::{absent, text_cell, Cell};
use serde_json::{json, Map, Value};

/// An incremental RFC 4180 parser: quoted cells may hold commas, quotes (`""`) and newlines.
/// Fed any pieces of the text (e.g. lines, endings included), it emits each row with the
/// 1-based line it starts on; blank lines are skipped.
#[derive(Debug)]
pub struct Parser {
    row: Vec<String>,
    cell: String,
    state: State,
    line: usize,
    start: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside quotes.
    Plain,
    /// Inside a quoted cell.
    Quoted,
    /// A quote inside a quoted cell: the next character says whether it was an escaped quote
    /// (`""`) or the closing one.
    QuoteInQuoted,
    /// After a quoted cell's closing quote.
    Closed,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new()
    }
}

impl Parser {
    pub fn new() -> Parser {
        Parser {
            row: Vec::new(),
            cell: String::new(),
            state: State::Plain,
            line: 1,
            start: 1,
        }
    }

    pub fn feed(&mut self, text: &str, emit: &mut impl FnMut(usize, Vec<String>)) {
        // The common case, one whole plain line: split at once (what the loop below would do
        // character by character; big files spend most of their reading here).
        if let Some((line, blank)) = self.plain_line(text) {
            if !blank {
                emit(line, plain_cells(text).map(str::to_string).collect());
            }
            return;
        }
        for c in text.chars() {
            self.state = match (self.state, c) {
                (State::Quoted, '"') => State::QuoteInQuoted,
                (State::QuoteInQuoted, '"') => {
                    self.cell.push('"');
                    State::Quoted
                }
                (State::Quoted, c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    self.cell.push(c);
                    State::Quoted
                }
                (State::Plain, '"') if self.cell.is_empty() => State::Quoted,
                (_, ',') => {
                    self.row.push(std::mem::take(&mut self.cell));
                    State::Plain
                }
                (_, '\n') => {
                    self.end_row(emit);
                    State::Plain
                }
                (_, '\r') => self.state.closed(),
                (_, c) => {
                    self.cell.push(c);
                    self.state.closed()
                }
            };
        }
    }

    /// Consumes `text` when it is one whole *plain* line at the start of a row (ending with
    /// `\n`, without quotes, without a carriage return but one before the `\n`): its line
    /// number, and whether it is blank (a row the parser skips). `None`, consuming nothing,
    /// for any other text. Its cells are [`plain_cells`].
    pub fn plain_line(&mut self, text: &str) -> Option<(usize, bool)> {
        if !(self.state == State::Plain && self.row.is_empty() && self.cell.is_empty()) {
            return None;
        }
        let body = text.strip_suffix('\n')?;
        let body = body.strip_suffix('\r').unwrap_or(body);
        if body.contains(['"', '\n', '\r']) {
            return None;
        }
        let line = self.line;
        self.line += 1;
        self.start = self.line;
        Some((line, !body.contains(',') && body.trim().is_empty()))
    }

    fn end_row(&mut self, emit: &mut impl FnMut(usize, Vec<String>)) {
        self.row.push(std::mem::take(&mut self.cell));
        let row = std::mem::take(&mut self.row);
        if !(row.len() == 1 && row[0].trim().is_empty()) {
            emit(self.start, row);
        }
        self.line += 1;
        self.start = self.line;
    }

    /// Emits the last row when the text does not end with a newline.
    pub fn finish(mut self, emit: &mut impl FnMut(usize, Vec<String>)) {
        if !self.cell.is_empty() || !self.row.is_empty() || self.state != State::Plain {
            self.end_row(emit);
        }
    }
}

impl State {
    /// The state after an ordinary character outside quotes.
    fn closed(self) -> State {
        match self {
            State::QuoteInQuoted | State::Closed => State::Closed,
            other => other,
        }
    }
}

/// The cells of a line [`Parser::plain_line`] took, borrowed from it.
pub fn plain_cells(text: &str) -> impl Iterator<Item = &str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.strip_suffix('\r').unwrap_or(body).split(',')
}

/// Every row of `text` with the line it starts on.
pub fn parse(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut rows = Vec::new();
    let mut emit = |line, row| rows.push((line, row));
    let mut parser = Parser::new();
    parser.feed(text, &mut emit);
    parser.finish(&mut emit);
    rows
}

/// A cell for a CSV file: quoted when it holds a comma, a quote or a newline.
pub fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A CSV cell or form text as the JSON value its field expects; `Ok(None)` for an empty cell
/// (a missing value), except for a text, whose emptiness the request check reports.
pub fn typed(field: &Field, raw: &str) -> Result<Option<Value>, String> {
    typed_cell(field, raw).map_err(|e| e.message)
}

/// [`typed`], its refusal as the API's error (`wrong_type`, naming the field).
pub fn typed_cell(field: &Field, raw: &str) -> Result<Option<Value>, ApiError> {
    Ok(match typed_text(field, raw)? {
        Typed::Missing => None,
        Typed::Num(x) => Some(json!(x)),
        Typed::Bool(b) => Some(json!(b)),
        Typed::Str(s) => Some(json!(s)),
    })
}

/// A cell's text read as its field's kind, borrowing the text: the one place the typing rules
/// of CSV cells and form inputs live.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Typed<'a> {
    /// An empty cell (except for a text).
    Missing,
    Num(f64),
    Bool(bool),
    /// A category or a text, as written.
    Str(&'a str),
}

pub fn typed_text<'a>(field: &Field, raw: &'a str) -> Result<Typed<'a>, ApiError> {
    let wrong =
        |message: String| ApiError::for_field(ErrorCode::WrongType, field.name.clone(), message);
    let raw = raw.trim_end_matches('\r');
    if raw.trim().is_empty() && field.kind != FieldKind::Text {
        return Ok(Typed::Missing);
    }
    match field.kind {
        FieldKind::Number => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Typed::Num)
            .ok_or_else(|| {
                wrong(format!(
                    "field '{}' must be a number, got {raw:?}",
                    field.name
                ))
            }),
        FieldKind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Typed::Bool(true)),
            "false" | "0" | "no" => Ok(Typed::Bool(false)),
            _ => Err(wrong(format!(
                "field '{}' must be true or false, got {raw:?}",
                field.name
            ))),
        },
        FieldKind::Category | FieldKind::Text => Ok(Typed::Str(raw)),
    }
}

/// The header row: which field each column is.
#[derive(Debug, Clone)]
pub struct Header {
    columns: Vec<Field>,
    /// Each column's position among the model's fields.
    slot_of: Vec<usize>,
    n_fields: usize,
}

impl Header {
    /// Every column must name a field, once; fields not named are missing in every row.
    pub fn new(cells: &[String], fields: &[Field]) -> Result<Header, String> {
        let mut columns: Vec<Field> = Vec::with_capacity(cells.len());
        let mut slot_of = Vec::with_capacity(cells.len());
        for h in cells {
            let name = h.trim().trim_start_matches('\u{feff}');
            let Some((slot, f)) = fields.iter().enumerate().find(|(_, f)| f.name == name) else {
                let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                return Err(format!(
                    "unknown column '{name}'; the model's fields are: {}",
                    names.join(", ")
                ));
            };
            if columns.iter().any(|c| c.name == f.name) {
                return Err(format!("column '{name}' appears twice"));
            }
            columns.push(f.clone());
            slot_of.push(slot);
        }
        Ok(Header {
            columns,
            slot_of,
            n_fields: fields.len(),
        })
    }

    /// One data row straight to the cells the featurizer reads, borrowing its text: what
    /// [`Header::row`] then [`crate::input::record`] give, without a JSON value per cell
    /// (the path of big files; a test holds the two equal).
    pub fn cells<'a>(
        &self,
        cells: &[&'a str],
        fields: &[Field],
    ) -> Result<Vec<Cell<'a>>, ApiError> {
        self.check_width(cells.len())?;
        let mut typed = vec![Typed::Missing; self.n_fields];
        for ((f, raw), &slot) in self.columns.iter().zip(cells).zip(&self.slot_of) {
            typed[slot] = typed_text(f, raw)?;
        }
        fields
            .iter()
            .zip(typed)
            .map(|(field, t)| match t {
                Typed::Missing => absent(field),
                Typed::Num(x) => Ok(Cell::Num(x)),
                Typed::Bool(b) => Ok(Cell::Bool(b)),
                Typed::Str(s) => text_cell(field, s),
            })
            .collect()
    }

    fn check_width(&self, cells: usize) -> Result<(), ApiError> {
        if cells == self.columns.len() {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::WrongFeatureCount,
            format!("has {cells} cells for {} columns", self.columns.len()),
        ))
    }

    /// One data row as a record (field name → typed value; empty cells left out).
    pub fn record(&self, cells: &[String]) -> Result<Map<String, Value>, String> {
        self.row(cells).map_err(|e| e.message)
    }

    /// [`Header::record`], its refusal as the API's error.
    pub fn row(&self, cells: &[String]) -> Result<Map<String, Value>, ApiError> {
        self.check_width(cells.len())?;
        let mut record = Map::new();
        for (f, raw) in self.columns.iter().zip(cells) {
            if let Some(v) = typed_cell(f, raw)? {
                record.insert(f.name.clone(), v);
            }
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: FieldKind) -> Field {
        Field {
            name: name.into(),
            kind,
            nullable: true,
            stats: None,
        }
    }

    fn cells(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn quoted_cells_hold_commas_quotes_and_newlines() {
        let rows = parse("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n");
        assert_eq!(
            rows,
            vec![
                (1, cells(&["a", "b"])),
                (2, cells(&["x, y", "say \"hi\""])),
                (3, cells(&["two\nlines", "z"])),
            ]
        );
    }

    #[test]
    fn crlf_blank_lines_and_a_missing_final_newline() {
        let rows = parse("a,b\r\n\r\n1,2\r\n3,");
        assert_eq!(
            rows,
            vec![
                (1, cells(&["a", "b"])),
                (3, cells(&["1", "2"])),
                (4, cells(&["3", ""]))
            ]
        );
        assert!(parse("").is_empty());
        // A line holding one empty cell is blank, quoted or not.
        assert!(parse("\"\"\n").is_empty());
        assert_eq!(parse("\"\",\"\""), vec![(1, cells(&["", ""]))]);
    }

    #[test]
    fn a_row_after_a_quoted_newline_starts_on_its_own_line() {
        let rows = parse("t\n\"a\nb\nc\"\nnext\n");
        assert_eq!(rows[2], (5, cells(&["next"])));
    }

    #[test]
    fn feeding_pieces_gives_the_same_rows_as_the_whole_text() {
        let text = "a,b\n\"x\ny\",\"q\"\"\"\n1,2\n";
        for split in 0..text.len() {
            if !text.is_char_boundary(split) {
                continue;
            }
            let mut rows = Vec::new();
            let mut emit = |line, row| rows.push((line, row));
            let mut p = Parser::new();
            p.feed(&text[..split], &mut emit);
            p.feed(&text[split..], &mut emit);
            p.finish(&mut emit);
            assert_eq!(rows, parse(text), "split at {split}");
        }
    }

    #[test]
    fn lines_fed_one_by_one_take_the_fast_path_and_give_the_same_rows() {
        let text = "a,b,c\r\n1,,x\r\n\r\n \n\"q,1\",2,3\n,,\n4,5\r,6\nlast,row,here";
        let mut rows = Vec::new();
        let mut emit = |line, row| rows.push((line, row));
        let mut p = Parser::new();
        for line in text.split_inclusive('\n') {
            p.feed(line, &mut emit);
        }
        p.finish(&mut emit);
        assert_eq!(rows, parse(text));
        assert_eq!(rows[1], (2, cells(&["1", "", "x"])));
        assert_eq!(rows[3], (6, cells(&["", "", ""])));
        assert_eq!(rows[4], (7, cells(&["4", "5", "6"])));
    }

    #[test]
    fn cells_equal_the_record_path_answer_for_answer() {
        let mut strict = field("n", FieldKind::Number);
        strict.nullable = false;
        let fields = vec![
            strict,
            field("c", FieldKind::Category),
            field("t", FieldKind::Text),
            field("b", FieldKind::Bool),
            field("m", FieldKind::Number),
        ];
        // Columns in another order than the schema, one field ("m") not a column.
        let header = Header::new(&cells(&["t", "b", "n", "c"]), &fields).unwrap();
        let rows = [
            ["a text", "yes", "1.5", "red"],
            ["x", "", "2", ""],
            ["x", "no", "", "red"],
            ["", "1", "3", "red"],
            ["  ", "1", "3", "red"],
            ["x", "maybe", "3", "red"],
            ["x", "0", "1e999", "red"],
            ["x", "0", "twelve", "red"],
            ["x\r", "true\r", " 7 \r", "blue\r"],
        ];
        for row in rows {
            let row = cells(&row);
            let texts: Vec<&str> = row.iter().map(String::as_str).collect();
            let direct = header.cells(&texts, &fields);
            let record = header.row(&row).map(Value::Object);
            let via_record = record
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|r| crate::input::record(r, &fields));
            assert_eq!(direct, via_record, "{row:?}");
        }
        let refused = header.cells(&["x", "1"], &fields).map(|_| ()).unwrap_err();
        assert_eq!(refused.code, ErrorCode::WrongFeatureCount);
    }

    #[test]
    fn a_quote_inside_an_unquoted_cell_is_kept() {
        assert_eq!(parse("5\" disk,x\n"), vec![(1, cells(&["5\" disk", "x"]))]);
    }

    #[test]
    fn quote_round_trips_through_parse() {
        for s in ["plain", "a,b", "say \"hi\"", "two\nlines", ""] {
            let line = format!("{},end\n", quote(s));
            assert_eq!(parse(&line), vec![(1, cells(&[s, "end"]))]);
        }
    }

    #[test]
    fn cells_are_typed_by_their_field() {
        let n = field("n", FieldKind::Number);
        assert_eq!(typed(&n, " 2.5 "), Ok(Some(json!(2.5))));
        assert_eq!(typed(&n, ""), Ok(None));
        assert!(typed(&n, "NaN").unwrap_err().contains("must be a number"));
        assert!(typed(&n, "abc").unwrap_err().contains("field 'n'"));
        let b = field("b", FieldKind::Bool);
        assert_eq!(typed(&b, "Yes"), Ok(Some(json!(true))));
        assert_eq!(typed(&b, "0"), Ok(Some(json!(false))));
        assert!(typed(&b, "maybe").is_err());
        let c = field("c", FieldKind::Category);
        assert_eq!(typed(&c, "dsl"), Ok(Some(json!("dsl"))));
        let t = field("t", FieldKind::Text);
        assert_eq!(typed(&t, ""), Ok(Some(json!(""))));
    }

    #[test]
    fn header_names_fields_once_and_rows_become_records() {
        let fields = [
            field("a", FieldKind::Number),
            field("b", FieldKind::Category),
        ];
        let h = Header::new(&cells(&["\u{feff}b", "a"]), &fields).unwrap();
        let record = h.record(&cells(&["x", "1"])).unwrap();
        assert_eq!(Value::Object(record), json!({"a": 1.0, "b": "x"}));
        assert_eq!(
            Value::Object(h.record(&cells(&["", "1"])).unwrap()),
            json!({"a": 1.0})
        );
        assert!(h
            .record(&cells(&["x"]))
            .unwrap_err()
            .contains("1 cells for 2"));
        let unknown = Header::new(&cells(&["a", "z"]), &fields).unwrap_err();
        assert!(unknown.contains("unknown column 'z'") && unknown.contains("a, b"));
        assert!(Header::new(&cells(&["a", "a"]), &fields)
            .unwrap_err()
            .contains("twice"));
    }
}
