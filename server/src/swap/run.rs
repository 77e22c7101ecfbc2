//! The swap procedure itself: stop, start, follow, and roll back on failure.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::swap::{PhaseMark, SwapPhase, SwapStatus};
use tokio::sync::oneshot;

use super::{plan, progress, Job, Swapper};
use crate::catalog::ModelEntry;
use crate::cluster::node_probe::parse_docker_ps;
use crate::cluster::Node;
use crate::monitor::now_ms;

/// Lines of the container log kept in the status.
const LOG_TAIL: usize = 20;
/// Time allowed for one remote command of a swap (`docker stop` waits up to its grace period).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(plan::STOP_GRACE_SECS as u64 + 30);

/// vLLM containers on a node: those running, and every one (running or not) whose name the new
/// container needs or that would otherwise be orphaned.
pub(super) struct Managed {
    pub running: Vec<String>,
    pub all: Vec<String>,
}

pub(super) async fn managed_containers(node: &Node) -> Result<Managed, String> {
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
        .filter(|c| c.name == plan::CONTAINER || c.image.contains("vllm"))
        .collect();
    Ok(Managed {
        running: vllm
            .iter()
            .filter(|c| c.state == "running")
            .map(|c| c.name.clone())
            .collect(),
        all: vllm.into_iter().map(|c| c.name).collect(),
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

impl Swap<'_> {
    async fn execute(&mut self) {
        let node = self.job.node.config.name.clone();
        let old = match managed_containers(&self.job.node).await {
            Ok(old) => old,
            Err(e) => {
                return self
                    .fail(format!(
                        "could not list containers on {node}: {e}; nothing was changed"
                    ))
                    .await
            }
        };
        let from = self
            .job
            .previous
            .as_ref()
            .map_or("the current model".to_string(), |p| p.name.clone());
        self.phase(
            SwapPhase::Stopping,
            format!("Stopping {from} on {node}. Chat is unavailable until the new model is ready."),
        )
        .await;
        if !old.running.is_empty() {
            if let Err(e) = self.exec(plan::stop(&old.running)).await {
                return self
                    .fail(format!(
                        "could not stop {}: {e}; the old model may still be running",
                        old.running.join(", ")
                    ))
                    .await;
            }
        }
        if !old.all.is_empty() {
            // Frees the container name; a failure here shows up as a name conflict at start.
            let _ = self.exec(plan::remove(&old.all)).await;
        }
        let entry = self.job.entry.clone();
        let Err(reason) = self.launch(&entry).await else {
            let took = now_ms().saturating_sub(self.status.started_at_ms) / 1000;
            self.status.percent = Some(100.0);
            return self
                .phase(
                    SwapPhase::Ready,
                    format!("{} is ready on {node} (took {took} s).", entry.name),
                )
                .await;
        };
        self.roll_back(reason).await;
    }

    async fn roll_back(&mut self, reason: String) {
        let _ = self
            .exec(plan::remove(&[plan::CONTAINER.to_string()]))
            .await;
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
                format!("Starting {} on {}", entry.name, self.job.node.config.name),
            )
            .await;
        }
        let argv = plan::run(entry, self.job.port)
            .ok_or_else(|| format!("{} cannot be launched by this controller", entry.id))?;
        self.exec(argv)
            .await
            .map_err(|e| format!("docker run failed: {e}"))?;
        let deadline = Instant::now() + entry.ready_timeout;
        loop {
            tokio::time::sleep(self.swapper.poll).await;
            if let Ok(out) = self
                .job
                .node
                .ssh
                .exec(&plan::logs(LOG_TAIL), COMMAND_TIMEOUT)
                .await
            {
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
            let unreachable = match self
                .job
                .node
                .ssh
                .exec(&plan::state(), COMMAND_TIMEOUT)
                .await
            {
                Ok(out) if matches!(out.stdout.trim(), "exited" | "dead") => {
                    let last = self.status.log_tail.last().cloned().unwrap_or_default();
                    return Err(format!(
                        "the {} container exited while loading (last log line: {last:?})",
                        entry.id
                    ));
                }
                Ok(_) => None,
                Err(e) => Some(format!("{} unreachable: {e}", self.job.node.config.name)),
            };
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

    /// Runs one remote command of the swap, recorded in the store before it is sent.
    async fn exec(&mut self, argv: Vec<String>) -> Result<(), String> {
        self.status.commands.push(crate::ssh::command_line(&argv));
        self.swapper.save(self.status).await;
        let out = self
            .job
            .node
            .ssh
            .exec(&argv, COMMAND_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        if out.success() {
            Ok(())
        } else {
            Err(out.stderr.trim().to_string())
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
