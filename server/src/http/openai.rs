//! The OpenAI-compatible chat routes for LAN apps, proxied to the loaded vLLM model by the
//! [`crate::gateway::ChatGateway`]:
//!
//! - `GET /v1/models`
//! - `POST /v1/chat/completions`, `POST /v1/completions` — with or without `"stream": true`.
//!
//! Any other path under `/v1/`, or another method on these, gets a JSON error too (404, 405):
//! an OpenAI client shows it instead of choking on an HTML page.
//!
//! Errors answer in OpenAI's shape; see docs/CHAT_GATEWAY.md.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::routing::{any, get, post};
use axum::Router;

use crate::gateway::GatewayError;
use crate::state::AppState;

pub fn routes(state: Arc<AppState>) -> Router {
    let limit = state.gateway.settings().max_body_bytes;
    Router::new()
        .route("/v1/models", get(models).fallback(not_allowed))
        .route(
            "/v1/chat/completions",
            post(chat_completions).fallback(not_allowed),
        )
        .route("/v1/completions", post(completions).fallback(not_allowed))
        .route("/v1/{*rest}", any(unknown))
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

async fn unknown(method: Method, uri: Uri) -> GatewayError {
    GatewayError::UnknownRoute {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}

async fn not_allowed(method: Method, uri: Uri) -> GatewayError {
    GatewayError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}
