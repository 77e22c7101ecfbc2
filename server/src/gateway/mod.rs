//! The chat gateway: one stable address on the LAN for the model vLLM serves, whichever node
//! it runs on and whichever model is loaded.
//!
//! It adds as little as it can. The request body is read once to check its JSON and `model`,
//! then sent on unchanged. The answer is passed through as a stream of chunks, streaming or
//! not, so tokens reach the client as vLLM writes them. A client that goes away drops that
//! stream, which drops the upstream connection, and vLLM aborts the generation.
//!
//! During a model swap, requests wait for the new model in a bounded queue
//! ([`GatewaySettings::swap_wait`], [`GatewaySettings::swap_queue`]) instead of failing. Past
//! the bound they get a 503 with `Retry-After`. Every failure is answered in OpenAI's error
//! shape ([`error::GatewayError`]) and reported to the health monitor as a passive signal.

mod connections;
pub mod error;
mod observed;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::swap::SwapStatus;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, Uri};
use http_body_util::Full;
use serde::Deserialize;
use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::config::ServiceKind;
use crate::metrics::{Metrics, UpstreamOutcome};
use crate::monitor::{now_ms, Monitor};
use crate::swap::Swapper;
use connections::Connections;
pub use error::GatewayError;
use observed::ObservedBody;

/// `CHAT_*` settings; see docs/CHAT_GATEWAY.md.
#[derive(Clone, Debug, PartialEq)]
pub struct GatewaySettings {
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// How long a request waits for a running swap to finish.
    pub swap_wait: Duration,
    /// How many requests may wait for a swap at once (503 beyond).
    pub swap_queue: usize,
    pub connect_timeout: Duration,
    /// Time allowed until vLLM starts answering. A non-streaming answer starts only when the
    /// whole generation is done, so this is long by default; a streaming one starts at once.
    pub response_timeout: Duration,
    /// Once an answer has started: the longest silence between two pieces of it before the
    /// gateway gives up on a stalled upstream and cuts the answer.
    pub idle_timeout: Duration,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            swap_wait: Duration::from_secs(120),
            swap_queue: 256,
            connect_timeout: Duration::from_secs(3),
            response_timeout: Duration::from_secs(3600),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// After a swap reports ready, how long its model counts as loaded even if the health monitor
/// has not probed it yet.
const FRESH_SWAP: Duration = Duration::from_secs(5);
/// `GET /v1/models` is answered at once by a healthy vLLM; it never waits for a generation.
const MODELS_TIMEOUT: Duration = Duration::from_secs(10);
/// `Retry-After` when a swap's remaining time is unknown.
const RETRY_UNKNOWN: Duration = Duration::from_secs(30);

/// Where chat goes: the node that serves vLLM. The cluster's nodes are fixed at start, so this
/// is worked out once: a request only puts its path beside it.
struct Upstream {
    node: String,
    /// `<IPv4>:<port>`, as the `Host` header.
    host: HeaderValue,
    /// Straight to the node, on the LAN: no proxy, no redirects, no name to resolve.
    connections: Connections,
}

impl Upstream {
    fn of(cluster: &Cluster, connect_timeout: Duration) -> Option<Self> {
        cluster.nodes.iter().find_map(|n| {
            let service = n
                .config
                .services
                .iter()
                .find(|s| s.kind == ServiceKind::Vllm)?;
            // The node's host is an IPv4 address (the configuration takes nothing else).
            let address = SocketAddr::from((n.config.host, service.port));
            Some(Upstream {
                node: n.config.name.clone(),
                host: HeaderValue::from_str(&address.to_string()).ok()?,
                connections: Connections::new(address, connect_timeout),
            })
        })
    }

    fn label(&self) -> String {
        format!("vLLM on {}", self.node)
    }
}

/// Just the fields the gateway looks at; the rest of the body is passed on untouched.
#[derive(Deserialize)]
struct Peek {
    #[serde(default)]
    model: Option<String>,
}

pub struct ChatGateway {
    settings: GatewaySettings,
    /// `None` when no node has a vLLM service.
    upstream: Option<Upstream>,
    swapper: Arc<Swapper>,
    /// The swapper's status, kept subscribed: every request looks at it, and a receiver made
    /// per request would touch the channel's shared counters twice each time.
    swap_updates: watch::Receiver<Option<SwapStatus>>,
    monitor: Arc<Monitor>,
    metrics: Arc<Metrics>,
    waiting: AtomicUsize,
    /// The millisecond ([`now_ms`]) of the last success reported to the monitor; 0 after a
    /// failure.
    success_reported_ms: AtomicU64,
}

impl ChatGateway {
    pub fn new(
        settings: GatewaySettings,
        cluster: Arc<Cluster>,
        swapper: Arc<Swapper>,
        monitor: Arc<Monitor>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            upstream: Upstream::of(&cluster, settings.connect_timeout),
            settings,
            swap_updates: swapper.subscribe(),
            swapper,
            monitor,
            metrics,
            waiting: AtomicUsize::new(0),
            success_reported_ms: AtomicU64::new(0),
        }
    }

