//! The OpenAI-compatible chat routes for LAN apps, proxied to the loaded vLLM model by the
//! [`crate::gateway::ChatGateway`]:
//!
//! - `GET /v1/models`
//! - `POST /v1/chat/completions`, `POST /v1/completions` — with or without `"stream": true`.
//!
//! Errors answer in OpenAI's shape; see docs/CHAT_GATEWAY.md.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Response, StatusCode};
use axum::routing::{get, post};
use axum::Router;

use crate::gateway::GatewayError;
use crate::state::AppState;

pub fn routes(state: Arc<AppState>) -> Router {
    let limit = state.gateway.settings().max_body_bytes;
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn models(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response<Body>, GatewayError> {
    state.gateway.models(&headers).await
}

async fn chat_completions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response<Body>, GatewayError> {
    let body = read(&state, body)?;
    state
        .gateway
        .generate("/v1/chat/completions", &headers, body)
        .await
}

async fn completions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response<Body>, GatewayError> {
    let body = read(&state, body)?;
    state
        .gateway
        .generate("/v1/completions", &headers, body)
        .await
}

fn read(state: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Bytes, GatewayError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            GatewayError::TooLarge {
                limit: state.gateway.settings().max_body_bytes,
            }
        } else {
            GatewayError::BadBody(rejection.body_text())
        }
    })
}
