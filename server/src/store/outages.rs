//! The outage log table: one row per interruption of a node's SSH or a service, written when
//! the health monitor opens it and again when it closes.
//!
//! The monitor keeps the same rows in memory and answers every read from there; the table is
//! what survives a restart. Rows are bounded twice, by age and by count ([`Store::prune_outages`]).
//! A row still open when the controller starts was cut off by the stop: the stop is all we
//! know of its end, so [`Store::close_open_outages`] ends it at the restart and says so.

use app::health::Outage;
use rusqlite::{params, OptionalExtension, Row};

use super::{int, Store, StoreError};

pub(super) const SCHEMA: &str = "
CREATE TABLE outages (
    id            INTEGER PRIMARY KEY,
    node          TEXT NOT NULL,
    -- 'ssh' for the node itself, else the service name
    target        TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    -- NULL while the outage lasts
    ended_at_ms   INTEGER,
    duration_ms   INTEGER,
    cause         TEXT NOT NULL
);
CREATE INDEX outages_open ON outages (id) WHERE ended_at_ms IS NULL;
";

/// Added by the migration "planned outages" (see [`super::MIGRATIONS`]).
pub(super) const PLANNED_COLUMN: &str = "
ALTER TABLE outages ADD COLUMN planned TEXT;
";

const COLUMNS: &str = "id, node, target, started_at_ms, ended_at_ms, duration_ms, cause, planned";

/// Appended to the cause of an outage that was open when the controller stopped.
pub const RESTART_NOTE: &str =
    "still open when the controller stopped; ended at its restart, the real end is unknown";

