//! The swap history table: one row per swap (dry runs are not swaps), written when the swap
//! starts, again at each phase change, and last when it finishes.
//!
//! A row whose `finished_at_ms` is still NULL when the controller starts belongs to a swap
//! that a restart cut off; [`crate::swap`] marks it interrupted. The phase marks, commands and
//! log tail are kept as JSON: they are read back whole, never queried into.

use app::swap::{PhaseMark, SwapPhase, SwapStatus};
use rusqlite::{params, OptionalExtension, Row};

use super::{int, Store, StoreError};

pub(super) const SCHEMA: &str = "
CREATE TABLE swaps (
    id             INTEGER PRIMARY KEY,
    from_model     TEXT,
    to_model       TEXT NOT NULL,
    node           TEXT NOT NULL,
    -- who asked: 'dashboard', 'api', … (NULL when the caller did not say)
    requested_by   TEXT,
    -- a SwapPhase in snake_case: running phases, then ready | rolled_back | failed | interrupted
    phase          TEXT NOT NULL,
    started_at_ms  INTEGER NOT NULL,
    -- NULL while the swap runs
    finished_at_ms INTEGER,
    -- finished_at_ms - started_at_ms; NULL while running and for interrupted swaps
    duration_ms    INTEGER,
    percent        REAL,
    message        TEXT NOT NULL,
    error          TEXT,
    phases         TEXT NOT NULL, -- JSON [{\"phase\", \"at_ms\"}]
    commands       TEXT NOT NULL, -- JSON [\"docker …\"]
    log_tail       TEXT NOT NULL  -- JSON [\"line\"]
);
CREATE INDEX swaps_unfinished ON swaps (id) WHERE finished_at_ms IS NULL;
";

/// Added by the migration "swap requesters" (see [`super::MIGRATIONS`]).
pub(super) const REQUESTED_FROM_COLUMN: &str = "
ALTER TABLE swaps ADD COLUMN requested_from TEXT;
";

const COLUMNS: &str = "id, from_model, to_model, node, requested_by, phase, started_at_ms, \
     finished_at_ms, percent, message, error, phases, commands, log_tail, requested_from";

impl Store {
    /// Writes `swap`'s row, inserting it the first time. A finished row is never overwritten
    /// by an unfinished status, so a late write cannot make a finished swap look cut off.
    pub async fn save_swap(&self, swap: SwapStatus) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO swaps (id, from_model, to_model, node, requested_by, phase,
                     started_at_ms, finished_at_ms, duration_ms, percent, message, error,
                     phases, commands, log_tail, requested_from)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                 ON CONFLICT (id) DO UPDATE SET
                     phase = excluded.phase, finished_at_ms = excluded.finished_at_ms,
                     duration_ms = excluded.duration_ms, percent = excluded.percent,
                     message = excluded.message, error = excluded.error,
                     phases = excluded.phases, commands = excluded.commands,
                     log_tail = excluded.log_tail
                 WHERE swaps.finished_at_ms IS NULL OR excluded.finished_at_ms IS NOT NULL",
                params![
                    int(swap.id),
                    swap.from_model,
                    swap.to_model,
                    swap.node,
                    swap.requested_by,
                    phase_name(swap.phase),
                    int(swap.started_at_ms),
                    swap.finished_at_ms.map(int),
                    duration_ms(&swap).map(int),
                    swap.percent,
                    swap.message,
                    swap.error,
                    json(&swap.phases),
                    json(&swap.commands),
                    json(&swap.log_tail),
                    swap.requested_from,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The latest `limit` swaps, newest first.
    pub async fn recent_swaps(&self, limit: usize) -> Result<Vec<SwapStatus>, StoreError> {
        self.call(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM swaps ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit as i64], read_row)?;
            rows.map(|row| row?).collect()
        })
        .await
    }

    /// Swaps that started and never finished: cut off by a stop of the controller.
    pub async fn unfinished_swaps(&self) -> Result<Vec<SwapStatus>, StoreError> {
        self.call(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM swaps WHERE finished_at_ms IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map([], read_row)?;
            rows.map(|row| row?).collect()
        })
        .await
    }

    /// The highest swap id ever recorded (0 for none): ids continue from it after a restart.
    pub async fn last_swap_id(&self) -> Result<u64, StoreError> {
        self.call(|conn| {
            let id: Option<i64> = conn
                .query_row("SELECT MAX(id) FROM swaps", [], |r| r.get(0))
                .optional()?
                .flatten();
            Ok(id.map_or(0, |id| id.max(0) as u64))
        })
        .await
    }
}

/// Only finished, non-interrupted swaps have a duration that means something.
fn duration_ms(swap: &SwapStatus) -> Option<u64> {
    match (swap.phase, swap.finished_at_ms) {
        (SwapPhase::Interrupted, _) | (_, None) => None,
        (_, Some(end)) => Some(end.saturating_sub(swap.started_at_ms)),
    }
}

fn phase_name(phase: SwapPhase) -> String {
    match serde_json::to_value(phase) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{phase:?}"),
    }
}

