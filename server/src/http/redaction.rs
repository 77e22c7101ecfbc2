//! The redaction gateway's routes (the logic is in [`crate::privacy`]; docs/REDACTION_GATEWAY.md
//! has the reference):
//!
//! - `POST /scrub` `{"text", "session"?, "sealed"?, "mode"?: "vault"|"sealed", "known"?: [{"name",
//!   "kind"?: "person"|"org", "aliases"?}]}` → `{"text", "session"|"sealed", "placeholders":
//!   [{"placeholder", "kind"}], "expires_at_ms"}`.
//! - `POST /rehydrate` `{"text"|"json", "session"|"sealed"}` → `{"text"|"json", "unknown",
//!   "expires_at_ms"}`.
//! - `POST /rehydrate/stream` — the body is text, restored as it streams in and streamed back
//!   (`text/plain`, chunked). The session: header `X-Redact-Session` (or `?session=`), or the
//!   token in header `X-Redact-Sealed`; `?escape=json` escapes restored values for the inside
//!   of a JSON string (raw tool-call argument deltas).
//!
//! Bodies are parsed here rather than by axum's `Json` extractor, whose rejection messages
//! quote the offending value; see [`crate::privacy::error::json_error`].

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use redact::{KnownEntity, PiiKind};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::privacy::error::json_error;
use crate::privacy::stream::{rehydrate_body, StreamEscape};
use crate::privacy::{Handle, Mode, RedactionError, ScrubRequest};
use crate::state::AppState;

/// Header naming a vault session on `POST /rehydrate/stream`.
pub const SESSION_HEADER: &str = "x-redact-session";
/// Header carrying a sealed token on `POST /rehydrate/stream`.
pub const SEALED_HEADER: &str = "x-redact-sealed";

pub fn routes(state: Arc<AppState>) -> Router {
    let limit = state.redaction.settings().max_body_bytes;
    Router::new()
        .route("/scrub", post(scrub).fallback(not_allowed))
        .route("/rehydrate", post(rehydrate).fallback(not_allowed))
        .layer(DefaultBodyLimit::max(limit))
        // Streamed: its size is not limited, only what it holds back (a few bytes).
        .route(
            "/rehydrate/stream",
            post(rehydrate_stream).fallback(not_allowed),
        )
        .with_state(state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScrubBody {
    text: String,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    sealed: Option<String>,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(default)]
    known: Vec<Known>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Known {
    name: String,
    #[serde(default)]
    kind: KnownKind,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KnownKind {
    #[default]
    #[serde(alias = "PERSON")]
    Person,
    #[serde(alias = "ORG")]
    Org,
}

async fn scrub(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, RedactionError> {
    let body: ScrubBody = parse(&state, body)?;
    let request = ScrubRequest {
        text: body.text,
        handle: Handle::from_fields(body.session, body.sealed)?,
        mode: body.mode,
        known: body
            .known
            .into_iter()
            .map(|k| KnownEntity {
                kind: match k.kind {
                    KnownKind::Person => PiiKind::Person,
                    KnownKind::Org => PiiKind::Org,
                },
                name: k.name,
                aliases: k.aliases,
            })
            .collect(),
    };
    let out = state.redaction.scrub(request).await?;
    let mut reply = json!({
        "text": out.text,
        "placeholders": out.placeholders,
        "expires_at_ms": out.expires_at_ms,
    });
    match out.handle {
        Handle::Vault(id) => reply["session"] = json!(id),
        Handle::Sealed(token) => reply["sealed"] = json!(token),
    }
    Ok(no_store(Json(reply)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RehydrateBody {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    json: Option<Value>,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    sealed: Option<String>,
}

async fn rehydrate(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, RedactionError> {
    let body: RehydrateBody = parse(&state, body)?;
    let handle = Handle::from_fields(body.session, body.sealed)?.ok_or_else(|| {
        RedactionError::bad(
            "name the session: `session` (the id from POST /scrub) or `sealed` (its token)",
            Some("session"),
        )
    })?;
    let reply = match (body.text, body.json) {
        (Some(text), None) => {
            let (text, unknown, expires) = state.redaction.rehydrate_text(&handle, text).await?;
            json!({"text": text, "unknown": unknown, "expires_at_ms": expires})
        }
        (None, Some(value)) => {
            let (value, unknown, expires) = state.redaction.rehydrate_json(&handle, value).await?;
            json!({"json": value, "unknown": unknown, "expires_at_ms": expires})
        }
        _ => {
            return Err(RedactionError::bad(
                "give exactly one of `text` (a string) and `json` (any JSON value)",
                Some("text"),
            ))
        }
    };
    Ok(no_store(Json(reply)))
}

#[derive(Deserialize)]
struct StreamQuery {
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    escape: Option<String>,
}

async fn rehydrate_stream(
    State(state): State<Arc<AppState>>,
    query: Result<Query<StreamQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, RedactionError> {
    let Query(query) = query.map_err(|_| {
        RedactionError::bad(
            "the query string is not valid: use ?session=<id> and ?escape=json only",
            None,
        )
    })?;
    let escape = match query.escape.as_deref() {
        None | Some("none") | Some("text") => StreamEscape::Text,
        Some("json") => StreamEscape::JsonString,
        Some(_) => {
            return Err(RedactionError::bad(
                "`escape` is `json` (restored values escaped for a JSON string) or `text`",
                Some("escape"),
            ))
        }
    };
    let header = |name: &str| -> Result<Option<String>, RedactionError> {
        headers
            .get(name)
            .map(|v| {
                v.to_str().map(str::to_string).map_err(|_| {
                    RedactionError::bad(format!("the {name} header is not ASCII"), None)
                })
            })
            .transpose()
    };
    let session = match (header(SESSION_HEADER)?, query.session) {
        (Some(_), Some(_)) => {
            return Err(RedactionError::bad(
                "name the session once: X-Redact-Session or ?session=, not both",
                Some("session"),
            ))
        }
        (h, q) => h.or(q),
    };
    let handle = Handle::from_fields(session, header(SEALED_HEADER)?)?.ok_or_else(|| {
        RedactionError::bad(
            "name the session: header X-Redact-Session (or ?session=<id>), or header \
             X-Redact-Sealed with the sealed token",
            Some("session"),
        )
    })?;
    // Loaded before anything is streamed, so an unknown session is a plain 404.
    let (session, _) = state.redaction.session(&handle).await?;
    let mut response = Response::new(rehydrate_body(session, escape, body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Announced, as HTTP/1.1 asks; sent to clients whose request says `TE: trailers`.
    headers.insert(
        header::TRAILER,
        HeaderValue::from_static("x-redact-unknown-count, x-redact-unknown"),
    );
    Ok(response)
}

/// The body as `T`, or an error that says what is wrong without quoting it.
fn parse<T: DeserializeOwned>(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, RedactionError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            RedactionError::TooLarge {
                limit: state.redaction.settings().max_body_bytes,
            }
        } else {
            RedactionError::bad("could not read the request body", None)
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| json_error(&e))
}

fn no_store(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn not_allowed(method: Method, uri: Uri) -> Response {
    let message = format!("{} answers POST only, not {method}", uri.path());
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": 405}})),
    )
        .into_response()
}
