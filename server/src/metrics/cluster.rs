//! The metrics read from the cluster's state at each scrape: probe results, GPU and memory
//! readings, vLLM's queue, whether a swap runs.
//!
//! A scrape copies the monitor's latest picture ([`ClusterView::read`]) and writes gauges from
//! it; nothing here keeps state between scrapes, so a node or service that leaves the picture
//! leaves the metrics with it.
//!
//! Health is written two ways: `*_up` is 1 when the last probe found it up and 0 otherwise
//! (degraded, down, or not probed yet), for simple alerts; `*_state` has one series per
//! possible state (`up`, `degraded`, `down`, `unknown`), 1 for the current one, for when the
//! difference matters.

use app::health::QueueDepth;
use app::status::{ClusterStatus, Health};
use app::swap::SwapStatus;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::state::AppState;

const STATES: [Health; 4] = [Health::Up, Health::Degraded, Health::Down, Health::Unknown];
const MIB: f64 = 1024.0 * 1024.0;
/// The label set of a metric with a single series.
const NO_LABELS: [(&str, &str); 0] = [];

/// What one scrape reads from the server's state.
#[derive(Debug)]
pub struct ClusterView {
    pub status: ClusterStatus,
    pub queues: Vec<QueueDepth>,
    /// Recent finished swaps, newest first ([`crate::swap::Swapper::history`]).
    pub swaps: Vec<SwapStatus>,
    pub swap_running: bool,
}

impl ClusterView {
    pub fn read(state: &AppState) -> Self {
        Self {
            status: state.monitor.snapshot(),
            // vLLM's queue as the health monitor last read it from vLLM's own /metrics.
            queues: state.monitor.queues(),
            swaps: state.swapper.history(),
            swap_running: state.swapper.status().is_some_and(|s| s.is_running()),
        }
    }
}

/// One gauge family: a descriptor, then one sample per label set.
fn gauge<L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    samples: impl IntoIterator<Item = (L, f64)>,
) -> Result<(), std::fmt::Error> {
    let mut samples = samples.into_iter().peekable();
    if samples.peek().is_none() {
        return Ok(());
    }
    let mut metric = encoder.encode_descriptor(name, help, unit.as_ref(), MetricType::Gauge)?;
    for (labels, value) in samples {
        metric.encode_family(&labels)?.encode_gauge(&value)?;
    }
    Ok(())
}

fn up(health: Health) -> f64 {
    if health == Health::Up {
        1.0
    } else {
        0.0
    }
}

