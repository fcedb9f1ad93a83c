//! CSV input (RFC 4180) as the page's batch view and `wasmpredict drift` read it: a header row
//! naming the model's fields, then one raw row per line. Cells are typed by their field
//! ([`typed`]), so a CSV row becomes the same record a JSON request would send.

use crate::bundle::{Field, FieldKind};
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
    let raw = raw.trim_end_matches('\r');
    if raw.trim().is_empty() && field.kind != FieldKind::Text {
        return Ok(None);
    }
    match field.kind {
        FieldKind::Number => raw
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| Some(json!(x)))
            .ok_or_else(|| format!("field '{}' must be a number, got {raw:?}", field.name)),
        FieldKind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(json!(true))),
            "false" | "0" | "no" => Ok(Some(json!(false))),
            _ => Err(format!(
                "field '{}' must be true or false, got {raw:?}",
                field.name
            )),
        },
        FieldKind::Category | FieldKind::Text => Ok(Some(json!(raw))),
    }
}

/// The header row: which field each column is.
#[derive(Debug, Clone)]
pub struct Header {
    columns: Vec<Field>,
}

impl Header {
    /// Every column must name a field, once; fields not named are missing in every row.
    pub fn new(cells: &[String], fields: &[Field]) -> Result<Header, String> {
        let mut columns: Vec<Field> = Vec::with_capacity(cells.len());
        for h in cells {
            let name = h.trim().trim_start_matches('\u{feff}');
            let Some(f) = fields.iter().find(|f| f.name == name) else {
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
        }
        Ok(Header { columns })
    }

    /// One data row as a record (field name → typed value; empty cells left out).
    pub fn record(&self, cells: &[String]) -> Result<Map<String, Value>, String> {
        if cells.len() != self.columns.len() {
            return Err(format!(
                "has {} cells for {} columns",
                cells.len(),
                self.columns.len()
            ));
        }
        let mut record = Map::new();
        for (f, raw) in self.columns.iter().zip(cells) {
            if let Some(v) = typed(f, raw)? {
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
