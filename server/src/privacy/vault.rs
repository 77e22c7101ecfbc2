//! The vault: redaction sessions kept server-side, in the state file, behind unguessable ids.
//!
//! A session id is 128 bits from the operating system's random generator, written as 32 hex
//! characters; it is the only way to reach the session (a capability, like a bearer token).
//! The store keeps the id's SHA-256 and the session sealed under a key derived from the id
//! (see [`super::seal`] and `store::vault`), so neither the state file nor a log line holds an
//! id or a value in clear.
//!
//! Every use moves the expiry to now + TTL (sliding). An expired session is never served, even
//! before the purge task, which deletes expired rows once a minute and at start, gets to it.

use std::time::Duration;

use redact::Session;
use ring::digest;

use super::seal::{random_bytes, SealKey};
use super::RedactionError;
use crate::monitor::now_ms;
use crate::store::Store;

/// Bytes of randomness in a session id (128 bits).
const ID_BYTES: usize = 16;
/// How often expired sessions are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// A loaded session and what an update must name.
pub struct Loaded {
    pub session: Session,
    pub revision: u64,
    pub expires_at_ms: u64,
}

/// The store-backed sessions.
#[derive(Clone)]
pub struct Vault {
    store: Store,
    key: SealKey,
    ttl: Duration,
}

impl Vault {
    pub fn new(store: Store, key: SealKey, ttl: Duration) -> Self {
        Self { store, key, ttl }
    }

    /// Deletes expired sessions now and then every minute, for as long as the runtime runs.
    pub fn spawn_purge(&self) {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PURGE_EVERY);
            loop {
                every.tick().await;
                match store.purge_vault(now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::debug!(sessions = n, "redaction vault: expired sessions deleted")
                    }
                    Err(e) => tracing::warn!(error = %e, "redaction vault: purge failed"),
                }
            }
        });
    }

    /// Stores a new session; returns its id and expiry.
    pub async fn create(&self, session: &Session) -> Result<(String, u64), RedactionError> {
        let id = hex(&random_bytes::<ID_BYTES>()?);
        let now = now_ms();
        let expires = self.expiry(now);
        let sealed = self
            .key
            .seal(&context(&id), session.to_json()?.as_bytes())?;
        self.store
            .insert_vault(id_hash(&id), sealed, now, expires)
            .await?;
        Ok((id, expires))
    }

    /// The session `id`, if it exists and has not expired.
    pub async fn load(&self, id: &str) -> Result<Loaded, RedactionError> {
        check_id(id)?;
        let row = self
            .store
            .load_vault(id_hash(id), now_ms())
            .await?
            .ok_or_else(|| self.unknown())?;
        // Authenticated under a key derived from this id: a row that does not open was not
        // written for it (or the sealing key was replaced); either way the session is gone.
        let json = self
            .key
            .open(&context(id), &row.sealed)
            .map_err(|_| self.unknown())?;
        let json = String::from_utf8(json)
            .map_err(|_| RedactionError::Internal("stored session is not UTF-8".into()))?;
        Ok(Loaded {
            session: Session::from_json(&json)?,
            revision: row.revision,
            expires_at_ms: row.expires_at_ms,
        })
    }

    /// Writes `session` back if nobody else did since it was loaded at `revision`; returns
    /// the new expiry, or `None` when another request came first (load again and redo).
    pub async fn save(
        &self,
        id: &str,
        revision: u64,
        session: &Session,
    ) -> Result<Option<u64>, RedactionError> {
        let now = now_ms();
        let expires = self.expiry(now);
        let sealed = self.key.seal(&context(id), session.to_json()?.as_bytes())?;
        let written = self
            .store
            .update_vault(id_hash(id), revision, sealed, now, expires)
            .await?;
        Ok(written.then_some(expires))
    }

    /// Records a use (the sliding TTL); returns the new expiry.
    pub async fn touch(&self, id: &str) -> Result<u64, RedactionError> {
        let now = now_ms();
        let expires = self.expiry(now);
        if self.store.touch_vault(id_hash(id), now, expires).await? {
            Ok(expires)
        } else {
            Err(self.unknown())
        }
    }

    fn expiry(&self, now: u64) -> u64 {
        now.saturating_add(self.ttl.as_millis().try_into().unwrap_or(u64::MAX))
    }

    fn unknown(&self) -> RedactionError {
        RedactionError::UnknownSession {
            ttl_secs: self.ttl.as_secs(),
        }
    }
}

