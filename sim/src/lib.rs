//! # spark-sim — a simulated DGX Spark cluster
//!
//! The controller never runs models; it drives nodes over SSH and talks to their services over
//! HTTP. This crate stands in for the parts that need a GPU, so that the dashboard, the tests
//! and a newcomer's first run all exercise the *same* controller code that serves real Sparks.
//!
//! Each [`SimNode`] has
//! - a real SSH server ([`ssh`]) on loopback that accepts the controller's key and answers the
//!   commands the controller sends — `docker ps/run/stop/rm/logs/inspect`, `nvidia-smi`
//!   queries, `free`, `df`, `uptime` ([`shell`], [`docker`]);
//! - workloads started by `docker run`: today a simulated vLLM ([`vllm`]) that loads for a
//!   configurable time, logs its progress, refuses its port until ready and then speaks
//!   vLLM's OpenAI-compatible wire format;
//! - spark-vllm-docker's recipe launcher (`spark-vllm-docker/run-recipe.sh NAME --solo|-n …`,
//!   [`launcher`]), which starts a model on this node alone or across two nodes (a vLLM head
//!   here, a Ray worker container on the peer node);
//! - a fault table ([`faults`]) so tests can make a service down, slow, hung, failing, or cut
//!   its streams midway.
//!
//! [`SimCluster`] starts a set of nodes and describes where they listen; [`control`] exposes
//! faults and command execution over HTTP for tests that run in other processes.

pub mod clock;
pub mod control;
pub mod docker;
pub mod endpoint;
pub mod faults;
pub mod launcher;
pub mod logbuf;
pub mod node;
pub mod shell;
pub mod ssh;
pub mod vllm;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use russh::keys::{Algorithm, PrivateKey, PublicKey};
use serde::Serialize;

pub use faults::Fault;
pub use launcher::SimRecipe;
pub use node::SimNode;
pub use vllm::Timing;

use endpoint::Endpoint;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("could not bind a simulated port: {0}")]
    Bind(#[from] std::io::Error),
    #[error("could not generate a host key: {0}")]
    Key(String),
    #[error("no simulated node named {0:?}")]
    NoSuchNode(String),
    #[error("could not start the initial model on {node}: {message}")]
    InitialModel { node: String, message: String },
}

/// A model that is already loaded when the simulator starts (the state a controller finds
/// after it restarts next to a running cluster).
#[derive(Clone, Debug)]
pub struct Preloaded {
    pub container: String,
    pub image: String,
    /// vLLM arguments after `vllm serve`; `--port` is added from the node's vLLM port.
    pub vllm_args: Vec<String>,
}

/// How to set up one node.
#[derive(Clone, Debug)]
pub struct NodeSetup {
    pub name: String,
    /// Whether this node serves vLLM's API (the head node); a worker-only node does not.
    pub hosts_vllm: bool,
    pub preloaded: Option<Preloaded>,
}

#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Where every node listens. Loopback by default; nodes are told apart by port.
    pub ip: Ipv4Addr,
    /// Public keys the nodes' SSH servers accept (the controller's).
    pub authorized_keys: Vec<PublicKey>,
    pub timing: Timing,
    pub nodes: Vec<NodeSetup>,
    /// Where each node's recipe launcher lives (relative to the login's home).
    pub recipe_dir: String,
    /// The recipes the launcher knows.
    pub recipes: Vec<SimRecipe>,
}

impl SimOptions {
    /// The default cluster: two Sparks, the first serving a model already loaded.
    pub fn two_sparks(authorized_key: PublicKey) -> Self {
        let preloaded = Preloaded {
            container: "vllm".into(),
            image: "vllm-node:latest".into(),
            vllm_args: [
                "openai/gpt-oss-120b",
                "--served-model-name",
                "gpt-oss-120b",
                "--max-model-len",
                "131072",
                "--gpu-memory-utilization",
                "0.7",
            ]
            .map(String::from)
            .to_vec(),
        };
        Self {
            ip: Ipv4Addr::LOCALHOST,
            authorized_keys: vec![authorized_key],
            timing: Timing::default(),
            nodes: vec![
                NodeSetup {
                    name: "spark-1".into(),
                    hosts_vllm: true,
                    preloaded: Some(preloaded),
                },
                NodeSetup {
                    name: "spark-2".into(),
                    hosts_vllm: false,
                    preloaded: None,
                },
            ],
            recipe_dir: launcher::DEFAULT_DIR.into(),
            recipes: SimRecipe::defaults(),
        }
    }
}

