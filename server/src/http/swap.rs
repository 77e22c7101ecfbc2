//! Swap routes for scripts (the dashboard uses the same core through server functions):
//!
//! - `GET /api/models` — the catalog, which model is loaded, and the current swap.
//! - `POST /api/swap` `{"model": "<id>", "dry_run": false}` — start a swap (202), or show its
//!   commands (`dry_run`, 200). 409 while another swap runs (body carries its status), 404 for
//!   an unknown id, 422 when the model does not fit or cannot be launched, 503 when the node is
//!   unreachable.
//! - `GET /api/swap/preview?model=<id>` — what that swap would stop, for about how long chat
//!   would be down and what keeps running, in plain English; refused exactly as a start would be.
//! - `GET /api/swap` — the running or last swap; `GET /api/swap/history` — finished swaps.
//! - `GET /api/swap/events` — Server-Sent Events, one `status` event per change.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;

use crate::state::AppState;
use crate::swap::{view, Requester, SwapError};

pub fn routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/models", get(models))
        .route("/api/swap", post(start).get(current))
        .route("/api/swap/preview", get(preview))
        .route("/api/swap/history", get(history))
        .route("/api/swap/events", get(events))
        .with_state(state)
}

async fn models(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    Json(view::overview(&state.swapper))
}

#[derive(Deserialize)]
struct PreviewQuery {
    model: String,
}

/// What a swap would do, in plain English; the same refusals as `POST /api/swap`.
async fn preview(
    State(state): State<Arc<AppState>>,
    query: Result<Query<PreviewQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!(
                    "{}: pass the catalog id as ?model=<id>",
                    rejection.body_text()
                ),
                None,
            )
        }
    };
    match view::preview(&state.swapper, &query.model).await {
        Ok(preview) => Json(json!({"preview": preview})).into_response(),
        Err(e) => swap_error(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwapRequest {
    model: String,
    #[serde(default)]
    dry_run: bool,
}

async fn start(
    State(state): State<Arc<AppState>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Result<Json<SwapRequest>, JsonRejection>,
) -> Response {
    let request = match body {
        Ok(Json(request)) => request,
        Err(rejection) => {
            return error(
                rejection.status(),
                "invalid_request_error",
                &rejection.body_text(),
                None,
            )
        }
    };
    match state
        .swapper
        .start_by(
            &request.model,
            request.dry_run,
            Requester {
                by: Some("api".into()),
                from: peer.map(|Extension(ConnectInfo(addr))| addr.ip()),
            },
        )
        .await
    {
        Ok(status) if status.dry_run => {
            (StatusCode::OK, Json(json!({"swap": status}))).into_response()
        }
        Ok(status) => (StatusCode::ACCEPTED, Json(json!({"swap": status}))).into_response(),
        Err(e) => swap_error(e),
    }
}

fn swap_error(e: SwapError) -> Response {
    let message = e.to_string();
    let (status, kind) = match &e {
        SwapError::UnknownModel(_) => (StatusCode::NOT_FOUND, "not_found_error"),
        SwapError::Busy(_) | SwapError::AlreadyLoaded(_) => {
            (StatusCode::CONFLICT, "conflict_error")
        }
        SwapError::DoesNotFit { .. } | SwapError::Unsupported(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error")
        }
        SwapError::NoVllmNode | SwapError::NodeDown { .. } | SwapError::Ssh { .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, "upstream_error")
        }
    };
    let running = match e {
        SwapError::Busy(status) => Some(*status),
        _ => None,
    };
    error(status, kind, &message, running)
}

fn error(
    status: StatusCode,
    kind: &str,
    message: &str,
    swap: Option<app::swap::SwapStatus>,
) -> Response {
    let mut body = json!({"error": {"message": message, "type": kind, "code": status.as_u16()}});
    if let Some(swap) = swap {
        body["swap"] = json!(swap);
    }
    (status, Json(body)).into_response()
}

async fn current(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    Json(json!({"swap": state.swapper.status()}))
}

async fn history(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    Json(json!({"swaps": state.swapper.history()}))
}

async fn events(
    State(state): State<Arc<AppState>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let updates = tokio_stream::wrappers::WatchStream::new(state.swapper.subscribe());
    let stream = updates.map(|status| {
        Ok(Event::default()
            .event("status")
            .json_data(&status)
            .unwrap_or_default())
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
