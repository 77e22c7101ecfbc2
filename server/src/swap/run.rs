//! The swap procedure itself: stop, start, follow, and roll back on failure.
//!
//! Order on two nodes: the head's model container is stopped first (the API goes away and the
//! Ray cluster loses its head), then the worker's, so no worker outlives its head unnoticed.
//! A recipe launch is one command on the head; the launcher starts the worker over SSH itself.
//! While loading, the head's container log is followed and, for a two-node model, the worker's
//! container is watched too. A failed launch is cleared from every node it used before the
//! previous model is started again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::status::ContainerStatus;
use app::swap::{PhaseMark, SwapPhase, SwapStatus};
use tokio::sync::oneshot;

use super::{plan, progress, Job, Swapper};
use crate::catalog::{Launch, ModelEntry};
use crate::cluster::node_probe::parse_docker_ps;
use crate::cluster::Node;
use crate::config::ServiceKind;
use crate::monitor::now_ms;
use crate::ssh::CommandOutput;

/// Lines of the container log kept in the status.
const LOG_TAIL: usize = 20;
/// Between two log polls, how often readiness is checked: a refused connection or a 503 costs
/// the node next to nothing, and the owner sees "ready" within this of vLLM being ready
/// instead of within a whole log poll (see docs/BENCHMARKS.md).
const READY_PROBE: Duration = Duration::from_millis(100);
/// Time allowed for one remote command of a swap (`docker stop` waits up to its grace period).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(plan::STOP_GRACE_SECS as u64 + 30);

/// Model containers on a node: those running, and every one (running or not) whose name the
/// new container needs or that would otherwise be orphaned.
pub(super) struct Managed {
    pub running: Vec<String>,
    pub all: Vec<String>,
    /// Every one of them as `docker ps` lists it (for a dry run's [`app::swap::PlannedStop`]s).
    pub listed: Vec<ContainerStatus>,
}

/// Lists the model containers on `node` ([`plan::is_managed`]; `on_head` widens the rule to
/// any vLLM image).
pub(super) async fn managed_containers(node: &Node, on_head: bool) -> Result<Managed, String> {
    let out = node
        .ssh
        .exec(&plan::list_containers(), COMMAND_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(out.stderr.trim().to_string());
    }
    let vllm: Vec<_> = parse_docker_ps(&out.stdout)
        .into_iter()
        .filter(|c| plan::is_managed(&c.name, &c.image, on_head))
        .collect();
    Ok(Managed {
        running: vllm
            .iter()
            .filter(|c| c.state == "running")
            .map(|c| c.name.clone())
            .collect(),
        all: vllm.iter().map(|c| c.name.clone()).collect(),
        listed: vllm,
    })
}

/// Runs one swap to its end. `recorded` is told once the swap is in the state store, which is
/// before anything changes on the node: a restart from then on finds it and reports it.
pub(super) async fn run(
    swapper: Arc<Swapper>,
    job: Job,
    mut status: SwapStatus,
    recorded: oneshot::Sender<()>,
) {
    swapper.save(&status).await;
    let _ = recorded.send(());
    // vLLM goes down on purpose from here on: the outage log says so
    let nodes = std::iter::once(&job.node)
        .chain(job.worker.as_ref())
        .map(|n| n.config.name.clone())
        .collect();
    let what = format!("swap #{} to {}", status.id, status.to_model);
    let _planned = swapper.monitor.planned(nodes, ServiceKind::Vllm, what);
    let mut swap = Swap {
        swapper: &swapper,
        job: &job,
        status: &mut status,
    };
    swap.execute().await;
    debug_assert!(
        status.phase.is_finished(),
        "every path of a swap ends in a finished phase"
    );
    tracing::info!(to = %status.to_model, phase = ?status.phase, error = ?status.error, "swap finished");
}

struct Swap<'a> {
    swapper: &'a Swapper,
    job: &'a Job,
    status: &'a mut SwapStatus,
}

/// What `docker inspect` says of a model container.
enum Seen {
    Running,
    /// Exited, dead, or gone (the launcher runs its containers with `--rm`).
    Ended(String),
    /// The node did not answer.
    Unreachable(String),
}