/// Where a simulated node listens, in the terms a controller's configuration needs.
#[derive(Clone, Debug, Serialize)]
pub struct SimNodeInfo {
    pub name: String,
    pub ip: Ipv4Addr,
    pub ssh_port: u16,
    /// Any user name is accepted; this is the one to configure.
    pub user: String,
    /// The node's SSH host key in OpenSSH format, for pinning.
    pub host_key: String,
    /// Service name → port (`"vllm"` → 8888-ish).
    pub services: Vec<(String, u16)>,
}

struct RunningNode {
    node: Arc<SimNode>,
    ssh: Endpoint,
    info: SimNodeInfo,
}

/// A running simulated cluster. Dropping it stops every node.
pub struct SimCluster {
    nodes: Vec<RunningNode>,
}

impl SimCluster {
    pub async fn start(options: SimOptions) -> Result<Self, SimError> {
        let authorized = Arc::new(options.authorized_keys);
        let recipes = Arc::new(options.recipes);
        let mut nodes = Vec::new();
        for setup in options.nodes {
            let node = Arc::new(
                SimNode::new(&setup.name, options.ip, options.timing)
                    .with_recipes(&options.recipe_dir, recipes.clone()),
            );
            let host_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
                .map_err(|e| SimError::Key(e.to_string()))?;
            let host_key_text = host_key
                .public_key()
                .to_openssh()
                .map_err(|e| SimError::Key(e.to_string()))?;
            let ssh_addr = SocketAddr::from((options.ip, endpoint::free_port(options.ip)?));
            let ssh = Endpoint::new(
                ssh_addr,
                ssh::handler(node.clone(), host_key, authorized.clone()),
            );
            ssh.up().await?;
            let vllm_port = endpoint::free_port(options.ip)?;
            if let Some(pre) = setup.preloaded {
                let mut command = vec!["vllm".to_string(), "serve".to_string()];
                command.extend(pre.vllm_args);
                command.extend(["--port".to_string(), vllm_port.to_string()]);
                let instant = Timing {
                    load: Duration::ZERO,
                    ..options.timing
                };
                node.run_container_timed(Some(pre.container), &pre.image, command, instant)
                    .map_err(|message| SimError::InitialModel {
                        node: setup.name.clone(),
                        message,
                    })?;
            }
            let info = SimNodeInfo {
                name: setup.name,
                ip: options.ip,
                ssh_port: ssh_addr.port(),
                user: "sim".into(),
                host_key: host_key_text,
                services: if setup.hosts_vllm {
                    vec![(vllm::SERVICE.to_string(), vllm_port)]
                } else {
                    Vec::new()
                },
            };
            nodes.push(RunningNode { node, ssh, info });
        }
        let all: Vec<_> = nodes.iter().map(|n| Arc::downgrade(&n.node)).collect();
        for running in &nodes {
            running.node.set_peers(all.clone());
        }
        Ok(Self { nodes })
    }

    pub fn describe(&self) -> Vec<SimNodeInfo> {
        self.nodes.iter().map(|n| n.info.clone()).collect()
    }

    pub fn node(&self, name: &str) -> Result<&Arc<SimNode>, SimError> {
        self.running(name).map(|n| &n.node)
    }

    fn running(&self, name: &str) -> Result<&RunningNode, SimError> {
        self.nodes
            .iter()
            .find(|n| n.info.name == name)
            .ok_or_else(|| SimError::NoSuchNode(name.to_string()))
    }

    /// Sets (or, with `Fault::default()`, clears) a fault on one service of one node.
    pub async fn set_fault(&self, node: &str, service: &str, fault: Fault) -> Result<(), SimError> {
        let running = self.running(node)?;
        running.node.faults.set(service, fault);
        self.apply(running).await
    }

    pub async fn clear_faults(&self) -> Result<(), SimError> {
        for running in &self.nodes {
            running.node.faults.clear();
            self.apply(running).await?;
        }
        Ok(())
    }

    async fn apply(&self, running: &RunningNode) -> Result<(), SimError> {
        if running.node.faults.get(ssh::SERVICE).down {
            running.ssh.down();
        } else {
            running.ssh.up().await?;
        }
        running.node.apply_faults().await;
        Ok(())
    }
}
