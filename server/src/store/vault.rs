//! The redaction vault table: one row per vault session of the redaction gateway
//! ([`crate::privacy`]).
//!
//! A row is found by the SHA-256 of its session id, never by the id itself, and its session
//! document is stored encrypted under a key derived from that id (see `privacy::seal`): the
//! state file alone, or with the sealing key beside it, does not reveal whose data a row holds
//! until someone presents the id. The columns hold no personal data in clear.
//!
//! `revision` makes updates optimistic: a write names the revision it read and fails when
//! another request got there first, so two concurrent turns of one session never lose a
//! placeholder (the loser re-reads and scrubs again). Expired rows are never served — every
//! read filters on `expires_at_ms` — and [`Store::purge_vault`] deletes them.

use rusqlite::{params, OptionalExtension};

use super::{int, Store, StoreError};

pub(super) const SCHEMA: &str = "
CREATE TABLE vault_sessions (
    -- hex SHA-256 of the session id; the id itself is only known to the caller
    id_hash         TEXT PRIMARY KEY,
    -- the session document (JSON), sealed with a key derived from the session id
    sealed          BLOB NOT NULL,
    revision        INTEGER NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    last_used_at_ms INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL
);
CREATE INDEX vault_sessions_expiry ON vault_sessions (expires_at_ms);
";

/// One stored vault session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRow {
    pub sealed: Vec<u8>,
    pub revision: u64,
    pub created_at_ms: u64,
    pub expires_at_ms: u64,
}

impl Store {
    /// Stores a new session. Fails on an id hash already present (a fresh random id never is).
    pub async fn insert_vault(
        &self,
        id_hash: String,
        sealed: Vec<u8>,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO vault_sessions
                     (id_hash, sealed, revision, created_at_ms, last_used_at_ms, expires_at_ms)
                 VALUES (?1, ?2, 1, ?3, ?3, ?4)",
                params![id_hash, sealed, int(now_ms), int(expires_at_ms)],
            )?;
            Ok(())
        })
        .await
    }

    /// The session under `id_hash` if it exists and has not expired at `now_ms`.
    pub async fn load_vault(
        &self,
        id_hash: String,
        now_ms: u64,
    ) -> Result<Option<VaultRow>, StoreError> {
        self.call(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT sealed, revision, created_at_ms, expires_at_ms FROM vault_sessions
                     WHERE id_hash = ?1 AND expires_at_ms > ?2",
                    params![id_hash, int(now_ms)],
                    |r| {
                        Ok(VaultRow {
                            sealed: r.get(0)?,
                            revision: r.get::<_, i64>(1)?.max(0) as u64,
                            created_at_ms: r.get::<_, i64>(2)?.max(0) as u64,
                            expires_at_ms: r.get::<_, i64>(3)?.max(0) as u64,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    /// Replaces the session's document if it is still at `revision` and unexpired; moves its
    /// expiry to `expires_at_ms`. Returns whether it was written (false: another write came
    /// first, or the session expired meanwhile).
    pub async fn update_vault(
        &self,
        id_hash: String,
        revision: u64,
        sealed: Vec<u8>,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<bool, StoreError> {
        self.call(move |conn| {
            let changed = conn.execute(
                "UPDATE vault_sessions SET sealed = ?3, revision = revision + 1,
                     last_used_at_ms = ?4, expires_at_ms = ?5
                 WHERE id_hash = ?1 AND revision = ?2 AND expires_at_ms > ?4",
                params![
                    id_hash,
                    int(revision),
                    sealed,
                    int(now_ms),
                    int(expires_at_ms)
                ],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Records a use of an unexpired session (the sliding TTL) without changing its document.
    pub async fn touch_vault(
        &self,
        id_hash: String,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<bool, StoreError> {
        self.call(move |conn| {
            let changed = conn.execute(
                "UPDATE vault_sessions SET last_used_at_ms = ?2,
                     expires_at_ms = MAX(expires_at_ms, ?3)
                 WHERE id_hash = ?1 AND expires_at_ms > ?2",
                params![id_hash, int(now_ms), int(expires_at_ms)],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Deletes every session expired at `now_ms`; returns how many went.
    pub async fn purge_vault(&self, now_ms: u64) -> Result<usize, StoreError> {
        self.call(move |conn| {
            Ok(conn.execute(
                "DELETE FROM vault_sessions WHERE expires_at_ms <= ?1",
                [int(now_ms)],
            )?)
        })
        .await
    }

    /// Number of stored sessions, expired or not (for tests and diagnostics).
    pub async fn vault_len(&self) -> Result<usize, StoreError> {
        self.call(|conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM vault_sessions", [], |r| r.get(0))?;
            Ok(n.max(0) as usize)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.sqlite3")).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_session_is_stored_updated_once_per_revision_and_expires() {
        let (_dir, store) = store().await;
        let id = "ab".repeat(32);
        store
            .insert_vault(id.clone(), vec![1, 2, 3], 1_000, 5_000)
            .await
            .unwrap();
        let row = store.load_vault(id.clone(), 1_500).await.unwrap().unwrap();
        assert_eq!((row.sealed.as_slice(), row.revision), (&[1u8, 2, 3][..], 1));
        // Two writers read revision 1: the first wins, the second must re-read.
        assert!(store
            .update_vault(id.clone(), 1, vec![4], 2_000, 6_000)
            .await
            .unwrap());
        assert!(!store
            .update_vault(id.clone(), 1, vec![5], 2_000, 6_000)
            .await
            .unwrap());
        let row = store.load_vault(id.clone(), 2_000).await.unwrap().unwrap();
        assert_eq!(
            (row.sealed, row.revision, row.expires_at_ms),
            (vec![4], 2, 6_000)
        );
        // Sliding expiry; never moved backwards.
        assert!(store.touch_vault(id.clone(), 3_000, 9_000).await.unwrap());
        assert!(store.touch_vault(id.clone(), 3_100, 4_000).await.unwrap());
        assert_eq!(
            store
                .load_vault(id.clone(), 3_200)
                .await
                .unwrap()
                .unwrap()
                .expires_at_ms,
            9_000
        );
        // Expired: not served, not touched, not updated, then purged.
        assert_eq!(store.load_vault(id.clone(), 9_000).await.unwrap(), None);
        assert!(!store.touch_vault(id.clone(), 9_000, 20_000).await.unwrap());
        assert!(!store
            .update_vault(id.clone(), 2, vec![6], 9_000, 20_000)
            .await
            .unwrap());
        assert_eq!(store.purge_vault(8_999).await.unwrap(), 0);
        assert_eq!(store.purge_vault(9_000).await.unwrap(), 1);
        assert_eq!(store.vault_len().await.unwrap(), 0);
    }
}
