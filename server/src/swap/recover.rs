//! Recovery from a controller restart.
//!
//! A swap's row in the state store is written when the swap starts and closed when it
//! finishes, so a row still open at start-up belongs to a swap the previous run never finished:
//! the process was stopped or died in the middle of it. [`close_unfinished`] marks such a swap
//! [`SwapPhase::Interrupted`] before the swapper takes any request, so nothing is left "in
//! progress" and a new swap is accepted at once.
//!
//! What the node runs after an interrupted swap could be anything — the old model, the new one
//! still loading or already serving, or nothing — so [`reconcile`] then learns it from the
//! cluster, never from the store: from the health monitor's probes (the node's containers over
//! SSH, vLLM's `/v1/models` over HTTP). It writes the answer into the interrupted swap's
//! message ("Interrupted by a controller restart; spark-1 now serves Tiny."), which is what
//! `GET /api/swap` and the dashboard show as the last swap. While a vLLM container is running
//! but not serving yet, it keeps watching, up to the model's `ready_timeout`, and stops early
//! when a new swap starts (that swap's own record tells the story from then on).

use std::sync::Weak;
use std::time::{Duration, Instant};

use app::status::{ClusterStatus, Health};
use app::swap::{PhaseMark, SwapPhase, SwapStatus};

use super::{plan, Swapper};
use crate::catalog::Catalog;
use crate::config::ServiceKind;
use crate::monitor::now_ms;
use crate::store::{Store, StoreError};

/// How long to watch the node when the interrupted swap's model is no longer in the catalog.
const DEFAULT_PATIENCE: Duration = Duration::from_secs(15 * 60);

/// Closes every swap the previous run left open; returns their ids.
pub(super) async fn close_unfinished(store: &Store) -> Result<Vec<u64>, StoreError> {
    let now = now_ms();
    let mut ids = Vec::new();
    for mut swap in store.unfinished_swaps().await? {
        interrupt(&mut swap, now);
        store.save_swap(swap.clone()).await?;
        tracing::warn!(id = swap.id, to = %swap.to_model, error = ?swap.error, "found a swap interrupted by a controller restart");
        ids.push(swap.id);
    }
    Ok(ids)
}

fn interrupt(swap: &mut SwapStatus, now: u64) {
    let was = swap.phase.label().to_lowercase();
    swap.phase = SwapPhase::Interrupted;
    swap.phases.push(PhaseMark {
        phase: SwapPhase::Interrupted,
        at_ms: now,
    });
    swap.finished_at_ms = Some(now);
    swap.eta_secs = None;
    swap.error = Some(match swap.error.take() {
        Some(earlier) => {
            format!("the controller restarted during this swap, while {was} ({earlier})")
        }
        None => format!("the controller restarted during this swap, while {was}"),
    });
    swap.message = said(&format!("checking what {} runs now", swap.node));
}

/// The interrupted swap's message for a finding.
fn said(finding: &str) -> String {
    format!("{}; {finding}.", SwapPhase::Interrupted.label())
}

/// Watches the cluster until it tells what the node of the interrupted swaps runs, and records
/// that in their messages. Holds the swapper weakly: dropping the controller ends it.
pub(super) async fn reconcile(swapper: Weak<Swapper>, ids: Vec<u64>) {
    let started = Instant::now();
    let mut last_said = String::new();
    loop {
        let Some(swapper) = swapper.upgrade() else {
            return;
        };
        let Some(swap) = ids.last().and_then(|id| swapper.recorded(*id)) else {
            return;
        };
        let patience = swapper
            .catalog
            .get(&swap.to_model)
            .map_or(DEFAULT_PATIENCE, |m| m.ready_timeout);
        let finding = observe(&swapper.monitor.snapshot(), &swap.node, &swapper.catalog);
        let done = match &finding {
            Finding::Settled(_) => true,
            Finding::Pending(_) => started.elapsed() >= patience || swapper.lock().running,
        };
        let message = said(finding.text());
        if message != last_said || done {
            swapper.amend(&ids, &message).await;
            last_said = message;
        }
        if done {
            tracing::info!(ids = ?ids, finding = finding.text(), "reconciled the interrupted swap with the cluster");
            return;
        }
        let poll = swapper.poll;
        drop(swapper);
        tokio::time::sleep(poll).await;
    }
}

/// What the node runs, as far as the health monitor has seen.
#[derive(Debug, PartialEq)]
enum Finding {
    /// The final word: a model serves, or nothing runs.
    Settled(String),
    /// Not known yet, or still changing: worth another look.
    Pending(String),
}

impl Finding {
    fn text(&self) -> &str {
        match self {
            Self::Settled(text) | Self::Pending(text) => text,
        }
    }
}

fn observe(status: &ClusterStatus, node: &str, catalog: &Catalog) -> Finding {
    let vllm = status
        .services
        .iter()
        .find(|s| s.node == node && s.name == ServiceKind::Vllm.name());
    let serving = vllm
        .filter(|s| matches!(s.health, Health::Up | Health::Degraded))
        .and_then(|s| s.model.as_deref());
    if let Some(served) = serving {
        let name = catalog
            .by_served_name(served)
            .map_or(served, |m| m.name.as_str());
        return Finding::Settled(format!("{node} now serves {name}"));
    }
    let (Some(vllm), Some(node_status)) = (vllm, status.nodes.iter().find(|n| n.name == node))
    else {
        return Finding::Settled(format!("{node} is no longer configured to serve vLLM"));
    };
    match (node_status.ssh, vllm.health) {
        (Health::Unknown, _) | (_, Health::Unknown) => {
            Finding::Pending(format!("checking what {node} runs now"))
        }
        (Health::Down, _) => Finding::Pending(format!(
            "{node} is not reachable, so what it runs now is not known"
        )),
        (_, health) => {
            let container = node_status.containers.iter().any(|c| {
                c.state == "running" && (c.name == plan::CONTAINER || c.image.contains("vllm"))
            });
            if container || health != Health::Down {
                Finding::Pending(format!(
                    "a vLLM container runs on {node} but serves no model yet (it may still be loading)"
                ))
            } else {
                Finding::Settled(format!("no model is running on {node}"))
            }
        }
    }
}

