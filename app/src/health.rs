//! Health over time, as the Health page and `GET /api/health/deep`, `GET /api/outages` show it:
//! outages of nodes and services, recent samples of each node's GPU and memory for sparklines,
//! and vLLM's queue. Plain data shared by the server (which records it) and the browser.

use serde::{Deserialize, Serialize};

use crate::status::ClusterStatus;

/// One interruption of a node (its SSH) or a service, from the first failed signal to the
/// first good one after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    pub id: u64,
    /// The node it happened on.
    pub node: String,
    /// `"ssh"` for the node itself, else the service name (`vllm`, `parakeet`, …).
    pub target: String,
    pub started_at_ms: u64,
    /// `None` while it lasts.
    pub ended_at_ms: Option<u64>,
    pub duration_ms: Option<u64>,
    /// What noticed it and why, in words: `connection refused (probe)`, `502 from a proxied
    /// chat request`, …
    pub cause: String,
    /// Set when the controller itself was taking the service down as the outage began: what
    /// it was doing, e.g. `swap #3 to qwen3-coder-30b`. An expected outage, not a fault.
    #[serde(default)]
    pub planned: Option<String>,
}

/// One sample of a node's load, taken with each node probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeSample {
    pub at_ms: u64,
    pub gpu_utilization_pct: Option<f64>,
    /// Used fraction (0–1) of the node's (unified) memory.
    pub memory_used_fraction: Option<f64>,
}

/// The recent samples of one node, oldest first (the last few minutes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeHistory {
    pub node: String,
    pub samples: Vec<NodeSample>,
}

/// vLLM's scheduler queue, from its Prometheus `/metrics`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueDepth {
    pub node: String,
    pub service: String,
    /// `vllm:num_requests_running`.
    pub running: f64,
    /// `vllm:num_requests_waiting`.
    pub waiting: f64,
    pub at_ms: u64,
}

/// Everything the Health page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: ClusterStatus,
    pub history: Vec<NodeHistory>,
    pub queues: Vec<QueueDepth>,
    /// Newest first; those still open first of all.
    pub outages: Vec<Outage>,
}
