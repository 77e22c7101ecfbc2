//! The server's shared state, held by `Arc` and handed to every handler and server function.

use std::sync::Arc;

use app::backend::Backend;
use app::status::ClusterStatus;

use crate::cluster::Cluster;
use crate::config::Settings;
use crate::monitor::Monitor;
use crate::ssh::keys::ControllerKey;
use crate::swap::Swapper;

pub struct AppState {
    pub settings: Settings,
    pub key: ControllerKey,
    pub cluster: Arc<Cluster>,
    pub monitor: Arc<Monitor>,
    pub swapper: Arc<Swapper>,
    /// The embedded simulated cluster, kept alive as long as the server when it runs.
    pub sim: Option<spark_sim::SimCluster>,
}

impl Backend for AppState {
    fn cluster_status(&self) -> ClusterStatus {
        self.monitor.snapshot()
    }
}
