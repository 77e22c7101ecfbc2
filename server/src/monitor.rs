//! The health monitor: background probes that keep one in-memory picture of the cluster.
//!
//! Every node is probed over SSH every [`NODE_INTERVAL`], every service over HTTP every
//! [`SERVICE_INTERVAL`], each in its own task with its own timeout, so one dead or busy node
//! never delays the others. Readers (`GET /health`, the dashboard) only copy the latest
//! picture: they never wait on the cluster.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::status::{ClusterStatus, Health, NodeStatus, ServiceStatus};
use tokio::task::JoinHandle;

use crate::cluster::{node_probe, service_probe, Cluster};

pub const NODE_INTERVAL: Duration = Duration::from_secs(2);
pub const SERVICE_INTERVAL: Duration = Duration::from_secs(1);
const NODE_TIMEOUT: Duration = Duration::from_secs(5);
const SERVICE_TIMEOUT: Duration = Duration::from_secs(2);

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub struct Monitor {
    status: RwLock<ClusterStatus>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl Monitor {
    /// A monitor that knows the cluster's shape but has probed nothing yet.
    pub fn new(cluster: &Cluster, note: Option<String>) -> Arc<Self> {
        let now = now_ms();
        let nodes = cluster
            .nodes
            .iter()
            .map(|n| NodeStatus {
                name: n.config.name.clone(),
                address: n.ssh_address().to_string(),
                ssh: Health::Unknown,
                since_ms: now,
                error: None,
                latency_ms: None,
                uptime_secs: None,
                gpu: None,
                memory: None,
                disk: None,
                containers: Vec::new(),
            })
            .collect();
        let services = cluster
            .nodes
            .iter()
            .flat_map(|n| {
                n.config.services.iter().map(move |s| ServiceStatus {
                    name: s.kind.name().to_string(),
                    node: n.config.name.clone(),
                    url: n.service_url(s),
                    health: Health::Unknown,
                    since_ms: now,
                    latency_ms: None,
                    model: None,
                    error: None,
                })
            })
            .collect();
        Arc::new(Self {
            status: RwLock::new(ClusterStatus {
                updated_at_ms: now,
                note,
                nodes,
                services,
            }),
            tasks: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The latest picture. A copy: the caller never holds the lock.
    pub fn snapshot(&self) -> ClusterStatus {
        self.status
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Starts one probe loop per node and per service.
    pub fn start(self: &Arc<Self>, cluster: Arc<Cluster>) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let client = service_probe::probe_client(SERVICE_TIMEOUT);
        let mut service_index = 0;
        for (node_index, node) in cluster.nodes.iter().enumerate() {
            // Tasks hold the monitor weakly, so dropping the monitor ends them.
            let (monitor, node_for_task) = (Arc::downgrade(self), node.clone());
            tasks.push(tokio::spawn(async move {
                let mut ticks = tokio::time::interval(NODE_INTERVAL);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    let report = node_probe::probe(&node_for_task.ssh, NODE_TIMEOUT).await;
                    let Some(monitor) = monitor.upgrade() else {
                        return;
                    };
                    monitor.record_node(node_index, report);
                }
            }));
            for service in node.config.services.clone() {
                let (monitor, client, url, index) = (
                    Arc::downgrade(self),
                    client.clone(),
                    node.service_url(&service),
                    service_index,
                );
                tasks.push(tokio::spawn(async move {
                    let mut ticks = tokio::time::interval(SERVICE_INTERVAL);
                    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        ticks.tick().await;
                        let report = service_probe::probe(&client, &url, &service).await;
                        let Some(monitor) = monitor.upgrade() else {
                            return;
                        };
                        monitor.record_service(index, report);
                    }
                }));
                service_index += 1;
            }
        }
    }

    fn record_node(
        &self,
        index: usize,
        report: Result<node_probe::NodeReport, crate::ssh::SshError>,
    ) {
        let now = now_ms();
        let mut status = self.status.write().unwrap_or_else(|e| e.into_inner());
        status.updated_at_ms = now;
        let Some(node) = status.nodes.get_mut(index) else {
            return;
        };
        let health = if report.is_ok() {
            Health::Up
        } else {
            Health::Down
        };
        if node.ssh != health {
            node.since_ms = now;
        }
        node.ssh = health;
        match report {
            Ok(r) => {
                node.error = None;
                node.latency_ms = Some(r.latency.as_secs_f64() * 1000.0);
                node.uptime_secs = r.uptime_secs;
                node.gpu = r.gpu;
                node.memory = r.memory;
                node.disk = r.disk;
                node.containers = r.containers;
            }
            Err(e) => {
                // Keep the last known details (marked by the down badge) but say why.
                node.error = Some(e.to_string());
                node.latency_ms = None;
            }
        }
    }

    fn record_service(&self, index: usize, report: service_probe::ServiceReport) {
        let now = now_ms();
        let mut status = self.status.write().unwrap_or_else(|e| e.into_inner());
        status.updated_at_ms = now;
        let Some(service) = status.services.get_mut(index) else {
            return;
        };
        if service.health != report.health {
            service.since_ms = now;
        }
        service.health = report.health;
        service.latency_ms = report.latency.map(|l| l.as_secs_f64() * 1000.0);
        service.error = report.error;
        if report.health == Health::Down {
            service.model = None;
        } else if report.model.is_some() {
            service.model = report.model;
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        for task in self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }
}
