//! Start-up: from checked [`Settings`] to a running [`AppState`].
//!
//! This is the one place that knows whether the cluster is simulated. With no node configured
//! it starts the simulated cluster and turns the simulator's description into ordinary
//! [`NodeConfig`]s (host-key pins included); from then on nothing distinguishes it.

use std::sync::Arc;

use spark_sim::{SimCluster, SimOptions, Timing};

use crate::catalog::Catalog;
use crate::cluster::Cluster;
use crate::config::{ClusterSource, ConfigError, NodeConfig, ServiceConfig, ServiceKind, Settings};
use crate::monitor::Monitor;
use crate::ssh::keys::{ControllerKey, KeyError};
use crate::state::AppState;
use crate::store::{Store, StoreError};
use crate::swap::Swapper;

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("simulated cluster: {0}")]
    Sim(#[from] spark_sim::SimError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    SealKey(#[from] crate::privacy::seal::SealKeyError),
}

/// How often a loading model's log and readiness are checked during a swap.
pub const SWAP_POLL: std::time::Duration = std::time::Duration::from_secs(1);

const SIMULATED_NOTE: &str =
    "Simulated cluster: two virtual Sparks running inside this server, no hardware needed. \
To manage real nodes, set SPARK1_HOST/SPARK1_USER (and SPARK2_*) or provide a cluster file.";

/// Builds the state and starts the health monitor. Opens the state file first: a controller
/// that cannot keep its records does not start. A swap the previous run left unfinished is
/// reported as interrupted and reconciled with the cluster (see `swap::recover`); an outage it
/// left open is closed at this start (see `store::outages`).
pub async fn start(settings: Settings) -> Result<Arc<AppState>, BootError> {
    let store = Store::open(&settings.state_file).await?;
    let redaction = crate::privacy::Redaction::start(settings.redact.clone(), store.clone())?;
    let key = ControllerKey::load_or_create(&settings.ssh_key_path, settings.generate_key)?;
    let catalog = if settings.models_yaml.is_file() || settings.models_yaml_required {
        Catalog::load(&settings.models_yaml)?
    } else {
        tracing::warn!(path = %settings.models_yaml.display(), "no model catalog: swaps are unavailable until MODELS_YAML points at one");
        Catalog::default()
    };
    let (nodes, sim, note) = match settings.source {
        ClusterSource::Simulated => {
            let timing = Timing {
                load: settings.sim.load,
                token_interval: settings.sim.token_interval,
            };
            let (sim, nodes) = start_simulated(&key, timing).await?;
            tracing::info!("no nodes configured: started the simulated two-Spark cluster");
            (nodes, Some(sim), Some(SIMULATED_NOTE.to_string()))
        }
        _ => (settings.nodes.clone(), None, None),
    };
    let cluster = Arc::new(Cluster::new(
        nodes,
        key.private.clone(),
        &settings.known_hosts,
    )?);
    let monitor = Monitor::new(&cluster, note);
    // Before the probes start, so that outages continue the stored log.
    monitor.record_outages_in(store.clone()).await?;
    monitor.start(cluster.clone());
    let swapper = Swapper::new(
        cluster.clone(),
        Arc::new(catalog),
        monitor.clone(),
        store.clone(),
        SWAP_POLL,
    )
    .await?;
    let metrics = crate::metrics::Metrics::new();
    let gateway = crate::gateway::ChatGateway::new(
        settings.gateway.clone(),
        cluster.clone(),
        swapper.clone(),
        monitor.clone(),
        metrics.clone(),
    );
    Ok(Arc::new(AppState {
        settings,
        key,
        cluster,
        monitor,
        swapper,
        gateway,
        metrics,
        redaction,
        store,
        sim,
    }))
}

/// Starts the simulator, authorising `key`, and describes its nodes as configuration.
pub async fn start_simulated(
    key: &ControllerKey,
    timing: Timing,
) -> Result<(SimCluster, Vec<NodeConfig>), spark_sim::SimError> {
    let mut options = SimOptions::two_sparks(key.public());
    options.timing = timing;
    let sim = SimCluster::start(options).await?;
    let nodes = sim_node_configs(&sim);
    wait_for_services(&nodes).await;
    Ok((sim, nodes))
}

/// Waits (a moment at most) until the preloaded services accept connections: the simulator
/// binds them in the background, and the health monitor would log the first few milliseconds
/// as an outage.
async fn wait_for_services(nodes: &[NodeConfig]) {
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    for node in nodes {
        for service in &node.services {
            let addr = std::net::SocketAddr::from((node.host, service.port));
            while crate::cluster::service_probe::connect(addr, PATIENCE)
                .await
                .is_err()
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

/// The simulator's nodes as the controller's configuration, host keys pinned.
pub fn sim_node_configs(sim: &SimCluster) -> Vec<NodeConfig> {
    sim.describe()
        .into_iter()
        .map(|info| NodeConfig {
            name: info.name,
            host: info.ip,
            user: info.user,
            ssh_port: info.ssh_port,
            host_key: Some(info.host_key),
            services: info
                .services
                .into_iter()
                .filter_map(|(name, port)| {
                    ServiceKind::ALL
                        .into_iter()
                        .find(|k| k.name() == name)
                        .map(|kind| ServiceConfig { kind, port })
                })
                .collect(),
        })
        .collect()
}
