//! The simulated node's SSH server (russh): public-key auth against the authorized keys, then
//! each `exec` request runs through [`crate::shell`].
//!
//! Only `exec` is served — no shell, no PTY, no forwarding — because that is all the controller
//! uses. Each connection's bytes are pumped through an in-memory pipe owned by the endpoint's
//! connection task, so taking the endpoint down (fault `down` on service `"ssh"`) really cuts
//! live sessions instead of leaving them to run on in russh's own task.

use std::sync::Arc;
use std::time::Duration;

use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, Msg, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId};

use crate::endpoint::ConnectionHandler;
use crate::node::SimNode;

/// The service name faults are keyed by.
pub const SERVICE: &str = "ssh";

/// Builds the connection handler of a node's SSH endpoint.
pub fn handler(
    node: Arc<SimNode>,
    host_key: PrivateKey,
    authorized: Arc<Vec<PublicKey>>,
) -> ConnectionHandler {
    let config = Arc::new(russh::server::Config {
        keys: vec![host_key],
        auth_rejection_time: Duration::from_millis(100),
        auth_rejection_time_initial: Some(Duration::ZERO),
        inactivity_timeout: Some(Duration::from_secs(600)),
        ..Default::default()
    });
    Arc::new(move |mut tcp, _peer| {
        let config = config.clone();
        let handler = Connection {
            node: node.clone(),
            authorized: authorized.clone(),
        };
        Box::pin(async move {
            let (mut near, far) = tokio::io::duplex(64 * 1024);
            // The handshake needs the pump running, so both make progress in one select.
            let session = async move {
                match russh::server::run_stream(config, far, handler).await {
                    Ok(session) => {
                        let _ = session.await;
                    }
                    Err(e) => tracing::debug!(error = %e, "ssh handshake failed"),
                }
            };
            // Dropping `near` (when this task ends or is aborted) ends the russh session.
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut tcp, &mut near) => {}
                _ = session => {}
            }
        })
    })
}

struct Connection {
    node: Arc<SimNode>,
    authorized: Arc<Vec<PublicKey>>,
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let known = self
            .authorized
            .iter()
            .any(|k| k.key_data() == key.public_key.key_data());
        Ok(if known { Auth::Accept } else { Auth::reject() })
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let line = String::from_utf8_lossy(data).into_owned();
        let node = self.node.clone();
        let handle = session.handle();
        tokio::spawn(async move {
            let fault = node.faults.get(SERVICE);
            if fault.hang {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(fault.delay()).await;
            let out = crate::shell::run(&node, &line);
            if !out.stdout.is_empty() {
                let _ = handle.data(channel, out.stdout.into_bytes()).await;
            }
            if !out.stderr.is_empty() {
                let _ = handle
                    .extended_data(channel, 1, out.stderr.into_bytes())
                    .await;
            }
            let _ = handle.exit_status_request(channel, out.code).await;
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
        });
        Ok(())
    }
}
