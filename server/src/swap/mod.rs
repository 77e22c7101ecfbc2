//! Model swaps: stop the running vLLM on its node, start the chosen one, follow it until it
//! answers, and roll back when it does not.
//!
//! A model runs on the vLLM node (the head) alone, or — `nodes: 2`, launched by a
//! spark-vllm-docker recipe — on the head and a worker node (the first other configured node)
//! with Ray. A swap touches the worker when the new model needs it, when the old model used
//! it, or when the health monitor saw a leftover model container there; it then stops the
//! head's container first (the API goes away), then the worker's, so nothing is orphaned. The
//! memory check covers both nodes: a two-node model needs about half its `memory_gib` free on
//! each, after what the swap stops; other services on the worker keep theirs.
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
use app::swap::{PhaseMark, PlannedStop, SwapPhase, SwapStatus};
use tokio::sync::{oneshot, watch};

use crate::catalog::{Catalog, ModelEntry};
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
    #[error("{model} needs about {need_gib:.0} GiB on {node}, but {node} would have only {have_gib:.0} GiB free after stopping the current model; nothing was changed")]
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

/// Who asked for a swap, as the history records it.
#[derive(Clone, Debug, Default)]
pub struct Requester {
    /// The surface: `"dashboard"`, `"api"`, …
    pub by: Option<String>,
    /// The client's address.
    pub from: Option<std::net::IpAddr>,
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
    /// The vLLM node (the head): where the API serves and launches run.
    node: Arc<Node>,
    port: u16,
    /// The second node, when the swap touches it: the new model's worker runs there, or the
    /// old model's did, or a model container was left there.
    worker: Option<Arc<Node>>,
    /// Set when the old model's worker node is unreachable: its container could not be
    /// stopped, and the outcome says so.
    worker_skipped: Option<String>,
    entry: ModelEntry,
    previous: Option<ModelEntry>,
    /// Where the recipe launcher lives on the head.
    recipe_dir: String,
}

impl Job {
    /// The nodes `entry` runs on, head first.
    fn nodes_for(&self, entry: &ModelEntry) -> Result<Vec<&Arc<Node>>, String> {
        if entry.nodes < 2 {
            return Ok(vec![&self.node]);
        }
        match &self.worker {
            Some(worker) => Ok(vec![&self.node, worker]),
            None => Err(format!(
                "{} needs a second node, which this swap cannot reach",
                entry.id
            )),
        }
    }

    /// "spark-1" or "spark-1 and spark-2".
    fn where_(&self, entry: &ModelEntry) -> String {
        match self.nodes_for(entry) {
            Ok(nodes) => nodes
                .iter()
                .map(|n| n.config.name.as_str())
                .collect::<Vec<_>>()
                .join(" and "),
            Err(_) => self.node.config.name.clone(),
        }
    }

