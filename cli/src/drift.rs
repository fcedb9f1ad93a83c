//! `wasmpredict drift BUNDLE --input rows.(csv|jsonl)`: compares a file of raw rows with the
//! bundle's training profile. Rows are read as a stream and predicted in chunks, so a file of
//! any size takes bounded memory. Exit 0: no drift; 1: a field or the predictions drifted
//! (PSI ≥ 0.25 or JS ≥ 0.1); 2: the bundle or the input cannot be read.

use crate::rows::{self, Format, Row};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use wasmpredict::drift::{Distribution, DriftReport, Tally, Verdict};
use wasmpredict::input::{self, csv};
use wasmpredict::Predictor;

/// Rows predicted together.
const CHUNK: usize = 1024;
/// Bad rows reported one by one; the rest are counted.
const SHOWN_ERRORS: usize = 20;

pub struct Options<'a> {
    pub bundle: &'a Path,
    pub input: &'a str,
    pub format: Option<Format>,
    pub json: bool,
    pub engine: Option<wasmpredict::infer::Engine>,
}

pub fn run(o: Options<'_>) -> ExitCode {
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let predictor = match crate::load(o.bundle, o.engine) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let tally = match Tally::new(predictor.manifest()) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}: {e}", o.bundle.display())),
    };
    let format = match o.format.or_else(|| rows::format_of(o.input)) {
        Some(f) => f,
        None => {
            return fail(format!(
                "cannot tell the format of {}; pass --format csv or --format jsonl",
                o.input
            ))
        }
    };
    let input = match rows::open(o.input) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let mut rows = Rows {
        predictor: &predictor,
        tally,
        pending: Vec::with_capacity(CHUNK),
        bad: 0,
    };
    let fields = &predictor.manifest().input;
    let read = rows::read(input.reader, format, fields, |line, row| {
        match row {
            Ok(Row::CsvLine { header, line: text }) => {
                let cells: Vec<String> = csv::plain_cells(&text).map(str::to_string).collect();
                match header.row(&cells) {
                    Ok(record) => rows.push(line, record.into()),
                    Err(e) => rows.refuse(line, &e.message),
                }
            }
            Ok(Row::Csv { header, cells }) => match header.row(&cells) {
                Ok(record) => rows.push(line, record.into()),
                Err(e) => rows.refuse(line, &e.message),
            },
            Ok(Row::Json(text)) => match rows::json_line(&text) {
                Ok(record) if record.is_object() => rows.push(line, record),
                Ok(_) => rows.refuse(line, "must be a JSON object of field values"),
                Err(e) => rows.refuse(line, &e.message),
            },
            Err(e) => rows.refuse(line, &e.message),
        }
        true
    });
    if let Err(message) = read {
        return fail(format!("{}: {message}", o.input));
    }
    rows.flush();
    if rows.bad > SHOWN_ERRORS {
        eprintln!("... and {} more bad rows", rows.bad - SHOWN_ERRORS);
    }
    let manifest = predictor.manifest();
    let Some(report) = rows.tally.report() else {
        return fail(format!("{}: no row could be compared", o.input));
    };
    if rows.bad > 0 {
        eprintln!(
            "warning: {} of {} rows were refused and left out",
            rows.bad,
            rows.bad as u64 + report.rows
        );
    }
    let mut out = std::io::stdout().lock();
    let _ = if o.json {
        serde_json::to_string(&report)
            .map_err(std::io::Error::other)
            .and_then(|j| writeln!(out, "{j}"))
    } else {
        let title = format!(
            "{} {}: {} rows of {} against {} training rows",
            manifest.name, manifest.version, report.rows, o.input, report.training_rows
        );
        writeln!(out, "{}", render(&title, &report))
    };
    if report.drifted {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Rows waiting to be predicted, and the counts so far.
struct Rows<'a> {
    predictor: &'a Predictor,
    tally: Tally,
    /// (line, record) of rows not predicted yet.
    pending: Vec<(usize, serde_json::Value)>,
    bad: usize,
}

