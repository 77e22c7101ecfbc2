//! Start-up configuration: environment variables, an optional cluster file, and their checks.
//!
//! Two ways to describe the cluster, in this order of precedence:
//! 1. a cluster file (`CLUSTER_FILE`, or `cluster.yaml` in the data dir) listing any number of
//!    nodes and the services each hosts;
//! 2. the original deployment's short form: `SPARK1_HOST`/`SPARK1_USER` and
//!    `SPARK2_HOST`/`SPARK2_USER`, with the usual services on their usual ports.
//!
//! With neither, [`ClusterSource::Simulated`] tells the server to start the simulated cluster.
//! Every value is checked here, once; a bad one stops start-up with a message that names the
//! field and says what is wrong, instead of failing later in a probe.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a misconfiguration looks like to the person who made it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

/// The kinds of upstream service a node can host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// vLLM's OpenAI-compatible server.
    Vllm,
    /// NeMo Parakeet transcription (FastAPI).
    Parakeet,
    /// Kokoro text-to-speech.
    Kokoro,
    /// bge-m3 embeddings and rerank.
    Embeddings,
    Qdrant,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 5] = [
        Self::Vllm,
        Self::Parakeet,
        Self::Kokoro,
        Self::Embeddings,
        Self::Qdrant,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Vllm => "vllm",
            Self::Parakeet => "parakeet",
            Self::Kokoro => "kokoro",
            Self::Embeddings => "embeddings",
            Self::Qdrant => "qdrant",
        }
    }

    /// The path that answers 2xx when the service is healthy.
    pub fn health_path(self) -> &'static str {
        match self {
            Self::Qdrant => "/healthz",
            _ => "/health",
        }
    }
}

/// One service on one node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub kind: ServiceKind,
    pub port: u16,
}

/// One node of the cluster, as checked configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeConfig {
    pub name: String,
    pub host: Ipv4Addr,
    pub user: String,
    pub ssh_port: u16,
    /// A pinned host key (`ssh-ed25519 AAAA…`). Without one, the key is pinned on first
    /// contact in known_hosts.
    pub host_key: Option<String>,
    pub services: Vec<ServiceConfig>,
}

/// Where the cluster description came from.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterSource {
    File(PathBuf),
    Env,
    /// Nothing configured: run the embedded simulated cluster.
    Simulated,
}

/// Everything the server needs to start.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub bind_addr: IpAddr,
    pub bind_port: u16,
    pub data_dir: PathBuf,
    /// The state store, `$DATA_DIR/state.sqlite3` (swap history; later outages and the vault).
    pub state_file: PathBuf,
    /// The controller's private key; generated on first start when `generate_key` is set.
    pub ssh_key_path: PathBuf,
    pub generate_key: bool,
    pub known_hosts: PathBuf,
    pub models_yaml: PathBuf,
    /// Whether `MODELS_YAML` was given (then a missing file is an error, not an empty catalog).
    pub models_yaml_required: bool,
    pub source: ClusterSource,
    /// Empty when `source` is `Simulated`: the simulator fills it in at start.
    pub nodes: Vec<NodeConfig>,
    /// Pacing of the simulated cluster, when it runs.
    pub sim: SimSettings,
    /// The chat gateway's limits and timeouts.
    pub gateway: crate::gateway::GatewaySettings,
    /// The redaction gateway's session TTL and body limit.
    pub redact: crate::privacy::RedactSettings,
}

/// `SIM_LOAD_SECS` (how long a simulated model takes to load) and `SIM_TOKEN_MS` (time between
/// streamed tokens).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimSettings {
    pub load: std::time::Duration,
    pub token_interval: std::time::Duration,
}

impl SimSettings {
    fn from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            load: secs_var(var, "SIM_LOAD_SECS", 12.0, 3600.0)?,
            token_interval: std::time::Duration::from_secs_f64(
                number_var(var, "SIM_TOKEN_MS", 25.0, 10_000.0)? / 1000.0,
            ),
        })
    }
}

