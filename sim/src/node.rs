//! One simulated DGX Spark: its containers, its unified memory, its faults.
//!
//! A node is what the SSH server and the shell commands act on. It knows nothing of SSH or of
//! the controller; `docker run` here starts a workload (today: a simulated vLLM) bound to the
//! node's address, exactly where a real container with host networking would listen.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use crate::faults::FaultTable;
use crate::logbuf::LogBuffer;
use crate::vllm::{Phase, Timing, VllmArgs, VllmServer, GPU_MEMORY_BYTES};

/// Memory the OS and desktop hold on an idle Spark.
const BASE_MEMORY_BYTES: u64 = 6 * 1024 * 1024 * 1024;
/// The Spark's NVMe: 4 TB, ~1.3 TB used by images and model weights.
pub const DISK_TOTAL_BYTES: u64 = 3_936_000_000_000;
pub const DISK_USED_BYTES: u64 = 1_312_000_000_000;
/// A node reports an uptime as if it had been booted this long before the simulator started.
const BOOTED_BEFORE_SECS: u64 = 3 * 86_400 + 4 * 3600 + 5 * 60;

#[derive(Clone, Debug, PartialEq)]
pub enum ContainerState {
    Running,
    Exited(i32),
}

/// What runs inside a container.
pub enum Workload {
    /// An image the simulator has no model of: it just stays up.
    Idle,
    Vllm(Arc<VllmServer>),
}

pub struct Container {
    pub id: String,
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub created: SystemTime,
    pub started: SystemTime,
    pub finished: Option<SystemTime>,
    pub state: ContainerState,
    pub logs: Arc<LogBuffer>,
    pub workload: Workload,
}

impl Container {
    /// The container's state with its workload's fate folded in: a vLLM that could not bind
    /// its port has exited with code 1, as the real process would.
    pub fn effective_state(&self) -> ContainerState {
        match (&self.state, &self.workload) {
            (ContainerState::Running, Workload::Vllm(v)) if v.phase() == Phase::Crashed => {
                ContainerState::Exited(1)
            }
            (state, _) => state.clone(),
        }
    }
}

pub struct SimNode {
    pub name: String,
    pub ip: Ipv4Addr,
    pub faults: Arc<FaultTable>,
    pub timing: Timing,
    started: Instant,
    containers: Mutex<Vec<Container>>,
}

impl SimNode {
    pub fn new(name: &str, ip: Ipv4Addr, timing: Timing) -> Self {
        Self {
            name: name.to_string(),
            ip,
            faults: Arc::new(FaultTable::default()),
            timing,
            started: Instant::now(),
            containers: Mutex::new(Vec::new()),
        }
    }

    pub fn uptime_secs(&self) -> f64 {
        BOOTED_BEFORE_SECS as f64 + self.started.elapsed().as_secs_f64()
    }

    pub fn containers(&self) -> std::sync::MutexGuard<'_, Vec<Container>> {
        self.containers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates and starts a container. Errors carry docker's own wording.
    pub fn run_container(
        &self,
        name: Option<String>,
        image: &str,
        command: Vec<String>,
    ) -> Result<String, String> {
        self.run_container_timed(name, image, command, self.timing)
    }

    /// As [`Self::run_container`], with the workload paced by `timing` (a preloaded model
    /// uses a zero load time).
    pub fn run_container_timed(
        &self,
        name: Option<String>,
        image: &str,
        command: Vec<String>,
        timing: Timing,
    ) -> Result<String, String> {
        let vllm = VllmArgs::parse(&command).map_err(|e| format!("vllm: error: {e}"))?;
        let mut containers = self.containers();
        let id = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>(),
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        let name = name.unwrap_or_else(|| format!("sim_{}", &id[..8]));
        if let Some(other) = containers.iter().find(|c| c.name == name) {
            return Err(format!(
                "docker: Error response from daemon: Conflict. The container name \"/{name}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.",
                other.id
            ));
        }
        let logs = Arc::new(LogBuffer::default());
        let workload = match vllm {
            Some(args) => Workload::Vllm(VllmServer::launch(
                self.ip,
                args,
                logs.clone(),
                self.faults.clone(),
                timing,
            )),
            None => Workload::Idle,
        };
        let now = SystemTime::now();
        containers.push(Container {
            id: id.clone(),
            name,
            image: image.to_string(),
            command,
            created: now,
            started: now,
            finished: None,
            state: ContainerState::Running,
            logs,
            workload,
        });
        Ok(id)
    }

    /// Finds a container by name or by (a prefix of) its id, as docker does.
    pub fn find<'a>(containers: &'a mut [Container], key: &str) -> Option<&'a mut Container> {
        let key = key.trim_start_matches('/');
        let by_name = containers.iter().position(|c| c.name == key);
        let index = by_name.or_else(|| {
            containers
                .iter()
                .position(|c| !key.is_empty() && c.id.starts_with(key))
        })?;
        containers.get_mut(index)
    }

    pub fn stop_container(container: &mut Container) {
        if let Workload::Vllm(server) = &container.workload {
            server.stop();
        }
        if container.state == ContainerState::Running {
            container.state = ContainerState::Exited(0);
            container.finished = Some(SystemTime::now());
        }
    }

    /// Restarts an exited container with the same command (`docker start`).
    pub fn restart_container(&self, container: &mut Container) -> Result<(), String> {
        if container.effective_state() == ContainerState::Running {
            return Ok(());
        }
        if let Workload::Vllm(old) = &container.workload {
            old.stop();
            container.workload = Workload::Vllm(VllmServer::launch(
                self.ip,
                old.args.clone(),
                container.logs.clone(),
                self.faults.clone(),
                self.timing,
            ));
        }
        container.state = ContainerState::Running;
        container.started = SystemTime::now();
        container.finished = None;
        Ok(())
    }

    /// Unified memory in use: the OS plus every running vLLM's share.
    pub fn memory_used_bytes(&self) -> u64 {
        let gpu: u64 = self.vllm_servers().iter().map(|v| v.memory_bytes()).sum();
        (BASE_MEMORY_BYTES + gpu).min(GPU_MEMORY_BYTES)
    }

    /// Memory held by GPU processes alone (what `nvidia-smi` counts).
    pub fn gpu_memory_used_bytes(&self) -> u64 {
        self.vllm_servers().iter().map(|v| v.memory_bytes()).sum()
    }

    /// GPU utilisation: busy while generating, half-busy while loading weights.
    pub fn gpu_utilization_pct(&self) -> u32 {
        let servers = self.vllm_servers();
        if servers.iter().any(|v| v.requests_running() > 0) {
            96
        } else if servers
            .iter()
            .any(|v| matches!(v.phase(), Phase::Loading(_)))
        {
            41
        } else {
            0
        }
    }

    pub fn vllm_servers(&self) -> Vec<Arc<VllmServer>> {
        self.containers()
            .iter()
            .filter(|c| c.state == ContainerState::Running)
            .filter_map(|c| match &c.workload {
                Workload::Vllm(v) => Some(v.clone()),
                Workload::Idle => None,
            })
            .collect()
    }

    /// Re-reads this node's fault table into its running services.
    pub async fn apply_faults(&self) {
        for server in self.vllm_servers() {
            server.apply_faults().await;
        }
    }
}
