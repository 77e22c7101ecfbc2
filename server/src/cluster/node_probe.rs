//! Reads a node's state over SSH: GPU (`nvidia-smi`), unified memory (`free`), disk (`df`),
//! uptime (`/proc/uptime`) and containers (`docker ps`).
//!
//! The commands run concurrently on the node's one connection. Each parser takes the tool's
//! real output and tolerates what a GB10 prints differently from a discrete GPU (`[N/A]` for
//! memory that is unified with the CPU's).

use std::time::{Duration, Instant};

use app::status::{ContainerStatus, DiskStatus, GpuStatus, MemoryStatus};

use crate::ssh::{CommandOutput, SshClient, SshError};

const GPU_QUERY: &str =
    "--query-gpu=name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw";

/// One probe's findings. A failed command leaves its part empty rather than failing the probe.
#[derive(Clone, Debug, Default)]
pub struct NodeReport {
    pub latency: Duration,
    pub uptime_secs: Option<u64>,
    pub gpu: Option<GpuStatus>,
    pub memory: Option<MemoryStatus>,
    pub disk: Option<DiskStatus>,
    pub containers: Vec<ContainerStatus>,
}

/// Probes a node; `Err` only when the node could not be reached at all.
pub async fn probe(ssh: &SshClient, timeout: Duration) -> Result<NodeReport, SshError> {
    let started = Instant::now();
    // Reachability first: if this fails the node is down and the rest would only time out.
    let uptime = ssh.exec(&["cat", "/proc/uptime"], timeout).await?;
    let latency = started.elapsed();
    let (gpu, memory, disk, containers) = tokio::join!(
        ssh.exec(
            &["nvidia-smi", GPU_QUERY, "--format=csv,noheader,nounits"],
            timeout
        ),
        ssh.exec(&["free", "-b"], timeout),
        ssh.exec(&["df", "-P", "-B1", "/"], timeout),
        ssh.exec(&["docker", "ps", "-a", "--format", "{{json .}}"], timeout),
    );
    let ok = |r: Result<CommandOutput, SshError>| {
        r.ok().filter(CommandOutput::success).map(|o| o.stdout)
    };
    Ok(NodeReport {
        latency,
        uptime_secs: Some(uptime)
            .filter(CommandOutput::success)
            .and_then(|o| parse_uptime(&o.stdout)),
        gpu: ok(gpu).and_then(|o| parse_gpu(&o)),
        memory: ok(memory).and_then(|o| parse_free(&o)),
        disk: ok(disk).and_then(|o| parse_df(&o)),
        containers: ok(containers)
            .map(|o| parse_docker_ps(&o))
            .unwrap_or_default(),
    })
}

pub fn parse_uptime(text: &str) -> Option<u64> {
    text.split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .map(|s| s as u64)
}

/// One CSV line of [`GPU_QUERY`] with `noheader,nounits`; `[N/A]` fields become `None`.
pub fn parse_gpu(text: &str) -> Option<GpuStatus> {
    let line = text.lines().next()?;
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    if fields.len() < 6 {
        return None;
    }
    let number = |i: usize| fields[i].parse::<f64>().ok();
    Some(GpuStatus {
        name: fields[0].to_string(),
        utilization_pct: number(1),
        memory_used_mib: number(2).map(|v| v as u64),
        memory_total_mib: number(3).map(|v| v as u64),
        temperature_c: number(4),
        power_w: number(5),
    })
}

/// `free -b`: the `Mem:` row's total, used and available columns.
pub fn parse_free(text: &str) -> Option<MemoryStatus> {
    let row = text.lines().find(|l| l.starts_with("Mem:"))?;
    let values: Vec<u64> = row
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    Some(MemoryStatus {
        total_bytes: *values.first()?,
        used_bytes: *values.get(1)?,
        available_bytes: *values.get(5)?,
    })
}

/// `df -P -B1 /`: the second line's size, available and mount point.
pub fn parse_df(text: &str) -> Option<DiskStatus> {
    let row = text.lines().nth(1)?;
    let fields: Vec<&str> = row.split_whitespace().collect();
    Some(DiskStatus {
        total_bytes: fields.get(1)?.parse().ok()?,
        available_bytes: fields.get(3)?.parse().ok()?,
        mount: fields.get(5)?.to_string(),
    })
}

/// `docker ps -a --format '{{json .}}'`: one JSON object per line.
pub fn parse_docker_ps(text: &str) -> Vec<ContainerStatus> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|row| {
            let field = |name: &str| {
                row.get(name)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            ContainerStatus {
                name: field("Names"),
                image: field("Image"),
                state: field("State"),
                status: field("Status"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb10_reports_unified_memory_as_not_available() {
        let gpu = parse_gpu("NVIDIA GB10, 3, [N/A], [N/A], 41, 12.31\n").unwrap();
        assert_eq!(gpu.name, "NVIDIA GB10");
        assert_eq!(gpu.utilization_pct, Some(3.0));
        assert_eq!((gpu.memory_used_mib, gpu.memory_total_mib), (None, None));
        assert_eq!(gpu.power_w, Some(12.31));
        assert!(parse_gpu("garbage").is_none());
    }

    #[test]
    fn parses_free_df_uptime_and_docker_ps() {
        let free = "               total        used        free      shared  buff/cache   available\nMem:    128000000000 30000000000 80000000000 1000 18000000000 98000000000\nSwap:  0 0 0\n";
        assert_eq!(
            parse_free(free),
            Some(MemoryStatus {
                total_bytes: 128_000_000_000,
                used_bytes: 30_000_000_000,
                available_bytes: 98_000_000_000
            })
        );
        let df = "Filesystem     1B-blocks         Used     Available Capacity Mounted on\n/dev/nvme0n1p2 3936000000000 1312000000000 2624000000000      34% /\n";
        assert_eq!(parse_df(df).unwrap().available_bytes, 2_624_000_000_000);
        assert_eq!(parse_uptime("277512.43 5355993.90\n"), Some(277_512));
        let ps = "{\"Names\":\"vllm\",\"Image\":\"vllm-node\",\"State\":\"running\",\"Status\":\"Up 2 hours\"}\nnot json\n";
        let containers = parse_docker_ps(ps);
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0].status, "Up 2 hours");
    }
}
