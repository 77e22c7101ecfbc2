//! Health routes, all answered from the health monitor's memory, never waiting on the cluster
//! (see docs/HEALTH_API.md):
//! - `GET /health` — per node and service: up, degraded or down, and since when. It is 200
//!   whenever the controller itself is running — a busy or dead GPU shows in the body, not as
//!   a dead controller. `status` is `ok` when every node and service is up, else `degraded`.
//!   The dashboard's Health page lives at the same path: a request that accepts `text/html`
//!   (a browser) gets the page, any other (scripts, `curl`, health checkers) the JSON.
//! - `GET /api/health/deep` — the same with each node's details and recent load, vLLM's
//!   queues and the latest outages ([`app::health::HealthReport`]).
//! - `GET /api/outages?limit=N` — the outage log, open outages first, then the newest.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use app::backend::SharedBackend;
use app::status::{ClusterStatus, Health};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::{provide_context, LeptosOptions};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::ApiError;
use crate::monitor::OUTAGES_KEPT;
use crate::state::AppState;

/// Outages listed when the request does not say how many.
const DEFAULT_OUTAGES: usize = 100;

/// The path of the JSON health route and of the Health page.
pub const PATH: &str = "/health";

/// Renders the dashboard page for a request (the Health page, for [`PATH`]).
pub type PageHandler =
    Arc<dyn Fn(Request<Body>) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

/// The Leptos page renderer for [`PATH`], with the context the other pages get.
pub fn page(backend: SharedBackend, options: LeptosOptions) -> PageHandler {
    let shell_options = options.clone();
    Arc::new(leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(options.clone());
            provide_context(backend.clone());
        },
        move || app::shell(shell_options.clone()),
    ))
}

pub fn routes(state: Arc<AppState>, page: PageHandler) -> Router {
    Router::new()
        .route(
            PATH,
            get(move |state: State<Arc<AppState>>, request: Request| {
                let page = page.clone();
                async move {
                    if wants_html(request.headers()) {
                        page(request).await
                    } else {
                        health(state).await.into_response()
                    }
                }
            }),
        )
        .route("/api/health/deep", get(deep))
        .route("/api/outages", get(outages))
        .with_state(state)
}

/// A browser asks for `text/html` first; scripts and health checkers send `*/*` or nothing.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

async fn deep(State(state): State<Arc<AppState>>) -> Json<app::health::HealthReport> {
    Json(state.monitor.report())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutagesQuery {
    limit: Option<usize>,
}

async fn outages(
    State(state): State<Arc<AppState>>,
    query: Result<Query<OutagesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|rejection| {
        ApiError::BadRequest(format!(
            "{}: the only parameter is ?limit=N (1 to {OUTAGES_KEPT})",
            rejection.body_text()
        ))
    })?;
    let limit = query.limit.unwrap_or(DEFAULT_OUTAGES);
    if !(1..=OUTAGES_KEPT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {OUTAGES_KEPT}"
        )));
    }
    Ok(Json(json!({"outages": state.monitor.outages(limit)})))
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
