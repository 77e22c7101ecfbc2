//! A TCP endpoint that can be taken off the network and put back on the same address.
//!
//! Fault injection needs a service that is *really* down — new connections refused and open
//! keep-alive connections cut — not one that answers "down" politely. Each endpoint therefore
//! owns its accept loop and every connection task in one `JoinSet`: taking it down aborts the
//! loop, which drops the listener (the port refuses) and the set (open connections are cut).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Serves one accepted connection until it ends.
pub type ConnectionHandler =
    Arc<dyn Fn(TcpStream, SocketAddr) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A listening address whose accept loop can be started and stopped at will.
pub struct Endpoint {
    addr: SocketAddr,
    handler: ConnectionHandler,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Endpoint {
    pub fn new(addr: SocketAddr, handler: ConnectionHandler) -> Self {
        Self {
            addr,
            handler,
            task: Mutex::new(None),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn is_up(&self) -> bool {
        self.lock().as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Binds the address and starts accepting. Idempotent.
    pub async fn up(&self) -> std::io::Result<()> {
        if self.is_up() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.addr).await?;
        let handler = self.handler.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, peer)) => {
                            let _ = stream.set_nodelay(true);
                            connections.spawn(handler(stream, peer));
                        }
                        Err(e) => tracing::warn!(error = %e, "accept failed"),
                    },
                    // Reap finished connections so the set does not grow without bound.
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        *self.lock() = Some(task);
        Ok(())
    }

    /// Stops accepting and cuts every open connection. Idempotent.
    pub fn down(&self) {
        if let Some(task) = self.lock().take() {
            task.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        // A poisoned lock only means a panic elsewhere; the Option inside is still valid.
        self.task.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.down();
    }
}

/// A handler that serves HTTP/1.1 on each connection with the given axum router.
pub fn http_handler(router: axum::Router) -> ConnectionHandler {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::service::TowerToHyperService;
    Arc::new(move |stream, _peer| {
        let service = TowerToHyperService::new(router.clone());
        Box::pin(async move {
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        })
    })
}

/// Finds a loopback port that is free right now. The port is released before returning, so
/// another process could take it in between; on a test machine that window is negligible.
pub fn free_port(ip: std::net::Ipv4Addr) -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind((ip, 0))?;
    Ok(listener.local_addr()?.port())
}