    pub fn settings(&self) -> &GatewaySettings {
        &self.settings
    }

    /// `POST` of a generation (`/v1/chat/completions`, `/v1/completions`).
    pub async fn generate(
        &self,
        path: &'static str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response<Body>, GatewayError> {
        let peek: Peek =
            serde_json::from_slice(&body).map_err(|e| GatewayError::BadJson(e.to_string()))?;
        self.wait_for_swap().await?;
        if let Some(requested) = peek.model {
            let loaded = self.loaded_models();
            if !loaded.is_empty() && !loaded.contains(&requested) {
                return Err(GatewayError::ModelNotLoaded { requested, loaded });
            }
        }
        let timeout = self.settings.response_timeout;
        self.forward(Method::POST, path, headers, Some(body), timeout)
            .await
    }

    /// `GET /v1/models`: what vLLM lists. It does not wait for a swap: while one runs and vLLM
    /// is down, the answer is a 503 saying so.
    pub async fn models(&self, headers: &HeaderMap) -> Result<Response<Body>, GatewayError> {
        let answer = self
            .forward(Method::GET, "/v1/models", headers, None, MODELS_TIMEOUT)
            .await;
        match answer {
            Err(GatewayError::UpstreamDown { .. }) if self.running_swap().is_some() => {
                Err(self.swap_busy(self.running_swap()))
            }
            other => other,
        }
    }