/// `CHAT_*`: the chat gateway's limits and timeouts.
fn gateway_from_vars(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<crate::gateway::GatewaySettings, ConfigError> {
    let default = crate::gateway::GatewaySettings::default();
    Ok(crate::gateway::GatewaySettings {
        max_body_bytes: number_in(
            var,
            "CHAT_MAX_BODY_BYTES",
            default.max_body_bytes as f64,
            1024.0,
            1e9,
        )? as usize,
        swap_wait: secs_var(
            var,
            "CHAT_SWAP_WAIT_SECS",
            default.swap_wait.as_secs_f64(),
            3600.0,
        )?,
        swap_queue: number_var(var, "CHAT_SWAP_QUEUE", default.swap_queue as f64, 100_000.0)?
            as usize,
        connect_timeout: timeout_var(
            var,
            "CHAT_CONNECT_TIMEOUT_SECS",
            default.connect_timeout,
            600.0,
        )?,
        response_timeout: timeout_var(
            var,
            "CHAT_RESPONSE_TIMEOUT_SECS",
            default.response_timeout,
            86_400.0,
        )?,
        idle_timeout: timeout_var(
            var,
            "CHAT_IDLE_TIMEOUT_SECS",
            default.idle_timeout,
            86_400.0,
        )?,
    })
}

/// `REDACT_*`: the redaction gateway's session lifetime and body limit.
fn redact_from_vars(
    var: &impl Fn(&str) -> Option<String>,
    data_dir: &Path,
) -> Result<crate::privacy::RedactSettings, ConfigError> {
    use crate::privacy::RedactSettings;
    Ok(RedactSettings {
        session_ttl: number_in(
            var,
            "REDACT_SESSION_TTL_SECS",
            RedactSettings::DEFAULT_TTL.as_secs_f64(),
            0.1,
            366.0 * 86_400.0,
        )
        .map(std::time::Duration::from_secs_f64)?,
        max_body_bytes: number_in(
            var,
            "REDACT_MAX_BODY_BYTES",
            RedactSettings::DEFAULT_MAX_BODY_BYTES as f64,
            1024.0,
            1e9,
        )? as usize,
        seal_key_path: data_dir.join("redact-seal.key"),
    })
}

/// A number from 0 to `max` in variable `name`, or `default` when unset.
fn number_var(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: f64,
    max: f64,
) -> Result<f64, ConfigError> {
    number_in(var, name, default, 0.0, max)
}

/// A number from `min` to `max` in variable `name`, or `default` when unset.
fn number_in(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: f64,
    min: f64,
    max: f64,
) -> Result<f64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && (min..=max).contains(n))
            .ok_or_else(|| invalid(name, format!("{v:?} is not a number from {min} to {max}"))),
    }
}

fn secs_var(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: f64,
    max: f64,
) -> Result<std::time::Duration, ConfigError> {
    number_var(var, name, default, max).map(std::time::Duration::from_secs_f64)
}

