//! The redaction routes' errors, in the one JSON shape of the REST routes:
//! `{"error": {"message", "type", "param", "code"}}` (`param` names the request field at fault,
//! or is null; `code` is the HTTP status).
//!
//! **No message carries request content.** Bodies may be personal data, so every message here
//! is written from the error's kind alone: a JSON error says where (line, column) and what was
//! expected, never what was found; a bad known name says which entry, not the name.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum RedactionError {
    #[error("the request body is larger than {limit} bytes (REDACT_MAX_BODY_BYTES)")]
    TooLarge { limit: usize },
    /// A malformed request; the message is built from the error's kind, never from the input.
    #[error("{message}")]
    BadRequest {
        message: String,
        param: Option<&'static str>,
    },
    #[error("unknown or expired session: start a new one with POST /scrub (sessions expire {ttl_secs} s after their last use)")]
    UnknownSession { ttl_secs: u64 },
    #[error("the sealed session expired: start a new one with POST /scrub (a sealed token expires {ttl_secs} s after the /scrub that returned it)")]
    SealedExpired { ttl_secs: u64 },
    #[error("`sealed` is not a valid sealed token: it was altered or truncated, or sealed by another controller (or before its sealing key was replaced)")]
    BadSealedToken,
    #[error("the session is full ({limit} entities); start a new session")]
    SessionFull { limit: usize },
    #[error("the session was changed by other requests at the same time; retry")]
    Busy,
    /// A failure of the controller itself (state file, random generator); the detail is logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl RedactionError {
    pub fn bad(message: impl Into<String>, param: Option<&'static str>) -> Self {
        Self::BadRequest {
            message: message.into(),
            param,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest { .. } | Self::BadSealedToken => StatusCode::BAD_REQUEST,
            Self::UnknownSession { .. } | Self::SealedExpired { .. } => StatusCode::NOT_FOUND,
            Self::SessionFull { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Busy => StatusCode::CONFLICT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::TooLarge { .. }
            | Self::BadRequest { .. }
            | Self::BadSealedToken
            | Self::SessionFull { .. } => "invalid_request_error",
            Self::UnknownSession { .. } | Self::SealedExpired { .. } => "not_found_error",
            Self::Busy => "conflict_error",
            Self::Internal(_) => "server_error",
        }
    }

    fn param(&self) -> Option<&'static str> {
        match self {
            Self::BadRequest { param, .. } => *param,
            Self::BadSealedToken | Self::SealedExpired { .. } => Some("sealed"),
            Self::UnknownSession { .. } => Some("session"),
            _ => None,
        }
    }
}

impl IntoResponse for RedactionError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "redaction request failed");
        }
        let body = json!({"error": {
            "message": self.to_string(),
            "type": self.kind(),
            "param": self.param(),
            "code": status.as_u16(),
        }});
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl From<crate::store::StoreError> for RedactionError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<super::seal::SealError> for RedactionError {
    fn from(e: super::seal::SealError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// The engine's errors. Its `BadKnownName` quotes the name, so it is rewritten here.
impl From<redact::RedactError> for RedactionError {
    fn from(e: redact::RedactError) -> Self {
        use redact::RedactError as E;
        match e {
            E::InputTooLarge { limit, .. } => Self::TooLarge { limit },
            E::SessionFull { limit } => Self::SessionFull { limit },
            E::BadKnownName { .. } | E::UnsupportedKnownKind(_) => Self::bad(
                "a `known` entry's name is empty or has no letters",
                Some("known"),
            ),
            E::Matcher(_) => Self::bad(
                "the `known` names cannot be compiled (too many or too long)",
                Some("known"),
            ),
            // A stored or sealed session that does not load is the controller's fault (the
            // sealing authenticated it), not the caller's.
            E::InvalidSession(reason) => Self::Internal(format!("stored session: {reason}")),
            E::Json(e) => Self::Internal(format!("session JSON: {:?} error", e.classify())),
        }
    }
}

/// Turns a JSON error of a request body into a message that says where and what was expected,
/// and never repeats the input (serde's own messages quote values: `invalid type: string
/// "alice@example.com", expected …`).
pub fn json_error(e: &serde_json::Error) -> RedactionError {
    let text = e.to_string();
    // serde_json appends " at line L column C"; the position is added back below.
    let text = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    let what = match e.classify() {
        serde_json::error::Category::Data => {
            if text.starts_with("missing field `") {
                // The name is one of ours.
                text.to_string()
            } else if let Some(i) = text.rfind(", expected ") {
                let expected = &text[i + 2..];
                if text.starts_with("unknown field") {
                    format!("unknown field, {expected}")
                } else if text.starts_with("unknown variant") {
                    format!("unknown value, {expected}")
                } else {
                    format!("a value has the wrong type or is out of range, {expected}")
                }
            } else {
                "a value has the wrong type or is out of range".to_string()
            }
        }
        serde_json::error::Category::Eof => "the JSON ends too early".to_string(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            format!("not valid JSON ({})", syntax_kind(text))
        }
    };
    RedactionError::bad(
        format!(
            "the request body is not what this route expects: {what} (line {}, column {})",
            e.line(),
            e.column()
        ),
        None,
    )
}

/// serde_json's syntax messages are fixed phrases; anything else is summarised.
fn syntax_kind(text: &str) -> &str {
    if text.contains('"') || text.contains('`') {
        "syntax error"
    } else {
        text
    }
}
