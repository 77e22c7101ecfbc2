//! Sealing: authenticated encryption of session documents under the controller's sealing key.
//!
//! One 256-bit key, generated on first start and kept in the data dir readable by its owner
//! only (like the SSH key), seals two things:
//! - **sealed-mode tokens**, handed to the caller instead of being stored;
//! - **vault rows**, sealed under the session id as well, so a row is unreadable without the
//!   id that only the caller holds.
//!
//! Each sealing derives a fresh ChaCha20-Poly1305 key with HKDF-SHA256 from the sealing key, a
//! 128-bit random salt and a context (`token`, or `vault` + the session id). Keys are therefore
//! never reused, which keeps ChaCha20-Poly1305's 96-bit nonce far from its limits; the random
//! nonce is belt and braces. The layout, authenticated as a whole:
//!
//! ```text
//! version (1 byte) | salt (16) | nonce (12) | ciphertext | tag (16)
//! ```
//!
//! Any change to a sealed blob, or the wrong key or context, fails [`SealKey::open`]; it never
//! yields other plaintext. The crypto is *ring*'s (already used by the SSH and TLS stacks).

use std::path::{Path, PathBuf};

use rand::TryRng;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hkdf;

const VERSION: u8 = 1;
const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;
const HEADER_LEN: usize = 1 + SALT_LEN + NONCE_LEN;
/// Smallest well-formed sealed blob: a header and a tag around empty plaintext.
const MIN_LEN: usize = HEADER_LEN + 16;
/// Binds derived keys to this use, so the sealing key could serve another purpose safely.
const INFO: &[u8] = b"spark-control redaction seal v1";

#[derive(Debug, thiserror::Error)]
pub enum SealKeyError {
    #[error("cannot read the redaction sealing key {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot create the redaction sealing key {path}: {reason}")]
    Create { path: PathBuf, reason: String },
}

/// Opening failed: the blob was altered, truncated, sealed under another key or context, or
/// is not a sealed blob at all. Deliberately says no more.
#[derive(Debug, thiserror::Error)]
#[error("not a valid sealed value")]
pub struct Unsealable;

/// Sealing failed: in practice only when the operating system's random generator does, and then
/// nothing can be sealed or created safely.
#[derive(Debug, thiserror::Error)]
#[error("cannot seal: {0}")]
pub struct SealError(String);

/// Fills `N` bytes from the operating system's random generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], SealError> {
    let mut bytes = [0u8; N];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| SealError(format!("the system random generator failed: {e}")))?;
    Ok(bytes)
}

/// The controller's sealing key.
#[derive(Clone)]
pub struct SealKey {
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// Loads the key at `path`, generating it there (mode 0600) on first start.
    pub fn load_or_create(path: &Path) -> Result<Self, SealKeyError> {
        if !path.exists() {
            Self::create(path)?;
        }
        let read = |reason: String| SealKeyError::Read {
            path: path.into(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| read(e.to_string()))?;
        let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            read(format!(
                "holds {} bytes, not a {KEY_LEN}-byte key; restore it from a backup, or delete \
                 it to have a new one made (open vault sessions and sealed tokens are then lost)",
                bytes.len()
            ))
        })?;
        Ok(Self { key })
    }

    fn create(path: &Path) -> Result<(), SealKeyError> {
        use std::io::Write;
        let fail = |reason: String| SealKeyError::Create {
            path: path.into(),
            reason,
        };
        let key = random_bytes::<KEY_LEN>().map_err(|e| fail(e.to_string()))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| fail(e.to_string()))?;
        file.write_all(&key)
            .and_then(|()| file.sync_all())
            .map_err(|e| fail(e.to_string()))?;
        tracing::info!(path = %path.display(), "generated the redaction sealing key");
        Ok(())
    }

    /// A key from raw bytes (tests).
    pub fn from_bytes(key: [u8; KEY_LEN]) -> Self {
        Self { key }
    }

    /// Encrypts and authenticates `plaintext` for `context`.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let salt = random_bytes::<SALT_LEN>()?;
        let nonce = random_bytes::<NONCE_LEN>()?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&salt);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.derive(&salt, context)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&out[..HEADER_LEN]),
                &mut body,
            )
            // Only fails for inputs beyond ChaCha20's 256 GiB block counter.
            .map_err(|_| SealError("input too large".into()))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Checks and decrypts a blob made by [`Self::seal`] with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Unsealable> {
        if sealed.len() < MIN_LEN || sealed[0] != VERSION {
            return Err(Unsealable);
        }
        let (header, body) = sealed.split_at(HEADER_LEN);
        let salt = &header[1..1 + SALT_LEN];
        let nonce =
            Nonce::try_assume_unique_for_key(&header[1 + SALT_LEN..]).map_err(|_| Unsealable)?;
        let mut body = body.to_vec();
        let plain = self
            .derive(salt, context)
            .open_in_place(nonce, Aad::from(header), &mut body)
            .map_err(|_| Unsealable)?;
        Ok(plain.to_vec())
    }

    fn derive(&self, salt: &[u8], context: &[u8]) -> LessSafeKey {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&self.key);
        let info = [INFO, context];
        // `expand` only fails when asked for more than 255 hash lengths; 32 bytes never is.
        let okm = prk
            .expand(&info, &CHACHA20_POLY1305)
            .expect("HKDF output of one key length");
        LessSafeKey::new(UnboundKey::from(okm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealKey {
        SealKey::from_bytes([7; KEY_LEN])
    }

    #[test]
    fn sealed_values_open_only_unchanged_with_the_same_key_and_context() {
        let k = key();
        let sealed = k.seal(b"token", b"Alice Smith").unwrap();
        assert_eq!(k.open(b"token", &sealed).unwrap(), b"Alice Smith");
        // Never the same bytes twice, and the plaintext is not visible.
        assert_ne!(k.seal(b"token", b"Alice Smith").unwrap(), sealed);
        assert!(!sealed.windows(5).any(|w| w == b"Alice"));
        assert!(k.open(b"vault:x", &sealed).is_err(), "other context");
        assert!(SealKey::from_bytes([8; KEY_LEN])
            .open(b"token", &sealed)
            .is_err());
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(k.open(b"token", &bad).is_err(), "flipped byte {i}");
        }
        assert!(k.open(b"token", &sealed[..sealed.len() - 1]).is_err());
        assert!(k.open(b"token", b"").is_err());
    }

    #[test]
    fn the_key_file_is_made_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("redact-seal.key");
        let first = SealKey::load_or_create(&path).unwrap();
        let again = SealKey::load_or_create(&path).unwrap();
        let sealed = first.seal(b"c", b"x").unwrap();
        assert_eq!(again.open(b"c", &sealed).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").unwrap();
        let err = SealKey::load_or_create(&path).unwrap_err();
        assert!(err.to_string().contains("5 bytes"), "{err}");
    }
}
