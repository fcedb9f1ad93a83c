//! Steps that run beside the foreground: a download that barely uses the CPU beside a compile,
//! the single-threaded wasm links beside the native build. Each writes to
//! `target/logs/NAME.log`; waiting for one prints its log if it failed. Dropping the set stops
//! whatever still runs (a command that fails early leaves nothing behind).

use crate::out::{fail, Out, Result};
use crate::{process, steps};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

struct Running {
    thread: JoinHandle<Result>,
    out: Out,
}

#[derive(Default)]
pub struct Background {
    running: BTreeMap<String, Running>,
}

/// `target/logs/NAME.log`, the name's characters other than letters and digits as `-`.
pub fn log_path(target: &Path, name: &str) -> PathBuf {
    let file: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    target.join("logs").join(format!("{file}.log"))
}

impl Background {
    /// Starts `step` (timed as `name`) on its own thread, its output in its log.
    pub fn start(
        &mut self,
        target: &Path,
        name: &str,
        step: impl FnOnce(&Out) -> Result + Send + 'static,
    ) -> Result {
        let path = log_path(target, name);
        let out = Out::log(&path)?;
        Out::terminal().say(&format!(
            "started in the background: {name} (log: {})",
            path.display()
        ));
        let thread_out = out.clone();
        let label = name.to_string();
        let thread = std::thread::spawn(move || {
            steps::timed(&thread_out, &label, || step(&thread_out)).inspect_err(|e| {
                thread_out.line(&format!("error: {e}"));
            })
        });
        self.running
            .insert(name.to_string(), Running { thread, out });
        Ok(())
    }

    /// Waits for a background step; if it failed, prints its log and fails.
    pub fn wait(&mut self, name: &str) -> Result {
        let Some(job) = self.running.remove(name) else {
            return fail(format!("no background step named {name}"));
        };
        let result = job
            .thread
            .join()
            .unwrap_or_else(|_| fail(format!("{name} panicked")));
        let log = job
            .out
            .log_path()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        match result {
            Ok(()) => {
                if let Some(last) = text
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("    (") && l.ends_with("s)"))
                {
                    eprintln!("{last}");
                }
                Ok(())
            }
            Err(e) => {
                eprint!("{text}");
                fail(format!("{name} failed: {e} (log above: {})", log.display()))
            }
        }
    }

    /// Stops every background step still running, and what it started.
    pub fn stop_all(&mut self) {
        for job in self.running.values() {
            job.out.job().stopped.store(true, Ordering::SeqCst);
        }
        for (_, job) in std::mem::take(&mut self.running) {
            // A command may start between the flag and the kill: keep ending whatever runs.
            while !job.thread.is_finished() {
                let pid = job.out.job().running.load(Ordering::SeqCst);
                if pid != 0 {
                    process::kill_tree(pid);
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = job.thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop_all();
    }
}
