//! The controller's own SSH identity: an ed25519 key pair, generated on first start.
//!
//! The public half is what the owner installs on each Spark (`authorized_keys`); the dashboard
//! shows it. The private half never leaves the data dir and is passed to russh explicitly — no
//! agent is ever consulted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, PrivateKey, PublicKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read SSH key {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("cannot create SSH key {path}: {message}")]
    Create { path: PathBuf, message: String },
}

/// The controller's key pair.
#[derive(Clone)]
pub struct ControllerKey {
    pub private: Arc<PrivateKey>,
    pub path: PathBuf,
}

impl ControllerKey {
    pub fn public(&self) -> PublicKey {
        self.private.public_key().clone()
    }

    /// `ssh-ed25519 AAAA… spark-control`, ready for `authorized_keys`.
    pub fn public_openssh(&self) -> String {
        let mut public = self.public();
        public.set_comment("spark-control");
        public.to_openssh().unwrap_or_default()
    }

    /// Loads the key at `path`; creates it first when it is missing and `create` is set.
    pub fn load_or_create(path: &Path, create: bool) -> Result<Self, KeyError> {
        if !path.exists() && create {
            generate(path)?;
        }
        let private = russh::keys::load_secret_key(path, None).map_err(|e| KeyError::Read {
            path: path.into(),
            message: e.to_string(),
        })?;
        Ok(Self {
            private: Arc::new(private),
            path: path.into(),
        })
    }
}

fn generate(path: &Path) -> Result<(), KeyError> {
    let fail = |message: String| KeyError::Create {
        path: path.into(),
        message,
    };
    let mut key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
        .map_err(|e| fail(e.to_string()))?;
    key.set_comment("spark-control");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| fail(e.to_string()))?;
    write_private(path, pem.as_bytes()).map_err(|e| fail(e.to_string()))?;
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|e| fail(e.to_string()))?;
    std::fs::write(path.with_extension("pub"), format!("{public}\n"))
        .map_err(|e| fail(e.to_string()))?;
    tracing::info!(path = %path.display(), "generated the controller's SSH key");
    Ok(())
}

/// Writes a private key readable by its owner only, as OpenSSH insists.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/id_ed25519");
        let first = ControllerKey::load_or_create(&path, true).unwrap();
        let again = ControllerKey::load_or_create(&path, true).unwrap();
        assert_eq!(first.public(), again.public());
        assert!(first.public_openssh().starts_with("ssh-ed25519 "));
        assert!(std::fs::read_to_string(path.with_extension("pub"))
            .unwrap()
            .starts_with("ssh-ed25519 "));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(ControllerKey::load_or_create(&dir.path().join("missing"), false).is_err());
    }
}