impl Collector for ClusterView {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let nodes = &self.status.nodes;
        let services = &self.status.services;
        gauge(
            &mut encoder,
            "node_up",
            "1 when the controller's last SSH probe of the node succeeded, else 0.",
            None,
            nodes
                .iter()
                .map(|n| ([("node", n.name.as_str())], up(n.ssh))),
        )?;
        gauge(
            &mut encoder,
            "node_state",
            "The node's health from its SSH probe: 1 for the current state, 0 for the others.",
            None,
            nodes.iter().flat_map(|n| {
                STATES.map(|s| {
                    (
                        [("node", n.name.as_str()), ("state", s.label())],
                        f64::from(u8::from(n.ssh == s)),
                    )
                })
            }),
        )?;
        gauge(
            &mut encoder,
            "service_up",
            "1 when the service's last health probe found it up, else 0.",
            None,
            services.iter().map(|s| {
                (
                    [("node", s.node.as_str()), ("service", s.name.as_str())],
                    up(s.health),
                )
            }),
        )?;
        gauge(
            &mut encoder,
            "service_state",
            "The service's health from its probe: 1 for the current state, 0 for the others.",
            None,
            services.iter().flat_map(|s| {
                STATES.map(|state| {
                    (
                        [
                            ("node", s.node.as_str()),
                            ("service", s.name.as_str()),
                            ("state", state.label()),
                        ],
                        f64::from(u8::from(s.health == state)),
                    )
                })
            }),
        )?;
        gauge(
            &mut encoder,
            "probe_latency",
            "Round trip of the last successful probe; target is ssh for the node itself, else the service.",
            Some(Unit::Seconds),
            nodes
                .iter()
                .filter_map(|n| Some(([("node", n.name.as_str()), ("target", "ssh")], n.latency_ms?)))
                .chain(services.iter().filter_map(|s| {
                    Some((
                        [("node", s.node.as_str()), ("target", s.name.as_str())],
                        s.latency_ms?,
                    ))
                }))
                .map(|(labels, ms)| (labels, ms / 1000.0)),
        )?;
        gauge(
            &mut encoder,
            "service_model_info",
            "The model a service says it serves (1 per service and model).",
            None,
            services.iter().filter_map(|s| {
                Some((
                    [
                        ("node", s.node.as_str()),
                        ("service", s.name.as_str()),
                        ("model", s.model.as_deref()?),
                    ],
                    1.0,
                ))
            }),
        )?;
        let gpus = || {
            nodes
                .iter()
                .filter_map(|n| Some(([("node", n.name.as_str())], n.gpu.as_ref()?)))
        };
        gauge(
            &mut encoder,
            "gpu_utilization_ratio",
            "GPU utilisation from nvidia-smi, 0 to 1.",
            None,
            gpus().filter_map(|(l, g)| Some((l, g.utilization_pct? / 100.0))),
        )?;
        gauge(
            &mut encoder,
            "gpu_memory_used",
            "Memory held by GPU processes, from nvidia-smi.",
            Some(Unit::Bytes),
            gpus().filter_map(|(l, g)| Some((l, g.memory_used_mib? as f64 * MIB))),
        )?;
        gauge(
            &mut encoder,
            "gpu_temperature",
            "GPU temperature from nvidia-smi.",
            Some(Unit::Celsius),
            gpus().filter_map(|(l, g)| Some((l, g.temperature_c?))),
        )?;
        gauge(
            &mut encoder,
            "gpu_power",
            "GPU power draw from nvidia-smi.",
            Some(Unit::Other("watts".into())),
            gpus().filter_map(|(l, g)| Some((l, g.power_w?))),
        )?;
        let memories = || {
            nodes
                .iter()
                .filter_map(|n| Some(([("node", n.name.as_str())], n.memory.as_ref()?)))
        };
        gauge(
            &mut encoder,
            "node_memory_total",
            "The node's memory (on a Spark, the unified pool the GPU draws from too).",
            Some(Unit::Bytes),
            memories().map(|(l, m)| (l, m.total_bytes as f64)),
        )?;
        gauge(
            &mut encoder,
            "node_memory_available",
            "The node's memory available to new work, from free.",
            Some(Unit::Bytes),
            memories().map(|(l, m)| (l, m.available_bytes as f64)),
        )?;
        let queues = || {
            self.queues.iter().map(|q| {
                (
                    [("node", q.node.as_str()), ("service", q.service.as_str())],
                    q,
                )
            })
        };
        gauge(
            &mut encoder,
            "upstream_requests_running",
            "Requests the upstream is working on, from its own metrics (vllm:num_requests_running).",
            None,
            queues().map(|(l, q)| (l, q.running)),
        )?;
        gauge(
            &mut encoder,
            "upstream_requests_waiting",
            "Requests queued in the upstream, from its own metrics (vllm:num_requests_waiting).",
            None,
            queues().map(|(l, q)| (l, q.waiting)),
        )?;
        gauge(
            &mut encoder,
            "swap_in_progress",
            "1 while a model swap runs.",
            None,
            [(NO_LABELS, f64::from(u8::from(self.swap_running)))],
        )?;
        gauge(
            &mut encoder,
            "cluster_status_updated_timestamp",
            "When the newest probe result arrived (Unix time); a stale value means the probes stopped.",
            Some(Unit::Seconds),
            [(NO_LABELS, self.status.updated_at_ms as f64 / 1000.0)],
        )?;
        Ok(())
    }
}