/// A duration that must not be zero (a zero timeout would fail every request).
fn timeout_var(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: std::time::Duration,
    max: f64,
) -> Result<std::time::Duration, ConfigError> {
    number_in(var, name, default.as_secs_f64(), 0.1, max).map(std::time::Duration::from_secs_f64)
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads settings through `var` (the environment, or a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bind_port = match var("BIND_PORT") {
            Some(v) => parse_port("BIND_PORT", &v)?,
            None => 9999,
        };
        let bind_addr = match var("BIND_ADDR") {
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| invalid("BIND_ADDR", format!("{v:?} is not an IP address")))?,
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".into()));
        let ssh_dir = var("SSH_DIR").map(PathBuf::from);
        let key_dir = ssh_dir.clone().unwrap_or_else(|| data_dir.clone());
        let (ssh_key_path, generate_key) = match var("SSH_KEY_PATH") {
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(invalid("SSH_KEY_PATH", format!("{} does not exist; give the path of an existing private key, or unset it to have one generated in DATA_DIR", path.display())));
                }
                (path, false)
            }
            None => (key_dir.join("id_ed25519"), true),
        };
        let known_hosts = var("SSH_KNOWN_HOSTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| key_dir.join("known_hosts"));
        let models_yaml_required = var("MODELS_YAML").is_some();
        let models_yaml = PathBuf::from(var("MODELS_YAML").unwrap_or_else(|| "models.yaml".into()));

        let uses_env = ["SPARK1_HOST", "SPARK1_USER", "SPARK2_HOST", "SPARK2_USER"]
            .iter()
            .any(|v| var(v).is_some());
        let explicit_file = var("CLUSTER_FILE").map(PathBuf::from);
        let default_file = data_dir.join("cluster.yaml");
        let (source, nodes) = match (explicit_file, uses_env) {
            (Some(_), true) => {
                return Err(invalid("CLUSTER_FILE", "is set together with SPARK1_*/SPARK2_* variables; describe the cluster in one place only"));
            }
            (Some(path), false) => {
                let nodes = read_cluster_file(&path)?;
                (ClusterSource::File(path), nodes)
            }
            (None, true) => (ClusterSource::Env, nodes_from_env(&var)?),
            (None, false) if default_file.is_file() => {
                let nodes = read_cluster_file(&default_file)?;
                (ClusterSource::File(default_file), nodes)
            }
            (None, false) => (ClusterSource::Simulated, Vec::new()),
        };
        let sim = SimSettings::from_vars(&var)?;
        let gateway = gateway_from_vars(&var)?;
        let redact = redact_from_vars(&var, &data_dir)?;
        Ok(Settings {
            bind_addr,
            bind_port,
            state_file: data_dir.join("state.sqlite3"),
            data_dir,
            ssh_key_path,
            generate_key,
            known_hosts,
            models_yaml,
            models_yaml_required,
            source,
            nodes,
            sim,
            gateway,
            redact,
        })
    }
}

/// The original two-Spark deployment: Spark 1 runs vLLM, Spark 2 the speech services.
fn nodes_from_env(var: &impl Fn(&str) -> Option<String>) -> Result<Vec<NodeConfig>, ConfigError> {
    let mut nodes = Vec::new();
    for (index, services) in [
        (1, vec![(ServiceKind::Vllm, 8888)]),
        (
            2,
            vec![(ServiceKind::Parakeet, 8000), (ServiceKind::Kokoro, 8880)],
        ),
    ] {
        let host_var = format!("SPARK{index}_HOST");
        let user_var = format!("SPARK{index}_USER");
        let port_var = format!("SPARK{index}_SSH_PORT");
        let Some(host) = var(&host_var) else {
            if var(&user_var).is_some() {
                return Err(invalid(
                    host_var,
                    format!("is missing while {user_var} is set"),
                ));
            }
            continue;
        };
        let user = var(&user_var)
            .ok_or_else(|| invalid(&user_var, format!("is required when {host_var} is set")))?;
        let ssh_port = match var(&port_var) {
            Some(v) => parse_port(&port_var, &v)?,
            None => 22,
        };
        nodes.push(NodeConfig {
            name: format!("spark-{index}"),
            host: parse_ipv4(&host_var, &host)?,
            user: check_user(&user_var, &user)?,
            ssh_port,
            host_key: None,
            services: services
                .into_iter()
                .map(|(kind, port)| ServiceConfig { kind, port })
                .collect(),
        });
    }
    if nodes.is_empty() {
        return Err(invalid(
            "SPARK1_HOST",
            "is missing: set SPARK1_HOST and SPARK1_USER (and SPARK2_* for a second node)",
        ));
    }
    Ok(nodes)
}

/// The cluster file as written by people: lenient in form, strict in content.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterFile {
    nodes: Vec<NodeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeEntry {
    name: String,
    host: String,
    user: String,
    #[serde(default = "default_ssh_port")]
    ssh_port: u32,
    #[serde(default)]
    host_key: Option<String>,
    #[serde(default)]
    services: std::collections::BTreeMap<String, u32>,
}

fn default_ssh_port() -> u32 {
    22
}

/// Reads and checks a cluster file.
pub fn read_cluster_file(path: &Path) -> Result<Vec<NodeConfig>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.into(),
        message: e.to_string(),
    })?;
    parse_cluster_file(&text).map_err(|e| match e {
        ConfigError::Invalid { field, problem } => ConfigError::File {
            path: path.into(),
            message: format!("{field}: {problem}"),
        },
        other => other,
    })
}

