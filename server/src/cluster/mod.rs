//! The cluster as the controller sees it: configured nodes, each with its SSH client, and the
//! probes that read a node's state ([`node_probe`]) and a service's health ([`service_probe`]).
//!
//! A simulated node and a real Spark are the same thing here: an address, a user, a pinned host
//! key and a list of services.

pub mod node_probe;
pub mod service_probe;

use std::net::SocketAddrV4;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::{PrivateKey, PublicKey};

use crate::config::{ConfigError, NodeConfig, ServiceConfig};
use crate::ssh::host_keys::HostKeyPolicy;
use crate::ssh::{SshClient, SshTarget};

/// Time allowed to open an SSH connection to a node.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One node: its configuration and the way to reach it.
pub struct Node {
    pub config: NodeConfig,
    pub ssh: SshClient,
}

impl Node {
    pub fn ssh_address(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.config.host, self.config.ssh_port)
    }

    /// `http://ip:port` of one of this node's services (IPv4 literal, never a name).
    pub fn service_url(&self, service: &ServiceConfig) -> String {
        format!("http://{}:{}", self.config.host, service.port)
    }
}

pub struct Cluster {
    pub nodes: Vec<Arc<Node>>,
}

impl Cluster {
    pub fn new(
        configs: Vec<NodeConfig>,
        key: Arc<PrivateKey>,
        known_hosts: &std::path::Path,
    ) -> Result<Self, ConfigError> {
        let mut nodes = Vec::new();
        for config in configs {
            let host_keys = match &config.host_key {
                Some(text) => {
                    HostKeyPolicy::Pinned(PublicKey::from_openssh(text).map_err(|e| {
                        ConfigError::Invalid {
                            field: format!("{}.host_key", config.name),
                            problem: e.to_string(),
                        }
                    })?)
                }
                None => HostKeyPolicy::KnownHosts(known_hosts.to_path_buf()),
            };
            let target = SshTarget {
                addr: SocketAddrV4::new(config.host, config.ssh_port),
                user: config.user.clone(),
                host_keys,
            };
            nodes.push(Arc::new(Node {
                ssh: SshClient::new(target, key.clone(), CONNECT_TIMEOUT),
                config,
            }));
        }
        Ok(Self { nodes })
    }
}
