//! The controller's state store: one SQLite file, `state.sqlite3` in the data dir.
//!
//! It keeps what must outlive the process — the swap history ([`swaps`]), the outage log
//! ([`outages`]) and the redaction gateway's vault sessions ([`vault`]). What the cluster *runs*
//! is never kept here: that is always learned from the cluster itself (see the health monitor),
//! so the store cannot go stale about it.
//!
//! **Schema.** Each table arrives through one entry of [`MIGRATIONS`]; the N-th entry is schema
//! version N and is applied once, in order, inside the same transaction that records it in the
//! `schema_version` table. Adding a table is appending one entry. A file written by a newer
//! controller (a version this one does not know) is refused rather than guessed at.
//!
//! **Blocking.** SQLite calls block on the disk. The store is one `Mutex<Connection>`, and every
//! call runs on tokio's blocking pool ([`tokio::task::spawn_blocking`]), so a slow disk stalls
//! no runtime worker. One connection is plenty: the controller writes a handful of rows per
//! swap, SQLite admits one writer at a time anyway, and the mutex keeps the writes in the order
//! they were made. A dedicated store thread with a command channel would give the same with a
//! message type per operation.
//!
//! **Durability.** WAL journal with `synchronous=NORMAL`: a committed row survives a crash or
//! kill of the controller process, which is what restart recovery relies on; a power cut may
//! lose the last few commits but never corrupts the file.

pub mod outages;
pub mod swaps;
pub mod vault;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};

use crate::monitor::now_ms;

/// How long a call waits for another connection's write lock (a second process on the same
/// file, e.g. `sqlite3` opened by hand) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state file {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("state file: migration {version} ({name}) failed: {source}")]
    Migration {
        version: usize,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error(
        "the state file is at schema version {found}, newer than this controller knows \
         ({known}); run a newer controller or restore a backup of the data dir"
    )]
    TooNew { found: usize, known: usize },
    #[error("state file: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state file: a stored {what} cannot be read: {reason}")]
    Corrupt { what: &'static str, reason: String },
    #[error("state store task failed: {0}")]
    Task(String),
}

/// One step of the schema. The SQL runs once, in a transaction, when the file is behind it.
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

/// The schema, oldest first. Append only: an applied entry is never edited or removed.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "swap history",
        sql: swaps::SCHEMA,
    },
    Migration {
        name: "outage log",
        sql: outages::SCHEMA,
    },
    Migration {
        name: "redaction vault",
        sql: vault::SCHEMA,
    },
    Migration {
        name: "planned outages",
        sql: outages::PLANNED_COLUMN,
    },
    Migration {
        name: "swap requesters",
        sql: swaps::REQUESTED_FROM_COLUMN,
    },
];

/// A handle on the state file; cheap to clone, all clones share the connection.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
}

impl Store {
    /// Opens (creating if needed) the state file at `path` and brings its schema up to date.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        tokio::task::spawn_blocking(move || Self::open_with(&path, MIGRATIONS))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// As [`Self::open`], blocking, with a given migration list (tests use older lists to make
    /// files from an earlier version).
    pub fn open_with(path: &Path, migrations: &[Migration]) -> Result<Self, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
        }
        create_private(path).map_err(|e| open_error(e.to_string()))?;
        let mut conn = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // `journal_mode` answers with the mode in force; anything but WAL means the file system
        // cannot do it (e.g. some network mounts), which is worth knowing but not fatal.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), %mode, "state file: WAL journal unavailable");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn, migrations)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path.to_path_buf()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the file: the number of migrations applied.
    pub async fn schema_version(&self) -> Result<usize, StoreError> {
        self.call(|conn| version(conn)).await
    }

    /// Runs `f` on the connection, on the blocking pool. Every query goes through here.
    async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves SQLite consistent (an open transaction is
            // rolled back when dropped), so a poisoned lock is safe to reuse.
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// Creates the file readable by its owner only: the store holds the redaction vault, and
/// SQLite gives its `-wal`/`-shm` files the same permissions as the database.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

fn version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(v).unwrap_or(0))
}

