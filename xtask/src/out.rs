//! Where a step's messages and its commands' output go: the terminal, or (for a step running in
//! the background) its log file; and the one error type of `cargo xtask`.

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Why a step failed: one readable line (the command's own output is already above it).
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure(e.to_string())
    }
}

pub type Result<T = ()> = std::result::Result<T, Failure>;

/// Fails with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(Failure(message.into()))
}

/// Adds what was being done to an I/O error.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Failure(format!("{}: {e}", what())))
    }
}

/// The output of one line of work: the terminal (stderr) or a background step's log. A
/// background step can be stopped: its running command is then ended and no other starts.
#[derive(Clone)]
pub struct Out {
    log: Option<Arc<Mutex<File>>>,
    log_path: Option<PathBuf>,
    job: Arc<Job>,
}

/// The command a line of work is running, so that it can be stopped from another thread.
#[derive(Default)]
pub struct Job {
    pub stopped: AtomicBool,
    /// The pid of the command running now (0: none).
    pub running: AtomicU32,
}

impl Out {
    /// The terminal.
    pub fn terminal() -> Out {
        Out {
            log: None,
            log_path: None,
            job: Arc::default(),
        }
    }

    /// A log file (created or emptied).
    pub fn log(path: &Path) -> Result<Out> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).context(|| format!("cannot create {}", dir.display()))?;
        }
        let file = File::create(path).context(|| format!("cannot create {}", path.display()))?;
        Ok(Out {
            log: Some(Arc::new(Mutex::new(file))),
            log_path: Some(path.to_path_buf()),
            job: Arc::default(),
        })
    }

    pub fn job(&self) -> &Arc<Job> {
        &self.job
    }

    pub fn log_path(&self) -> Option<&Path> {
        self.log_path.as_deref()
    }

    /// A line as is.
    pub fn line(&self, text: &str) {
        match &self.log {
            None => eprintln!("{text}"),
            Some(file) => {
                if let Ok(mut f) = file.lock() {
                    let _ = writeln!(f, "{text}");
                }
            }
        }
    }

    /// `==> text`, bold on the terminal: what is being done now.
    pub fn say(&self, text: &str) {
        match &self.log {
            None => eprintln!("\x1b[1m==> {text}\x1b[0m"),
            Some(_) => self.line(&format!("==> {text}")),
        }
    }

    /// Where a command's standard output and error go.
    pub fn stdio(&self) -> Result<(Stdio, Stdio)> {
        match &self.log {
            None => Ok((Stdio::inherit(), Stdio::inherit())),
            Some(file) => {
                let f = file
                    .lock()
                    .map_err(|_| Failure("a log file's lock is poisoned".into()))?;
                Ok((Stdio::from(f.try_clone()?), Stdio::from(f.try_clone()?)))
            }
        }
    }

    pub fn stopped(&self) -> bool {
        self.job.stopped.load(Ordering::SeqCst)
    }
}
