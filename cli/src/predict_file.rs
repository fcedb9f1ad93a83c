//! `wasmpredict predict BUNDLE --input rows.csv --output answers.csv`: a file of any size, read
//! as a stream and predicted in chunks on every core, in bounded memory (at most
//! `IN_FLIGHT_PER_THREAD` chunks per thread exist at once), the answers written in input order.
//! A bad row is answered with its error (and reported by line) and the rest go on.

use crate::file_answers::{Answered, Chunk, Writer};
use crate::progress::Progress;
use crate::rows::{self, Format};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rows predicted together: enough to amortize a batch, small enough to spread over threads.
const CHUNK_ROWS: usize = 4096;
/// Chunks read ahead of the writer, per thread: bounds memory whatever the file's size.
const IN_FLIGHT_PER_THREAD: usize = 4;
/// Bad rows reported one by one on stderr; the rest are counted.
const SHOWN_ERRORS: usize = 20;

pub struct Options<'a> {
    pub bundle: &'a Path,
    pub input: &'a str,
    pub output: &'a str,
    /// The input's format (default: from its extension).
    pub format: Option<Format>,
    /// The output's format (default: from its extension, else the input's).
    pub output_format: Option<Format>,
    pub threads: Option<usize>,
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
    let Some(format) = o.format.or_else(|| rows::format_of(o.input)) else {
        return fail(format!(
            "cannot tell the format of {}; pass --format csv or --format jsonl",
            o.input
        ));
    };
    let out_format = o
        .output_format
        .or_else(|| rows::format_of(o.output))
        .unwrap_or(format);
    let input = match rows::open(o.input) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let mut out: Box<dyn Write> = if o.output == "-" {
        Box::new(std::io::BufWriter::new(std::io::stdout()))
    } else {
        match std::fs::File::create(o.output) {
            Ok(f) => Box::new(std::io::BufWriter::with_capacity(1 << 16, f)),
            Err(e) => return fail(format!("cannot write {}: {e}", o.output)),
        }
    };
    let threads = o
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1);
    let writer = Writer::new(&predictor, out_format);
    if let Err(e) = out.write_all(&writer.header()) {
        return fail(format!("cannot write {}: {e}", o.output));
    }

    let started = Instant::now();
    let mut progress = Progress::new(input.size, input.read.clone());
    let fields = &predictor.manifest().input;
    let stop = AtomicBool::new(false);
    let (chunks_tx, chunks_rx) = sync_channel::<(usize, Chunk)>(threads);
    let chunks_rx = Mutex::new(chunks_rx);
    let (answers_tx, answers_rx) = sync_channel::<Answered>(threads);
    // A permit per chunk in flight, returned when the chunk is written.
    let in_flight = threads * IN_FLIGHT_PER_THREAD;
    let (permits_tx, permits_rx) = sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = permits_tx.send(());
    }

    let stop = &stop;
    let (read_result, written) = std::thread::scope(|s| {
        let reader = s.spawn(move || {
            let mut chunk = Chunk::default();
            let mut index = 0;
            let mut send = |chunk: Chunk| -> bool {
                if stop.load(Ordering::Relaxed) || permits_rx.recv().is_err() {
                    return false;
                }
                let sent = chunks_tx.send((index, chunk)).is_ok();
                index += 1;
                sent
            };
            let result = rows::read(input.reader, format, fields, |line, row| {
                chunk.push(line, row);
                chunk.len() < CHUNK_ROWS || send(std::mem::take(&mut chunk))
            });
            if chunk.len() > 0 {
                send(chunk);
            }
            result
        });
        for _ in 0..threads {
            let answers_tx = answers_tx.clone();
            let (chunks_rx, predictor, writer) = (&chunks_rx, &predictor, &writer);
            s.spawn(move || loop {
                let next = chunks_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((index, chunk))) = next else { break };
                if answers_tx
                    .send(writer.answer(predictor, index, chunk))
                    .is_err()
                {
                    break;
                }
            });
        }
        drop(answers_tx);
        let written = write_in_order(&answers_rx, &mut out, &permits_tx, stop, &mut progress);
        drop(permits_tx);
        let read_result = reader
            .join()
            .unwrap_or_else(|_| Err("the reader stopped".into()));
        (read_result, written)
    });
    let flushed = out.flush();
    progress.clear();
    let summary = match written.and_then(|s| flushed.map(|()| s)) {
        Ok(s) => s,
        // Downstream closed the pipe (e.g. `| head`): stop quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => return fail(format!("cannot write {}: {e}", o.output)),
    };
    if let Err(e) = read_result {
        return fail(format!("{}: {e}", o.input));
    }
    if summary.bad > SHOWN_ERRORS {
        eprintln!("... and {} more bad rows", summary.bad - SHOWN_ERRORS);
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{} rows predicted in {:.1} s ({:.0} rows/s, {threads} threads){}",
        summary.rows,
        seconds,
        summary.rows as f64 / seconds.max(1e-9),
        if summary.bad > 0 {
            format!(
                "; {} bad row{} answered with {} error",
                summary.bad,
                if summary.bad == 1 { "" } else { "s" },
                if summary.bad == 1 { "its" } else { "their" }
            )
        } else {
            String::new()
        }
    );
    if summary.bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Default)]
struct Summary {
    rows: usize,
    bad: usize,
}

/// Writes answered chunks in input order, returning a permit for each, until every worker is
/// done. After a write error it keeps draining (so that nothing blocks) and stops the reader.
fn write_in_order(
    answers: &Receiver<Answered>,
    out: &mut dyn Write,
    permits: &std::sync::mpsc::SyncSender<()>,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> std::io::Result<Summary> {
    let mut waiting: BTreeMap<usize, Answered> = BTreeMap::new();
    let mut next = 0;
    let mut summary = Summary::default();
    let mut failed: Option<std::io::Error> = None;
    loop {
        match answers.recv_timeout(Duration::from_millis(200)) {
            Ok(a) => {
                waiting.insert(a.index, a);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while let Some(a) = waiting.remove(&next) {
            next += 1;
            summary.rows += a.rows;
            for (line, message) in &a.bad {
                summary.bad += 1;
                if summary.bad <= SHOWN_ERRORS {
                    progress.clear();
                    eprintln!("line {line}: {message}");
                }
            }
            if failed.is_none() {
                if let Err(e) = out.write_all(&a.text) {
                    stop.store(true, Ordering::Relaxed);
                    failed = Some(e);
                }
            }
            let _ = permits.try_send(());
        }
        progress.show(summary.rows, summary.bad);
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}