/// Parses and checks the text of a cluster file. Field names in errors are paths such as
/// `nodes[1].host`.
pub fn parse_cluster_file(text: &str) -> Result<Vec<NodeConfig>, ConfigError> {
    let file: ClusterFile =
        serde_yaml::from_str(text).map_err(|e| invalid("cluster file", e.to_string()))?;
    if file.nodes.is_empty() {
        return Err(invalid("nodes", "lists no node"));
    }
    let mut names = HashSet::new();
    let mut nodes = Vec::new();
    for (i, entry) in file.nodes.into_iter().enumerate() {
        let field = |name: &str| format!("nodes[{i}].{name}");
        let name = entry.name.trim().to_string();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                field("name"),
                format!("{name:?} must be letters, digits, '-' or '_'"),
            ));
        }
        if !names.insert(name.clone()) {
            return Err(invalid(
                field("name"),
                format!("{name:?} is used by two nodes"),
            ));
        }
        let mut services = Vec::new();
        let mut ports = HashSet::new();
        for (kind, port) in entry.services {
            let service_field = field(&format!("services.{kind}"));
            let kind = ServiceKind::ALL
                .into_iter()
                .find(|k| k.name() == kind)
                .ok_or_else(|| {
                    let known: Vec<_> = ServiceKind::ALL.iter().map(|k| k.name()).collect();
                    invalid(
                        &service_field,
                        format!("unknown service; known services are {}", known.join(", ")),
                    )
                })?;
            let port = check_port(&service_field, port)?;
            if !ports.insert(port) {
                return Err(invalid(
                    service_field,
                    format!("port {port} is used by another service on this node"),
                ));
            }
            services.push(ServiceConfig { kind, port });
        }
        if let Some(key) = &entry.host_key {
            russh::keys::PublicKey::from_openssh(key.trim()).map_err(|e| {
                invalid(
                    field("host_key"),
                    format!("is not an OpenSSH public key (\"ssh-ed25519 AAAA…\"): {e}"),
                )
            })?;
        }
        nodes.push(NodeConfig {
            host: parse_ipv4(&field("host"), &entry.host)?,
            user: check_user(&field("user"), &entry.user)?,
            ssh_port: check_port(&field("ssh_port"), entry.ssh_port)?,
            host_key: entry.host_key.map(|k| k.trim().to_string()),
            services,
            name,
        });
    }
    Ok(nodes)
}

/// Writes nodes as a cluster file (the inverse of [`parse_cluster_file`]).
pub fn cluster_file_yaml(nodes: &[NodeConfig]) -> String {
    let mut out = String::from("# spark-control cluster file\nnodes:\n");
    for node in nodes {
        out.push_str(&format!(
            "  - name: {}\n    host: {}\n    user: {}\n    ssh_port: {}\n",
            node.name, node.host, node.user, node.ssh_port
        ));
        if let Some(key) = &node.host_key {
            out.push_str(&format!("    host_key: \"{key}\"\n"));
        }
        out.push_str("    services:\n");
        for service in &node.services {
            out.push_str(&format!(
                "      {}: {}\n",
                service.kind.name(),
                service.port
            ));
        }
    }
    out
}

/// Only IPv4 literals: `.local` names resolve IPv6-first and hang HTTP clients, and other
/// names add a resolver between the controller and its cluster.
pub fn parse_ipv4(field: &str, value: &str) -> Result<Ipv4Addr, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(
            field,
            "is empty; give the node's IPv4 address, e.g. 192.168.1.50",
        ));
    }
    if value
        .to_ascii_lowercase()
        .trim_end_matches('.')
        .ends_with(".local")
    {
        return Err(invalid(field, format!("{value:?} is a .local (mDNS) name, which resolves IPv6-first and makes clients hang; use the node's IPv4 address instead")));
    }
    if value.parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(invalid(field, format!("{value:?} is an IPv6 address; the cluster is reached over IPv4, give the node's IPv4 address")));
    }
    value.parse().map_err(|_| {
        invalid(
            field,
            format!(
                "{value:?} is not an IPv4 address (like 192.168.1.50); host names are not accepted"
            ),
        )
    })
}

