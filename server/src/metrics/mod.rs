//! Prometheus metrics: what `GET /metrics` reports, and the small API that feeds it.
//!
//! The numbers come from three places:
//! - **Counted as they happen.** Every HTTP request, by a layer on the whole router
//!   ([`track_requests`]), labelled by route *template* (`/api/swap/history`, never the raw
//!   URI: the series are bounded by the routes that exist); and every request the gateway
//!   sends to an upstream, which the proxies report with [`Metrics::observe_upstream`].
//! - **Read when scraped.** Probe results, GPU and memory readings and vLLM's queue are copied
//!   from the health monitor's latest picture at each scrape ([`ClusterView`], [`cluster`]).
//!   The monitor needs no hook, and a scrape never waits on the cluster (health is a cache).
//! - **Swaps, tallied when scraped.** Each scrape adds the swaps that finished since the last
//!   one to a real counter and histogram ([`Metrics::render`]), read from the swap history —
//!   so the orchestrator needs no hook either. The history keeps the last 100 swaps; at
//!   minutes per swap, a scrape interval never sees that many finish.
//!
//! Why `prometheus-client`: it is the Prometheus project's own Rust client. Its label sets are
//! types, so a route or an upstream cannot be labelled two ways; a registry is a value, so
//! each server (and each test's server) counts on its own, with no process-global recorder;
//! it writes both exposition formats — OpenMetrics for a Prometheus server that asks for it,
//! the classic text format 0.0.4 for everyone else ([`Format`]); and a scrape-time collector
//! can write a gauge it computes on the spot. (`metrics` + `metrics-exporter-prometheus`
//! installs a global recorder and keeps every gauge until it is overwritten.)
//!
//! Names start with `spark_control_`, use base units (seconds, bytes, ratios 0–1) and end
//! counters in `_total`. The list, with labels and meaning, is in `docs/METRICS.md`.

mod cluster;
mod serve;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::swap::{SwapPhase, SwapStatus};
use axum::http::{Method, StatusCode};
use prometheus_client::encoding::{prometheus_text, text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::config::ServiceKind;
use crate::monitor::now_ms;

pub use cluster::ClusterView;
pub use serve::{routes, track_requests};

/// Every metric's name starts with this (and `_`).
pub const PREFIX: &str = "spark_control";

/// The `route` label of a request no route matched: a 404, or a static file (`/pkg/…`)
/// served by the fallback. The `status` label tells them apart.
pub const UNMATCHED: &str = "unmatched";

/// Seconds. REST calls answer in milliseconds; proxied generations can take minutes.
const REQUEST_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];
const UPSTREAM_BUCKETS: [f64; 15] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];
/// A swap loads tens of GiB of weights (minutes); a first load downloads them (up to an hour).
const SWAP_BUCKETS: [f64; 11] = [
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0,
];

/// The exposition format of one scrape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The classic text format, version 0.0.4: what `curl` and most tools get.
    Prometheus,
    /// OpenMetrics 1.0 text, for a scraper that says it accepts it (Prometheus does).
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when the `Accept` header names it, else the classic text format.
    pub fn negotiate(accept: Option<&str>) -> Self {
        match accept {
            Some(accept) if accept.contains("application/openmetrics-text") => Self::OpenMetrics,
            _ => Self::Prometheus,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Prometheus => prometheus_text::CONTENT_TYPE,
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// How one request to an upstream (vLLM, Parakeet, Kokoro, …) ended, as a proxy reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamOutcome {
    /// Answered with a success (2xx/3xx) and, for a stream, delivered it to its end.
    Ok,
    /// Answered 4xx: the upstream refused this request (too long, bad input), but is fine.
    Rejected,
    /// The caller went away before the answer ended: says nothing about the upstream.
    Cancelled,
    /// The upstream failed.
    Failed(UpstreamError),
}

/// Why an upstream failed: the `kind` label of `spark_control_upstream_errors_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamError {
    /// No connection: refused (not started, loading, down), unreachable, reset.
    Connect,
    /// No answer, or no next chunk of a stream, in time.
    Timeout,
    /// Answered 5xx.
    Status,
    /// A streamed answer was cut before its end.
    Stream,
    /// Answered something the gateway could not understand.
    Protocol,
}

impl UpstreamOutcome {
    /// Classifies an upstream's answer by its status code.
    pub fn from_status(status: StatusCode) -> Self {
        if status.is_server_error() {
            Self::Failed(UpstreamError::Status)
        } else if status.is_client_error() {
            Self::Rejected
        } else {
            Self::Ok
        }
    }

    /// Classifies a failed `reqwest` call (sending, or reading the body).
    pub fn from_reqwest(error: &reqwest::Error) -> Self {
        if let Some(status) = error.status() {
            return Self::from_status(status);
        }
        Self::Failed(if error.is_timeout() {
            UpstreamError::Timeout
        } else if error.is_decode() {
            UpstreamError::Protocol
        } else if error.is_body() {
            UpstreamError::Stream
        } else {
            UpstreamError::Connect
        })
    }

    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Failed(_) => "error",
        }
    }
}