impl Swap<'_> {
    async fn execute(&mut self) {
        let head = self.job.node.clone();
        let old_head = match managed_containers(&head, true).await {
            Ok(old) => old,
            Err(e) => {
                return self
                    .fail(format!(
                        "could not list containers on {}: {e}; nothing was changed",
                        head.config.name
                    ))
                    .await
            }
        };
        let old_worker = match &self.job.worker {
            Some(worker) => match managed_containers(worker, false).await {
                Ok(old) => Some((worker.clone(), old)),
                Err(e) => {
                    return self
                        .fail(format!(
                            "could not list containers on {}: {e}; nothing was changed",
                            worker.config.name
                        ))
                        .await
                }
            },
            None => None,
        };
        let from = self
            .job
            .previous
            .as_ref()
            .map_or("the current model".to_string(), |p| p.name.clone());
        let worker_too = match &old_worker {
            Some((worker, old)) if !old.all.is_empty() => {
                format!(" and its worker on {}", worker.config.name)
            }
            _ => String::new(),
        };
        self.phase(
            SwapPhase::Stopping,
            format!(
                "Stopping {from} on {}{worker_too}. Chat is unavailable until the new model is ready.",
                head.config.name
            ),
        )
        .await;
        if let Err(e) = self.clear(&head, &old_head).await {
            return self
                .fail(format!(
                    "could not stop {}: {e}; the old model may still be running",
                    old_head.running.join(", ")
                ))
                .await;
        }
        if let Some((worker, old)) = &old_worker {
            if let Err(e) = self.clear(worker, old).await {
                // The head's model is stopped already: bring it back rather than leave chat down.
                return self
                    .roll_back(format!(
                        "could not stop {} on {}: {e}; its worker may still run there",
                        old.running.join(", "),
                        worker.config.name,
                    ))
                    .await;
            }
        }
        let entry = self.job.entry.clone();
        let Err(reason) = self.launch(&entry).await else {
            let took = now_ms().saturating_sub(self.status.started_at_ms) / 1000;
            self.status.percent = Some(100.0);
            let skipped = self.job.worker_skipped.as_ref().map_or(String::new(), |why| {
                format!(" The old model's worker could not be stopped ({why}); the next swap removes it.")
            });
            return self
                .phase(
                    SwapPhase::Ready,
                    format!(
                        "{} is ready on {} (took {took} s).{skipped}",
                        entry.name,
                        self.job.where_(&entry)
                    ),
                )
                .await;
        };
        self.roll_back(reason).await;
    }

    /// Stops the running containers of `old` on `node`, then removes them all.
    async fn clear(&mut self, node: &Node, old: &Managed) -> Result<(), String> {
        if !old.running.is_empty() {
            self.exec_on(node, plan::stop(&old.running), COMMAND_TIMEOUT)
                .await?;
        }
        if !old.all.is_empty() {
            // Frees the container name; a failure here shows up as a name conflict at start.
            let _ = self
                .exec_on(node, plan::remove(&old.all), COMMAND_TIMEOUT)
                .await;
        }
        Ok(())
    }

    /// Removes what a failed launch of `entry` left, from every node it used, head first.
    /// Best effort: what cannot be removed shows up when the previous model starts.
    async fn clean_up(&mut self, entry: &ModelEntry) {
        let Ok(nodes) = self.job.nodes_for(entry) else {
            return;
        };
        let nodes: Vec<Arc<Node>> = nodes.into_iter().cloned().collect();
        for (i, node) in nodes.iter().enumerate() {
            if let Ok(left) = managed_containers(node, i == 0).await {
                let _ = self.clear(node, &left).await;
            }
        }
    }

    async fn roll_back(&mut self, reason: String) {
        let failed = self.job.entry.clone();
        self.clean_up(&failed).await;
        let Some(previous) = self.job.previous.clone() else {
            return self
                .fail(format!(
                    "{reason}; there is no previous model to roll back to"
                ))
                .await;
        };
        self.status.error = Some(reason.clone());
        self.phase(
            SwapPhase::RollingBack,
            format!("Rolling back to {}: {reason}", previous.name),
        )
        .await;
        match self.launch(&previous).await {
            Ok(()) => {
                self.status.error = Some(format!("{reason}; rolled back to {}", previous.id));
                self.phase(
                    SwapPhase::RolledBack,
                    format!(
                        "{} did not start; {} is serving again.",
                        self.job.entry.name, previous.name
                    ),
                )
                .await;
            }
            Err(again) => {
                self.fail(format!(
                    "{reason}; rolling back to {} failed too: {again}",
                    previous.id
                ))
                .await
            }
        }
    }

    /// Starts `entry` and waits until it serves; `Err` says why it did not.
    async fn launch(&mut self, entry: &ModelEntry) -> Result<(), String> {
        let rolling_back = self.status.phase == SwapPhase::RollingBack;
        if !rolling_back {
            self.phase(
                SwapPhase::Starting,
                format!("Starting {} on {}", entry.name, self.job.where_(entry)),
            )
            .await;
        }
        let nodes: Vec<Arc<Node>> = self.job.nodes_for(entry)?.into_iter().cloned().collect();
        let ips: Vec<_> = nodes.iter().map(|n| n.config.host).collect();
        let argv = plan::launch(entry, self.job.port, &self.job.recipe_dir, &ips);
        let deadline = Instant::now() + entry.ready_timeout;
        let head = self.job.node.clone();
        match &entry.launch {
            Launch::Container { .. } => {
                // `docker run` pulls an image the node lacks first: many GB on a first swap.
                self.exec_on(&head, argv, entry.ready_timeout.max(COMMAND_TIMEOUT))
                    .await
                    .map_err(|e| format!("docker run failed: {e}"))?;
            }
            Launch::Recipe(recipe) => {
                // The launcher checks the nodes and images, applies mods and starts the
                // containers before it returns: allow it the model's whole loading time.
                let out = self
                    .exec_on(&head, argv, entry.ready_timeout.max(COMMAND_TIMEOUT))
                    .await
                    .map_err(|e| format!("the launcher (run-recipe.sh {recipe}) failed: {e}"))?;
                self.status.log_tail = tail(&out.stdout, LOG_TAIL);
                self.swapper.publish(self.status);
            }
        }
        loop {
            if self.ready_within(entry, self.swapper.poll).await {
                return Ok(());
            }
            if let Ok(out) = head.ssh.exec(&plan::logs(LOG_TAIL), COMMAND_TIMEOUT).await {
                let lines: Vec<String> = out
                    .stdout
                    .lines()
                    .chain(out.stderr.lines())
                    .map(String::from)
                    .collect();
                let progress = progress::from_log(&lines).filter(|_| !rolling_back);
                self.status.log_tail = lines;
                match progress {
                    Some((phase, percent)) => {
                        self.status.percent = percent.or(self.status.percent);
                        if phase != self.status.phase {
                            let message = format!("{}: {}", entry.name, phase.label());
                            self.phase(phase, message).await;
                        } else {
                            self.swapper.publish(self.status);
                        }
                    }
                    None => self.swapper.publish(self.status),
                }
            }
            let mut unreachable = None;
            for (i, node) in nodes.iter().enumerate() {
                match container_state(node).await {
                    Seen::Running => {}
                    Seen::Unreachable(e) => unreachable = unreachable.or(Some(e)),
                    Seen::Ended(state) if i == 0 => {
                        let last = self.status.log_tail.last().cloned().unwrap_or_default();
                        return Err(format!(
                            "the {} container {state} while loading (last log line: {last:?})",
                            entry.id
                        ));
                    }
                    Seen::Ended(state) => {
                        let last = last_log_line(node).await;
                        return Err(format!(
                            "the {} worker container on {} {state} while loading (its last log line: {last:?})",
                            entry.id, node.config.name
                        ));
                    }
                }
            }
            let problem = match self.ready(entry).await {
                Ok(()) => return Ok(()),
                Err(problem) => unreachable.unwrap_or(problem),
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not become ready within {} s ({problem})",
                    entry.id,
                    entry.ready_timeout.as_secs()
                ));
            }
        }
    }

    /// Checks readiness every [`READY_PROBE`] for `period`; `true` as soon as it is ready.
    async fn ready_within(&self, entry: &ModelEntry, period: Duration) -> bool {
        let until = tokio::time::Instant::now() + period;
        loop {
            let next = (tokio::time::Instant::now() + READY_PROBE).min(until);
            // A probe that hangs is cut at the period's end; the slow path below reports it.
            let probe = tokio::time::timeout_at(until, self.ready(entry)).await;
            if matches!(probe, Ok(Ok(()))) {
                return true;
            }
            if tokio::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep_until(next).await;
        }
    }

    /// Ready means `/health` is 200 *and* `/v1/models` lists the new served name.
    async fn ready(&self, entry: &ModelEntry) -> Result<(), String> {
        let base = format!("http://{}:{}", self.job.node.config.host, self.job.port);
        let health = self
            .swapper
            .http
            .get(format!("{base}/health"))
            .send()
            .await
            .map_err(|_| "port not open yet".to_string())?;
        if !health.status().is_success() {
            return Err(format!("health answered {}", health.status().as_u16()));
        }
        let models: serde_json::Value = self
            .swapper
            .http
            .get(format!("{base}/v1/models"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let listed = models["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["id"] == entry.served_model_name.as_str());
        if listed {
            Ok(())
        } else {
            Err(format!(
                "/v1/models does not list {} yet",
                entry.served_model_name
            ))
        }
    }

    /// Runs one remote command of the swap on `node`, recorded in the store before it is
    /// sent. `Err` carries what the command said about its failure.
    async fn exec_on(
        &mut self,
        node: &Node,
        argv: Vec<String>,
        timeout: Duration,
    ) -> Result<CommandOutput, String> {
        self.status.commands.push(self.job.shown(node, &argv));
        self.swapper.save(self.status).await;
        let out = node
            .ssh
            .exec(&argv, timeout)
            .await
            .map_err(|e| e.to_string())?;
        if out.success() {
            Ok(out)
        } else {
            Err(failure(&out))
        }
    }

    /// Moves to `phase`: recorded in the store, then published. A finished phase closes the
    /// swap ([`Swapper::finish`]).
    async fn phase(&mut self, phase: SwapPhase, message: String) {
        self.status.phase = phase;
        self.status.phases.push(PhaseMark {
            phase,
            at_ms: now_ms(),
        });
        self.status.message = message;
        if phase.is_finished() {
            self.swapper.finish(self.status).await;
        } else {
            self.swapper.save(self.status).await;
            self.swapper.publish(self.status);
        }
    }

    async fn fail(&mut self, error: String) {
        self.status.error = Some(error.clone());
        self.phase(SwapPhase::Failed, format!("Swap failed: {error}"))
            .await;
    }
}

/// The state of the managed container on `node`.
async fn container_state(node: &Node) -> Seen {
    match node.ssh.exec(&plan::state(), COMMAND_TIMEOUT).await {
        Ok(out) if out.success() => match out.stdout.trim() {
            "exited" => Seen::Ended("exited".into()),
            "dead" => Seen::Ended("died".into()),
            _ => Seen::Running,
        },
        Ok(out) if out.stderr.contains("No such") => Seen::Ended("disappeared".into()),
        Ok(out) => Seen::Unreachable(failure(&out)),
        Err(e) => Seen::Unreachable(format!("{} unreachable: {e}", node.config.name)),
    }
}

async fn last_log_line(node: &Node) -> String {
    match node.ssh.exec(&plan::logs(1), COMMAND_TIMEOUT).await {
        Ok(out) => tail(&format!("{}{}", out.stdout, out.stderr), 1)
            .pop()
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// What a failed command said: its stderr, or — the launcher reports errors on stdout — the
/// last lines of its stdout, or its exit code.
fn failure(out: &CommandOutput) -> String {
    let stderr = out.stderr.trim();
    if !stderr.is_empty() {
        return stderr.to_string();
    }
    let last = tail(&out.stdout, 3);
    if !last.is_empty() {
        return last.join(" / ");
    }
    match out.code {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".into(),
    }
}

/// The last `n` non-empty lines of `text`.
fn tail(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}
