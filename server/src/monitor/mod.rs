//! The health monitor: background probes that keep one in-memory picture of the cluster, the
//! recent load of each node, and a log of every outage.
//!
//! **Probes** ([`probes`]), each target in its own task with its own timeout, so one dead or
//! busy node never delays the others:
//! - every node over SSH every [`NODE_INTERVAL`] (uptime, GPU, memory, disk, containers);
//! - every service over HTTP every [`SERVICE_INTERVAL`] (health path; vLLM's model and queue);
//! - every service by a bare TCP connect every [`CONNECT_INTERVAL`]: cheap enough to run often,
//!   so an outage shorter than a second is still seen. When a connect succeeds again after
//!   failing, the HTTP probe runs at once rather than at its next tick.
//!
//! **Passive signals**: the proxies report how each request to an upstream went
//! ([`Monitor::report_upstream_failure`], [`Monitor::report_upstream_success`]); a failure
//! marks the service down and opens an outage at once, without waiting for a probe.
//!
//! How the signals combine into "out" and "back" is [`link`]'s job; the outages themselves
//! live in [`log`], in memory and in the state file.
//!
//! **Readers** (`GET /health`, `GET /api/health/deep`, the dashboard, `/metrics`) only copy the
//! latest picture under a short lock: they never wait on the cluster.

mod link;
mod log;
mod probes;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::health::{HealthReport, NodeHistory, NodeSample, Outage, QueueDepth};
use app::status::{ClusterStatus, Health, NodeStatus, ServiceStatus};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::cluster::{node_probe, service_probe, Cluster};
use crate::config::ServiceKind;
use crate::ssh::SshError;
use crate::store::{Store, StoreError};
use link::{Change, Link, Source};

pub use log::{MAX_KEPT as OUTAGES_KEPT, RETENTION as OUTAGE_RETENTION};

pub const NODE_INTERVAL: Duration = Duration::from_secs(2);
pub const SERVICE_INTERVAL: Duration = Duration::from_secs(1);
pub const CONNECT_INTERVAL: Duration = Duration::from_millis(100);
const NODE_TIMEOUT: Duration = Duration::from_secs(5);
const SERVICE_TIMEOUT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How far back each node's load samples go.
pub const HISTORY: Duration = Duration::from_secs(600);
const HISTORY_LEN: usize = (HISTORY.as_millis() / NODE_INTERVAL.as_millis()) as usize;
/// How many outages a [`HealthReport`] carries (`GET /api/outages` lists more).
pub const REPORT_OUTAGES: usize = 100;

