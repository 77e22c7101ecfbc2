//! The cluster's state as the dashboard and `GET /health` show it.
//!
//! These types cross the wire twice — server function results to the WASM client and JSON to
//! REST consumers — so they are plain data, shared by both sides, with no behaviour beyond
//! presentation helpers.

use serde::{Deserialize, Serialize};

/// How a node or service is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Answering normally.
    Up,
    /// Answering, but not fully: slow, loading, or partly failing.
    Degraded,
    /// Not answering.
    Down,
    /// Not probed yet.
    Unknown,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Degraded => "degraded",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }
}

/// Everything the controller currently knows about the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// When the newest probe result arrived (Unix milliseconds).
    pub updated_at_ms: u64,
    /// A sentence for the owner about what this cluster is (e.g. that it is simulated).
    pub note: Option<String>,
    pub nodes: Vec<NodeStatus>,
    pub services: Vec<ServiceStatus>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    pub name: String,
    /// `ip:port` of the node's SSH server.
    pub address: String,
    /// Whether the controller can run commands on the node.
    pub ssh: Health,
    /// Since when `ssh` has had its current value (Unix milliseconds).
    pub since_ms: u64,
    /// Why the node is down, in words.
    pub error: Option<String>,
    /// Round trip of the last probe over SSH.
    pub latency_ms: Option<f64>,
    pub uptime_secs: Option<u64>,
    pub gpu: Option<GpuStatus>,
    pub memory: Option<MemoryStatus>,
    pub disk: Option<DiskStatus>,
    pub containers: Vec<ContainerStatus>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuStatus {
    pub name: String,
    pub utilization_pct: Option<f64>,
    /// Memory held by GPU processes. GB10 memory is unified with the CPU's; some drivers
    /// report it as not available, hence optional.
    pub memory_used_mib: Option<u64>,
    pub memory_total_mib: Option<u64>,
    pub temperature_c: Option<f64>,
    pub power_w: Option<f64>,
}

/// System memory from `free`: on a Spark this is the unified pool the GPU draws from too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryStatus {
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub available_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiskStatus {
    pub mount: String,
    pub total_bytes: u64,
    pub available_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContainerStatus {
    pub name: String,
    pub image: String,
    /// Docker's state word: `running`, `exited`, `restarting`, …
    pub state: String,
    /// Docker's human status: `Up 3 hours`, `Exited (1) 2 minutes ago`.
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceStatus {
    /// The service kind: `vllm`, later `parakeet`, `kokoro`, …
    pub name: String,
    pub node: String,
    /// Where the controller reaches it (`http://ip:port`).
    pub url: String,
    pub health: Health,
    pub since_ms: u64,
    pub latency_ms: Option<f64>,
    /// The model it serves, when it says.
    pub model: Option<String>,
    pub error: Option<String>,
}

/// `12.3 GiB`-style sizes for people.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `3 d 4 h`-style durations for people.
pub fn format_duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        3600..=86_399 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// `HH:MM:SS` (UTC) of a Unix-milliseconds instant.
pub fn format_clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_people() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
        assert_eq!(format_duration(3 * 86_400 + 4 * 3600 + 59), "3 d 4 h");
        assert_eq!(format_clock(3_723_000), "01:02:03 UTC");
    }
}
