//! `GET /health`: the controller's answer from its latest probes, never waiting on the cluster.
//!
//! It is 200 whenever the controller itself is running — a busy or dead GPU shows in the body,
//! not as a dead controller. `status` is `ok` when every node and service is up, else
//! `degraded`.

use std::sync::Arc;

use app::status::{ClusterStatus, Health};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::state::AppState;

pub fn routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .with_state(state)
}

#[derive(Serialize)]
pub struct HealthReport {
    pub status: &'static str,
    pub updated_at_ms: u64,
    pub nodes: Vec<NodeHealth>,
    pub services: Vec<ServiceHealth>,
}

#[derive(Serialize)]
pub struct NodeHealth {
    pub name: String,
    pub address: String,
    pub status: Health,
    pub since_ms: u64,
    pub error: Option<String>,
}

#[derive(Serialize)]
pub struct ServiceHealth {
    pub name: String,
    pub node: String,
    pub url: String,
    pub status: Health,
    pub since_ms: u64,
    pub latency_ms: Option<f64>,
    pub model: Option<String>,
    pub error: Option<String>,
}

async fn health(State(state): State<Arc<AppState>>) -> Json<HealthReport> {
    Json(report(state.monitor.snapshot()))
}

pub fn report(status: ClusterStatus) -> HealthReport {
    let all_up = status.nodes.iter().all(|n| n.ssh == Health::Up)
        && status.services.iter().all(|s| s.health == Health::Up);
    HealthReport {
        status: if all_up { "ok" } else { "degraded" },
        updated_at_ms: status.updated_at_ms,
        nodes: status
            .nodes
            .into_iter()
            .map(|n| NodeHealth {
                name: n.name,
                address: n.address,
                status: n.ssh,
                since_ms: n.since_ms,
                error: n.error,
            })
            .collect(),
        services: status
            .services
            .into_iter()
            .map(|s| ServiceHealth {
                name: s.name,
                node: s.node,
                url: s.url,
                status: s.health,
                since_ms: s.since_ms,
                latency_ms: s.latency_ms,
                model: s.model,
                error: s.error,
            })
            .collect(),
    }
}
