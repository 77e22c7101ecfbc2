//! Streaming rehydration over HTTP: a request body arriving in chunks becomes a response body
//! leaving in chunks, restored on the way by the engine's [`StreamRehydrator`].
//!
//! Nothing is buffered beyond what the engine must hold back (a tail that may still become a
//! placeholder, at most [`redact::Session::max_placeholder_len`] bytes) and what UTF-8 must
//! (at most 3 bytes of a character cut by a chunk boundary). Each request chunk is restored and
//! sent on before the next is read, through a small channel, so a slow reader slows the
//! upload rather than growing a buffer. A request body that breaks off ends the response with
//! an error too, so a cut answer is never taken for a whole one.
//!
//! Unknown placeholders (a model inventing `[PERSON_9]`) are reported the way a streamed body
//! can report anything learnt only at its end: in HTTP trailers ([`UNKNOWN_COUNT_TRAILER`],
//! [`UNKNOWN_TRAILER`]), which clients that send `TE: trailers` receive after the last chunk.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use futures::StreamExt;
use http_body::Frame;
use redact::{Session, StreamRehydrator, UnknownPlaceholder};
use tokio::sync::mpsc;

/// Trailer: how many unknown placeholders the stream held (`0` when none).
pub const UNKNOWN_COUNT_TRAILER: HeaderName = HeaderName::from_static("x-redact-unknown-count");
/// Trailer: the distinct unknown placeholders as written, comma-separated, in order of first
/// appearance; at most [`UNKNOWN_LISTED`] of them. Absent when there are none.
pub const UNKNOWN_TRAILER: HeaderName = HeaderName::from_static("x-redact-unknown");
/// The most distinct unknown placeholders listed in [`UNKNOWN_TRAILER`]: a model that invents
/// thousands must not make the trailer grow past what a client accepts in a header.
pub const UNKNOWN_LISTED: usize = 50;

/// How restored values are written into the stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StreamEscape {
    /// As they are: prose.
    #[default]
    Text,
    /// Escaped for the inside of a JSON string: raw tool-call argument deltas.
    JsonString,
}

/// Restores `input` as it arrives, into the returned body, which ends with the trailers that
/// report unknown placeholders.
pub fn rehydrate_body(session: Session, escape: StreamEscape, input: Body) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(8);
    tokio::spawn(async move {
        let mut rehydrator = match escape {
            StreamEscape::Text => StreamRehydrator::new(&session),
            StreamEscape::JsonString => StreamRehydrator::json_string(&session),
        };
        let mut utf8 = Utf8Decoder::default();
        let mut input = input.into_data_stream();
        while let Some(chunk) = input.next().await {
            let out = match chunk {
                Ok(bytes) => rehydrator.push(&utf8.push(&bytes)),
                Err(_) => {
                    // The detail may name the peer's behaviour, never the content; keep it out.
                    let _ = tx
                        .send(Err(std::io::Error::other("the request body broke off")))
                        .await;
                    return;
                }
            };
            // A closed channel means the client went away: stop reading its upload.
            if !out.is_empty() && tx.send(Ok(Frame::data(Bytes::from(out)))).await.is_err() {
                return;
            }
        }
        let mut out = rehydrator.push(&utf8.finish());
        out.push_str(&rehydrator.finish());
        if !out.is_empty() && tx.send(Ok(Frame::data(Bytes::from(out)))).await.is_err() {
            return;
        }
        let _ = tx
            .send(Ok(Frame::trailers(unknown_trailers(rehydrator.unknown()))))
            .await;
    });
    Body::new(http_body_util::StreamBody::new(
        tokio_stream::wrappers::ReceiverStream::new(rx),
    ))
}