/// Refuses anything that cannot be an id before it reaches the store.
fn check_id(id: &str) -> Result<(), RedactionError> {
    if id.len() == 2 * ID_BYTES && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(RedactionError::bad(
            format!(
                "`session` is not a session id: expected the {} hex characters returned by \
                 POST /scrub (for a sealed token use `sealed`)",
                2 * ID_BYTES
            ),
            Some("session"),
        ))
    }
}

/// The store's key for `id`. Ids are compared in lower case, as they are issued.
fn id_hash(id: &str) -> String {
    hex(digest::digest(&digest::SHA256, id.to_ascii_lowercase().as_bytes()).as_ref())
}

fn context(id: &str) -> Vec<u8> {
    [b"vault:".as_slice(), id.to_ascii_lowercase().as_bytes()].concat()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn vault(ttl: Duration) -> (tempfile::TempDir, Vault) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.sqlite3")).await.unwrap();
        let key = SealKey::from_bytes([3; 32]);
        (dir, Vault::new(store, key, ttl))
    }

    fn session() -> Session {
        let scrubber = redact::Scrubber::builder().build().unwrap();
        let mut s = Session::new();
        scrubber.scrub("mail alice@example.com", &mut s).unwrap();
        s
    }

    #[tokio::test]
    async fn ids_are_random_hex_and_rows_hold_no_clear_text() {
        let (_dir, vault) = vault(Duration::from_secs(60)).await;
        let (a, _) = vault.create(&session()).await.unwrap();
        let (b, _) = vault.create(&session()).await.unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        let row = vault
            .store
            .load_vault(id_hash(&a), now_ms())
            .await
            .unwrap()
            .unwrap();
        assert!(!row.sealed.windows(5).any(|w| w == b"alice"));
        let loaded = vault.load(&a).await.unwrap();
        assert_eq!(loaded.session.entities(), session().entities());
        // Uppercase is the same id; another id or garbage is not found or refused.
        assert!(vault.load(&a.to_ascii_uppercase()).await.is_ok());
        let other = hex(&[0u8; 16]);
        assert!(matches!(
            vault.load(&other).await,
            Err(RedactionError::UnknownSession { .. })
        ));
        assert!(matches!(
            vault.load("not-an-id").await,
            Err(RedactionError::BadRequest { .. })
        ));
    }

    #[tokio::test]
    async fn a_stale_revision_is_not_written() {
        let (_dir, vault) = vault(Duration::from_secs(60)).await;
        let (id, _) = vault.create(&Session::new()).await.unwrap();
        let first = vault.load(&id).await.unwrap();
        let second = vault.load(&id).await.unwrap();
        assert!(vault
            .save(&id, first.revision, &session())
            .await
            .unwrap()
            .is_some());
        assert!(vault
            .save(&id, second.revision, &Session::new())
            .await
            .unwrap()
            .is_none());
        assert_eq!(vault.load(&id).await.unwrap().session.len(), 1);
    }

    #[tokio::test]
    async fn expired_sessions_are_gone() {
        let (_dir, vault) = vault(Duration::from_millis(50)).await;
        let (id, _) = vault.create(&session()).await.unwrap();
        assert!(vault.touch(&id).await.is_ok());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(vault.load(&id).await.is_err());
        assert!(vault.touch(&id).await.is_err());
        assert_eq!(vault.store.purge_vault(now_ms()).await.unwrap(), 1);
    }
}
