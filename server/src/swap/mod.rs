//! Model swaps: stop the running vLLM on its node, start the chosen one, follow it until it
//! answers, and roll back when it does not.
//!
//! The state machine (phases in [`app::swap::SwapPhase`]):
//!
//! ```text
//! request ─ checks (catalog, node up, memory fits, not already loaded, no other swap) ─┐ refused: 4xx, nothing touched
//!   checking → stopping → starting → [downloading] → loading → warming_up → ready
//!                               └─ start fails / container exits / timeout ─→ rolling_back ─→ rolled_back | failed
//! ```
//!
//! Only one swap runs at a time: [`Swapper::start`] refuses a second with [`SwapError::Busy`]
//! carrying the running swap's status. Everything that can be checked is checked *before* the
//! old model is stopped, so a refused request leaves the cluster as it was. Progress is
//! published on a `watch` channel (the SSE route and the dashboard follow it).
//!
//! Every swap is recorded in the state store ([`crate::store`]): its row is written before
//! anything changes on the node, at each phase change, and closed when it finishes — before the
//! outcome is published, so what anyone saw finish is on disk. History and ETAs therefore
//! survive a restart, and a swap that a restart cut off is found open at the next start and
//! reported as `interrupted` ([`recover`]). The model that is loaded is never taken from the
//! store: it is always learned from the cluster.
//!
//! The remote commands are built in [`plan`]; the log reading is in [`progress`]; the procedure
//! itself is in [`run`]; restart recovery in [`recover`].

pub mod plan;
pub mod progress;
mod recover;
mod run;
pub mod view;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::status::Health;
use app::swap::{PhaseMark, SwapPhase, SwapStatus};
use tokio::sync::{oneshot, watch};

use crate::catalog::{Catalog, Launch, ModelEntry};
use crate::cluster::{Cluster, Node};
use crate::config::ServiceKind;
use crate::monitor::{now_ms, Monitor};
use crate::store::{Store, StoreError};

/// Recent swaps kept in memory for the history view and ETAs (all are kept in the store).
const HISTORY: usize = 100;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    #[error("there is no model {0:?} in the catalog")]
    UnknownModel(String),
    #[error("a swap is already in progress (to {})", .0.to_model)]
    Busy(Box<SwapStatus>),
    #[error("{0} is already the loaded model")]
    AlreadyLoaded(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("no node is configured to serve vLLM")]
    NoVllmNode,
    #[error("{node} is not reachable over SSH ({reason}); nothing was changed")]
    NodeDown { node: String, reason: String },
    #[error("{model} needs about {need_gib:.0} GiB but {node} would have only {have_gib:.0} GiB free after stopping the current model; nothing was changed")]
    DoesNotFit {
        model: String,
        node: String,
        need_gib: f64,
        have_gib: f64,
    },
    #[error("could not read {node}'s containers: {reason}")]
    Ssh { node: String, reason: String },
}

struct State {
    running: bool,
    next_id: u64,
    /// Oldest first; a cache of the store's latest rows.
    history: VecDeque<SwapStatus>,
}

pub struct Swapper {
    cluster: Arc<Cluster>,
    catalog: Arc<Catalog>,
    monitor: Arc<Monitor>,
    http: reqwest::Client,
    poll: Duration,
    store: Store,
    state: Mutex<State>,
    updates: watch::Sender<Option<SwapStatus>>,
}

/// What one swap works with, fixed when it starts.
struct Job {
    node: Arc<Node>,
    port: u16,
    entry: ModelEntry,
    previous: Option<ModelEntry>,
}