    /// A command as the status records it: prefixed by the node's name when it runs
    /// elsewhere than on the head (`spark-2: docker stop …`).
    fn shown(&self, node: &Node, argv: &[String]) -> String {
        let line = crate::ssh::command_line(argv);
        if node.config.name == self.node.config.name {
            line
        } else {
            format!("{}: {line}", node.config.name)
        }
    }
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
            .serving_model(&node.config.name, ServiceKind::Vllm.name())
    }

    /// The catalog model that a running vLLM container on `node` was started with, read from
    /// its command line over SSH; `None` when there is none, it cannot be read, or it is not
    /// in the catalog.
    async fn model_in_container(&self, node: &Node) -> Option<ModelEntry> {
        let managed = run::managed_containers(node, true).await.ok()?;
        for name in &managed.running {
            let Ok(out) = node
                .ssh
                .exec(&plan::command_of(name), Duration::from_secs(10))
                .await
            else {
                continue;
            };
            let argv: Vec<String> = serde_json::from_str(out.stdout.trim()).unwrap_or_default();
            if let Some(entry) = served_name_in(&argv).and_then(|s| self.catalog.by_served_name(s))
            {
                return Some(entry.clone());
            }
        }
        None
    }

    /// Checks the request and starts the swap in the background; returns its first status.
    /// With `dry_run`, only reads the node and returns the commands that would run.
    pub async fn start(
        self: &Arc<Self>,
        model: &str,
        dry_run: bool,
    ) -> Result<SwapStatus, SwapError> {
        self.start_by(model, dry_run, Requester::default()).await
    }

    /// As [`Self::start`], recording who asked in the history.
    /// Returns once the swap is recorded in the state store, so an accepted swap is never
    /// missing from the history after a restart.
    pub async fn start_by(
        self: &Arc<Self>,
        model: &str,
        dry_run: bool,
        requester: Requester,
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
        let (node, port) = self.vllm_node()?;
        let second = self.worker_node(&node);
        if entry.nodes > 1 && second.is_none() {
            return Err(SwapError::Unsupported(format!(
                "{} spans two nodes, but only {} is configured",
                entry.id, node.config.name
            )));
        }
        let snapshot = self.monitor.snapshot();
        let status_of = |n: &Node| snapshot.nodes.iter().find(|s| s.name == n.config.name);
        let down = |n: &Node| {
            status_of(n)
                .filter(|s| s.ssh == Health::Down)
                .map(|s| SwapError::NodeDown {
                    node: s.name.clone(),
                    reason: s.error.clone().unwrap_or_else(|| "no answer".into()),
                })
        };
        if let Some(e) = down(&node) {
            return Err(e);
        }
        let loaded = self.loaded_model();
        if loaded.as_deref() == Some(entry.served_model_name.as_str()) {
            return Err(SwapError::AlreadyLoaded(entry.id));
        }
        let previous = match loaded.as_deref() {
            Some(served) => self.catalog.by_served_name(served).cloned(),
            // vLLM does not answer right now (a blip, or it hangs), so the monitor knows no
            // model: the running container still says which one it is, and a swap that fails
            // can bring that one back instead of leaving chat without a model.
            None => self.model_in_container(&node).await,
        };
        let previous_spans = previous.as_ref().is_some_and(|p| p.nodes > 1);
        let mut worker = second.filter(|w| {
            entry.nodes > 1
                || previous_spans
                || status_of(w).is_some_and(|s| {
                    s.containers
                        .iter()
                        .any(|c| plan::is_managed(&c.name, &c.image, false))
                })
        });
        let mut worker_skipped = None;
        if let Some(e) = worker.as_deref().and_then(down) {
            if entry.nodes > 1 {
                return Err(e);
            }
            // Only the old model's worker is there: a dead worker node must not keep the owner
            // from bringing chat back on the head. Its container is removed by the next swap
            // that reaches the node (the monitor shows it there).
            worker_skipped = Some(e.to_string());
            worker = None;
        }
        let share = |m: &ModelEntry| m.memory_gib / f64::from(m.nodes.max(1));
        if let Some(memory) = fresh_memory(&node)
            .await
            .or_else(|| status_of(&node).and_then(|n| n.memory.clone()))
        {
            let freed = match &previous {
                Some(p) => share(p) * GIB,
                None => status_of(&node)
                    .and_then(|n| n.gpu.as_ref())
                    .and_then(|g| g.memory_used_mib)
                    .map_or(0.0, |mib| mib as f64 * 1024.0 * 1024.0),
            };
            fits(
                &entry,
                &node,
                memory.available_bytes as f64 + freed,
                share(&entry),
            )?;
        }
        if let Some(w) = worker.as_ref().filter(|_| entry.nodes > 1) {
            let memory = fresh_memory(w)
                .await
                .or_else(|| status_of(w).and_then(|n| n.memory.clone()));
            if let Some(memory) = memory {
                let freed = match &previous {
                    Some(p) if p.nodes > 1 => share(p) * GIB,
                    _ => 0.0,
                };
                fits(
                    &entry,
                    w,
                    memory.available_bytes as f64 + freed,
                    share(&entry),
                )?;
            }
        }
        let job = Job {
            node,
            port,
            worker,
            worker_skipped,
            entry,
            previous,
            recipe_dir: self.catalog.recipe_dir.clone(),
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
        status.requested_by = requester.by;
        status.requested_from = requester.from.map(|ip| ip.to_string());
        self.updates.send_replace(Some(status.clone()));
        // The task records the swap before it touches the node and says so; waiting for that
        // here (not recording here) keeps a dropped request from leaving the slot taken.
        let (recorded, on_disk) = oneshot::channel();
        let task = tokio::spawn(run::run(self.clone(), job, status.clone(), recorded));
        // A bug that panics the task must not keep the slot taken until a restart.
        let (swapper, started) = (self.clone(), status.clone());
        tokio::spawn(async move {
            if let Err(e) = task.await {
                swapper.abandon(started, e.to_string()).await;
            }
        });
        let _ = on_disk.await;
        Ok(status)
    }

    async fn plan(&self, job: &Job) -> Result<SwapStatus, SwapError> {
        let mut status = self.new_status(0, job);
        status.dry_run = true;
        status.phase = SwapPhase::Planned;
        status.finished_at_ms = Some(status.started_at_ms);
        // Head first, then the worker: the order a real swap stops them in.
        let nodes = std::iter::once((&job.node, true)).chain(job.worker.iter().map(|w| (w, false)));
        for (node, on_head) in nodes {
            let old = run::managed_containers(node, on_head)
                .await
                .map_err(|reason| SwapError::Ssh {
                    node: node.config.name.clone(),
                    reason,
                })?;
            if !old.running.is_empty() {
                status
                    .commands
                    .push(job.shown(node, &plan::stop(&old.running)));
            }
            if !old.all.is_empty() {
                status
                    .commands
                    .push(job.shown(node, &plan::remove(&old.all)));
            }
            status
                .stopping
                .extend(old.listed.into_iter().map(|c| PlannedStop {
                    node: node.config.name.clone(),
                    running: c.state == "running",
                    container: c.name,
                    image: c.image,
                }));
        }
        let ips: Vec<_> = job
            .nodes_for(&job.entry)
            .map_err(SwapError::Unsupported)?
            .iter()
            .map(|n| n.config.host)
            .collect();
        let launch = plan::launch(&job.entry, job.port, &job.recipe_dir, &ips);
        status.commands.push(job.shown(&job.node, &launch));
        status.message = format!(
            "Dry run: these commands would run on {}{}.",
            job.node.config.name,
            job.worker.as_ref().map_or(String::new(), |w| format!(
                " (and, where marked, on {})",
                w.config.name
            ))
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
            requested_from: None,
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
            message: format!("Checking what runs on {}", job.where_(&job.entry)),
            error: None,
            dry_run: false,
            commands: Vec::new(),
            stopping: Vec::new(),
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

    /// Ends a swap whose task died without finishing it: records it as failed and frees the
    /// slot, so the next swap (the owner's way to repair the cluster) can start.
    async fn abandon(&self, started: SwapStatus, cause: String) {
        let mut status = self
            .status()
            .filter(|s| s.id == started.id)
            .unwrap_or(started);
        if status.phase.is_finished() {
            return;
        }
        tracing::error!(id = status.id, %cause, "the swap task stopped unexpectedly");
        status.phase = SwapPhase::Failed;
        status.error = Some(format!(
            "the swap stopped unexpectedly (internal error: {cause}); the cluster may be half-swapped, so start a swap to the model you want"
        ));
        self.finish(&mut status).await;
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

    /// The node a two-node model's worker runs on: the first configured node other than the
    /// vLLM node.
    fn worker_node(&self, head: &Node) -> Option<Arc<Node>> {
        self.cluster
            .nodes
            .iter()
            .find(|n| n.config.name != head.config.name)
            .cloned()
    }

    /// The worker node of `model` (a catalog id), when that model spans two nodes.
    pub fn worker_for(&self, model: &str) -> Option<String> {
        if self.catalog.get(model)?.nodes < 2 {
            return None;
        }
        let (head, _) = self.vllm_node().ok()?;
        self.worker_node(&head).map(|n| n.config.name.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The served model name in a vLLM command line (`--served-model-name NAME` or
/// `--served-model-name=NAME`), as the swap's launch commands write it.
fn served_name_in(argv: &[String]) -> Option<&str> {
    argv.iter().enumerate().find_map(|(i, arg)| {
        if arg == "--served-model-name" {
            argv.get(i + 1).map(String::as_str)
        } else {
            arg.strip_prefix("--served-model-name=")
        }
    })
}

/// The node's memory read now: the monitor's sample can be seconds old, from before the last
/// swap freed or took memory, which is exactly the moment another swap is asked for. `None`
/// when the node does not answer in time (the monitor's sample is used then).
async fn fresh_memory(node: &Node) -> Option<app::status::MemoryStatus> {
    let out = node
        .ssh
        .exec(&["free", "-b"], Duration::from_secs(5))
        .await
        .ok()
        .filter(|o| o.success())?;
    crate::cluster::node_probe::parse_free(&out.stdout)
}

/// Whether `entry` fits on `node` with `have` bytes free there after the swap stops what it
/// stops; `need_gib` is its share on that node.
fn fits(entry: &ModelEntry, node: &Node, have: f64, need_gib: f64) -> Result<(), SwapError> {
    if need_gib * GIB > have {
        return Err(SwapError::DoesNotFit {
            model: entry.id.clone(),
            node: node.config.name.clone(),
            need_gib,
            have_gib: have / GIB,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::served_name_in;

    fn argv(line: &str) -> Vec<String> {
        line.split(' ').map(String::from).collect()
    }

    #[test]
    fn the_served_name_is_read_from_a_vllm_command_line() {
        let both = argv("vllm serve org/M --served-model-name m --port 8000");
        assert_eq!(served_name_in(&both), Some("m"));
        let joined = argv("vllm serve org/M --port 8000 --served-model-name=m2");
        assert_eq!(served_name_in(&joined), Some("m2"));
        assert_eq!(served_name_in(&argv("vllm serve org/M")), None);
        assert_eq!(
            served_name_in(&argv("vllm serve --served-model-name")),
            None
        );
    }
}
