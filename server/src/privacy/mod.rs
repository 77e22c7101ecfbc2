//! The redaction gateway: `POST /scrub` and `POST /rehydrate` around the `redact` engine, so
//! that a LAN app can send only placeholders to a cloud model and restore the values in what
//! comes back. (Named `privacy` because `redact` is the engine crate's name.)
//!
//! The engine does the text work and keeps the mapping in a [`redact::Session`]; this module
//! decides where a session lives between calls, in one of two modes:
//!
//! - **vault** (default) — the session stays on the controller, in the state file
//!   ([`vault`]), and the caller holds only a random 128-bit id. Nothing personal leaves the
//!   controller; the cost is server state (bounded by a sliding TTL, purged when expired).
//! - **sealed** — the controller keeps nothing: the session comes back to the caller as an
//!   opaque token, encrypted and authenticated under the controller's sealing key
//!   ([`seal`]), which the caller sends with the next call. No server state, survives anything
//!   the key file survives; the cost is that the caller holds (encrypted) personal data, tokens
//!   grow with the session, a token cannot be revoked before its expiry, and an old token
//!   still works (a turn can be replayed from an earlier state).
//!
//! Both expire `REDACT_SESSION_TTL_SECS` after their last use (a sealed token carries its
//! expiry inside the sealed part). The engine's scrubbing runs on the blocking pool: it is
//! linear, but a megabyte of text is milliseconds of CPU.
//!
//! **Nothing of a request is logged**: no text, value, id or token. Handlers log counts and
//! sizes only, errors are written from their kind ([`error`]), and the HTTP trace span records
//! the path without the query string (see `http::app`).

pub mod error;
pub mod seal;
pub mod stream;
pub mod vault;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use redact::{KnownEntity, PiiKind, Scrubbed, Scrubber, Session, UnknownPlaceholder};
use serde::Serialize;

pub use error::RedactionError;
use seal::{SealKey, SealKeyError};
use vault::Vault;

use crate::monitor::now_ms;
use crate::store::Store;

/// How often a vault turn is redone when concurrent turns of the same session keep winning.
const SAVE_ATTEMPTS: usize = 5;
/// Sealing context of tokens (vault rows use their own, bound to the id).
const TOKEN_CONTEXT: &[u8] = b"token";

/// `REDACT_*` settings.
#[derive(Clone, Debug, PartialEq)]
pub struct RedactSettings {
    /// How long a session lives after its last use.
    pub session_ttl: Duration,
    /// Largest `/scrub` or `/rehydrate` body (413 beyond); also the engine's input limit.
    pub max_body_bytes: usize,
    /// The sealing key, `$DATA_DIR/redact-seal.key`; generated on first start.
    pub seal_key_path: PathBuf,
}

impl RedactSettings {
    pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
}

/// Where a session lives; see the module docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Vault,
    Sealed,
}

/// How a request names its session: a vault id or a sealed token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handle {
    Vault(String),
    Sealed(String),
}

impl Handle {
    /// From a request's `session` and `sealed` fields: at most one of them.
    pub fn from_fields(
        session: Option<String>,
        sealed: Option<String>,
    ) -> Result<Option<Self>, RedactionError> {
        match (session, sealed) {
            (Some(_), Some(_)) => Err(RedactionError::bad(
                "give `session` (vault mode) or `sealed` (sealed mode), not both",
                Some("session"),
            )),
            (Some(id), None) => Ok(Some(Self::Vault(id))),
            (None, Some(token)) => Ok(Some(Self::Sealed(token))),
            (None, None) => Ok(None),
        }
    }
}

/// A scrub call, as the route parsed it.
pub struct ScrubRequest {
    pub text: String,
    pub handle: Option<Handle>,
    /// Defaults to the handle's mode, else vault.
    pub mode: Option<Mode>,
    pub known: Vec<KnownEntity>,
}

/// One placeholder written by a scrub: never its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlaceholderInfo {
    pub placeholder: String,
    pub kind: PiiKind,
}

