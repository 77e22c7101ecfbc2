//! One SSH connection per node, opened on first use, reused for every command, and reopened
//! when it dies.
//!
//! A connection costs a key exchange (~0.25 s); a command on an open connection costs one
//! channel. Probes run several commands every couple of seconds, so reuse matters. Commands may
//! run concurrently: each gets its own channel on the shared connection.

use std::net::SocketAddrV4;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::ChannelMsg;

use super::host_keys::{HostKeyError, HostKeyPolicy};

/// Output beyond this is dropped (and marked): a runaway `docker logs` must not eat memory.
const MAX_OUTPUT_BYTES: usize = 8 * 1024 * 1024;

/// Where and as whom to connect.
#[derive(Clone, Debug)]
pub struct SshTarget {
    pub addr: SocketAddrV4,
    pub user: String,
    pub host_keys: HostKeyPolicy,
}

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("cannot reach {addr}: {message}")]
    Unreachable { addr: SocketAddrV4, message: String },
    #[error("no answer from {addr} within {secs} s")]
    ConnectTimeout { addr: SocketAddrV4, secs: u64 },
    #[error(transparent)]
    HostKey(#[from] HostKeyError),
    #[error("{user}@{addr} refused the controller's key: add the controller's public key to ~{user}/.ssh/authorized_keys on the node")]
    AuthRejected { user: String, addr: SocketAddrV4 },
    #[error("command did not finish within {secs} s")]
    CommandTimeout { secs: u64 },
    #[error("SSH session with {addr} failed: {message}")]
    Session { addr: SocketAddrV4, message: String },
}

/// What a remote command printed and how it exited.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    /// `None` when the command ended without an exit status (killed by a signal).
    pub code: Option<u32>,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

pub struct SshClient {
    target: SshTarget,
    key: Arc<PrivateKey>,
    config: Arc<client::Config>,
    connect_timeout: Duration,
    connection: tokio::sync::Mutex<Option<Arc<Handle<Verifier>>>>,
}

impl SshClient {
    pub fn new(target: SshTarget, key: Arc<PrivateKey>, connect_timeout: Duration) -> Self {
        let config = client::Config {
            // Notice a dead peer within ~30 s even when idle, so the next command reconnects.
            keepalive_interval: Some(Duration::from_secs(10)),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        };
        Self {
            target,
            key,
            config: Arc::new(config),
            connect_timeout,
            connection: tokio::sync::Mutex::new(None),
        }
    }

    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    /// Runs `argv` on the node, every argument quoted, and waits at most `timeout` for the
    /// whole round trip (connecting included).
    pub async fn exec<S: AsRef<str>>(
        &self,
        argv: &[S],
        timeout: Duration,
    ) -> Result<CommandOutput, SshError> {
        let line = super::command_line(argv);
        match tokio::time::timeout(timeout, self.exec_line(&line)).await {
            Ok(result) => result,
            Err(_) => {
                // A wedged session would make every later command wait too: start afresh.
                self.connection.lock().await.take();
                Err(SshError::CommandTimeout {
                    secs: timeout.as_secs().max(1),
                })
            }
        }
    }

    async fn exec_line(&self, line: &str) -> Result<CommandOutput, SshError> {
        // A connection that died since its last use fails at channel open: reconnect once.
        for attempt in 0..2 {
            let handle = self.connection().await?;
            match handle.channel_open_session().await {
                Ok(channel) => return self.run(channel, line).await,
                Err(e) => {
                    self.forget(&handle).await;
                    if attempt == 1 {
                        return Err(SshError::Session {
                            addr: self.target.addr,
                            message: e.to_string(),
                        });
                    }
                }
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    async fn run(
        &self,
        mut channel: russh::Channel<client::Msg>,
        line: &str,
    ) -> Result<CommandOutput, SshError> {
        let session_error = |e: russh::Error| SshError::Session {
            addr: self.target.addr,
            message: e.to_string(),
        };
        channel.exec(true, line).await.map_err(session_error)?;
        let (mut stdout, mut stderr, mut code) = (Vec::new(), Vec::new(), None);
        while let Some(message) = channel.wait().await {
            match message {
                ChannelMsg::Data { data } => append_capped(&mut stdout, &data),
                ChannelMsg::ExtendedData { data, ext: 1 } => append_capped(&mut stderr, &data),
                ChannelMsg::ExitStatus { exit_status } => code = Some(exit_status),
                _ => {}
            }
        }
        Ok(CommandOutput {
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            code,
        })
    }

    async fn forget(&self, dead: &Arc<Handle<Verifier>>) {
        let mut slot = self.connection.lock().await;
        if slot
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, dead))
        {
            *slot = None;
        }
    }

    /// The open connection, or a new one.
    async fn connection(&self) -> Result<Arc<Handle<Verifier>>, SshError> {
        let mut slot = self.connection.lock().await;
        if let Some(handle) = slot.as_ref().filter(|h| !h.is_closed()) {
            return Ok(handle.clone());
        }
        let handle = Arc::new(self.connect().await?);
        *slot = Some(handle.clone());
        Ok(handle)
    }

    async fn connect(&self) -> Result<Handle<Verifier>, SshError> {
        let addr = self.target.addr;
        let rejection = Arc::new(Mutex::new(None));
        let verifier = Verifier {
            policy: self.target.host_keys.clone(),
            addr,
            rejection: rejection.clone(),
        };
        let connecting = client::connect(self.config.clone(), addr, verifier);
        let connected = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| SshError::ConnectTimeout {
                addr,
                secs: self.connect_timeout.as_secs().max(1),
            })?;
        let mut handle = match connected {
            Ok(handle) => handle,
            Err(e) => {
                if let Some(refused) = rejection.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    return Err(SshError::HostKey(refused));
                }
                return Err(SshError::Unreachable {
                    addr,
                    message: e.to_string(),
                });
            }
        };
        let auth = handle
            .authenticate_publickey(
                &self.target.user,
                PrivateKeyWithHashAlg::new(self.key.clone(), None),
            )
            .await
            .map_err(|e| SshError::Session {
                addr,
                message: e.to_string(),
            })?;
        if !auth.success() {
            return Err(SshError::AuthRejected {
                user: self.target.user.clone(),
                addr,
            });
        }
        Ok(handle)
    }
}

fn append_capped(buffer: &mut Vec<u8>, data: &[u8]) {
    const MARK: &[u8] = b"\n[output truncated]\n";
    if buffer.len() >= MAX_OUTPUT_BYTES {
        return;
    }
    let room = MAX_OUTPUT_BYTES - buffer.len();
    if data.len() <= room {
        buffer.extend_from_slice(data);
    } else {
        buffer.extend_from_slice(&data[..room]);
        buffer.extend_from_slice(MARK);
    }
}

/// russh's callback for the server's key: applies the node's [`HostKeyPolicy`] and keeps the
/// reason for a refusal, which russh itself reduces to "unknown key".
pub struct Verifier {
    policy: HostKeyPolicy,
    addr: SocketAddrV4,
    rejection: Arc<Mutex<Option<HostKeyError>>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        offered: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = offered else {
            return Ok(false);
        };
        match self
            .policy
            .check(&self.addr.ip().to_string(), self.addr.port(), key)
        {
            Ok(()) => Ok(true),
            Err(refused) => {
                tracing::error!(addr = %self.addr, "{refused}");
                *self.rejection.lock().unwrap_or_else(|e| e.into_inner()) = Some(refused);
                Ok(false)
            }
        }
    }
}
