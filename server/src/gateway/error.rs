//! The chat gateway's errors, answered in OpenAI's error shape so that any OpenAI client shows
//! them as it would show OpenAI's own: `{"error": {"message", "type", "param", "code"}}`.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    BadBody(String),
    #[error("the request body is not valid JSON: {0}")]
    BadJson(String),
    #[error("the model `{requested}` is not loaded; loaded: {}", if .loaded.is_empty() { "none".to_string() } else { .loaded.join(", ") })]
    ModelNotLoaded {
        requested: String,
        loaded: Vec<String>,
    },
    #[error("a model swap to {to} is in progress; retry in about {} s", .retry_after.as_secs())]
    SwapInProgress { to: String, retry_after: Duration },
    #[error("no node is configured to serve chat (vLLM)")]
    NoUpstream,
    #[error("the chat model ({upstream}) is not reachable: {reason}")]
    UpstreamDown { upstream: String, reason: String },
    #[error("the chat model ({upstream}) did not answer within {} s", .after.as_secs())]
    UpstreamTimeout { upstream: String, after: Duration },
    #[error("invalid URL ({method} {path}): the gateway serves GET /v1/models, POST /v1/chat/completions and POST /v1/completions")]
    UnknownRoute { method: String, path: String },
    #[error("{path} does not answer {method}")]
    MethodNotAllowed { method: String, path: String },
}

impl GatewayError {
    fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadBody(_) | Self::BadJson(_) => StatusCode::BAD_REQUEST,
            Self::ModelNotLoaded { .. } => StatusCode::NOT_FOUND,
            Self::SwapInProgress { .. } | Self::NoUpstream => StatusCode::SERVICE_UNAVAILABLE,
            Self::UpstreamDown { .. } => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::UnknownRoute { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    /// OpenAI's `type` and `code` for this error.
    fn kind(&self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::TooLarge { .. }
            | Self::BadBody(_)
            | Self::BadJson(_)
            | Self::UnknownRoute { .. }
            | Self::MethodNotAllowed { .. } => ("invalid_request_error", None),
            Self::ModelNotLoaded { .. } => ("invalid_request_error", Some("model_not_found")),
            Self::SwapInProgress { .. } => ("service_unavailable", Some("model_swap_in_progress")),
            Self::NoUpstream => ("service_unavailable", None),
            Self::UpstreamDown { .. } => ("upstream_error", Some("upstream_unreachable")),
            Self::UpstreamTimeout { .. } => ("upstream_error", Some("upstream_timeout")),
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (kind, code) = self.kind();
        let param = matches!(self, Self::ModelNotLoaded { .. }).then_some("model");
        let body = json!({"error": {"message": self.to_string(), "type": kind, "param": param, "code": code}});
        let mut response = (status, Json(body)).into_response();
        if let Self::SwapInProgress { retry_after, .. } = &self {
            if let Ok(value) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
