//! The seam between the UI's server functions and the server that owns the cluster.
//!
//! The server crate implements [`Backend`] and provides it as Leptos context; server functions
//! fetch it with [`backend`]. Keeping it a trait keeps this crate free of server internals.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;

use crate::health::HealthReport;
use crate::status::ClusterStatus;
use crate::swap::{ModelsOverview, SwapPreview, SwapStatus};

/// A boxed future, so that [`Backend`] stays usable as `dyn Backend`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait Backend: Send + Sync + 'static {
    /// The latest cluster status; never waits on the cluster.
    fn cluster_status(&self) -> ClusterStatus;

    /// The cluster status with its recent history: load samples, queues and outages.
    fn health_report(&self) -> HealthReport;

    /// The model catalog, the loaded model and the running or last swap.
    fn models(&self) -> ModelsOverview;

    /// What swapping to `model` would do, or why it would be refused (in words for the owner).
    fn preview_swap(&self, model: String) -> BoxFuture<'_, Result<SwapPreview, String>>;

    /// Starts a swap to `model` that the dashboard user at `from` (their IP address, when
    /// known) confirmed; `Err` says why it was refused (nothing changed then).
    fn start_swap(
        &self,
        model: String,
        from: Option<std::net::IpAddr>,
    ) -> BoxFuture<'_, Result<SwapStatus, String>>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The backend provided by the server, or an error a server function can return.
pub fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>()
        .ok_or_else(|| ServerFnError::ServerError("backend missing from context".into()))
}