impl Swapper {
    /// A swap of the history, by id.
    fn recorded(&self, id: u64) -> Option<SwapStatus> {
        self.lock().history.iter().find(|s| s.id == id).cloned()
    }

    /// Rewrites the message of recorded swaps, in the store, the history and — when one of
    /// them is still the last swap — the published status.
    async fn amend(&self, ids: &[u64], message: &str) {
        for &id in ids {
            let Some(mut swap) = self.recorded(id) else {
                continue;
            };
            swap.message = message.to_string();
            self.save(&swap).await;
            if let Some(entry) = self.lock().history.iter_mut().find(|s| s.id == id) {
                *entry = swap.clone();
            }
            self.updates.send_if_modified(|current| match current {
                Some(current) if current.id == id => {
                    *current = swap.clone();
                    true
                }
                _ => false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use app::status::{ContainerStatus, NodeStatus, ServiceStatus};

    use super::*;

    fn cluster(
        ssh: Health,
        vllm: Health,
        model: Option<&str>,
        container: Option<&str>,
    ) -> ClusterStatus {
        ClusterStatus {
            updated_at_ms: 0,
            note: None,
            nodes: vec![NodeStatus {
                name: "spark-1".into(),
                address: "10.0.0.1:22".into(),
                ssh,
                since_ms: 0,
                error: None,
                latency_ms: None,
                uptime_secs: None,
                gpu: None,
                memory: None,
                disk: None,
                containers: container
                    .map(|state| ContainerStatus {
                        name: "vllm".into(),
                        image: "vllm-node:latest".into(),
                        state: state.into(),
                        status: String::new(),
                    })
                    .into_iter()
                    .collect(),
            }],
            services: vec![ServiceStatus {
                name: "vllm".into(),
                node: "spark-1".into(),
                url: "http://10.0.0.1:8888".into(),
                health: vllm,
                since_ms: 0,
                latency_ms: None,
                model: model.map(String::from),
                error: None,
            }],
        }
    }

    fn catalog() -> Catalog {
        Catalog::parse(
            "models:
  - id: tiny
    served_model_name: tiny-served
    name: Tiny
    nodes: 1
    memory_gib: 10
    ready_timeout_secs: 60
    launch:
      container: {image: vllm-node:latest, model: org/Tiny}
",
        )
        .unwrap()
    }

    #[test]
    fn what_the_node_runs_is_read_from_the_monitor() {
        use Health::{Down, Unknown, Up};
        let catalog = catalog();
        let cases = [
            (cluster(Up, Up, Some("tiny-served"), Some("running")), Finding::Settled("spark-1 now serves Tiny".into())),
            (cluster(Up, Up, Some("other"), Some("running")), Finding::Settled("spark-1 now serves other".into())),
            (cluster(Up, Down, None, Some("exited")), Finding::Settled("no model is running on spark-1".into())),
            (cluster(Up, Down, None, None), Finding::Settled("no model is running on spark-1".into())),
            (
                cluster(Up, Down, None, Some("running")),
                Finding::Pending("a vLLM container runs on spark-1 but serves no model yet (it may still be loading)".into()),
            ),
            (cluster(Unknown, Unknown, None, None), Finding::Pending("checking what spark-1 runs now".into())),
            (
                cluster(Down, Down, None, Some("running")),
                Finding::Pending("spark-1 is not reachable, so what it runs now is not known".into()),
            ),
        ];
        for (status, expected) in cases {
            assert_eq!(
                observe(&status, "spark-1", &catalog),
                expected,
                "{status:?}"
            );
        }
        assert_eq!(
            observe(&cluster(Up, Up, None, None), "spark-9", &catalog),
            Finding::Settled("spark-9 is no longer configured to serve vLLM".into())
        );
    }

    #[test]
    fn an_unfinished_swap_is_closed_as_interrupted_saying_where_it_was() {
        let mut swap = SwapStatus {
            id: 4,
            from_model: None,
            to_model: "tiny".into(),
            node: "spark-1".into(),
            requested_by: None,
            requested_from: None,
            phase: SwapPhase::Loading,
            percent: Some(40.0),
            started_at_ms: 1_000,
            finished_at_ms: None,
            eta_secs: Some(12.0),
            phases: Vec::new(),
            log_tail: Vec::new(),
            message: String::new(),
            error: None,
            dry_run: false,
            commands: Vec::new(),
            stopping: Vec::new(),
        };
        interrupt(&mut swap, 9_000);
        assert_eq!(swap.phase, SwapPhase::Interrupted);
        assert!(swap.phase.is_finished());
        assert_eq!(swap.finished_at_ms, Some(9_000));
        assert_eq!(swap.eta_secs, None);
        assert_eq!(
            swap.error.as_deref(),
            Some("the controller restarted during this swap, while loading weights")
        );
        assert_eq!(
            swap.message,
            "Interrupted by a controller restart; checking what spark-1 runs now."
        );
    }
}