/// The outage target that stands for a node itself (its SSH).
pub const SSH_TARGET: &str = "ssh";

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub struct Monitor {
    live: RwLock<Live>,
    log: Mutex<log::OutageLog>,
    /// Per service: wakes its HTTP probe loop for a check right now.
    wake: Vec<Arc<Notify>>,
    /// Per service: when its HTTP probe in flight began (0: none in flight).
    in_flight: Vec<AtomicU64>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// What the probes found, as readers see it, with what is needed to keep it current.
struct Live {
    status: ClusterStatus,
    /// In the order of `status.nodes`.
    nodes: Vec<NodeLive>,
    /// In the order of `status.services`.
    services: Vec<ServiceLive>,
}

#[derive(Default)]
struct NodeLive {
    link: Link,
    samples: VecDeque<NodeSample>,
}

#[derive(Default)]
struct ServiceLive {
    link: Link,
    /// What the latest full check (HTTP probe or proxied request) said, and why.
    check: Option<(Health, Option<String>)>,
    queue: Option<QueueDepth>,
}

impl Monitor {
    /// A monitor that knows the cluster's shape but has probed nothing yet.
    pub fn new(cluster: &Cluster, note: Option<String>) -> Arc<Self> {
        let now = now_ms();
        let nodes: Vec<NodeStatus> = cluster
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
        let services: Vec<ServiceStatus> = cluster
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
        let live = Live {
            nodes: nodes.iter().map(|_| NodeLive::default()).collect(),
            services: services.iter().map(|_| ServiceLive::default()).collect(),
            status: ClusterStatus {
                updated_at_ms: now,
                note,
                nodes,
                services,
            },
        };
        Arc::new(Self {
            wake: live.services.iter().map(|_| Arc::default()).collect(),
            in_flight: live.services.iter().map(|_| AtomicU64::new(0)).collect(),
            live: RwLock::new(live),
            log: Mutex::default(),
            tasks: Mutex::new(Vec::new()),
        })
    }

    /// Keeps the outage log in `store`: closes what the last stop left open, loads what is
    /// kept and writes every change from now on. Call it before [`Self::start`].
    pub async fn record_outages_in(self: &Arc<Self>, store: Store) -> Result<(), StoreError> {
        log::attach(self, store).await
    }

    /// Starts the probe loops (see the module documentation).
    pub fn start(self: &Arc<Self>, cluster: Arc<Cluster>) {
        let tasks = probes::spawn(self, &cluster);
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(tasks);
    }

    /// The latest picture. A copy: the caller never holds the lock.
    pub fn snapshot(&self) -> ClusterStatus {
        self.live().status.clone()
    }

    /// The model a service reports serving, unless it is down; read in place, without a copy
    /// of the whole picture (the chat gateway asks on every request).
    pub fn serving_model(&self, node: &str, service: &str) -> Option<String> {
        self.live()
            .status
            .services
            .iter()
            .find(|s| s.node == node && s.name == service && s.health != Health::Down)
            .and_then(|s| s.model.clone())
    }

    /// The latest picture with each node's recent load, vLLM's queues and the newest
    /// [`REPORT_OUTAGES`] outages.
    pub fn report(&self) -> HealthReport {
        let (status, history, queues) = {
            let live = self.live();
            (live.status.clone(), history(&live), queues(&live))
        };
        HealthReport {
            status,
            history,
            queues,
            outages: self.outages(REPORT_OUTAGES),
        }
    }

    /// Up to `limit` outages, open ones first, then the newest first.
    pub fn outages(&self, limit: usize) -> Vec<Outage> {
        self.log().list(limit)
    }

    /// Each node's load samples over the last [`HISTORY`], oldest first.
    pub fn history(&self) -> Vec<NodeHistory> {
        history(&self.live())
    }

    /// vLLM's scheduler queue per vLLM service, as its `/metrics` said at the last probe.
    pub fn queues(&self) -> Vec<QueueDepth> {
        queues(&self.live())
    }

    /// When the HTTP probe of `service` on `node` now in flight began (Unix ms); `None` when
    /// none is in flight or there is no such service.
    pub fn probe_in_flight_since(&self, node: &str, service: &str) -> Option<u64> {
        let index = self.live().service_index(node, service)?;
        match self.in_flight[index].load(Ordering::SeqCst) {
            0 => None,
            since => Some(since),
        }
    }

    /// A request proxied to `service` on `node` failed in a way that says the service is
    /// unreachable or broken (refused, reset, timed out, a 5xx of its own) — not a client's
    /// bad request. The service shows as down and an outage opens now; the next successful
    /// request or probe ends it. `cause` says what failed, in words.
    pub fn report_upstream_failure(&self, node: &str, service: &str, cause: &str) {
        self.passive(node, service, Some(cause.to_string()));
    }

    /// A request proxied to `service` on `node` was answered: ends an outage the proxies or
    /// the probes had opened for it.
    pub fn report_upstream_success(&self, node: &str, service: &str) {
        self.passive(node, service, None);
    }

    fn passive(&self, node: &str, service: &str, failure: Option<String>) {
        let now = now_ms();
        let mut live = self.live_mut();
        let Some(index) = live.service_index(node, service) else {
            return;
        };
        let check = &live.services[index].check;
        let health = match (&failure, check) {
            (Some(_), _) => Health::Down,
            // A request was answered: it is not down, but a probe's "slow" still stands.
            (None, Some((Health::Degraded, _))) => Health::Degraded,
            (None, _) => Health::Up,
        };
        let error = match (&failure, check) {
            (None, Some((Health::Degraded, error))) => error.clone(),
            _ => failure.clone(),
        };
        self.signal_service(
            &mut live,
            index,
            now,
            Source::Check,
            failure,
            Some((health, error)),
        );
        live.status.updated_at_ms = now;
    }

    fn record_node(
        &self,
        index: usize,
        started_ms: u64,
        report: Result<node_probe::NodeReport, SshError>,
    ) {
        let now = now_ms();
        let failure = report.as_ref().err().map(|e| format!("{e} (SSH probe)"));
        let at_ms = if failure.is_some() { started_ms } else { now };
        let mut live = self.live_mut();
        let live = &mut *live;
        live.status.updated_at_ms = now;
        let (Some(node), Some(state)) =
            (live.status.nodes.get_mut(index), live.nodes.get_mut(index))
        else {
            return;
        };
        state.samples.push_back(sample(now, report.as_ref().ok()));
        while state.samples.len() > HISTORY_LEN {
            state.samples.pop_front();
        }
        if state.link.is_stale(Source::Check, at_ms) {
            return;
        }
        let change = state.link.apply(Source::Check, at_ms, failure);
        self.log_change(&node.name, SSH_TARGET, change);
        let health = if state.link.is_out() {
            Health::Down
        } else {
            Health::Up
        };
        if node.ssh != health {
            node.since_ms = at_ms.max(node.since_ms);
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

    fn record_service(&self, index: usize, started_ms: u64, report: service_probe::ServiceReport) {
        let now = now_ms();
        let mut live = self.live_mut();
        self.in_flight[index].store(0, Ordering::SeqCst);
        live.status.updated_at_ms = now;
        let failure = (report.health == Health::Down).then(|| {
            let error = report.error.as_deref().unwrap_or("down");
            format!("{error} (health probe)")
        });
        let at_ms = if failure.is_some() { started_ms } else { now };
        let accepted = self.signal_service(
            &mut live,
            index,
            at_ms,
            Source::Check,
            failure,
            Some((report.health, report.error)),
        );
        if !accepted {
            return;
        }
        let live = &mut *live;
        let shown = &mut live.status.services[index];
        let state = &mut live.services[index];
        if shown.health == Health::Down {
            return;
        }
        shown.latency_ms = report.latency.map(|l| l.as_secs_f64() * 1000.0);
        if report.model.is_some() {
            shown.model = report.model;
        }
        state.queue = report.queue.map(|(running, waiting)| QueueDepth {
            node: shown.node.clone(),
            service: shown.name.clone(),
            running,
            waiting,
            at_ms: now,
        });
    }

    /// Records one connect check; returns whether the service just became reachable again
    /// (after failing), so that its HTTP probe should run now.
    fn record_connect(&self, index: usize, started_ms: u64, result: Result<(), String>) -> bool {
        let now = now_ms();
        let mut live = self.live_mut();
        let Some(state) = live.services.get(index) else {
            return false;
        };
        let was_failing = state.link.failure(Source::Connect).is_some();
        let failure = result.err().map(|e| format!("{e} (connect check)"));
        let recovered = was_failing && failure.is_none();
        let at_ms = if failure.is_some() { started_ms } else { now };
        if was_failing != failure.is_some() {
            live.status.updated_at_ms = now;
        }
        self.signal_service(&mut live, index, at_ms, Source::Connect, failure, None) && recovered
    }

    /// Applies one signal about service `index` — and, for a full check, its verdict — then
    /// updates what readers see. Returns `false` if the signal was stale and ignored.
    fn signal_service(
        &self,
        live: &mut Live,
        index: usize,
        at_ms: u64,
        source: Source,
        failure: Option<String>,
        check: Option<(Health, Option<String>)>,
    ) -> bool {
        let (Some(shown), Some(state)) = (
            live.status.services.get_mut(index),
            live.services.get_mut(index),
        ) else {
            return false;
        };
        if state.link.is_stale(source, at_ms) {
            return false;
        }
        let change = state.link.apply(source, at_ms, failure);
        self.log_change(&shown.node, &shown.name, change);
        if check.is_some() {
            state.check = check;
        }
        let (health, error) = match (state.link.failure(Source::Connect), &state.check) {
            (Some(cause), _) => (Health::Down, Some(cause.to_string())),
            (None, Some((health, error))) => (*health, error.clone()),
            (None, None) => (Health::Unknown, None),
        };
        if shown.health != health {
            shown.since_ms = at_ms.max(shown.since_ms);
        }
        shown.health = health;
        shown.error = error;
        if health == Health::Down {
            shown.model = None;
            shown.latency_ms = None;
            state.queue = None;
        }
        true
    }

    /// Marks the outages of `service` on `nodes` that open until the returned guard drops as
    /// planned, with `what` the controller is doing (a model swap): the outage log then says
    /// the service was taken down on purpose.
    pub fn planned(
        self: &Arc<Self>,
        nodes: Vec<String>,
        service: ServiceKind,
        what: String,
    ) -> PlannedWork {
        let mut log = self.log();
        for node in &nodes {
            log.plan(node, service.name(), &what);
        }
        PlannedWork {
            monitor: Arc::downgrade(self),
            nodes,
            service,
            what,
        }
    }

    fn log_change(&self, node: &str, target: &str, change: Change) {
        match change {
            Change::Nothing => {}
            Change::Opened { at_ms, cause } => self.log().open(node, target, at_ms, cause),
            Change::Closed { at_ms } => self.log().close(node, target, at_ms),
        }
    }

    fn live(&self) -> RwLockReadGuard<'_, Live> {
        // A poisoned lock only means a panic elsewhere; the picture inside is still whole.
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    fn live_mut(&self) -> RwLockWriteGuard<'_, Live> {
        self.live.write().unwrap_or_else(|e| e.into_inner())
    }

    fn log(&self) -> MutexGuard<'_, log::OutageLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Live {
    fn service_index(&self, node: &str, service: &str) -> Option<usize> {
        self.status
            .services
            .iter()
            .position(|s| s.node == node && s.name == service)
    }
}

/// One load sample from a node probe; a failed probe gives an empty one (a gap in the line).
fn sample(at_ms: u64, report: Option<&node_probe::NodeReport>) -> NodeSample {
    NodeSample {
        at_ms,
        gpu_utilization_pct: report.and_then(|r| r.gpu.as_ref()?.utilization_pct),
        memory_used_fraction: report
            .and_then(|r| r.memory.as_ref())
            .filter(|m| m.total_bytes > 0)
            .map(|m| m.used_bytes as f64 / m.total_bytes as f64),
    }
}

fn history(live: &Live) -> Vec<NodeHistory> {
    live.status
        .nodes
        .iter()
        .zip(&live.nodes)
        .map(|(node, state)| NodeHistory {
            node: node.name.clone(),
            samples: state.samples.iter().cloned().collect(),
        })
        .collect()
}

fn queues(live: &Live) -> Vec<QueueDepth> {
    live.services
        .iter()
        .filter_map(|s| s.queue.clone())
        .collect()
}

/// Work that takes services down on purpose, from [`Monitor::planned`] until dropped.
pub struct PlannedWork {
    monitor: std::sync::Weak<Monitor>,
    nodes: Vec<String>,
    service: ServiceKind,
    what: String,
}

impl Drop for PlannedWork {
    fn drop(&mut self) {
        if let Some(monitor) = self.monitor.upgrade() {
            let mut log = monitor.log();
            for node in &self.nodes {
                log.unplan(node, self.service.name(), &self.what);
            }
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
