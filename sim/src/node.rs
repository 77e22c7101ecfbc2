//! One simulated DGX Spark: its containers, its unified memory, its faults.
//!
//! A node is what the SSH server and the shell commands act on. It knows nothing of SSH or of
//! the controller; `docker run` here starts a workload (a simulated vLLM, or the Ray worker of
//! a model that spans two nodes, see [`crate::launcher`]) bound to the node's address, exactly
//! where a real container with host networking would listen. A node knows the other nodes of
//! its cluster (its peers), as a Spark's recipe launcher reaches the other Spark over SSH.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Instant, SystemTime};

use crate::faults::FaultTable;
use crate::launcher::{RayWorker, SimRecipe};
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
    /// The worker side of a model that spans two nodes (started by the recipe launcher).
    RayWorker(Arc<RayWorker>),
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
            (ContainerState::Running, Workload::RayWorker(w)) if !w.alive() => {
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
    /// Where the recipe launcher lives, relative to the login's home (`spark-vllm-docker`).
    pub recipe_dir: String,
    /// The recipes that launcher knows.
    pub recipes: Arc<Vec<SimRecipe>>,
    started: Instant,
    containers: Mutex<Vec<Container>>,
    peers: Mutex<Vec<Weak<SimNode>>>,
}

impl SimNode {
    pub fn new(name: &str, ip: Ipv4Addr, timing: Timing) -> Self {
        Self {
            name: name.to_string(),
            ip,
            faults: Arc::new(FaultTable::default()),
            timing,
            recipe_dir: crate::launcher::DEFAULT_DIR.to_string(),
            recipes: Arc::new(SimRecipe::defaults()),
            started: Instant::now(),
            containers: Mutex::new(Vec::new()),
            peers: Mutex::new(Vec::new()),
        }
    }

    /// Sets where the recipe launcher lives and which recipes it knows.
    pub fn with_recipes(mut self, dir: &str, recipes: Arc<Vec<SimRecipe>>) -> Self {
        self.recipe_dir = dir.to_string();
        self.recipes = recipes;
        self
    }

    /// The other nodes of the cluster, which this node's launcher can reach.
    pub fn set_peers(&self, peers: Vec<Weak<SimNode>>) {
        *self.peers.lock().unwrap_or_else(|e| e.into_inner()) = peers;
    }

    pub fn peers(&self) -> Vec<Arc<SimNode>> {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
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
        self.add_container(name, image, command, |logs| match vllm {
            Some(args) => Workload::Vllm(VllmServer::launch(
                self.ip,
                args,
                logs,
                self.faults.clone(),
                timing,
            )),
            None => Workload::Idle,
        })
    }

    /// Creates and starts a container whose workload `start` builds (given the container's
    /// log); refuses a name in use as docker does, before anything starts.
    pub fn add_container(
        &self,
        name: Option<String>,
        image: &str,
        command: Vec<String>,
        start: impl FnOnce(Arc<LogBuffer>) -> Workload,
    ) -> Result<String, String> {
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
        let workload = start(logs.clone());
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

    /// Whether the container with this id exists and runs.
    pub fn is_running(&self, id: &str) -> bool {
        self.containers()
            .iter()
            .any(|c| c.id == id && c.effective_state() == ContainerState::Running)
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

    /// Unified memory in use: the OS plus every running vLLM's (or Ray worker's) share.
    pub fn memory_used_bytes(&self) -> u64 {
        (BASE_MEMORY_BYTES + self.gpu_memory_used_bytes()).min(GPU_MEMORY_BYTES)
    }

    /// Memory held by GPU processes alone (what `nvidia-smi` counts).
    pub fn gpu_memory_used_bytes(&self) -> u64 {
        self.gpu_processes().iter().sum()
    }

    /// The memory of each GPU process: running vLLMs, then running Ray workers.
    pub fn gpu_processes(&self) -> Vec<u64> {
        let workers: Vec<u64> = self
            .containers()
            .iter()
            .filter(|c| c.effective_state() == ContainerState::Running)
            .filter_map(|c| match &c.workload {
                Workload::RayWorker(w) => Some(w.memory_bytes()),
                _ => None,
            })
            .collect();
        self.vllm_servers()
            .iter()
            .map(|v| v.memory_bytes())
            .chain(workers)
            .collect()
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
                Workload::Idle | Workload::RayWorker(_) => None,
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