/// Reads one row; the inner `Result` carries a value the row holds but this version cannot
/// read (kept apart from SQLite's own errors).
fn read_row(row: &Row<'_>) -> rusqlite::Result<Result<SwapStatus, StoreError>> {
    let int = |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(i)?.max(0) as u64) };
    let text = |i: usize| row.get::<_, String>(i);
    let phase: String = text(5)?;
    let finished: Option<i64> = row.get(7)?;
    let (phases, commands, log_tail) = (text(11)?, text(12)?, text(13)?);
    let mut status = SwapStatus {
        id: int(0)?,
        from_model: row.get(1)?,
        to_model: text(2)?,
        node: text(3)?,
        requested_by: row.get(4)?,
        requested_from: row.get(14)?,
        phase: SwapPhase::Failed,
        percent: row.get(8)?,
        started_at_ms: int(6)?,
        finished_at_ms: finished.map(|f| f.max(0) as u64),
        eta_secs: None,
        phases: Vec::new(),
        log_tail: Vec::new(),
        message: text(9)?,
        error: row.get(10)?,
        dry_run: false,
        commands: Vec::new(),
        stopping: Vec::new(),
    };
    let decoded = (|| {
        status.phase = decode("phase", &serde_json::Value::String(phase).to_string())?;
        status.phases = decode::<Vec<PhaseMark>>("phase marks", &phases)?;
        status.commands = decode("command list", &commands)?;
        status.log_tail = decode("log tail", &log_tail)?;
        Ok(status)
    })();
    Ok(decoded)
}

fn decode<T: serde::de::DeserializeOwned>(what: &'static str, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// JSON text for the list columns (serialising these plain lists cannot fail).
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swap(id: u64, phase: SwapPhase, finished: Option<u64>) -> SwapStatus {
        SwapStatus {
            id,
            from_model: Some("gpt-oss-120b".into()),
            to_model: "tiny".into(),
            node: "spark-1".into(),
            requested_by: Some("api".into()),
            requested_from: Some("192.0.2.7".into()),
            phase,
            percent: Some(62.0),
            started_at_ms: 1_000,
            finished_at_ms: finished,
            eta_secs: Some(3.0),
            phases: vec![PhaseMark {
                phase: SwapPhase::Checking,
                at_ms: 1_000,
            }],
            log_tail: vec!["Loading safetensors checkpoint shards:  62%".into()],
            message: "loading".into(),
            error: None,
            dry_run: false,
            commands: vec!["docker stop -t 30 vllm".into()],
            stopping: Vec::new(),
        }
    }

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.sqlite3")).await.unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn a_swap_is_inserted_then_updated_and_read_back_whole() {
        let (store, _dir) = store().await;
        assert_eq!(store.last_swap_id().await.unwrap(), 0);
        store
            .save_swap(swap(7, SwapPhase::Loading, None))
            .await
            .unwrap();
        assert_eq!(store.unfinished_swaps().await.unwrap().len(), 1);

        let done = swap(7, SwapPhase::Ready, Some(31_000));
        store.save_swap(done.clone()).await.unwrap();
        let read = store.recent_swaps(10).await.unwrap();
        // Everything but the live ETA comes back as it was written.
        assert_eq!(
            read,
            vec![SwapStatus {
                eta_secs: None,
                ..done
            }]
        );
        assert!(store.unfinished_swaps().await.unwrap().is_empty());
        assert_eq!(store.last_swap_id().await.unwrap(), 7);
        let duration: Option<i64> = store
            .call(|c| Ok(c.query_row("SELECT duration_ms FROM swaps", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(duration, Some(30_000));
    }

    #[tokio::test]
    async fn a_finished_row_is_not_overwritten_by_a_late_running_status() {
        let (store, _dir) = store().await;
        store
            .save_swap(swap(1, SwapPhase::Ready, Some(5_000)))
            .await
            .unwrap();
        store
            .save_swap(swap(1, SwapPhase::Loading, None))
            .await
            .unwrap();
        let read = store.recent_swaps(1).await.unwrap();
        assert_eq!(read[0].phase, SwapPhase::Ready);
        assert!(store.unfinished_swaps().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn recent_swaps_are_newest_first_and_bounded() {
        let (store, _dir) = store().await;
        for id in 1..=5 {
            store
                .save_swap(swap(id, SwapPhase::Ready, Some(2_000)))
                .await
                .unwrap();
        }
        let ids: Vec<u64> = store
            .recent_swaps(3)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, vec![5, 4, 3]);
    }
}
