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

/// Finds a port on `ip` that is free right now, for a listener that must keep its port across
/// restarts (a node's SSH or vLLM address). The port is released before returning, so it is
/// picked below the kernel's ephemeral range when there is room: the kernel hands ports from
/// that range to every outgoing connection and every `bind(0)` on the machine, any of which
/// could take a port found there before the caller binds it (a clean CI run once failed on
/// that); below it, only another explicit pick can.
pub fn free_port(ip: std::net::Ipv4Addr) -> std::io::Result<u16> {
    let (low, below) = picking_range();
    if below < low {
        for _ in 0..64 {
            let port = rand::random_range(below..low);
            if let Ok(listener) = std::net::TcpListener::bind((ip, port)) {
                return Ok(listener.local_addr()?.port());
            }
        }
    }
    let listener = std::net::TcpListener::bind((ip, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Lowest port [`free_port`] picks from: the well-known and registered services below it are
/// left alone.
const LOWEST_PICK: u16 = 10_000;

/// How many ports below the ephemeral range [`free_port`] picks from.
const PICK_SPAN: u16 = 12_000;

/// The kernel's lowest ephemeral port and the lowest port [`free_port`] picks.
fn picking_range() -> (u16, u16) {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        // Linux's default
        .unwrap_or(32_768);
    (low, low.saturating_sub(PICK_SPAN).max(LOWEST_PICK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn free_ports_lie_below_the_ephemeral_range() {
        let (low, below) = picking_range();
        for _ in 0..20 {
            let port = free_port(Ipv4Addr::LOCALHOST).unwrap_or(0);
            assert!(port != 0, "no free port");
            // the port is free: it binds
            assert!(std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
            if below < low {
                assert!((below..low).contains(&port), "{port} not in {below}..{low}");
            }
        }
    }
}
