//! The crate's error type.

use crate::placeholder::PiiKind;

/// Everything that can go wrong in this crate. None of these is a panic:
/// callers must refuse to forward text when scrubbing fails.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    /// The input is over the caller-given byte limit; nothing was scrubbed.
    #[error("input is {len} bytes, over the limit of {limit} bytes")]
    InputTooLarge {
        /// Size of the rejected input in bytes.
        len: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The session already holds the configured maximum number of entities.
    /// The text must not be forwarded (it may still contain PII).
    #[error("session is full ({limit} entities); start a new session")]
    SessionFull {
        /// The configured limit.
        limit: usize,
    },
    /// A caller-supplied known name is unusable.
    #[error("known {kind} name is empty or has no letters: {name:?}")]
    BadKnownName {
        /// Its kind.
        kind: PiiKind,
        /// The name as given.
        name: String,
    },
    /// Only `Person` and `Org` can be supplied as known names.
    #[error("known names must be PERSON or ORG, not {0}")]
    UnsupportedKnownKind(PiiKind),
    /// Building the name matcher failed (too many or too long names).
    #[error("cannot build the name matcher: {0}")]
    Matcher(String),
    /// A stored session does not describe a valid session.
    #[error("invalid session: {0}")]
    InvalidSession(String),
    /// JSON text could not be parsed or written.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}
