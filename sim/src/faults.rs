//! Fault injection: what tests (and curious owners) can do to a simulated service.
//!
//! A fault is set per node and service name (`"ssh"`, `"vllm"`, …) and read by that service on
//! every request, so a change takes effect immediately without restarting anything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What is wrong with one service. The default is "nothing".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// The port refuses connections and open connections are cut.
    pub down: bool,
    /// Every request (or SSH command) is answered this much later.
    pub delay_ms: u64,
    /// Requests are accepted and never answered.
    pub hang: bool,
    /// Every HTTP request is answered with this status and the upstream's error body.
    pub error_status: Option<u16>,
    /// A streamed response is cut (connection dropped, no `[DONE]`) after this many chunks.
    pub drop_stream_after: Option<u32>,
}

impl Fault {
    pub fn is_none(&self) -> bool {
        *self == Fault::default()
    }

    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms)
    }
}

/// The faults currently set on one node, by service name.
#[derive(Default)]
pub struct FaultTable {
    by_service: Mutex<HashMap<String, Fault>>,
}

impl FaultTable {
    pub fn get(&self, service: &str) -> Fault {
        self.lock().get(service).cloned().unwrap_or_default()
    }

    pub fn set(&self, service: &str, fault: Fault) {
        let mut table = self.lock();
        if fault.is_none() {
            table.remove(service);
        } else {
            table.insert(service.to_string(), fault);
        }
    }

    pub fn clear(&self) -> Vec<String> {
        self.lock().drain().map(|(service, _)| service).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Fault>> {
        self.by_service.lock().unwrap_or_else(|e| e.into_inner())
    }
}
