//! An HTTP control API for a running simulator, for tests in other processes and for shim
//! scripts (a real `sshd` whose `docker` is a shim that forwards here).
//!
//! - `GET /nodes` — where each node listens.
//! - `PUT /nodes/{node}/faults/{service}` with a [`Fault`] body — set or clear a fault.
//! - `DELETE /faults` — clear every fault.
//! - `POST /nodes/{node}/exec` with `{"command": "…"}` — run a command line as the node's SSH
//!   server would, answering `{"stdout", "stderr", "code"}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{Fault, SimCluster, SimError};

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let status = match self {
            SimError::NoSuchNode(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({"error": {"message": self.to_string(), "type": "sim_error", "code": status.as_u16()}}))).into_response()
    }
}

pub fn router(cluster: Arc<SimCluster>) -> Router {
    Router::new()
        .route("/nodes", get(nodes))
        .route("/nodes/{node}/faults/{service}", put(set_fault))
        .route("/faults", delete(clear_faults))
        .route("/nodes/{node}/exec", post(exec))
        .with_state(cluster)
}

async fn nodes(State(cluster): State<Arc<SimCluster>>) -> impl IntoResponse {
    Json(cluster.describe())
}

async fn set_fault(
    State(cluster): State<Arc<SimCluster>>,
    Path((node, service)): Path<(String, String)>,
    Json(fault): Json<Fault>,
) -> Result<StatusCode, SimError> {
    cluster.set_fault(&node, &service, fault).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn clear_faults(State(cluster): State<Arc<SimCluster>>) -> Result<StatusCode, SimError> {
    cluster.clear_faults().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ExecRequest {
    command: String,
}

async fn exec(
    State(cluster): State<Arc<SimCluster>>,
    Path(node): Path<String>,
    Json(request): Json<ExecRequest>,
) -> Result<impl IntoResponse, SimError> {
    let node = cluster.node(&node)?;
    let out = crate::shell::run(node, &request.command);
    Ok(Json(
        json!({"stdout": out.stdout, "stderr": out.stderr, "code": out.code}),
    ))
}
