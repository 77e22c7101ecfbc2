//! The gateway's HTTP/1.1 connections to vLLM: opened on demand, kept alive, reused; one set
//! per serving thread.
//!
//! Why not hyper-util's pooled `Client`: it serves any number of origins from any thread, so
//! every request locks a pool shared by all threads, hashes its origin to find a connection,
//! formats a `Host` header, rewrites the URI, and spawns a task that puts the connection back
//! once the answer has been read. The gateway sends to one origin, and each serving thread
//! ([`crate::http::serve`]) keeps its requests and their upstream connections to itself: a
//! list of this thread's connections, each asked whether it is free, does the same work
//! without any of that (docs/BENCHMARKS.md, "Chat gateway").
//!
//! A connection stays in its thread's list for its whole life. It is free again when vLLM's
//! answer has been read to its end (hyper's connection task says so); a client that goes away
//! mid-answer drops the answer, hyper closes that connection, and the list forgets it. So does
//! a connection vLLM closed (it closes idle ones after a few seconds).

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use thread_local::ThreadLocal;
use tokio::net::TcpStream;

type Sender = SendRequest<Full<Bytes>>;

/// A free connection unused this long is closed (vLLM closes its own after 5 s).
const IDLE: Duration = Duration::from_secs(30);
/// More connections than this on one thread are used for one request each, not kept.
const MAX_PER_THREAD: usize = 1024;

/// One of a thread's connections.
struct Kept {
    sender: Sender,
    /// When a request last went on it.
    used: Instant,
}

/// Connections to one upstream address.
pub struct Connections {
    address: SocketAddr,
    connect_timeout: Duration,
    /// Each thread's connections, free or busy.
    by_thread: ThreadLocal<RefCell<Vec<Kept>>>,
}

/// Why a request got no answer head, in words a user can act on: "could not connect
/// (connection refused)", "connection closed before message completed", …
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("could not connect ({})", .0.kind())]
    Connect(io::Error),
    #[error("could not connect (no answer within {} s)", .0.as_secs())]
    ConnectTimeout(Duration),
    /// The connection failed while the request was sent or its answer awaited.
    #[error("{}", innermost_cause(.0))]
    Http(hyper::Error),
}

/// hyper's innermost cause says the most ("connection reset by peer" rather than "error
/// reading a body from connection").
fn innermost_cause(e: &hyper::Error) -> String {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        reason = inner.to_string();
        source = inner.source();
    }
    reason
}

impl Connections {
    pub fn new(address: SocketAddr, connect_timeout: Duration) -> Self {
        Self {
            address,
            connect_timeout,
            by_thread: ThreadLocal::new(),
        }
    }

    /// Sends `request` (origin-form URI, `Host` set) on a free connection of this thread, or
    /// on a new one, and waits for the answer's head.
    pub async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, SendError> {
        loop {
            let sending = {
                let mut kept = self.mine().borrow_mut();
                let now = Instant::now();
                // Forget connections that closed, and close those left unused for too long.
                kept.retain(|c| {
                    let unused = c.sender.is_ready() && now.duration_since(c.used) > IDLE;
                    !c.sender.is_closed() && !unused
                });
                match kept.iter_mut().find(|c| c.sender.is_ready()) {
                    Some(free) => {
                        free.used = now;
                        free.sender.try_send_request(request)
                    }
                    None => break,
                }
            };
            match sending.await {
                Ok(response) => return Ok(response),
                // vLLM closed the connection as it was taken: hyper hands the request back
                // unsent, and it goes on another connection.
                Err(mut e) => match e.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(SendError::Http(e.into_error())),
                },
            }
        }
        let mut sender = self.connect().await?;
        let sending = sender.send_request(request);
        {
            let mut kept = self.mine().borrow_mut();
            // A connection not kept is closed by hyper once its answer has been read.
            if kept.len() < MAX_PER_THREAD {
                kept.push(Kept {
                    sender,
                    used: Instant::now(),
                });
            }
        }
        sending.await.map_err(SendError::Http)
    }

    fn mine(&self) -> &RefCell<Vec<Kept>> {
        self.by_thread.get_or_default()
    }

    async fn connect(&self) -> Result<Sender, SendError> {
        let tcp = tokio::time::timeout(self.connect_timeout, TcpStream::connect(self.address))
            .await
            .map_err(|_| SendError::ConnectTimeout(self.connect_timeout))?
            .map_err(SendError::Connect)?;
        // Small writes (a request, an SSE event) go out at once.
        let _ = tcp.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(SendError::Http)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!("upstream connection ended: {e}");
            }
        });
        Ok(sender)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use axum::http::header;
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc::UnboundedReceiver;

    use super::*;

    /// An upstream that answers every request with "ok" and counts the connections it
    /// accepted. With `hang_up` it closes each connection after one answer, without saying so
    /// (as vLLM's server closes one left idle for 5 s), and tells `closed`.
    async fn upstream(hang_up: bool) -> (SocketAddr, Arc<AtomicUsize>, UnboundedReceiver<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let (closed, closes) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let (mut tcp, _) = listener.accept().await.unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                let closed = closed.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    loop {
                        // Requests without a body: a head ends at the blank line.
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match tcp.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        buf.drain(..end);
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if tcp.write_all(answer).await.is_err() {
                            return;
                        }
                        if hang_up {
                            drop(tcp);
                            let _ = closed.send(());
                            return;
                        }
                    }
                });
            }
        });
        (address, accepted, closes)
    }

    async fn get(connections: &Connections) -> Result<String, SendError> {
        let request = Request::builder()
            .uri("/v1/models")
            .header(header::HOST, "upstream")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = connections.send(request).await?;
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn one_connection_serves_requests_one_after_another() {
        let (address, accepted, _) = upstream(false).await;
        let connections = Connections::new(address, Duration::from_secs(3));
        for _ in 0..20 {
            assert_eq!(get(&connections).await.unwrap(), "ok");
        }
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "the connection is kept alive"
        );
    }

    #[tokio::test]
    async fn requests_at_once_each_get_a_connection_and_keep_it() {
        let (address, accepted, _) = upstream(false).await;
        let connections = Connections::new(address, Duration::from_secs(3));
        for _ in 0..3 {
            let answers = futures::future::join_all((0..8).map(|_| get(&connections))).await;
            assert!(answers.iter().all(|a| a.as_deref().ok() == Some("ok")));
        }
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            8,
            "8 at a time need 8 connections, and the later rounds reuse them"
        );
    }

    /// Each request comes after the upstream hung up on the last one's connection: the
    /// closed connection is forgotten (or, if hyper has not seen the close yet, it hands the
    /// request back unsent), and the request goes on a new one.
    #[tokio::test]
    async fn an_upstream_that_closes_connections_costs_no_request() {
        let (address, accepted, mut closes) = upstream(true).await;
        let connections = Connections::new(address, Duration::from_secs(3));
        for i in 0..20 {
            let answer = get(&connections).await;
            assert_eq!(
                answer.as_deref().ok(),
                Some("ok"),
                "request {i}: {answer:?}"
            );
            closes.recv().await.unwrap();
            // The next request comes a moment after the close (on a LAN, the close arrives
            // before it; a request sent while the close is on its way is lost with any client).
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 20);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_refused_connection_in_words() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let connections = Connections::new(address, Duration::from_secs(3));
        let error = get(&connections).await.unwrap_err();
        assert_eq!(error.to_string(), "could not connect (connection refused)");
    }
}
