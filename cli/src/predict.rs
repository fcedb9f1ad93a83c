//! `wasmpredict predict BUNDLE [--input FILE|-]`: one request body per line, one answer per line.
//! A stream (`kcat -C ... | wasmpredict predict ... | kcat -P ...`) is answered line by line as
//! it arrives: answers are flushed whenever no more input is already waiting, so a line written
//! to a pipe is answered before the next one comes, and a file is still written in large blocks.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use wasmpredict::api::{parse_body, ErrorBody};

pub fn run(bundle: &Path, input: &str, engine: Option<wasmpredict::infer::Engine>) -> ExitCode {
    let predictor = match crate::load(bundle, engine) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let source: Box<dyn Read> = if input == "-" {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(input) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("error: cannot read {input}: {e}");
                return ExitCode::from(2);
            }
        }
    };
    // Larger than stdin's own buffer, so reads go around it and `buffer()` sees all that is
    // waiting.
    let mut reader = BufReader::with_capacity(1 << 16, source);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut lines, mut failures) = (0usize, 0usize);
    let mut line = String::new();
    for n in 0usize.. {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: reading line {}: {e}", n + 1);
                return ExitCode::from(2);
            }
        }
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        let json = match parse_body(line.as_bytes()).and_then(|body| predictor.predict(&body)) {
            Ok(response) => serde_json::to_string(&response),
            Err(error) => {
                failures += 1;
                eprintln!("error: line {}: {}", n + 1, error.message);
                serde_json::to_string(&ErrorBody { error: &error })
            }
        };
        let written = match json {
            Ok(j) => writeln!(out, "{j}"),
            Err(e) => writeln!(
                out,
                "{{\"error\":{{\"code\":\"inference_failed\",\"message\":{:?}}}}}",
                e.to_string()
            ),
        };
        // Nothing more read and waiting: the writer may be waiting for this answer.
        let flushed = if reader.buffer().is_empty() {
            out.flush()
        } else {
            Ok(())
        };
        if written.is_err() || flushed.is_err() {
            // Downstream closed the pipe (e.g. `| head`): stop quietly.
            return ExitCode::SUCCESS;
        }
    }
    let _ = out.flush();
    if failures > 0 {
        eprintln!("error: {failures} of {lines} requests were refused");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