impl UpstreamError {
    fn label(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Status => "status",
            Self::Stream => "stream",
            Self::Protocol => "protocol",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The gateway's routes are static; the router's templates are not.
    route: Cow<'static, str>,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    upstream: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamErrorLabels {
    upstream: &'static str,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SwapLabels {
    model: String,
    outcome: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Which finished swaps the counters already hold.
struct SwapTally {
    /// Swaps that finished before this server started are history, not this run's events.
    since_ms: u64,
    /// Swap ids only grow and one swap runs at a time: everything up to this one is counted.
    last_id: u64,
}

/// The server's metrics. One per [`crate::state::AppState`].
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<RequestLabels>,
    upstream_requests: Family<UpstreamLabels, Counter>,
    upstream_duration: HistogramFamily<UpstreamLabels>,
    upstream_errors: Family<UpstreamErrorLabels, Counter>,
    swaps: Family<SwapLabels, Counter>,
    swap_duration: HistogramFamily<SwapLabels>,
    tally: Mutex<SwapTally>,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix(PREFIX);
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status code",
            requests.clone(),
        );
        let request_duration: HistogramFamily<RequestLabels> =
            Family::new_with_constructor(|| Histogram::new(REQUEST_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, until the response head (a streamed body's length is not included)",
            Unit::Seconds,
            request_duration.clone(),
        );
        let upstream_requests = Family::default();
        registry.register(
            "upstream_requests",
            "Requests the gateway sent to an upstream, by how they ended (ok, rejected, cancelled, error)",
            upstream_requests.clone(),
        );
        let upstream_duration: HistogramFamily<UpstreamLabels> =
            Family::new_with_constructor(|| Histogram::new(UPSTREAM_BUCKETS));
        registry.register_with_unit(
            "upstream_request_duration",
            "Time from sending a request to an upstream until its answer ended, streams included",
            Unit::Seconds,
            upstream_duration.clone(),
        );
        let upstream_errors = Family::default();
        registry.register(
            "upstream_errors",
            "Failed upstream requests, by kind (connect, timeout, status, stream, protocol)",
            upstream_errors.clone(),
        );
        let swaps = Family::default();
        registry.register(
            "swaps",
            "Model swaps finished since the controller started, by target model and outcome (ready, rolled_back, failed, interrupted)",
            swaps.clone(),
        );
        let swap_duration: HistogramFamily<SwapLabels> =
            Family::new_with_constructor(|| Histogram::new(SWAP_BUCKETS));
        registry.register_with_unit(
            "swap_duration",
            "How long finished model swaps took, from the request to ready (or to the rollback's end)",
            Unit::Seconds,
            swap_duration.clone(),
        );
        Arc::new(Self {
            registry,
            requests,
            request_duration,
            upstream_requests,
            upstream_duration,
            upstream_errors,
            swaps,
            swap_duration,
            tally: Mutex::new(SwapTally {
                since_ms: now_ms(),
                last_id: 0,
            }),
        })
    }

    /// Counts one answered HTTP request. `route` is the matched route template, or
    /// [`UNMATCHED`].
    ///
    /// The chat gateway calls this for every proxied request, so its labels are borrowed where
    /// they can be: no allocation for a static route.
    pub fn observe_request(
        &self,
        route: impl Into<Cow<'static, str>>,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let labels = RequestLabels {
            route: route.into(),
            method: method_label(method),
            status: status.as_u16(),
        };
        self.requests.get_or_create(&labels).inc();
        self.request_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one request to an upstream: the proxies call this once per request, when its
    /// answer has ended (for a stream, after the last chunk or the cut), with the time since
    /// it was sent.
    pub fn observe_upstream(
        &self,
        upstream: ServiceKind,
        outcome: UpstreamOutcome,
        elapsed: Duration,
    ) {
        let labels = UpstreamLabels {
            upstream: upstream.name(),
            outcome: outcome.label(),
        };
        self.upstream_requests.get_or_create(&labels).inc();
        self.upstream_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if let UpstreamOutcome::Failed(kind) = outcome {
            self.upstream_errors
                .get_or_create(&UpstreamErrorLabels {
                    upstream: upstream.name(),
                    kind: kind.label(),
                })
                .inc();
        }
    }

    /// One scrape: tallies the swaps that finished since the last one, then writes every
    /// metric — the counted ones and those read from `cluster` — in `format`.
    pub fn render(&self, format: Format, cluster: ClusterView) -> Result<String, fmt::Error> {
        self.tally_swaps(&cluster.swaps);
        let mut scrape = Registry::with_prefix(PREFIX);
        scrape.register_collector(Box::new(cluster));
        let mut out = String::new();
        match format {
            Format::Prometheus => {
                prometheus_text::encode(&mut out, &self.registry)?;
                prometheus_text::encode(&mut out, &scrape)?;
            }
            Format::OpenMetrics => {
                text::encode_registry(&mut out, &self.registry)?;
                text::encode_registry(&mut out, &scrape)?;
                text::encode_eof(&mut out)?;
            }
        }
        Ok(out)
    }

    /// Adds the swaps in `history` that finished since the last scrape (and since this server
    /// started) to `swaps_total` and `swap_duration_seconds`.
    fn tally_swaps(&self, history: &[SwapStatus]) {
        let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        let mut newest = tally.last_id;
        for swap in history {
            let Some(finished) = swap.finished_at_ms else {
                continue;
            };
            if swap.dry_run
                || !swap.phase.is_finished()
                || swap.id <= tally.last_id
                || finished < tally.since_ms
            {
                continue;
            }
            let labels = SwapLabels {
                model: swap.to_model.clone(),
                outcome: swap_outcome(swap.phase).to_string(),
            };
            self.swaps.get_or_create(&labels).inc();
            self.swap_duration
                .get_or_create(&labels)
                .observe(finished.saturating_sub(swap.started_at_ms) as f64 / 1000.0);
            newest = newest.max(swap.id);
        }
        tally.last_id = newest;
    }
}

/// The standard methods by name; anything else is `other` (a client could send any word).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn swap_outcome(phase: SwapPhase) -> &'static str {
    match phase {
        SwapPhase::Ready => "ready",
        SwapPhase::RolledBack => "rolled_back",
        SwapPhase::Failed => "failed",
        SwapPhase::Interrupted => "interrupted",
        _ => "other",
    }
}
