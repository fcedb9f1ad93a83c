//! Just enough HTTP for xtask's own waits: is a local server up and answering a GET with 200?
//! (The deploy gate's replay is `wasmpredict check --url`; a live deployment's versions are
//! read with curl, which speaks https.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The status of `GET path` on 127.0.0.1:port, or None when nothing answers.
pub fn status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    // "HTTP/1.1 200"
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Waits until `GET path` answers 200, `alive` says the server still runs, or time is up.
pub fn wait_ready(
    port: u16,
    path: &str,
    timeout: Duration,
    mut alive: impl FnMut() -> bool,
) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if status(port, path) == Some(200) {
            return true;
        }
        if !alive() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    false
}

/// A port nothing listens on now (the OS's pick).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
