//! The OpenAI-compatible chat routes for LAN apps, proxied to the loaded vLLM model by the
//! [`crate::gateway::ChatGateway`]:
//!
//! - `GET /v1/models`
//! - `POST /v1/chat/completions`, `POST /v1/completions` — with or without `"stream": true`.
//!
//! Any other path under `/v1/`, or another method on these, gets a JSON error too (404, 405):
//! an OpenAI client shows it instead of choking on an HTML page.
//!
//! These routes are the hot path: every token a LAN app asks for passes here. So they are not
//! mounted on the dashboard's axum router (its routing table, middleware stack and boxed
//! services cost more than the proxying itself); [`super::serve`] hands every request under
//! `/v1/` straight to [`handle`], on the thread that owns its connection. Each is still counted
//! in the request metrics under its route, as a router's route would be.
//!
//! Errors answer in OpenAI's shape; see docs/CHAT_GATEWAY.md.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, Response};
use axum::response::IntoResponse;
use axum::BoxError;
use http_body::Body as HttpBody;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::gateway::GatewayError;
use crate::state::AppState;

/// Where the OpenAI routes live. Everything under it is answered here.
pub const PREFIX: &str = "/v1/";

/// The metrics route label of a path under `/v1/` that is none of the routes.
const UNKNOWN_ROUTE: &str = "/v1/{*rest}";

/// Answers one request under [`PREFIX`], in OpenAI's shape whatever happens.
pub async fn handle<B>(state: &AppState, request: Request<B>) -> Response<Body>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let started = Instant::now();
    let method = request.method().clone();
    let (route, answer) = route(state, request).await;
    let response = answer.unwrap_or_else(IntoResponse::into_response);
    state
        .metrics
        .observe_request(route, &method, response.status(), started.elapsed());
    response
}

/// The route a request names, and its answer.
async fn route<B>(
    state: &AppState,
    request: Request<B>,
) -> (&'static str, Result<Response<Body>, GatewayError>)
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    let gateway = &state.gateway;
    let (route, allowed) = match parts.uri.path() {
        // As on any axum `get` route, HEAD is GET without the body.
        "/v1/models" => (
            "/v1/models",
            matches!(parts.method, Method::GET | Method::HEAD),
        ),
        "/v1/chat/completions" => ("/v1/chat/completions", parts.method == Method::POST),
        "/v1/completions" => ("/v1/completions", parts.method == Method::POST),
        other => {
            let error = GatewayError::UnknownRoute {
                method: parts.method.to_string(),
                path: other.to_string(),
            };
            return (UNKNOWN_ROUTE, Err(error));
        }
    };
    if !allowed {
        let error = GatewayError::MethodNotAllowed {
            method: parts.method.to_string(),
            path: route.to_string(),
        };
        return (route, Err(error));
    }
    let answer = if route == "/v1/models" {
        gateway.models(&parts.headers).await
    } else {
        match read(body, gateway.settings().max_body_bytes).await {
            Ok(body) => gateway.generate(route, &parts.headers, body).await,
            Err(error) => Err(error),
        }
    };
    (route, answer)
}

/// The whole request body, at most `limit` bytes of it (413 beyond, refused before reading
/// when the declared length already says so).
async fn read<B>(body: B, limit: usize) -> Result<Bytes, GatewayError>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(GatewayError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(GatewayError::TooLarge { limit }),
        Err(e) => Err(GatewayError::BadBody(format!(
            "failed to read the request body: {e}"
        ))),
    }
}