/// What a scrub gives back.
#[derive(Debug)]
pub struct ScrubOutcome {
    pub text: String,
    /// The session to send with the next call: the same vault id, or a new sealed token.
    pub handle: Handle,
    /// Distinct placeholders in this text, in order of first appearance.
    pub placeholders: Vec<PlaceholderInfo>,
    pub expires_at_ms: u64,
}

/// The redaction gateway's state: settings, the shared scrubber, the vault, the sealing key.
pub struct Redaction {
    settings: RedactSettings,
    scrubber: Arc<Scrubber>,
    key: SealKey,
    vault: Vault,
}

impl Redaction {
    /// Loads (or makes) the sealing key and starts purging expired vault sessions.
    pub fn start(settings: RedactSettings, store: Store) -> Result<Self, SealKeyError> {
        let key = SealKey::load_or_create(&settings.seal_key_path)?;
        let vault = Vault::new(store, key.clone(), settings.session_ttl);
        vault.spawn_purge();
        // The engine compiles its patterns on first use: do it now, off the request path, so
        // that the first /scrub after a start does not wait ~0.1 s for them.
        tokio::task::spawn_blocking(|| {
            let started = std::time::Instant::now();
            redact::prepare();
            tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "redaction patterns compiled"
            );
        });
        let scrubber = Scrubber::new(redact::ScrubberConfig {
            max_input_bytes: settings.max_body_bytes,
            ..Default::default()
        });
        Ok(Self {
            settings,
            scrubber: Arc::new(scrubber),
            key,
            vault,
        })
    }

    pub fn settings(&self) -> &RedactSettings {
        &self.settings
    }

    /// Scrubs `request.text` into its session (a new one when it names none).
    pub async fn scrub(&self, request: ScrubRequest) -> Result<ScrubOutcome, RedactionError> {
        let mode = request.mode.unwrap_or(match request.handle {
            Some(Handle::Sealed(_)) => Mode::Sealed,
            _ => Mode::Vault,
        });
        let scrubber = self.scrubber_with(request.known)?;
        let text: Arc<str> = request.text.into();
        let (scrubbed, handle, expires_at_ms) = match (mode, request.handle) {
            (Mode::Vault, None) => {
                let (scrubbed, session) = run_scrub(&scrubber, &text, Session::new()).await?;
                let (id, expires) = self.vault.create(&session).await?;
                (scrubbed, Handle::Vault(id), expires)
            }
            (Mode::Vault, Some(Handle::Vault(id))) => {
                let (scrubbed, expires) = self.scrub_in_vault(&scrubber, &text, &id).await?;
                (scrubbed, Handle::Vault(id), expires)
            }
            (Mode::Vault, Some(Handle::Sealed(_))) => {
                return Err(RedactionError::bad(
                    "`mode` is \"vault\" but the request carries a `sealed` token",
                    Some("mode"),
                ))
            }
            (Mode::Sealed, Some(Handle::Vault(_))) => {
                return Err(RedactionError::bad(
                    "`mode` is \"sealed\" but the request names a vault `session`",
                    Some("mode"),
                ))
            }
            (Mode::Sealed, handle) => {
                let session = match handle {
                    Some(Handle::Sealed(token)) => self.open_token(&token)?.0,
                    _ => Session::new(),
                };
                let (scrubbed, session) = run_scrub(&scrubber, &text, session).await?;
                let expires = now_ms().saturating_add(ttl_ms(self.settings.session_ttl));
                (
                    scrubbed,
                    Handle::Sealed(self.seal_token(&session, expires)?),
                    expires,
                )
            }
        };
        let placeholders = distinct_placeholders(&scrubbed);
        tracing::debug!(
            bytes = text.len(),
            placeholders = placeholders.len(),
            mode = ?mode,
            "scrubbed"
        );
        Ok(ScrubOutcome {
            text: scrubbed.text,
            handle,
            placeholders,
            expires_at_ms,
        })
    }

    /// One turn of a vault session: load, scrub, write back — redone when a concurrent turn
    /// wrote first, so that no placeholder of either turn is lost.
    async fn scrub_in_vault(
        &self,
        scrubber: &Arc<Scrubber>,
        text: &Arc<str>,
        id: &str,
    ) -> Result<(Scrubbed, u64), RedactionError> {
        for _ in 0..SAVE_ATTEMPTS {
            let loaded = self.vault.load(id).await?;
            let (scrubbed, session) = run_scrub(scrubber, text, loaded.session).await?;
            if let Some(expires) = self.vault.save(id, loaded.revision, &session).await? {
                return Ok((scrubbed, expires));
            }
        }
        Err(RedactionError::Busy)
    }

    /// The session a handle names (a use: a vault session's expiry slides), and its expiry.
    pub async fn session(&self, handle: &Handle) -> Result<(Session, u64), RedactionError> {
        match handle {
            Handle::Vault(id) => {
                let loaded = self.vault.load(id).await?;
                let expires = self.vault.touch(id).await?;
                Ok((loaded.session, expires))
            }
            Handle::Sealed(token) => self.open_token(token),
        }
    }

    /// Restores the placeholders in `text`.
    pub async fn rehydrate_text(
        &self,
        handle: &Handle,
        text: String,
    ) -> Result<(String, Vec<UnknownPlaceholder>, u64), RedactionError> {
        let (session, expires) = self.session(handle).await?;
        let (text, unknown) = blocking(move || redact::rehydrate(&text, &session)).await?;
        tracing::debug!(
            bytes = text.len(),
            unknown = unknown.len(),
            "rehydrated text"
        );
        Ok((text, unknown, expires))
    }

    /// Restores the placeholders in every string of `json`, JSON inside strings included.
    pub async fn rehydrate_json(
        &self,
        handle: &Handle,
        json: serde_json::Value,
    ) -> Result<(serde_json::Value, Vec<UnknownPlaceholder>, u64), RedactionError> {
        let (session, expires) = self.session(handle).await?;
        let (json, unknown) = blocking(move || redact::rehydrate_json(&json, &session)).await?;
        tracing::debug!(unknown = unknown.len(), "rehydrated JSON");
        Ok((json, unknown, expires))
    }

    /// The engine with the request's known names added (the shared one when there are none).
    fn scrubber_with(&self, known: Vec<KnownEntity>) -> Result<Arc<Scrubber>, RedactionError> {
        if known.is_empty() {
            return Ok(self.scrubber.clone());
        }
        let scrubber = Scrubber::builder()
            .config(self.scrubber.config().clone())
            .known_all(known)
            .build()?;
        Ok(Arc::new(scrubber))
    }

    /// `expires_at_ms (8 bytes, big-endian) | session JSON`, sealed, in base64url.
    fn seal_token(&self, session: &Session, expires_at_ms: u64) -> Result<String, RedactionError> {
        let mut plain = expires_at_ms.to_be_bytes().to_vec();
        plain.extend_from_slice(session.to_json()?.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(self.key.seal(TOKEN_CONTEXT, &plain)?))
    }

    fn open_token(&self, token: &str) -> Result<(Session, u64), RedactionError> {
        let sealed = URL_SAFE_NO_PAD
            .decode(token.trim().trim_end_matches('='))
            .map_err(|_| RedactionError::BadSealedToken)?;
        let plain = self
            .key
            .open(TOKEN_CONTEXT, &sealed)
            .map_err(|_| RedactionError::BadSealedToken)?;
        let (expiry, json) = plain
            .split_at_checked(8)
            .ok_or(RedactionError::BadSealedToken)?;
        let expires = u64::from_be_bytes(expiry.try_into().unwrap_or_default());
        if expires <= now_ms() {
            return Err(RedactionError::SealedExpired {
                ttl_secs: self.settings.session_ttl.as_secs(),
            });
        }
        let json = std::str::from_utf8(json)
            .map_err(|_| RedactionError::Internal("sealed session is not UTF-8".into()))?;
        Ok((Session::from_json(json)?, expires))
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    ttl.as_millis().try_into().unwrap_or(u64::MAX)
}

