//! `wasmpredict serve` for the CLI's tests that talk to a running server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// `wasmpredict serve --models MODELS` on a free port, stopped when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    state: PathBuf,
}

impl Server {
    pub fn start(models: &Path, tag: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let state =
            std::env::temp_dir().join(format!("wasmpredict-cli-test-{}-{tag}", std::process::id()));
        let child = Command::new(env!("CARGO_BIN_EXE_wasmpredict"))
            .arg("serve")
            .arg("--models")
            .arg(models)
            .arg("--state")
            .arg(&state)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("wasmpredict serve starts");
        // Stopped by Drop, also when it never listens.
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            state,
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("wasmpredict serve did not listen on {port}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}
