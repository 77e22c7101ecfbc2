//! The outage log: every outage the monitor opened, in memory for instant reads and written
//! through to the state file ([`crate::store::outages`]) so it survives restarts.
//!
//! Memory and file hold the same rows under the same bounds — ended outages are kept for
//! [`RETENTION`] and at most [`MAX_KEPT`] of them; an open outage is never dropped — so the
//! API can answer from memory and still list everything the file keeps.
//!
//! Writes are sent down a channel to one writer task, which applies them in order: opening
//! and closing an outage never waits on the disk, and a close is never overtaken by its open.

use std::collections::VecDeque;
use std::sync::Weak;
use std::time::Duration;

use app::health::Outage;
use tokio::sync::mpsc;

use super::{now_ms, Monitor};
use crate::store::{Store, StoreError};

/// How long an ended outage is kept.
pub const RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// How many ended outages are kept at most (a flapping service cannot fill the disk).
pub const MAX_KEPT: usize = 2000;
/// How often old outages are pruned while the controller runs (it also prunes at start).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

#[derive(Default)]
pub struct OutageLog {
    /// Oldest first (ascending id).
    entries: VecDeque<Outage>,
    last_id: u64,
    writer: Option<mpsc::UnboundedSender<Outage>>,
    /// Work of the controller's own that takes a service down, as (node, service, what): an
    /// outage of that service there that opens meanwhile is recorded as planned (see
    /// [`Monitor::planned`]).
    planned: Vec<(String, String, String)>,
}

impl OutageLog {
    /// Opens an outage of `target` on `node`.
    pub fn open(&mut self, node: &str, target: &str, at_ms: u64, cause: String) {
        self.last_id += 1;
        let outage = Outage {
            id: self.last_id,
            node: node.to_string(),
            target: target.to_string(),
            started_at_ms: at_ms,
            ended_at_ms: None,
            duration_ms: None,
            cause,
            planned: self
                .planned
                .iter()
                .find(|(n, service, _)| n == node && service == target)
                .map(|(_, _, what)| what.clone()),
        };
        tracing::warn!(node, target, cause = %outage.cause, "outage started");
        self.persist(&outage);
        self.entries.push_back(outage);
        self.trim();
    }

    /// From now on, an outage of `service` on `node` is recorded as planned: `what`.
    pub fn plan(&mut self, node: &str, service: &str, what: &str) {
        let entry = (node.to_string(), service.to_string(), what.to_string());
        self.planned.push(entry);
    }

    /// Ends one [`OutageLog::plan`] of `what` for `service` on `node`.
    pub fn unplan(&mut self, node: &str, service: &str, what: &str) {
        if let Some(i) = self
            .planned
            .iter()
            .position(|(n, s, w)| n == node && s == service && w == what)
        {
            self.planned.remove(i);
        }
    }

    /// Ends the open outage of `target` on `node`, if there is one.
    pub fn close(&mut self, node: &str, target: &str, at_ms: u64) {
        let Some(outage) = self
            .entries
            .iter_mut()
            .rev()
            .find(|o| o.ended_at_ms.is_none() && o.node == node && o.target == target)
        else {
            return;
        };
        let end = at_ms.max(outage.started_at_ms);
        outage.ended_at_ms = Some(end);
        outage.duration_ms = Some(end - outage.started_at_ms);
        tracing::info!(
            node,
            target,
            duration_ms = end - outage.started_at_ms,
            "outage ended"
        );
        let outage = outage.clone();
        self.persist(&outage);
    }

    /// Up to `limit` outages: open ones first, then the newest first.
    pub fn list(&self, limit: usize) -> Vec<Outage> {
        let open = self
            .entries
            .iter()
            .rev()
            .filter(|o| o.ended_at_ms.is_none());
        let ended = self
            .entries
            .iter()
            .rev()
            .filter(|o| o.ended_at_ms.is_some());
        open.chain(ended).take(limit).cloned().collect()
    }

    /// Drops what the retention rules drop from the file too.
    pub fn prune(&mut self, now_ms: u64) {
        let cutoff = now_ms.saturating_sub(RETENTION.as_millis() as u64);
        self.entries
            .retain(|o| o.ended_at_ms.is_none_or(|end| end >= cutoff));
        self.trim();
    }

    /// Keeps ended outages only among the newest [`MAX_KEPT`], as the file does.
    fn trim(&mut self) {
        let Some(surplus) = self.entries.len().checked_sub(MAX_KEPT) else {
            return;
        };
        let mut index = 0;
        self.entries.retain(|o| {
            index += 1;
            index > surplus || o.ended_at_ms.is_none()
        });
    }

    fn persist(&self, outage: &Outage) {
        if let Some(writer) = &self.writer {
            // Fails only once the writer task is gone, i.e. the runtime is shutting down.
            let _ = writer.send(outage.clone());
        }
    }
}