/// The trailers that report `unknown`: a count, and the distinct tokens as written.
pub fn unknown_trailers(unknown: &[UnknownPlaceholder]) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    trailers.insert(UNKNOWN_COUNT_TRAILER, HeaderValue::from(unknown.len()));
    let mut listed: Vec<&str> = Vec::new();
    for placeholder in unknown {
        if listed.len() == UNKNOWN_LISTED {
            break;
        }
        if !listed.contains(&placeholder.text.as_str()) {
            listed.push(&placeholder.text);
        }
    }
    if !listed.is_empty() {
        // Placeholder forms are ASCII; anything a header cannot carry is shown as `?`.
        let joined: String = listed
            .join(", ")
            .chars()
            .map(|c| {
                if c == ' ' || c.is_ascii_graphic() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if let Ok(value) = HeaderValue::from_str(&joined) {
            trailers.insert(UNKNOWN_TRAILER, value);
        }
    }
    trailers
}

/// UTF-8 decoding across chunk boundaries: a character split between two chunks is kept until
/// its end arrives. Bytes that can never be UTF-8 become U+FFFD, as `String::from_utf8_lossy`
/// does.
#[derive(Debug, Default)]
pub struct Utf8Decoder {
    /// The start of a character whose end has not arrived (at most 3 bytes).
    partial: Vec<u8>,
}

impl Utf8Decoder {
    /// Decodes `bytes` after what was held; holds back an unfinished last character.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        let joined;
        let mut rest: &[u8] = if self.partial.is_empty() {
            bytes
        } else {
            let mut held = std::mem::take(&mut self.partial);
            held.extend_from_slice(bytes);
            joined = held;
            &joined
        };
        let mut out = String::with_capacity(rest.len());
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    return out;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // `valid_up_to` bytes are UTF-8 by definition.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                        None => {
                            self.partial = after.to_vec();
                            return out;
                        }
                    }
                }
            }
        }
    }

    /// Ends the input: an unfinished character becomes U+FFFD.
    pub fn finish(&mut self) -> String {
        if self.partial.is_empty() {
            String::new()
        } else {
            self.partial.clear();
            char::REPLACEMENT_CHARACTER.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(text: &str) -> UnknownPlaceholder {
        UnknownPlaceholder {
            text: text.to_string(),
            kind: redact::PiiKind::Person,
            number: 9,
            offset: 0,
        }
    }

    #[test]
    fn trailers_count_every_unknown_and_list_each_once() {
        let none = unknown_trailers(&[]);
        assert_eq!(none[&UNKNOWN_COUNT_TRAILER], "0");
        assert!(none.get(&UNKNOWN_TRAILER).is_none());

        let seen = [
            unknown("[PERSON_9]"),
            unknown("person_9"),
            unknown("[PERSON_9]"),
        ];
        let trailers = unknown_trailers(&seen);
        assert_eq!(trailers[&UNKNOWN_COUNT_TRAILER], "3");
        assert_eq!(trailers[&UNKNOWN_TRAILER], "[PERSON_9], person_9");

        let many: Vec<_> = (0..500)
            .map(|i| unknown(&format!("[PERSON_{i}]")))
            .collect();
        let trailers = unknown_trailers(&many);
        assert_eq!(trailers[&UNKNOWN_COUNT_TRAILER], "500");
        let listed = trailers[&UNKNOWN_TRAILER].to_str().unwrap();
        assert_eq!(listed.split(", ").count(), UNKNOWN_LISTED);
    }

    #[test]
    fn characters_cut_by_chunks_are_joined() {
        let text = "Grüße, 李雷 🦀 [PERSON_1]!";
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            let mut d = Utf8Decoder::default();
            let mut out = d.push(&bytes[..cut]);
            out += &d.push(&bytes[cut..]);
            out += &d.finish();
            assert_eq!(out, text, "cut at {cut}");
        }
        // One byte at a time.
        let mut d = Utf8Decoder::default();
        let mut out = String::new();
        for b in bytes {
            out += &d.push(std::slice::from_ref(b));
        }
        out += &d.finish();
        assert_eq!(out, text);
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut d = Utf8Decoder::default();
        assert_eq!(d.push(b"a\xffb\xe2\x82"), "a\u{fffd}b");
        assert_eq!(d.finish(), "\u{fffd}");
        assert_eq!(d.push(b"ok"), "ok");
    }
}
