//! A one-line progress display on stderr for long file predictions: shown only when stderr is a
//! terminal, redrawn at most every 200 ms, cleared before anything else is printed.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REDRAW: Duration = Duration::from_millis(200);
const BAR_WIDTH: usize = 30;

pub struct Progress {
    /// None when stderr is not a terminal (a log, a pipe, a test).
    started: Option<Instant>,
    last: Option<Instant>,
    total: Option<u64>,
    read: Arc<AtomicU64>,
    drawn: bool,
}

impl Progress {
    /// Progress through an input of `total` bytes (unknown for a pipe), `read` bytes so far.
    pub fn new(total: Option<u64>, read: Arc<AtomicU64>) -> Progress {
        let shown = std::io::stderr().is_terminal();
        Progress {
            started: shown.then(Instant::now),
            last: None,
            total,
            read,
            drawn: false,
        }
    }

    /// Redraws the line with `rows` answered so far, `bad` of them refused.
    pub fn show(&mut self, rows: usize, bad: usize) {
        let Some(started) = self.started else { return };
        let now = Instant::now();
        if self.last.is_some_and(|t| now - t < REDRAW) {
            return;
        }
        self.last = Some(now);
        let rate = rows as f64 / (now - started).as_secs_f64().max(1e-3);
        let read = self.read.load(Ordering::Relaxed);
        let done = match self.total {
            Some(total) if total > 0 => {
                let fraction = (read as f64 / total as f64).min(1.0);
                let filled = (fraction * BAR_WIDTH as f64) as usize;
                format!(
                    "[{}{}] {:5.1}%",
                    "#".repeat(filled),
                    "-".repeat(BAR_WIDTH - filled),
                    fraction * 100.0
                )
            }
            _ => format!("{:.1} MB read", read as f64 / 1e6),
        };
        let bad = if bad > 0 {
            format!(", {bad} bad")
        } else {
            String::new()
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{done}  {rows} rows  {rate:.0} rows/s{bad}");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Erases the line, so that a message can be printed in its place.
    pub fn clear(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}
