//! The swap as the owner sees it before and around it: the catalog with the loaded model
//! marked ([`overview`]), and what a swap would do, in plain English, for the confirmation
//! dialog and `GET /api/swap/preview` ([`preview`]).
//!
//! A preview runs every check a real swap runs (it is a dry run underneath), so a dialog never
//! offers a swap that would be refused.

use std::sync::Arc;

use app::swap::{
    CatalogModel, Downtime, ModelsOverview, PlannedStop, SwapPhase, SwapPreview, SwapStatus,
};

use super::{plan, SwapError, Swapper};
use crate::catalog::Launch;
use crate::config::ServiceKind;

/// The catalog, the loaded model and the current swap.
pub fn overview(swapper: &Swapper) -> ModelsOverview {
    let loaded = swapper.loaded_model();
    let models = swapper
        .catalog
        .models
        .iter()
        .map(|m| CatalogModel {
            id: m.id.clone(),
            name: m.name.clone(),
            purpose: m.purpose.clone(),
            served_model_name: m.served_model_name.clone(),
            nodes: m.nodes,
            memory_gib: m.memory_gib,
            ready_timeout_secs: m.ready_timeout.as_secs(),
            launch: match m.launch {
                Launch::Container { .. } => "container",
                Launch::Recipe(_) => "recipe",
            }
            .into(),
            loaded: loaded.as_deref() == Some(m.served_model_name.as_str()),
        })
        .collect();
    ModelsOverview {
        loaded,
        models,
        swap: swapper.status(),
    }
}

/// What swapping to `model` would stop, for how long, and what keeps running — or why the swap
/// would be refused. Changes nothing.
pub async fn preview(swapper: &Arc<Swapper>, model: &str) -> Result<SwapPreview, SwapError> {
    if let Some(running) = swapper.status().filter(SwapStatus::is_running) {
        return Err(SwapError::Busy(Box::new(running)));
    }
    let plan = swapper.start(model, true).await?;
    let entry = swapper
        .catalog
        .get(model)
        .ok_or_else(|| SwapError::UnknownModel(model.to_string()))?;
    let stops = plan
        .from_model
        .as_deref()
        .and_then(|id| swapper.catalog.get(id))
        .map(|m| m.name.clone())
        .or_else(|| swapper.loaded_model());
    let downtime = match typical_duration(&swapper.history(), model) {
        Some((secs, swaps)) => Downtime::Measured {
            secs: secs.round() as u64,
            swaps,
        },
        None => Downtime::Unknown {
            limit_secs: entry.ready_timeout.as_secs(),
        },
    };
    let unaffected = unaffected(swapper, &plan.node, swapper.worker_for(model).as_deref());
    // the model's own container is what `stops` already names
    let also_stops: Vec<PlannedStop> = plan
        .stopping
        .into_iter()
        .filter(|s| s.container != plan::CONTAINER)
        .collect();
    Ok(SwapPreview {
        sentences: SwapPreview::explain(
            &entry.name,
            stops.as_deref(),
            &plan.node,
            &also_stops,
            &downtime,
            &unaffected,
        ),
        model: entry.id.clone(),
        model_name: entry.name.clone(),
        stops,
        node: plan.node,
        also_stops,
        downtime,
        unaffected,
    })
}

/// Median seconds and count of earlier successful swaps to `model`: the ETA of a running swap
/// and the downtime a preview announces.
pub fn typical_duration<'a>(
    history: impl IntoIterator<Item = &'a SwapStatus>,
    model: &str,
) -> Option<(f64, usize)> {
    let mut secs: Vec<f64> = history
        .into_iter()
        .filter(|s| s.to_model == model && s.phase == SwapPhase::Ready)
        .filter_map(|s| {
            s.finished_at_ms
                .map(|end| end.saturating_sub(s.started_at_ms) as f64 / 1000.0)
        })
        .collect();
    if secs.is_empty() {
        return None;
    }
    secs.sort_by(f64::total_cmp);
    Some((secs[secs.len() / 2], secs.len()))
}

/// Everything a swap on `node` leaves running: the other services, and nodes that run none of
/// the configured services. For a model that spans two nodes, `worker` is where its Ray worker
/// runs: that node's services keep running, but share its memory with the worker, and the
/// node itself is no longer idle.
fn unaffected(swapper: &Swapper, node: &str, worker: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for n in &swapper.cluster.nodes {
        let name = &n.config.name;
        let shared = worker == Some(name.as_str());
        let services: Vec<_> = n
            .config
            .services
            .iter()
            .filter(|s| !(name == node && s.kind == ServiceKind::Vllm))
            .map(|s| {
                if shared {
                    format!(
                        "{} on {name} (sharing {name}'s memory with the model's worker)",
                        s.kind.name()
                    )
                } else {
                    format!("{} on {name}", s.kind.name())
                }
            })
            .collect();
        if services.is_empty() && name != node && !shared {
            out.push(name.clone());
        }
        out.extend(services);
    }
    out
}
