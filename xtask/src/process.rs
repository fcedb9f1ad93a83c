//! Running commands: each one's output where its line of work writes, a failure named after
//! the command, and whole process trees ended when a line of work is stopped.

use crate::out::{fail, Context, Failure, Out, Result};
use std::borrow::BorrowMut;
use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;

/// A command from a program and its arguments.
pub fn cmd<I, S>(program: impl AsRef<OsStr>, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// How a command is named in messages: its program and arguments.
pub fn describe(c: &Command) -> String {
    let mut text = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        text.push(' ');
        text.push_str(&a.to_string_lossy());
    }
    text
}

/// Runs a command to its end, its output where `out` writes; fails unless it exits 0.
pub fn run(out: &Out, mut c: impl BorrowMut<Command>) -> Result {
    let c = c.borrow_mut();
    let status = spawn_and_wait(out, c)?;
    if status.success() {
        Ok(())
    } else {
        fail(format!("`{}` failed ({status})", describe(c)))
    }
}

/// Runs a command and says whether it exited 0 (its output where `out` writes).
pub fn succeeds(out: &Out, mut c: impl BorrowMut<Command>) -> Result<bool> {
    Ok(spawn_and_wait(out, c.borrow_mut())?.success())
}

fn spawn_and_wait(out: &Out, c: &mut Command) -> Result<std::process::ExitStatus> {
    if out.stopped() {
        return fail("stopped");
    }
    let (stdout, stderr) = out.stdio()?;
    let mut child = c
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .context(|| format!("cannot run `{}`", describe(c)))?;
    out.job().running.store(child.id(), Ordering::SeqCst);
    let status = child.wait();
    out.job().running.store(0, Ordering::SeqCst);
    if out.stopped() {
        return fail("stopped");
    }
    status.context(|| format!("`{}`", describe(c)))
}

/// A command's standard output as text (its stderr on the terminal); fails unless it exits 0.
pub fn output(c: &mut Command) -> Result<String> {
    let o = c
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context(|| format!("cannot run `{}`", describe(c)))?;
    if !o.status.success() {
        return fail(format!("`{}` failed ({})", describe(c), o.status));
    }
    String::from_utf8(o.stdout).map_err(|_| Failure(format!("`{}` printed non-UTF-8", describe(c))))
}

/// A command's standard output if it runs and exits 0, else None (for probing tools).
pub fn probe(c: &mut Command) -> Option<String> {
    let o = c.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Whether a program is on PATH.
pub fn on_path(program: &str) -> bool {
    which(program).is_some()
}

/// Where a program is on PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Ends `pid` and every process under it (children first), with SIGTERM.
pub fn kill_tree(pid: u32) {
    for child in children(pid) {
        kill_tree(child);
    }
    signal(pid, "TERM");
}

/// Sends a signal with kill(1) (std has no portable way to send one but SIGKILL).
pub fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The processes whose parent is `pid`, from /proc.
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let e = e.ok()?;
            let child: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // pid (comm) state ppid ...: comm may hold spaces and parentheses, the last ')' ends it.
            let ppid: u32 = stat[stat.rfind(')')? + 1..]
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            (ppid == pid).then_some(child)
        })
        .collect()
}

/// Sends a signal to a whole process group (a child started with `process_group(0)`).
pub fn signal_group(pgid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
