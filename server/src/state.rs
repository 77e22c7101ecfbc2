//! The server's shared state, held by `Arc` and handed to every handler and server function.

use std::sync::Arc;

use app::backend::{Backend, BoxFuture};
use app::status::ClusterStatus;
use app::swap::{ModelsOverview, SwapPreview, SwapStatus};

use crate::cluster::Cluster;
use crate::config::Settings;
use crate::monitor::Monitor;
use crate::ssh::keys::ControllerKey;
use crate::store::Store;
use crate::swap::Swapper;

pub struct AppState {
    pub settings: Settings,
    pub key: ControllerKey,
    pub cluster: Arc<Cluster>,
    pub monitor: Arc<Monitor>,
    pub swapper: Arc<Swapper>,
    /// The OpenAI-compatible chat proxy.
    pub gateway: crate::gateway::ChatGateway,
    /// Prometheus metrics: request and upstream counters, swap tallies (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The redaction gateway: scrubbing, rehydration, the session vault.
    pub redaction: crate::privacy::Redaction,
    /// The state file (swap history, the outage log, the redaction vault).
    pub store: Store,
    /// The embedded simulated cluster, kept alive as long as the server when it runs.
    pub sim: Option<spark_sim::SimCluster>,
}

impl Backend for AppState {
    fn cluster_status(&self) -> ClusterStatus {
        self.monitor.snapshot()
    }

    fn health_report(&self) -> app::health::HealthReport {
        self.monitor.report()
    }

    fn models(&self) -> ModelsOverview {
        crate::swap::view::overview(&self.swapper)
    }

    fn preview_swap(&self, model: String) -> BoxFuture<'_, Result<SwapPreview, String>> {
        Box::pin(async move {
            crate::swap::view::preview(&self.swapper, &model)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn start_swap(
        &self,
        model: String,
        from: Option<std::net::IpAddr>,
    ) -> BoxFuture<'_, Result<SwapStatus, String>> {
        Box::pin(async move {
            let requester = crate::swap::Requester {
                by: Some("dashboard".into()),
                from,
            };
            self.swapper
                .start_by(&model, false, requester)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