/// Applies the migrations the file lacks, all in one write transaction: a second process
/// opening the same file waits, and a failing step leaves the file as it was.
fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version       INTEGER PRIMARY KEY,
            name          TEXT NOT NULL,
            applied_at_ms INTEGER NOT NULL
        )",
    )?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = version(&tx)?;
    if found > migrations.len() {
        return Err(StoreError::TooNew {
            found,
            known: migrations.len(),
        });
    }
    for (index, migration) in migrations.iter().enumerate().skip(found) {
        let version = index + 1;
        let step = tx.execute_batch(migration.sql).and_then(|()| {
            tx.execute(
                "INSERT INTO schema_version (version, name, applied_at_ms) VALUES (?1, ?2, ?3)",
                params![version as i64, migration.name, int(now_ms())],
            )
        });
        step.map_err(|source| StoreError::Migration {
            version,
            name: migration.name,
            source,
        })?;
        tracing::info!(
            version,
            name = migration.name,
            "state file: schema migrated"
        );
    }
    tx.commit()?;
    Ok(())
}

/// A `u64` (milliseconds, ids) as SQLite's integer.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Migration = Migration {
        name: "notes",
        sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
    };
    const SECOND: Migration = Migration {
        name: "note authors",
        sql: "ALTER TABLE notes ADD COLUMN author TEXT;
              CREATE TABLE authors (name TEXT PRIMARY KEY)",
    };
    const BROKEN: Migration = Migration {
        name: "broken",
        sql: "CREATE TABLE half (x INTEGER); THIS IS NOT SQL",
    };

    fn applied(store: &Store) -> Vec<(i64, String)> {
        let conn = store.conn.lock().unwrap();
        let mut stmt = conn
            .prepare("SELECT version, name FROM schema_version ORDER BY version")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn table_exists(store: &Store, name: &str) -> bool {
        let conn = store.conn.lock().unwrap();
        conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    }

    #[test]
    fn a_new_file_gets_every_migration_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.sqlite3");
        let store = Store::open_with(&path, MIGRATIONS).unwrap();
        assert_eq!(applied(&store).len(), MIGRATIONS.len());
        assert!(table_exists(&store, "swaps"));
        let mode: String = store
            .conn
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read the state file");
        }
    }

    #[test]
    fn an_existing_file_is_migrated_forward_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite3");
        {
            let old = Store::open_with(&path, &[FIRST]).unwrap();
            old.conn
                .lock()
                .unwrap()
                .execute("INSERT INTO notes (text) VALUES ('kept')", [])
                .unwrap();
        }
        // Reopening at the same version applies nothing again.
        drop(Store::open_with(&path, &[FIRST]).unwrap());
        let store = Store::open_with(&path, &[FIRST, SECOND]).unwrap();
        assert_eq!(
            applied(&store),
            vec![(1, "notes".to_string()), (2, "note authors".to_string())]
        );
        assert!(table_exists(&store, "authors"));
        let (text, author): (String, Option<String>) = store
            .conn
            .lock()
            .unwrap()
            .query_row("SELECT text, author FROM notes", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((text.as_str(), author), ("kept", None));
    }

    #[test]
    fn a_failing_migration_leaves_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite3");
        drop(Store::open_with(&path, &[FIRST]).unwrap());
        let err = Store::open_with(&path, &[FIRST, SECOND, BROKEN])
            .err()
            .expect("the broken migration fails");
        assert!(
            matches!(
                err,
                StoreError::Migration {
                    version: 3,
                    name: "broken",
                    ..
                }
            ),
            "{err}"
        );
        // Not even the good second step was kept: the file is still at version 1.
        let store = Store::open_with(&path, &[FIRST]).unwrap();
        assert_eq!(applied(&store).len(), 1);
        assert!(!table_exists(&store, "authors") && !table_exists(&store, "half"));
    }

    #[test]
    fn a_file_from_a_newer_controller_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite3");
        drop(Store::open_with(&path, &[FIRST, SECOND]).unwrap());
        let err = Store::open_with(&path, &[FIRST]).err().expect("refused");
        assert!(
            matches!(err, StoreError::TooNew { found: 2, known: 1 }),
            "{err}"
        );
        assert!(err.to_string().contains("newer than this controller"));
    }

    #[test]
    fn a_path_that_cannot_be_a_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open_with(dir.path(), MIGRATIONS)
            .err()
            .expect("a directory is not a state file");
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
        assert!(err.to_string().contains(&dir.path().display().to_string()));
    }
}