    async fn forward(
        &self,
        method: Method,
        path: &'static str,
        headers: &HeaderMap,
        body: Option<Bytes>,
        timeout: Duration,
    ) -> Result<Response<Body>, GatewayError> {
        let upstream = self.upstream.as_ref().ok_or(GatewayError::NoUpstream)?;
        let mut request = Request::new(Full::new(body.unwrap_or_default()));
        *request.method_mut() = method;
        // Origin-form, as HTTP/1.1 sends it to the server itself.
        *request.uri_mut() = Uri::from_static(path);
        request
            .headers_mut()
            .insert(header::HOST, upstream.host.clone());
        for name in [header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION] {
            if let Some(value) = headers.get(&name) {
                request.headers_mut().insert(name, value.clone());
            }
        }
        let started = Instant::now();
        let sent = upstream.connections.send(request);
        let response = match tokio::time::timeout(timeout, sent).await {
            Err(_) => {
                self.metrics.observe_upstream(
                    ServiceKind::Vllm,
                    UpstreamOutcome::Failed(crate::metrics::UpstreamError::Timeout),
                    started.elapsed(),
                );
                self.report_failure(&upstream.node, "a proxied chat request timed out");
                return Err(GatewayError::UpstreamTimeout {
                    upstream: upstream.label(),
                    after: timeout,
                });
            }
            Ok(Err(e)) => {
                self.metrics.observe_upstream(
                    ServiceKind::Vllm,
                    UpstreamOutcome::Failed(crate::metrics::UpstreamError::Connect),
                    started.elapsed(),
                );
                let reason = e.to_string();
                self.report_failure(
                    &upstream.node,
                    &format!("a proxied chat request failed: {reason}"),
                );
                return Err(GatewayError::UpstreamDown {
                    upstream: upstream.label(),
                    reason,
                });
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        // 502–504 are vLLM's (or a proxy's) way of saying it cannot serve; a 500 is one
        // request's failure and says nothing about whether the service is up.
        if matches!(status.as_u16(), 502..=504) {
            self.report_failure(&upstream.node, &format!("vLLM answered {status}"));
        } else if !status.is_server_error() {
            self.report_success(&upstream.node);
        }
        let (parts, body) = response.into_parts();
        let length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let report = observed::Report {
            metrics: self.metrics.clone(),
            service: ServiceKind::Vllm,
            outcome: UpstreamOutcome::from_status(status),
            started,
        };
        let body = ObservedBody::new(body, report, length, self.settings.idle_timeout);
        let mut out = Response::new(Body::new(body));
        *out.status_mut() = status;
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CACHE_CONTROL,
        ] {
            if let Some(value) = parts.headers.get(&name) {
                out.headers_mut().insert(name, value.clone());
            }
        }
        Ok(out)
    }

    /// A passive health signal: the monitor records the outage at once, without waiting for
    /// its next probe.
    fn report_failure(&self, node: &str, cause: &str) {
        self.success_reported_ms.store(0, Ordering::Relaxed);
        self.monitor
            .report_upstream_failure(node, ServiceKind::Vllm.name(), cause);
    }

    /// The monitor keeps its verdicts to the millisecond, so one success a millisecond says
    /// what all of them would, and spares the other requests its write lock (taken by every
    /// request, it showed in the gateway's CPU time per request).
    fn report_success(&self, node: &str) {
        let now = now_ms();
        if self.success_reported_ms.load(Ordering::Relaxed) == now {
            return;
        }
        self.success_reported_ms.store(now, Ordering::Relaxed);
        self.monitor
            .report_upstream_success(node, ServiceKind::Vllm.name());
    }

    /// Waits, within the bounds, for a running swap to end.
    async fn wait_for_swap(&self) -> Result<(), GatewayError> {
        if !self.peek_swap(|s| s.is_some_and(SwapStatus::is_running)) {
            return Ok(());
        }
        let Some(running) = self.running_swap() else {
            return Ok(());
        };
        let Some(_slot) = WaitSlot::take(&self.waiting, self.settings.swap_queue) else {
            return Err(self.swap_busy(Some(running)));
        };
        let mut updates = self.swapper.subscribe();
        let finished = async {
            updates
                .wait_for(|s| !s.as_ref().is_some_and(SwapStatus::is_running))
                .await
                .is_ok()
        };
        match tokio::time::timeout(self.settings.swap_wait, finished).await {
            Ok(true) => Ok(()),
            _ => Err(self.swap_busy(self.running_swap().or(Some(running)))),
        }
    }

    /// Looks at the current (or last) swap without copying it: every request looks, and a
    /// finished swap keeps its log tail and commands.
    fn peek_swap<T>(&self, look: impl FnOnce(Option<&SwapStatus>) -> T) -> T {
        look(self.swap_updates.borrow().as_ref())
    }

    fn running_swap(&self) -> Option<SwapStatus> {
        self.swapper.status().filter(SwapStatus::is_running)
    }

    fn swap_busy(&self, swap: Option<SwapStatus>) -> GatewayError {
        let to = swap
            .as_ref()
            .map_or_else(|| "another model".into(), |s| s.to_model.clone());
        let retry_after = swap
            .and_then(|s| s.eta_secs)
            .map(|eta| Duration::from_secs_f64(eta.clamp(1.0, 600.0)))
            .unwrap_or(RETRY_UNKNOWN);
        GatewayError::SwapInProgress { to, retry_after }
    }

    /// Served model names vLLM has now: from the health monitor, plus the model of a swap that
    /// reported ready moments ago (the monitor may not have probed it yet). Empty when unknown.
    fn loaded_models(&self) -> Vec<String> {
        let mut loaded: Vec<String> = self.swapper.loaded_model().into_iter().collect();
        let fresh = self.peek_swap(|status| {
            status
                .filter(|s| {
                    s.phase == app::swap::SwapPhase::Ready
                        && s.finished_at_ms.is_some_and(|end| {
                            now_ms().saturating_sub(end) < FRESH_SWAP.as_millis() as u64
                        })
                })
                .map(|s| s.to_model.clone())
        });
        if let Some(entry) = fresh.and_then(|to| self.swapper.catalog().get(&to).cloned()) {
            if !loaded.contains(&entry.served_model_name) {
                loaded.push(entry.served_model_name);
            }
        }
        loaded
    }
}

/// A place in the swap queue, given back on drop.
struct WaitSlot<'a>(&'a AtomicUsize);

impl<'a> WaitSlot<'a> {
    fn take(count: &'a AtomicUsize, max: usize) -> Option<Self> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(count))
    }
}

impl Drop for WaitSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_queue_is_bounded_and_gives_places_back() {
        let count = AtomicUsize::new(0);
        let a = WaitSlot::take(&count, 2).unwrap();
        let _b = WaitSlot::take(&count, 2).unwrap();
        assert!(
            WaitSlot::take(&count, 2).is_none(),
            "a third waiter is refused"
        );
        drop(a);
        assert!(
            WaitSlot::take(&count, 2).is_some(),
            "a freed place is reused"
        );
    }
}
