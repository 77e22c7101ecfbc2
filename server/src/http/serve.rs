//! Serving HTTP: one event loop per core, each owning its connections from accept to close,
//! as nginx's worker processes do.
//!
//! Why not `axum::serve` on the main runtime: the chat gateway's worth is what it adds to a
//! request, and on a work-stealing runtime a proxied request hops between threads (the client
//! connection, the upstream connection and the handler each wake on whichever worker is free).
//! A single-threaded runtime per core keeps a request, its upstream connection (each thread
//! has its own, see `gateway::connections`) and every wake-up on one thread. Measured on the
//! bench (docs/BENCHMARKS.md, "Chat gateway"), this and the direct route below halve the
//! gateway's CPU time per request.
//!
//! The loops share one listening socket (the kernel hands each new connection to one of them)
//! and answer requests under `/v1/` themselves ([`super::openai::handle`]). Every other request
//! (pages, server functions, the REST and metrics routes) is handed to the application's
//! router on the main runtime, where the monitor, the swaps and everything they spawn live, so
//! it runs exactly as it would under `axum::serve`; a client that goes away cancels it there
//! too.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;
use tracing::Instrument;

use super::openai;
use crate::state::AppState;

/// What every event loop needs to answer a request.
struct Context {
    state: Arc<AppState>,
    app: Router,
    /// The main runtime, where the router's requests run.
    main: Handle,
}

/// Serves `app` (and the OpenAI routes) on `listener` until `shutdown` completes; then stops
/// accepting, lets open connections finish their requests, and returns.
///
/// Must be called from within the main tokio runtime.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let loops = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let listener = listener.into_std()?;
    let context = Arc::new(Context {
        state,
        app,
        main: Handle::current(),
    });
    let (stop, stopped) = watch::channel(false);
    let mut threads = Vec::with_capacity(loops);
    for index in 0..loops {
        let listener = listener.try_clone()?;
        let context = context.clone();
        let stopped = stopped.clone();
        let thread = std::thread::Builder::new()
            .name(format!("http-{index}"))
            .spawn(move || {
                let ended = event_loop(listener, context, stopped);
                if let Err(e) = &ended {
                    tracing::error!("HTTP event loop {index} stopped: {e}");
                }
                ended
            })?;
        threads.push(thread);
    }
    drop(listener);
    shutdown.await;
    let _ = stop.send(true);
    // Joining blocks: not on the runtime's own threads.
    let joined = tokio::task::spawn_blocking(move || {
        threads
            .into_iter()
            .map(|thread| thread.join())
            .collect::<Vec<_>>()
    })
    .await
    .map_err(io::Error::other)?;
    for result in joined {
        match result {
            Ok(result) => result?,
            Err(_) => return Err(io::Error::other("an HTTP event loop panicked")),
        }
    }
    Ok(())
}

/// One core's loop: accepts connections and serves them on this thread until told to stop.
fn event_loop(
    listener: std::net::TcpListener,
    context: Arc<Context>,
    mut stopped: watch::Receiver<bool>,
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener)?;
        let graceful = GracefulShutdown::new();
        // The connection builder `axum::serve` uses.
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        let connection = builder
                            .serve_connection_with_upgrades(
                                TokioIo::new(ready(tcp)),
                                hyper::service::service_fn({
                                    let context = context.clone();
                                    move |request| answer(context.clone(), peer, request)
                                }),
                            )
                            .into_owned();
                        let connection = graceful.watch(connection);
                        tokio::spawn(async move {
                            if let Err(e) = connection.await {
                                tracing::trace!("connection ended: {e}");
                            }
                        });
                    }
                    Err(e) => accept_failed(e).await,
                },
                _ = stopped.wait_for(|stop| *stop) => break,
            }
        }
        drop(listener);
        graceful.shutdown().await;
        Ok(())
    })
}

/// No Nagle delay: a streamed token written while the client has not yet acknowledged the
/// previous one would otherwise wait for that acknowledgement, up to 40 ms (delayed ACK).
fn ready(tcp: TcpStream) -> TcpStream {
    let _ = tcp.set_nodelay(true);
    tcp
}

/// After a failed accept: a connection that failed before it was accepted concerns only that
/// connection; anything else (no file descriptors left, …) is waited out, as `axum::serve`
/// does, rather than spun on.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("cannot accept a connection: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn answer(
    context: Arc<Context>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    // The span names the path only: a query string may carry a redaction session id, and no
    // body or header is ever recorded (see `privacy`).
    let span = tracing::debug_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        version = ?request.version(),
    );
    if request.uri().path().starts_with(openai::PREFIX) {
        return Ok(openai::handle(&context.state, request)
            .instrument(span)
            .await);
    }
    let mut request = request.map(Body::new);
    // what `axum::serve` with connect info gives handlers: who is asking (the swap history
    // records it)
    request.extensions_mut().insert(ConnectInfo(peer));
    let routed = context.app.clone().oneshot(request);
    let running = Cancelled(context.main.spawn(routed.instrument(span)));
    Ok(match running.await {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(e) => {
            tracing::error!("a request's handler failed: {e}");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from("internal error"))
                .unwrap_or_default()
        }
    })
}

/// A request handed to the main runtime, aborted when its connection drops it (as a handler
/// future is dropped under `axum::serve`).
struct Cancelled<T>(JoinHandle<T>);

impl<T> Future for Cancelled<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for Cancelled<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