impl Swapper {
    /// Opens the swap history in `store` and recovers from the previous run: a swap it left
    /// unfinished is closed as interrupted, then reconciled with what the node really runs
    /// ([`recover`]). The last recorded swap is the initial [`Self::status`]; ids continue
    /// after the highest recorded. `poll` is how often a loading model's log and readiness are
    /// checked (1 s in production).
    pub async fn new(
        cluster: Arc<Cluster>,
        catalog: Arc<Catalog>,
        monitor: Arc<Monitor>,
        store: Store,
        poll: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let interrupted = recover::close_unfinished(&store).await?;
        let history: VecDeque<SwapStatus> = store
            .recent_swaps(HISTORY)
            .await?
            .into_iter()
            .rev()
            .collect();
        let next_id = store.last_swap_id().await? + 1;
        let swapper = Arc::new(Self {
            cluster,
            catalog,
            monitor,
            http: crate::cluster::service_probe::probe_client(Duration::from_secs(2)),
            poll,
            store,
            updates: watch::channel(history.back().cloned()).0,
            state: Mutex::new(State {
                running: false,
                next_id,
                history,
            }),
        });
        if !interrupted.is_empty() {
            tokio::spawn(recover::reconcile(Arc::downgrade(&swapper), interrupted));
        }
        Ok(swapper)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The running swap, or else the last finished one.
    pub fn status(&self) -> Option<SwapStatus> {
        self.updates.borrow().clone()
    }

    /// Follows every change of [`Self::status`].
    pub fn subscribe(&self) -> watch::Receiver<Option<SwapStatus>> {
        self.updates.subscribe()
    }

    /// Recent swaps, newest first (at most 100), including those of earlier runs.
    pub fn history(&self) -> Vec<SwapStatus> {
        self.lock().history.iter().rev().cloned().collect()
    }

    /// The served model name vLLM reports right now, from the health monitor.
    pub fn loaded_model(&self) -> Option<String> {
        let (node, _) = self.vllm_node().ok()?;
        self.monitor
            .snapshot()
            .services
            .into_iter()
            .find(|s| {
                s.node == node.config.name
                    && s.name == ServiceKind::Vllm.name()
                    && s.health != Health::Down
            })
            .and_then(|s| s.model)
    }

    /// Checks the request and starts the swap in the background; returns its first status.
    /// With `dry_run`, only reads the node and returns the commands that would run.
    pub async fn start(
        self: &Arc<Self>,
        model: &str,
        dry_run: bool,
    ) -> Result<SwapStatus, SwapError> {
        self.start_by(model, dry_run, None).await
    }

    /// As [`Self::start`], recording who asked (`"dashboard"`, `"api"`, …) in the history.
    /// Returns once the swap is recorded in the state store, so an accepted swap is never
    /// missing from the history after a restart.
    pub async fn start_by(
        self: &Arc<Self>,
        model: &str,
        dry_run: bool,
        requested_by: Option<String>,
    ) -> Result<SwapStatus, SwapError> {
        let entry = self
            .catalog
            .get(model)
            .cloned()
            .ok_or_else(|| SwapError::UnknownModel(model.to_string()))?;
        // A running swap answers first: the other checks would read a cluster in motion.
        if !dry_run && self.lock().running {
            if let Some(current) = self.status() {
                return Err(SwapError::Busy(Box::new(current)));
            }
        }
        if entry.nodes > 1 || matches!(entry.launch, Launch::Recipe(_)) {
            return Err(SwapError::Unsupported(format!(
                "{} is launched {}; this controller can swap single-node container launches only so far",
                entry.id,
                if entry.nodes > 1 { "across two nodes with Ray" } else { "by a recipe" }
            )));
        }
        let (node, port) = self.vllm_node()?;
        let snapshot = self.monitor.snapshot();
        let node_status = snapshot.nodes.iter().find(|n| n.name == node.config.name);
        if let Some(status) = node_status.filter(|n| n.ssh == Health::Down) {
            return Err(SwapError::NodeDown {
                node: status.name.clone(),
                reason: status.error.clone().unwrap_or_else(|| "no answer".into()),
            });
        }
        let loaded = self.loaded_model();
        if loaded.as_deref() == Some(entry.served_model_name.as_str()) {
            return Err(SwapError::AlreadyLoaded(entry.id));
        }
        let previous = loaded
            .as_deref()
            .and_then(|served| self.catalog.by_served_name(served))
            .cloned();
        if let Some(memory) = node_status.and_then(|n| n.memory.clone()) {
            let freed = match &previous {
                Some(p) => p.memory_gib * GIB,
                None => node_status
                    .and_then(|n| n.gpu.as_ref())
                    .and_then(|g| g.memory_used_mib)
                    .map_or(0.0, |mib| mib as f64 * 1024.0 * 1024.0),
            };
            let have = memory.available_bytes as f64 + freed;
            if entry.memory_gib * GIB > have {
                return Err(SwapError::DoesNotFit {
                    model: entry.id,
                    node: node.config.name.clone(),
                    need_gib: entry.memory_gib,
                    have_gib: have / GIB,
                });
            }
        }
        let job = Job {
            node,
            port,
            entry,
            previous,
        };
        if dry_run {
            return self.plan(&job).await;
        }
        // Built before taking the lock: it reads the history, which takes the lock too.
        let mut status = self.new_status(0, &job);
        {
            let mut state = self.lock();
            if state.running {
                return Err(SwapError::Busy(Box::new(self.status().unwrap_or(status))));
            }
            state.running = true;
            status.id = state.next_id;
            state.next_id += 1;
        }
        status.requested_by = requested_by;
        self.updates.send_replace(Some(status.clone()));
        // The task records the swap before it touches the node and says so; waiting for that
        // here (not recording here) keeps a dropped request from leaving the slot taken.
        let (recorded, on_disk) = oneshot::channel();
        tokio::spawn(run::run(self.clone(), job, status.clone(), recorded));
        let _ = on_disk.await;
        Ok(status)
    }

    async fn plan(&self, job: &Job) -> Result<SwapStatus, SwapError> {
        let old = run::managed_containers(&job.node)
            .await
            .map_err(|reason| SwapError::Ssh {
                node: job.node.config.name.clone(),
                reason,
            })?;
        let mut status = self.new_status(0, job);
        status.dry_run = true;
        status.phase = SwapPhase::Planned;
        status.finished_at_ms = Some(status.started_at_ms);
        if !old.running.is_empty() {
            status
                .commands
                .push(crate::ssh::command_line(&plan::stop(&old.running)));
        }
        if !old.all.is_empty() {
            status
                .commands
                .push(crate::ssh::command_line(&plan::remove(&old.all)));
        }
        if let Some(run) = plan::run(&job.entry, job.port) {
            status.commands.push(crate::ssh::command_line(&run));
        }
        status.message = format!(
            "Dry run: these commands would run on {}.",
            job.node.config.name
        );
        Ok(status)
    }

    fn new_status(&self, id: u64, job: &Job) -> SwapStatus {
        let now = now_ms();
        SwapStatus {
            id,
            from_model: job.previous.as_ref().map(|p| p.id.clone()),
            to_model: job.entry.id.clone(),
            node: job.node.config.name.clone(),
            requested_by: None,
            phase: SwapPhase::Checking,
            percent: None,
            started_at_ms: now,
            finished_at_ms: None,
            eta_secs: self.typical_duration(&job.entry.id),
            phases: vec![PhaseMark {
                phase: SwapPhase::Checking,
                at_ms: now,
            }],
            log_tail: Vec::new(),
            message: "Checking what runs on the node".into(),
            error: None,
            dry_run: false,
            commands: Vec::new(),
        }
    }

    /// Median duration of earlier successful swaps to `model`, in seconds.
    fn typical_duration(&self, model: &str) -> Option<f64> {
        view::typical_duration(self.lock().history.iter(), model).map(|(secs, _)| secs)
    }

    /// Publishes a status change, refreshing its ETA.
    fn publish(&self, status: &mut SwapStatus) {
        if let (Some(typical), false) = (
            self.typical_duration(&status.to_model),
            status.phase.is_finished(),
        ) {
            let elapsed = now_ms().saturating_sub(status.started_at_ms) as f64 / 1000.0;
            status.eta_secs = Some((typical - elapsed).max(0.0));
        } else if status.phase.is_finished() {
            status.eta_secs = None;
        }
        self.updates.send_replace(Some(status.clone()));
    }

    /// Closes a swap: records the outcome first (so a swap anyone saw finish is never found
    /// unfinished after a restart), then frees the slot and publishes, under one lock so a
    /// swap started right after cannot be overwritten by this one's last status.
    async fn finish(&self, status: &mut SwapStatus) {
        status.finished_at_ms = Some(now_ms());
        status.eta_secs = None;
        self.save(status).await;
        let mut state = self.lock();
        state.running = false;
        if state.history.len() == HISTORY {
            state.history.pop_front();
        }
        state.history.push_back(status.clone());
        self.updates.send_replace(Some(status.clone()));
    }

    /// Writes the swap's row. A failing disk does not stop a swap half-way (a half-done swap
    /// is worse for the cluster than a missing record): the error is logged and the swap stays
    /// in the in-memory history.
    async fn save(&self, status: &SwapStatus) {
        if let Err(e) = self.store.save_swap(status.clone()).await {
            tracing::error!(id = status.id, error = %e, "could not record the swap in the state file");
        }
    }

    /// The node that serves vLLM and the port it serves on.
    fn vllm_node(&self) -> Result<(Arc<Node>, u16), SwapError> {
        self.cluster
            .nodes
            .iter()
            .find_map(|n| {
                n.config
                    .services
                    .iter()
                    .find(|s| s.kind == ServiceKind::Vllm)
                    .map(|s| (n.clone(), s.port))
            })
            .ok_or(SwapError::NoVllmNode)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