/// Scrubs on the blocking pool; gives the session back with the result.
async fn run_scrub(
    scrubber: &Arc<Scrubber>,
    text: &Arc<str>,
    mut session: Session,
) -> Result<(Scrubbed, Session), RedactionError> {
    let (scrubber, text) = (scrubber.clone(), text.clone());
    let scrubbed = blocking(move || {
        scrubber
            .scrub(&text, &mut session)
            .map(|scrubbed| (scrubbed, session))
    })
    .await??;
    Ok(scrubbed)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RedactionError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RedactionError::Internal(format!("redaction task failed: {e}")))
}

fn distinct_placeholders(scrubbed: &Scrubbed) -> Vec<PlaceholderInfo> {
    let mut seen = std::collections::HashSet::new();
    scrubbed
        .replacements
        .iter()
        .filter_map(|r| {
            let placeholder = r.placeholder.text();
            seen.insert(placeholder.clone()).then_some(PlaceholderInfo {
                placeholder,
                kind: r.kind,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn redaction(ttl: Duration) -> (tempfile::TempDir, Redaction) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.sqlite3")).await.unwrap();
        let settings = RedactSettings {
            session_ttl: ttl,
            max_body_bytes: 4096,
            seal_key_path: dir.path().join("redact-seal.key"),
        };
        (dir, Redaction::start(settings, store).unwrap())
    }

    fn request(text: &str, handle: Option<Handle>) -> ScrubRequest {
        ScrubRequest {
            text: text.into(),
            handle,
            mode: None,
            known: Vec::new(),
        }
    }

    #[tokio::test]
    async fn concurrent_turns_of_one_session_lose_nothing() {
        let (_dir, r) = redaction(Duration::from_secs(60)).await;
        let r = Arc::new(r);
        let first = r.scrub(request("", None)).await.unwrap();
        let turns: Vec<_> = (0..8)
            .map(|i| {
                let (r, handle) = (r.clone(), first.handle.clone());
                tokio::spawn(async move {
                    r.scrub(request(
                        &format!("write to user{i}@example.com"),
                        Some(handle),
                    ))
                    .await
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for turn in turns {
            match turn.await.unwrap() {
                Ok(out) => numbers.push(out.placeholders[0].placeholder.clone()),
                Err(RedactionError::Busy) => {}
                Err(e) => panic!("{e}"),
            }
        }
        let (session, _) = r.session(&first.handle).await.unwrap();
        // Every turn that succeeded has its own e-mail number, and the session holds them all.
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), session.len());
        assert!(!numbers.is_empty());
    }

    #[tokio::test]
    async fn mode_and_handles_must_agree() {
        let (_dir, r) = redaction(Duration::from_secs(60)).await;
        let mut req = request("x", Some(Handle::Vault("0".repeat(32))));
        req.mode = Some(Mode::Sealed);
        assert!(matches!(
            r.scrub(req).await,
            Err(RedactionError::BadRequest {
                param: Some("mode"),
                ..
            })
        ));
        let sealed = r
            .scrub(ScrubRequest {
                mode: Some(Mode::Sealed),
                ..request("mail bob@example.com", None)
            })
            .await
            .unwrap();
        let Handle::Sealed(token) = &sealed.handle else {
            panic!("sealed mode gives a token")
        };
        assert!(!token.contains("bob"));
        let (session, _) = r.session(&sealed.handle).await.unwrap();
        assert_eq!(session.len(), 1);
        assert!(matches!(
            r.session(&Handle::Sealed(format!("{token}A"))).await,
            Err(RedactionError::BadSealedToken)
        ));
    }
}
