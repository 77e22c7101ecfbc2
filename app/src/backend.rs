//! The seam between the UI's server functions and the server that owns the cluster.
//!
//! The server crate implements [`Backend`] and provides it as Leptos context; server functions
//! fetch it with [`backend`]. Keeping it a trait keeps this crate free of server internals.

use std::sync::Arc;

use leptos::prelude::*;

use crate::status::ClusterStatus;

pub trait Backend: Send + Sync + 'static {
    /// The latest cluster status; never waits on the cluster.
    fn cluster_status(&self) -> ClusterStatus;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The backend provided by the server, or an error a server function can return.
pub fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>()
        .ok_or_else(|| ServerFnError::ServerError("backend missing from context".into()))
}
