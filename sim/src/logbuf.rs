//! A container's log: an append-only, bounded list of lines that `docker logs` reads.

use std::sync::Mutex;

/// Lines kept per container; older lines are dropped first, like a rotated json-file log.
const MAX_LINES: usize = 10_000;

#[derive(Default)]
pub struct LogBuffer {
    lines: Mutex<Vec<String>>,
}

impl LogBuffer {
    pub fn push(&self, line: impl Into<String>) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() >= MAX_LINES {
            lines.drain(..MAX_LINES / 10);
        }
        lines.push(line.into());
    }

    /// The last `tail` lines (all when `None`).
    pub fn tail(&self, tail: Option<usize>) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let start = tail.map_or(0, |n| lines.len().saturating_sub(n));
        lines[start..].to_vec()
    }
}

/// vLLM's log prefix: `INFO 11-28 01:02:03 [file.py:123] `.
pub fn vllm_prefix(level: &str, source: &str) -> String {
    let now = crate::clock::utc_now();
    format!(
        "{level} {:02}-{:02} {:02}:{:02}:{:02} [{source}] ",
        now.month, now.day, now.hour, now.minute, now.second
    )
}