impl Store {
    /// Writes `outage`'s row, inserting it the first time. An ended row is never reopened or
    /// changed again, so a late write cannot undo a close.
    pub async fn save_outage(&self, outage: Outage) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO outages (id, node, target, started_at_ms, ended_at_ms, duration_ms, cause, planned)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET
                     ended_at_ms = excluded.ended_at_ms,
                     duration_ms = excluded.duration_ms,
                     cause = excluded.cause
                 WHERE outages.ended_at_ms IS NULL",
                params![
                    int(outage.id),
                    outage.node,
                    outage.target,
                    int(outage.started_at_ms),
                    outage.ended_at_ms.map(int),
                    outage.duration_ms.map(int),
                    outage.cause,
                    outage.planned,
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The latest `limit` outages by id (the order they were opened), newest first.
    pub async fn recent_outages(&self, limit: usize) -> Result<Vec<Outage>, StoreError> {
        self.call(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM outages ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map([limit as i64], read_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// The highest outage id ever recorded (0 for none): ids continue from it after a restart.
    pub async fn last_outage_id(&self) -> Result<u64, StoreError> {
        self.call(|conn| {
            let id: Option<i64> = conn
                .query_row("SELECT MAX(id) FROM outages", [], |r| r.get(0))
                .optional()?
                .flatten();
            Ok(id.map_or(0, |id| id.max(0) as u64))
        })
        .await
    }

    /// Ends every open outage at `now_ms` with [`RESTART_NOTE`]; returns how many there were.
    pub async fn close_open_outages(&self, now_ms: u64) -> Result<usize, StoreError> {
        self.call(move |conn| {
            let now = int(now_ms);
            Ok(conn.execute(
                "UPDATE outages SET
                     ended_at_ms = MAX(?1, started_at_ms),
                     duration_ms = MAX(?1, started_at_ms) - started_at_ms,
                     cause = cause || ' — ' || ?2
                 WHERE ended_at_ms IS NULL",
                params![now, RESTART_NOTE],
            )?)
        })
        .await
    }

    /// Deletes outages that ended before `ended_before_ms`, then ended ones beyond the newest
    /// `keep`; an open outage is never deleted. Returns how many went.
    pub async fn prune_outages(
        &self,
        ended_before_ms: u64,
        keep: usize,
    ) -> Result<usize, StoreError> {
        self.call(move |conn| {
            let old = conn.execute(
                "DELETE FROM outages WHERE ended_at_ms IS NOT NULL AND ended_at_ms < ?1",
                [int(ended_before_ms)],
            )?;
            let surplus = conn.execute(
                "DELETE FROM outages WHERE ended_at_ms IS NOT NULL AND id NOT IN
                     (SELECT id FROM outages ORDER BY id DESC LIMIT ?1)",
                [keep as i64],
            )?;
            Ok(old + surplus)
        })
        .await
    }
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<Outage> {
    let int = |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(i)?.max(0) as u64) };
    let maybe = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(row.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
    };
    Ok(Outage {
        id: int(0)?,
        node: row.get(1)?,
        target: row.get(2)?,
        started_at_ms: int(3)?,
        ended_at_ms: maybe(4)?,
        duration_ms: maybe(5)?,
        cause: row.get(6)?,
        planned: row.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage(id: u64, started: u64, ended: Option<u64>) -> Outage {
        Outage {
            id,
            node: "spark-1".into(),
            target: "vllm".into(),
            started_at_ms: started,
            ended_at_ms: ended,
            duration_ms: ended.map(|e| e - started),
            cause: "connection refused (connect check)".into(),
            // every other row planned: the column round-trips both ways
            planned: id.is_multiple_of(2).then(|| format!("swap #{id} to tiny")),
        }
    }

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.sqlite3")).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn an_outage_is_opened_then_closed_and_never_reopened() {
        let (_dir, store) = store().await;
        store.save_outage(outage(1, 1_000, None)).await.unwrap();
        assert_eq!(
            store.recent_outages(10).await.unwrap(),
            [outage(1, 1_000, None)]
        );
        store
            .save_outage(outage(1, 1_000, Some(1_300)))
            .await
            .unwrap();
        // A late write of the open state does not undo the close.
        store.save_outage(outage(1, 1_000, None)).await.unwrap();
        let rows = store.recent_outages(10).await.unwrap();
        assert_eq!(rows, [outage(1, 1_000, Some(1_300))]);
        assert_eq!(rows[0].duration_ms, Some(300));
        assert_eq!(store.last_outage_id().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn open_outages_are_closed_at_restart_with_a_note() {
        let (_dir, store) = store().await;
        store
            .save_outage(outage(1, 1_000, Some(2_000)))
            .await
            .unwrap();
        store.save_outage(outage(2, 5_000, None)).await.unwrap();
        assert_eq!(store.close_open_outages(9_000).await.unwrap(), 1);
        let rows = store.recent_outages(10).await.unwrap();
        assert_eq!(rows[0].id, 2);
        assert_eq!(
            (rows[0].ended_at_ms, rows[0].duration_ms),
            (Some(9_000), Some(4_000))
        );
        assert!(rows[0].cause.ends_with(RESTART_NOTE), "{}", rows[0].cause);
        assert_eq!(
            rows[1],
            outage(1, 1_000, Some(2_000)),
            "closed rows are untouched"
        );
    }

    #[tokio::test]
    async fn pruning_drops_old_ended_rows_and_keeps_a_bounded_count() {
        let (_dir, store) = store().await;
        for (id, started, ended) in [
            (1, 100, Some(200)),
            (2, 150, None),
            (3, 1_000, Some(1_100)),
            (4, 2_000, Some(2_100)),
            (5, 3_000, Some(3_100)),
            (6, 4_000, Some(4_100)),
        ] {
            store.save_outage(outage(id, started, ended)).await.unwrap();
        }
        // Row 1 is too old; of the rest the newest 3 stay, and row 2, which is still open.
        assert_eq!(store.prune_outages(500, 3).await.unwrap(), 2);
        let ids: Vec<u64> = store
            .recent_outages(10)
            .await
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(ids, [6, 5, 4, 2]);
    }
}
