//! The probe loops: one task per node (SSH), and two per service (HTTP health, TCP connect).
//!
//! Tasks hold the monitor weakly, so dropping the monitor ends them; each keeps its own
//! schedule, so a probe stuck on its timeout delays only itself.

use std::net::{SocketAddr, SocketAddrV4};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{interval, Interval, MissedTickBehavior};

use super::{
    now_ms, Monitor, CONNECT_INTERVAL, CONNECT_TIMEOUT, NODE_INTERVAL, NODE_TIMEOUT,
    SERVICE_INTERVAL, SERVICE_TIMEOUT,
};
use crate::cluster::{node_probe, service_probe, Cluster};

pub(super) fn spawn(monitor: &Arc<Monitor>, cluster: &Cluster) -> Vec<JoinHandle<()>> {
    let client = service_probe::probe_client(SERVICE_TIMEOUT);
    let mut tasks = Vec::new();
    let mut service_index = 0;
    for (node_index, node) in cluster.nodes.iter().enumerate() {
        let (weak, node_for_task) = (Arc::downgrade(monitor), node.clone());
        tasks.push(tokio::spawn(async move {
            let mut ticks = schedule(NODE_INTERVAL);
            loop {
                ticks.tick().await;
                let started = now_ms();
                let report = node_probe::probe(&node_for_task.ssh, NODE_TIMEOUT).await;
                let Some(monitor) = weak.upgrade() else {
                    return;
                };
                monitor.record_node(node_index, started, report);
            }
        }));
        for service in node.config.services.clone() {
            let index = service_index;
            service_index += 1;
            let addr = SocketAddr::V4(SocketAddrV4::new(node.config.host, service.port));
            tasks.push(tokio::spawn(watch_connect(
                Arc::downgrade(monitor),
                index,
                addr,
            )));
            let (weak, client, url) = (
                Arc::downgrade(monitor),
                client.clone(),
                node.service_url(&service),
            );
            let wake = monitor.wake[index].clone();
            tasks.push(tokio::spawn(async move {
                let mut ticks = schedule(SERVICE_INTERVAL);
                loop {
                    // On schedule, or at once when the connect check saw the service come back.
                    tokio::select! {
                        _ = ticks.tick() => {}
                        () = wake.notified() => {}
                    }
                    let started = now_ms();
                    match weak.upgrade() {
                        Some(monitor) => monitor.in_flight[index].store(started, Ordering::SeqCst),
                        None => return,
                    }
                    let report = service_probe::probe(&client, &url, &service).await;
                    let Some(monitor) = weak.upgrade() else {
                        return;
                    };
                    monitor.record_service(index, started, report);
                }
            }));
        }
    }
    tasks
}

/// Connects to the service every [`CONNECT_INTERVAL`]; wakes its HTTP probe when it answers
/// again after failing.
async fn watch_connect(monitor: Weak<Monitor>, index: usize, addr: SocketAddr) {
    let mut ticks = schedule(CONNECT_INTERVAL);
    loop {
        ticks.tick().await;
        let started = now_ms();
        let result = service_probe::connect(addr, CONNECT_TIMEOUT).await;
        let Some(monitor) = monitor.upgrade() else {
            return;
        };
        if monitor.record_connect(index, started, result) {
            monitor.wake[index].notify_one();
        }
    }
}

/// A tick every `period`; a late tick is not made up for (a slow probe just runs less often).
fn schedule(period: Duration) -> Interval {
    let mut ticks = interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks
}