/// Connects `monitor`'s log to the state file: ends the outages a stop left open, prunes,
/// loads what is kept and starts the writer. Outages the monitor opened before (none when it
/// is called before [`Monitor::start`], as boot does) are renumbered after the stored ones.
pub(super) async fn attach(
    monitor: &std::sync::Arc<Monitor>,
    store: Store,
) -> Result<(), StoreError> {
    let now = now_ms();
    let cut_off = store.close_open_outages(now).await?;
    if cut_off > 0 {
        tracing::warn!(
            count = cut_off,
            "outages left open by the last stop were closed at this start"
        );
    }
    store
        .prune_outages(now.saturating_sub(RETENTION.as_millis() as u64), MAX_KEPT)
        .await?;
    let last_id = store.last_outage_id().await?;
    // Every stored outage is ended now, so pruning left at most MAX_KEPT.
    let mut stored = store.recent_outages(MAX_KEPT).await?;
    stored.reverse();
    let (writer, writes) = mpsc::unbounded_channel();
    {
        let mut log = monitor.log();
        let early = std::mem::take(&mut log.entries);
        log.entries = stored.into();
        log.last_id = last_id;
        log.writer = Some(writer);
        for mut outage in early {
            log.last_id += 1;
            outage.id = log.last_id;
            log.persist(&outage);
            log.entries.push_back(outage);
        }
    }
    tokio::spawn(write(store, writes, std::sync::Arc::downgrade(monitor)));
    Ok(())
}

/// The writer task: applies writes in order and prunes now and then. It ends when the monitor
/// (which holds the sending side) is gone and every write it sent is done.
async fn write(store: Store, mut writes: mpsc::UnboundedReceiver<Outage>, monitor: Weak<Monitor>) {
    let mut prune = tokio::time::interval(PRUNE_EVERY);
    prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    prune.tick().await; // the first tick is immediate, and attach has just pruned
    loop {
        tokio::select! {
            write = writes.recv() => {
                let Some(outage) = write else { return };
                if let Err(e) = store.save_outage(outage).await {
                    tracing::warn!(error = %e, "could not record an outage in the state file");
                }
            }
            _ = prune.tick() => {
                let now = now_ms();
                let cutoff = now.saturating_sub(RETENTION.as_millis() as u64);
                if let Err(e) = store.prune_outages(cutoff, MAX_KEPT).await {
                    tracing::warn!(error = %e, "could not prune the outage log");
                }
                match monitor.upgrade() {
                    Some(monitor) => monitor.log().prune(now),
                    None => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_open_outages_first_then_the_newest() {
        let mut log = OutageLog::default();
        log.open("spark-1", "ssh", 1_000, "refused".into());
        log.open("spark-1", "vllm", 2_000, "refused".into());
        log.open("spark-2", "ssh", 3_000, "refused".into());
        log.close("spark-1", "vllm", 2_300);
        log.close("spark-2", "ssh", 3_100);
        // Closing what is not open changes nothing.
        log.close("spark-2", "ssh", 9_000);
        let ids: Vec<u64> = log.list(10).iter().map(|o| o.id).collect();
        assert_eq!(ids, [1, 3, 2]);
        let vllm = &log.list(10)[2];
        assert_eq!(
            (vllm.ended_at_ms, vllm.duration_ms),
            (Some(2_300), Some(300))
        );
        assert_eq!(log.list(1).len(), 1);
    }

    #[test]
    fn outages_of_services_during_planned_work_say_so() {
        let mut log = OutageLog::default();
        log.plan("spark-1", "vllm", "swap #4 to tiny");
        log.plan("spark-2", "vllm", "swap #4 to tiny");
        log.open("spark-1", "vllm", 1_000, "refused".into());
        log.open("spark-1", "ssh", 1_100, "refused".into());
        log.open("spark-2", "parakeet", 1_200, "refused".into());
        log.unplan("spark-1", "vllm", "swap #4 to tiny");
        log.close("spark-1", "vllm", 2_000);
        log.open("spark-1", "vllm", 3_000, "refused".into());
        let planned: Vec<(u64, Option<String>)> = log
            .list(10)
            .into_iter()
            .map(|o| (o.id, o.planned))
            .collect();
        assert_eq!(
            planned,
            [
                (4, None),
                (3, None),
                (2, None),
                (1, Some("swap #4 to tiny".to_string())),
            ],
            "only the swapped service on its node, while the swap ran: not the node itself, \
             not another service on a node the swap uses"
        );
    }

    #[test]
    fn keeps_open_outages_and_a_bounded_number_of_recent_ended_ones() {
        let mut log = OutageLog::default();
        log.open("spark-1", "ssh", 0, "refused".into());
        for i in 0..MAX_KEPT as u64 + 10 {
            log.open("spark-1", "vllm", 10 + i, "refused".into());
            log.close("spark-1", "vllm", 11 + i);
        }
        assert_eq!(log.entries.len(), MAX_KEPT + 1);
        assert_eq!(log.list(1)[0].id, 1, "the open outage is still there");
        let day = 24 * 3600 * 1000;
        log.prune(RETENTION.as_millis() as u64 + 11 + day);
        assert_eq!(log.entries.len(), 1, "every ended outage is past retention");
    }
}