impl Rows<'_> {
    fn push(&mut self, line: usize, record: serde_json::Value) {
        self.pending.push((line, record));
        if self.pending.len() >= CHUNK {
            self.flush();
        }
    }

    fn refuse(&mut self, line: usize, why: &str) {
        self.bad += 1;
        if self.bad <= SHOWN_ERRORS {
            eprintln!("line {line}: {why}");
        }
    }

    /// Predicts the pending rows and counts them; a chunk with a bad row is retried row by row
    /// so that only that row is left out.
    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let predictor = self.predictor;
        let fields = &predictor.manifest().input;
        let (mut lines, mut cells) = (Vec::new(), Vec::new());
        for (line, record) in &pending {
            match input::record(record, fields) {
                Ok(row) => {
                    lines.push(*line);
                    cells.push(row);
                }
                Err(e) => self.refuse(*line, &e.message),
            }
        }
        if cells.is_empty() {
            return;
        }
        match predictor.predict_rows(&cells) {
            Ok(outputs) => self.tally.add_rows(&cells, &outputs),
            Err(_) => {
                for (line, row) in lines.iter().zip(&cells) {
                    let one = std::slice::from_ref(row);
                    match predictor.predict_rows(one) {
                        Ok(outputs) => self.tally.add_rows(one, &outputs),
                        Err(e) => self.refuse(*line, &e.message),
                    }
                }
            }
        }
    }
}

/// The report as a table: one line per field and for the predictions, then the histograms of
/// what drifted.
fn render(title: &str, r: &DriftReport) -> String {
    let t = r.thresholds;
    let mut s = format!(
        "{title}\nthresholds: PSI watch ≥ {}, act ≥ {}; Jensen-Shannon distance ≥ {}\n\n",
        t.psi_watch, t.psi_act, t.js
    );
    let width = r
        .fields
        .iter()
        .map(|f| f.name.chars().count())
        .chain([13])
        .max()
        .unwrap_or(13);
    s.push_str(&format!(
        "{:width$}  {:7}  {:>8}  {:>8}\n",
        "field", "verdict", "PSI", "JS"
    ));
    let mut line = |name: &str, verdict: &str, psi: f64, js: f64| {
        s.push_str(&format!(
            "{name:width$}  {verdict:7}  {psi:>8.4}  {js:>8.4}\n"
        ));
    };
    for f in &r.fields {
        line(&f.name, f.verdict.name(), f.psi, f.js);
    }
    let p = &r.predictions;
    line("(predictions)", p.verdict.name(), p.psi, p.js);
    let drifted: Vec<&str> = r
        .fields
        .iter()
        .filter(|f| f.drifted)
        .map(|f| f.name.as_str())
        .chain((p.verdict == Verdict::Drift).then_some("(predictions)"))
        .collect();
    if drifted.is_empty() {
        s.push_str("\nno drift\n");
        return s;
    }
    s.push_str(&format!("\ndrift in: {}\n", drifted.join(", ")));
    for f in r.fields.iter().filter(|f| f.drifted) {
        histogram(&mut s, &f.name, &f.values);
        if let Some(oov) = &f.oov {
            histogram(
                &mut s,
                &format!("{} (out-of-vocabulary share)", f.name),
                oov,
            );
        }
    }
    if p.verdict == Verdict::Drift {
        histogram(&mut s, "(predictions)", p);
    }
    s
}

fn histogram(s: &mut String, name: &str, d: &Distribution) {
    let width = d
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    s.push_str(&format!(
        "\n{name}\n  {:width$}  training   current\n",
        "slot"
    ));
    for ((label, train), cur) in d.labels.iter().zip(&d.training).zip(&d.current) {
        if *train == 0.0 && *cur == 0.0 {
            continue;
        }
        s.push_str(&format!(
            "  {label:width$}  {:>7.1}%  {:>7.1}%\n",
            train * 100.0,
            cur * 100.0
        ));
    }
}
