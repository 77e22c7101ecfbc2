//! Host-key pinning: which server keys the controller trusts.
//!
//! A node's key is either pinned in the configuration (`host_key`), or pinned in known_hosts on
//! first contact (trust on first use, recorded). After that, a different key is refused — never
//! silently accepted — with a message that says what changed and how to accept it on purpose.
//! Unlike a plain known_hosts check, a key of a *different algorithm* than the recorded one is
//! also refused: a man in the middle cannot dodge the pin by offering another key type.

use std::path::{Path, PathBuf};

use russh::keys::PublicKey;

/// How a node's host key is checked.
#[derive(Clone, Debug)]
pub enum HostKeyPolicy {
    /// Exactly this key (from the cluster configuration).
    Pinned(PublicKey),
    /// The key recorded in this known_hosts file; recorded on first contact.
    KnownHosts(PathBuf),
}

/// Why a host key was not accepted.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum HostKeyError {
    #[error("host key of {host} does not match the configured host_key (offered {offered}); if the node was reinstalled, update host_key in the cluster configuration")]
    PinMismatch { host: String, offered: String },
    #[error("host key of {host} CHANGED since first contact (offered {offered}, known_hosts {file} line {line} says otherwise); refusing to connect. If the node was reinstalled, delete that line to accept the new key")]
    Changed {
        host: String,
        offered: String,
        file: String,
        line: usize,
    },
    #[error("cannot use known_hosts {file}: {message}")]
    File { file: String, message: String },
}

impl HostKeyPolicy {
    /// Accepts or refuses `offered` for `host:port`, recording it on first contact.
    pub fn check(&self, host: &str, port: u16, offered: &PublicKey) -> Result<(), HostKeyError> {
        let label = if port == 22 {
            host.to_string()
        } else {
            format!("[{host}]:{port}")
        };
        match self {
            HostKeyPolicy::Pinned(pinned) if pinned.key_data() == offered.key_data() => Ok(()),
            HostKeyPolicy::Pinned(_) => Err(HostKeyError::PinMismatch {
                host: label,
                offered: fingerprint(offered),
            }),
            HostKeyPolicy::KnownHosts(path) => check_known_hosts(path, host, port, &label, offered),
        }
    }
}

fn check_known_hosts(
    path: &Path,
    host: &str,
    port: u16,
    label: &str,
    offered: &PublicKey,
) -> Result<(), HostKeyError> {
    let file_error = |message: String| HostKeyError::File {
        file: path.display().to_string(),
        message,
    };
    let known = russh::keys::known_hosts::known_host_keys_path(host, port, path)
        .map_err(|e| file_error(e.to_string()))?;
    if known.is_empty() {
        russh::keys::known_hosts::learn_known_hosts_path(host, port, offered, path)
            .map_err(|e| file_error(e.to_string()))?;
        tracing::info!(host = label, key = %fingerprint(offered), "first contact: pinned host key in known_hosts");
        return Ok(());
    }
    if known
        .iter()
        .any(|(_, key)| key.key_data() == offered.key_data())
    {
        return Ok(());
    }
    Err(HostKeyError::Changed {
        host: label.to_string(),
        offered: fingerprint(offered),
        file: path.display().to_string(),
        line: known[0].0,
    })
}

pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(russh::keys::HashAlg::Sha256).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::{Algorithm, PrivateKey};

    fn key() -> PublicKey {
        PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
            .unwrap()
            .public_key()
            .clone()
    }

    #[test]
    fn first_contact_is_recorded_then_a_changed_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let policy = HostKeyPolicy::KnownHosts(dir.path().join("known_hosts"));
        let (original, impostor) = (key(), key());
        policy.check("10.0.0.5", 2222, &original).unwrap();
        policy.check("10.0.0.5", 2222, &original).unwrap();
        let recorded = std::fs::read_to_string(dir.path().join("known_hosts")).unwrap();
        assert!(
            recorded
                .trim_start()
                .starts_with("[10.0.0.5]:2222 ssh-ed25519 "),
            "{recorded}"
        );
        let err = policy.check("10.0.0.5", 2222, &impostor).unwrap_err();
        assert!(matches!(err, HostKeyError::Changed { .. }), "{err}");
        assert!(err.to_string().contains("CHANGED"), "{err}");
        // Another host on the same file is independent.
        policy.check("10.0.0.6", 22, &impostor).unwrap();
    }

    #[test]
    fn pinned_key_accepts_only_itself() {
        let pinned = key();
        let policy = HostKeyPolicy::Pinned(pinned.clone());
        policy.check("10.0.0.5", 22, &pinned).unwrap();
        assert!(matches!(
            policy.check("10.0.0.5", 22, &key()),
            Err(HostKeyError::PinMismatch { .. })
        ));
    }
}
