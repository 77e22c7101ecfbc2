//! Streaming rehydration for token-by-token model output.
//!
//! [`StreamRehydrator::push`] returns at once everything that can no longer
//! be part of a placeholder and keeps only the undecided tail — text that
//! is a viable beginning of some placeholder form, e.g. `…call [PERS`. That
//! tail is never longer than [`Session::max_placeholder_len`] bytes, so
//! time-to-first-token is unaffected except for a few bytes at a
//! placeholder boundary. Concatenating every `push` result and `finish`
//! gives exactly what [`crate::rehydrate`] gives for the whole text, however
//! the text was split.

use crate::parse::Limits;
use crate::rehydrate::{rehydrate_into, Escape, UnknownPlaceholder, LOOK_BACK};
use crate::session::Session;
use std::borrow::Cow;

/// Incremental rehydrator over one model response.
#[derive(Clone, Debug)]
pub struct StreamRehydrator<'s> {
    session: Cow<'s, Session>,
    limits: Limits,
    escape: Escape,
    pending: String,
    /// The end of the text already consumed, at most [`LOOK_BACK`] bytes:
    /// what the bare form's word boundary looks at (the last char, or in
    /// JSON-string mode the escape sequence that ends there).
    behind: String,
    /// Bytes consumed before `pending`.
    offset: usize,
    unknown: Vec<UnknownPlaceholder>,
}

impl<'s> StreamRehydrator<'s> {
    /// A stream over a borrowed session.
    pub fn new(session: &'s Session) -> Self {
        Self::with(Cow::Borrowed(session), Escape::None)
    }

    /// A stream that owns its session (for `'static` async tasks).
    pub fn owned(session: Session) -> StreamRehydrator<'static> {
        StreamRehydrator::with(Cow::Owned(session), Escape::None)
    }

    /// A stream whose restored values are escaped for the inside of a JSON
    /// string (raw tool-call argument deltas).
    pub fn json_string(session: &'s Session) -> Self {
        Self::with(Cow::Borrowed(session), Escape::JsonString)
    }

    fn with(session: Cow<'s, Session>, escape: Escape) -> Self {
        let limits = session.limits();
        StreamRehydrator {
            session,
            limits,
            escape,
            pending: String::new(),
            behind: String::new(),
            offset: 0,
            unknown: Vec::new(),
        }
    }

    /// Feeds a chunk; returns the text that is final.
    pub fn push(&mut self, chunk: &str) -> String {
        self.pending.push_str(chunk);
        self.drain(false)
    }

    /// Ends the stream; returns whatever was held back, restored.
    pub fn finish(&mut self) -> String {
        self.drain(true)
    }

    /// Bytes currently held back.
    pub fn held_back(&self) -> usize {
        self.pending.len()
    }

    /// The most this stream will ever hold back, in bytes.
    pub fn max_hold_back(&self) -> usize {
        self.limits.max_form_len()
    }

    /// Unknown placeholders seen so far (offsets count from the stream start).
    pub fn unknown(&self) -> &[UnknownPlaceholder] {
        &self.unknown
    }

    fn drain(&mut self, eof: bool) -> String {
        let mut out = String::with_capacity(self.pending.len());
        let used = rehydrate_into(
            &self.pending,
            eof,
            &self.behind,
            self.offset,
            &self.limits,
            &self.session,
            self.escape,
            &mut out,
            &mut self.unknown,
        );
        if used > 0 {
            self.behind.push_str(&self.pending[..used]);
            let mut cut = self.behind.len().saturating_sub(LOOK_BACK);
            while !self.behind.is_char_boundary(cut) {
                cut += 1;
            }
            self.behind.drain(..cut);
            self.pending.drain(..used);
            self.offset += used;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placeholder::PiiKind;
    use crate::session::LinkHint;

    #[test]
    fn split_placeholder_and_holdback() {
        let mut s = Session::new();
        let _ = s.intern(PiiKind::Person, "Alice Smith", LinkHint::None, 10);
        let mut st = StreamRehydrator::new(&s);
        assert_eq!(st.push("Hello "), "Hello ");
        assert_eq!(st.push("[PER"), "");
        assert_eq!(st.held_back(), 4);
        assert_eq!(st.push("SON_1] how"), "Alice Smith how");
        assert_eq!(st.push(" are you P"), " are you ");
        assert_eq!(st.push("lease"), "Please");
        assert_eq!(st.push(" PERSON_1"), " ");
        assert_eq!(st.finish(), "Alice Smith");
        assert!(st.max_hold_back() >= "\\[ PERSON\\_ 10.10 \\]".len());
    }

    #[test]
    fn json_string_mode_escapes() {
        let mut s = Session::new();
        let _ = s.intern(PiiKind::Person, "Bob \"B\" O'Neil", LinkHint::None, 10);
        let mut st = StreamRehydrator::json_string(&s);
        let mut out = st.push("{\"to\":\"[PERSON");
        out += &st.push("_1]\"}");
        out += &st.finish();
        assert_eq!(out, r#"{"to":"Bob \"B\" O'Neil"}"#);
    }

    /// In raw JSON text a bare placeholder after an escaped line break
    /// starts a word, as it does in the decoded string; after an escaped
    /// backslash and a plain `n` it does not. Cut anywhere, the stream
    /// restores what the one-shot JSON rehydration restores.
    #[test]
    fn json_string_mode_reads_escapes_before_a_bare_placeholder() {
        let mut s = Session::new();
        let _ = s.intern(PiiKind::Person, "Alice Smith", LinkHint::None, 10);
        let raw = r#"Hi\nPERSON_1, \tPERSON_1 \\\nPERSON_1 \u000aPERSON_1 \\nPERSON_1"#;
        let want =
            r#"Hi\nAlice Smith, \tAlice Smith \\\nAlice Smith \u000aAlice Smith \\nPERSON_1"#;
        let decoded: String = serde_json::from_str(&format!("\"{raw}\"")).unwrap_or_default();
        let (one_shot, _) = crate::rehydrate(&decoded, &s);
        let want_decoded: String = serde_json::from_str(&format!("\"{want}\"")).unwrap_or_default();
        assert_eq!(one_shot, want_decoded);
        for cut in 0..=raw.len() {
            let mut st = StreamRehydrator::json_string(&s);
            let mut out = st.push(&raw[..cut]);
            out += &st.push(&raw[cut..]);
            out += &st.finish();
            assert_eq!(out, want, "cut at {cut}");
        }
    }
}
