use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;
use wasmpredict::api::{parse_body, ErrorBody};

pub fn run(bundle: &Path, input: &str, engine: Option<wasmpredict::infer::Engine>) -> ExitCode {
    let predictor = match crate::load(bundle, engine) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let reader: Box<dyn BufRead> = if input == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        match std::fs::File::open(input) {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => {
                eprintln!("error: cannot read {input}: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut lines, mut failures) = (0usize, 0usize);
    for (n, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: reading line {}: {e}", n + 1);
                return ExitCode::from(2);
            }
        };
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
        if written.is_err() {
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