fn check_user(field: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 32
        && value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(value.to_string())
    } else {
        Err(invalid(
            field,
            format!(
                "{value:?} is not a valid user name (lowercase letters, digits, '_', '-', '.')"
            ),
        ))
    }
}

fn parse_port(field: &str, value: &str) -> Result<u16, ConfigError> {
    let number: u32 = value
        .trim()
        .parse()
        .map_err(|_| invalid(field, format!("{value:?} is not a port number")))?;
    check_port(field, number)
}

fn check_port(field: &str, port: u32) -> Result<u16, ConfigError> {
    u16::try_from(port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| invalid(field, format!("{port} is not a port number (1-65535)")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let mut vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.entry("DATA_DIR".into())
            .or_insert_with(|| dir.path().display().to_string());
        Settings::from_vars(|k| vars.get(k).cloned())
    }

    fn field_of(err: ConfigError) -> String {
        match err {
            ConfigError::Invalid { field, .. } => field,
            other => panic!("expected a field error, got {other}"),
        }
    }

    #[test]
    fn nothing_configured_means_simulated_on_9999() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.source, ClusterSource::Simulated);
        assert_eq!(s.bind_port, 9999);
        assert!(s.generate_key);
        assert!(s.nodes.is_empty());
        assert_eq!(s.redact.session_ttl, std::time::Duration::from_secs(86_400));
        assert_eq!(s.redact.max_body_bytes, 1 << 20);
        assert_eq!(s.redact.seal_key_path, s.data_dir.join("redact-seal.key"));
    }

    #[test]
    fn original_env_vars_describe_two_sparks() {
        let s = settings(&[
            ("SPARK1_HOST", "10.0.0.11"),
            ("SPARK1_USER", "owner"),
            ("SPARK2_HOST", "10.0.0.12"),
            ("SPARK2_USER", "owner"),
            ("BIND_PORT", "8080"),
        ])
        .unwrap();
        assert_eq!(s.source, ClusterSource::Env);
        assert_eq!(s.bind_port, 8080);
        assert_eq!(s.nodes.len(), 2);
        assert_eq!(s.nodes[0].host, Ipv4Addr::new(10, 0, 0, 11));
        assert_eq!(
            s.nodes[0].services,
            vec![ServiceConfig {
                kind: ServiceKind::Vllm,
                port: 8888
            }]
        );
        assert_eq!(s.nodes[1].ssh_port, 22);
    }

    #[test]
    fn bad_values_name_their_field() {
        let err =
            settings(&[("SPARK1_HOST", "spark-1.local"), ("SPARK1_USER", "owner")]).unwrap_err();
        assert!(err.to_string().starts_with("SPARK1_HOST: "), "{err}");
        assert!(err.to_string().contains("IPv6-first"), "{err}");
        assert_eq!(
            field_of(settings(&[("SPARK1_HOST", "10.0.0.1")]).unwrap_err()),
            "SPARK1_USER"
        );
        assert_eq!(
            field_of(settings(&[("BIND_PORT", "99999")]).unwrap_err()),
            "BIND_PORT"
        );
        assert_eq!(
            field_of(settings(&[("BIND_PORT", "nine")]).unwrap_err()),
            "BIND_PORT"
        );
        assert_eq!(
            field_of(settings(&[("SPARK1_HOST", "fe80::1"), ("SPARK1_USER", "u")]).unwrap_err()),
            "SPARK1_HOST"
        );
        assert_eq!(
            field_of(
                settings(&[("SPARK1_HOST", "10.0.0.1"), ("SPARK1_USER", "Bad User")]).unwrap_err()
            ),
            "SPARK1_USER"
        );
        assert_eq!(
            field_of(settings(&[("SSH_KEY_PATH", "/nonexistent/key")]).unwrap_err()),
            "SSH_KEY_PATH"
        );
        assert_eq!(
            field_of(settings(&[("SIM_LOAD_SECS", "-1")]).unwrap_err()),
            "SIM_LOAD_SECS"
        );
        // A zero timeout or body limit would fail every chat request: refused at start.
        for name in [
            "CHAT_CONNECT_TIMEOUT_SECS",
            "CHAT_RESPONSE_TIMEOUT_SECS",
            "CHAT_IDLE_TIMEOUT_SECS",
            "CHAT_MAX_BODY_BYTES",
            "REDACT_SESSION_TTL_SECS",
            "REDACT_MAX_BODY_BYTES",
        ] {
            assert_eq!(field_of(settings(&[(name, "0")]).unwrap_err()), name);
        }
        assert_eq!(
            settings(&[("CHAT_IDLE_TIMEOUT_SECS", "2.5")])
                .unwrap()
                .gateway
                .idle_timeout,
            std::time::Duration::from_millis(2500)
        );
        assert_eq!(
            field_of(
                settings(&[("CLUSTER_FILE", "/x.yaml"), ("SPARK1_HOST", "10.0.0.1")]).unwrap_err()
            ),
            "CLUSTER_FILE"
        );
    }

    #[test]
    fn cluster_file_describes_n_nodes() {
        let nodes = parse_cluster_file(
            "nodes:\n  - name: a\n    host: 10.1.0.1\n    user: ops\n    services: {vllm: 8000}\n  - name: b\n    host: 10.1.0.2\n    user: ops\n    ssh_port: 2222\n    services: {parakeet: 8000, qdrant: 6333}\n  - name: c\n    host: 10.1.0.3\n    user: ops\n",
        )
        .unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[1].ssh_port, 2222);
        assert_eq!(nodes[1].services.len(), 2);
        assert!(nodes[2].services.is_empty());
    }

    #[test]
    fn written_cluster_file_reads_back() {
        let nodes = vec![NodeConfig {
            name: "n1".into(),
            host: Ipv4Addr::new(127, 0, 0, 1),
            user: "sim".into(),
            ssh_port: 2200,
            host_key: Some(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJOkUcFxDx/Pe8KCfBAvJZp2bszSFxGeVvIDuLh8/2y"
                    .into(),
            ),
            services: vec![ServiceConfig {
                kind: ServiceKind::Vllm,
                port: 8888,
            }],
        }];
        assert_eq!(
            parse_cluster_file(&cluster_file_yaml(&nodes)).unwrap(),
            nodes
        );
    }

    #[test]
    fn cluster_file_errors_point_at_the_entry() {
        let err = parse_cluster_file("nodes:\n  - name: a\n    host: 10.1.0.1\n    user: ops\n  - name: b\n    host: b.local\n    user: ops\n").unwrap_err();
        assert_eq!(field_of(err), "nodes[1].host");
        let err = parse_cluster_file(
            "nodes:\n  - name: a\n    host: 10.1.0.1\n    user: ops\n    services: {vllm: 70000}\n",
        )
        .unwrap_err();
        assert_eq!(field_of(err), "nodes[0].services.vllm");
        let err = parse_cluster_file(
            "nodes:\n  - name: a\n    host: 10.1.0.1\n    user: ops\n    services: {gpt: 1}\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("known services are vllm"), "{err}");
        let err = parse_cluster_file("nodes:\n  - name: a\n    host: 10.1.0.1\n    user: ops\n  - name: a\n    host: 10.1.0.2\n    user: ops\n").unwrap_err();
        assert_eq!(field_of(err), "nodes[1].name");
        let err = parse_cluster_file("nodes:\n  - name: a\n    hots: 10.1.0.1\n    user: ops\n")
            .unwrap_err();
        assert!(
            err.to_string().contains("hots"),
            "unknown fields are named: {err}"
        );
        let err = parse_cluster_file(
            "nodes:\n  - name: a\n    host: 10.1.0.1\n    user: ops\n    host_key: not-a-key\n",
        )
        .unwrap_err();
        assert_eq!(field_of(err), "nodes[0].host_key");
    }

    #[test]
    fn cluster_file_in_data_dir_is_used_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cluster.yaml"),
            "nodes:\n  - name: a\n    host: 300.1.1.1\n    user: ops\n",
        )
        .unwrap();
        let data = dir.path().display().to_string();
        let err = settings(&[("DATA_DIR", &data)]).unwrap_err();
        assert!(
            matches!(&err, ConfigError::File { message, .. } if message.starts_with("nodes[0].host")),
            "{err}"
        );
    }
}
