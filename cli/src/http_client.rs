//! A plain-HTTP/1.1 client over hyper, enough for `wasmpredict check --url` and `wasmpredict
//! health`: POST a JSON body to (or GET a path of) a server given by its base URL, read the
//! status and the whole body. One connection per request (a replay sends a handful). https is
//! refused with a clear line: this binary links no TLS (`cargo xtask deploy` replays against a
//! local workerd).

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::time::Duration;

/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `future` to its end on a one-thread runtime (a client command talks to one server at a
/// time); Err says why the runtime could not start.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|runtime| runtime.block_on(future))
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// A server's base URL: `http://HOST[:PORT][/PREFIX]`.
#[derive(Debug, Clone)]
pub struct Server {
    /// `host:port`, what the connection dials and the Host header names.
    authority: String,
    /// The path prefix every request path is appended to, without a trailing `/`.
    prefix: String,
    url: String,
}

impl Server {
    pub fn parse(url: &str) -> Result<Server, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("--url {url}: not a URL ({e})"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(format!(
                    "--url {url}: https is not supported (this client speaks plain HTTP: give a local server's http:// URL)"
                ))
            }
            _ => return Err(format!("--url {url}: give an http://HOST[:PORT] URL")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("--url {url}: no host"))?;
        if uri.query().is_some() {
            return Err(format!("--url {url}: a base URL takes no query"));
        }
        Ok(Server {
            authority: format!(
                "{}:{}",
                authority.host(),
                authority.port_u16().unwrap_or(80)
            ),
            prefix: uri.path().trim_end_matches('/').to_string(),
            url: url.trim_end_matches('/').to_string(),
        })
    }

    /// The base URL as given, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` (JSON) to `path` under the base URL: the status and the body, or why the
    /// server could not be reached.
    pub async fn post_json(&self, path: &str, body: Vec<u8>) -> Result<(u16, Vec<u8>), String> {
        self.timed(hyper::Method::POST, path, Some(body), TIMEOUT)
            .await
    }

    /// GETs `path` under the base URL within `timeout`: the status and the body, or why not.
    pub async fn get(&self, path: &str, timeout: Duration) -> Result<(u16, Vec<u8>), String> {
        self.timed(hyper::Method::GET, path, None, timeout).await
    }

    async fn timed(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), String> {
        let what = format!("{method} {}{path}", self.url);
        tokio::time::timeout(timeout, self.exchange(method, path, body))
            .await
            .unwrap_or_else(|_| Err(format!("no answer in {} s", timeout.as_secs_f64())))
            .map_err(|e| format!("{what}: {e}"))
    }

    async fn exchange(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Vec<u8>), String> {
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        // The connection is driven beside the request; it ends when the request is done.
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.prefix))
            .header(hyper::header::HOST, &self.authority);
        if body.is_some() {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, bytes.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let s = Server::parse("http://127.0.0.1:8787/").expect("parses");
        assert_eq!(
            (s.authority.as_str(), s.prefix.as_str()),
            ("127.0.0.1:8787", "")
        );
        let s = Server::parse("http://example.test/api").expect("parses");
        assert_eq!(
            (s.authority.as_str(), s.prefix.as_str()),
            ("example.test:80", "/api")
        );
        assert!(Server::parse("https://x.workers.dev")
            .unwrap_err()
            .contains("https is not supported"));
        assert!(Server::parse("127.0.0.1:8787").is_err());
        assert!(Server::parse("not a url").is_err());
    }
}
