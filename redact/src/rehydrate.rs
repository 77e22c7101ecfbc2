//! Restoring values: placeholders (in any form the parser in
//! [`crate::parse`] accepts) are replaced by the session's values; unknown
//! ones are left as written and reported.
//!
//! [`rehydrate_json`] walks a `serde_json::Value` and restores every string
//! and object key; a string that itself holds a JSON object or array (as
//! tool-call `arguments` do) is parsed, restored and re-serialized, so the
//! result stays valid JSON whatever characters the values contain.

use crate::error::RedactError;
use crate::parse::{may_start, parse_at, Limits, Parse};
use crate::placeholder::PiiKind;
use crate::session::Session;
use crate::text::char_before;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A placeholder-shaped token whose kind and number the session does not
/// know. It is left in the text as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownPlaceholder {
    /// The token as it appeared, e.g. `[PERSON_9]`.
    pub text: String,
    /// Its kind.
    pub kind: PiiKind,
    /// Its number.
    pub number: u32,
    /// Byte offset in the rehydrated input (for streams: in everything pushed).
    pub offset: usize,
}

/// How restored values are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Escape {
    /// As they are.
    #[default]
    None,
    /// Escaped for the inside of a JSON string literal (for streaming raw
    /// JSON text such as tool-call argument deltas).
    JsonString,
}

/// Restores the placeholders in `text`.
pub fn rehydrate(text: &str, session: &Session) -> (String, Vec<UnknownPlaceholder>) {
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::new();
    let lim = session.limits();
    rehydrate_into(
        text,
        true,
        "",
        0,
        &lim,
        session,
        Escape::None,
        &mut out,
        &mut unknown,
    );
    (out, unknown)
}

/// Restores placeholders in every string (and object key) of `value`,
/// including JSON documents nested in strings.
pub fn rehydrate_json(value: &Value, session: &Session) -> (Value, Vec<UnknownPlaceholder>) {
    let mut unknown = Vec::new();
    let v = walk(value, session, &mut unknown, 0);
    (v, unknown)
}

/// Parses JSON text, restores it with [`rehydrate_json`] and writes it back.
pub fn rehydrate_json_str(
    json: &str,
    session: &Session,
) -> Result<(String, Vec<UnknownPlaceholder>), RedactError> {
    let v: Value = serde_json::from_str(json)?;
    let (v, unknown) = rehydrate_json(&v, session);
    Ok((serde_json::to_string(&v)?, unknown))
}

/// How deep JSON-in-a-string nesting is followed.
const MAX_NESTED_JSON: usize = 8;

fn walk(
    v: &Value,
    session: &Session,
    unknown: &mut Vec<UnknownPlaceholder>,
    depth: usize,
) -> Value {
    match v {
        Value::String(s) => Value::String(restore_string(s, session, unknown, depth)),
        Value::Array(a) => {
            Value::Array(a.iter().map(|x| walk(x, session, unknown, depth)).collect())
        }
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let (k2, mut u) = rehydrate(k, session);
                    unknown.append(&mut u);
                    (k2, walk(x, session, unknown, depth))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn restore_string(
    s: &str,
    session: &Session,
    unknown: &mut Vec<UnknownPlaceholder>,
    depth: usize,
) -> String {
    let t = s.trim_start();
    if depth < MAX_NESTED_JSON && (t.starts_with('{') || t.starts_with('[')) {
        if let Ok(inner @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(s) {
            let restored = walk(&inner, session, unknown, depth + 1);
            if restored == inner {
                return s.to_string();
            }
            if let Ok(text) = serde_json::to_string(&restored) {
                return text;
            }
        }
    }
    let (r, mut u) = rehydrate(s, session);
    unknown.append(&mut u);
    r
}

/// How far back [`rehydrate_into`] looks before a position: the longest
/// JSON escape (`\uXXXX`) and the run of backslashes before it that
/// decides whether its own backslash is escaped. A longer run is read as
/// if it began there; the stream keeps this much of what it consumed, so
/// it reads the same.
pub(crate) const LOOK_BACK: usize = 72;

/// The char before byte `i` as a reader of the text sees it. In raw
/// JSON-string text an escape reads as what it stands for: `\n` before a
/// bare placeholder is a line break (a word boundary), not the letter `n`.
/// `before` is the text consumed before `text` (streaming).
fn prev_char(before: &str, text: &str, i: usize, escape: Escape) -> Option<char> {
    let raw = || char_before(text, i).or_else(|| before.chars().next_back());
    let nearest = match i {
        0 => before.as_bytes().last(),
        _ => text.as_bytes().get(i - 1),
    };
    // only an escape's last byte (a letter or hex digit) can change it
    if escape != Escape::JsonString || !nearest.is_some_and(u8::is_ascii_alphanumeric) {
        return raw();
    }
    // the bytes before i, nearest first
    let mut back = [0u8; LOOK_BACK];
    let near = text.as_bytes()[..i].iter().rev();
    let n = near
        .chain(before.as_bytes().iter().rev())
        .take(LOOK_BACK)
        .zip(back.iter_mut())
        .map(|(b, slot)| *slot = *b)
        .count();
    let back = &back[..n];
    // whether the backslash at back[k] starts an escape (an even run of
    // backslashes before it)
    let escapes = |k: usize| {
        back.get(k) == Some(&b'\\')
            && back[k + 1..].iter().take_while(|&&b| b == b'\\').count() % 2 == 0
    };
    let control = match back.first() {
        Some(b'n') => Some('\n'),
        Some(b't') => Some('\t'),
        Some(b'r') => Some('\r'),
        Some(b'b') => Some('\u{8}'),
        Some(b'f') => Some('\u{c}'),
        _ => None,
    };
    if let Some(c) = control.filter(|_| escapes(1)) {
        return Some(c);
    }
    if back.len() >= 6 && back[4] == b'u' && escapes(5) {
        let hex: Option<String> = back[..4]
            .iter()
            .rev()
            .map(|&b| Some(char::from(b)))
            .collect();
        if let Some(c) = hex
            .and_then(|h| u32::from_str_radix(&h, 16).ok())
            .and_then(char::from_u32)
        {
            return Some(c);
        }
    }
    raw()
}

/// Core loop shared with streaming. Consumes `text` up to the first
/// position where a placeholder might still be completing (only when
/// `eof` is false) and returns how many bytes were consumed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rehydrate_into(
    text: &str,
    eof: bool,
    before: &str,
    base_offset: usize,
    lim: &Limits,
    session: &Session,
    escape: Escape,
    out: &mut String,
    unknown: &mut Vec<UnknownPlaceholder>,
) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if !may_start(bytes[i]) {
            i += 1;
            continue;
        }
        let prev = prev_char(before, text, i, escape);
        match parse_at(text, i, prev, eof, lim) {
            Parse::Match(f) => {
                out.push_str(&text[copied..i]);
                match session.value(f.kind, f.number, f.variant) {
                    Some(v) => push_escaped(out, v, escape),
                    None => {
                        out.push_str(&text[i..f.end]);
                        unknown.push(UnknownPlaceholder {
                            text: text[i..f.end].to_string(),
                            kind: f.kind,
                            number: f.number,
                            offset: base_offset + i,
                        });
                    }
                }
                i = f.end;
                copied = i;
            }
            Parse::NoMatch => i += 1,
            Parse::NeedMore => break,
        }
    }
    out.push_str(&text[copied..i]);
    i
}

fn push_escaped(out: &mut String, v: &str, escape: Escape) {
    match escape {
        Escape::None => out.push_str(v),
        Escape::JsonString => {
            let quoted = serde_json::to_string(v).unwrap_or_else(|_| String::from("\"\""));
            out.push_str(&quoted[1..quoted.len() - 1]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::LinkHint;

    fn session() -> Session {
        let mut s = Session::new();
        for (k, v) in [
            (PiiKind::Person, "Alice Smith"),
            (PiiKind::Person, "Alice"),
            (PiiKind::Email, "alice@example.com"),
            (PiiKind::Person, "Bob \"The Builder\" O'Neil\\"),
        ] {
            let _ = s.intern(k, v, LinkHint::None, usize::MAX);
        }
        s
    }

    #[test]
    fn tolerant_forms() {
        let s = session();
        let (r, u) = rehydrate(
            "[person_1], [ PERSON_1 ], [PERSON 1], (PERSON_1), {PERSON_1}, <PERSON_1>, PERSON_1, **[PERSON_1]**, `[PERSON_1]`, [PERSON_1.2], \\[PERSON\\_1\\], [[PERSON_1]]",
            &s,
        );
        assert_eq!(
            r,
            "Alice Smith, Alice Smith, Alice Smith, Alice Smith, Alice Smith, Alice Smith, Alice Smith, **Alice Smith**, `Alice Smith`, Alice, Alice Smith, [Alice Smith]"
        );
        assert!(u.is_empty());
    }

    #[test]
    fn unknown_left_and_reported() {
        let s = session();
        let (r, u) = rehydrate("Hi [PERSON_7] and [IBAN_1], from [EMAIL_1].", &s);
        assert_eq!(r, "Hi [PERSON_7] and [IBAN_1], from alice@example.com.");
        assert_eq!(u.len(), 2);
        assert_eq!(
            (u[0].kind, u[0].number, u[0].offset),
            (PiiKind::Person, 7, 3)
        );
        assert_eq!(u[1].text, "[IBAN_1]");
    }

    #[test]
    fn prose_is_untouched() {
        let s = session();
        for t in [
            "Use (see above) [1] {x} <b> PERSONAL_1 person_1 MYPERSON_1",
            "émoji 【note】 \\ end",
        ] {
            assert_eq!(rehydrate(t, &s).0, t);
        }
    }

    #[test]
    fn json_nested_and_escaped() {
        let s = session();
        let v: Value = serde_json::json!({
            "name": "[PERSON_2]",
            "list": ["[EMAIL_1]", 3, null],
            "arguments": "{\"to\":\"[PERSON_2]\",\"cc\":[\"EMAIL_1\"]}",
            "[PERSON_1]": true
        });
        let (r, u) = rehydrate_json(&v, &s);
        assert!(u.is_empty());
        assert_eq!(r["name"], "Bob \"The Builder\" O'Neil\\");
        assert_eq!(r["list"][0], "alice@example.com");
        assert_eq!(r["Alice Smith"], true);
        let args: Value =
            serde_json::from_str(r["arguments"].as_str().unwrap_or("")).unwrap_or_default();
        assert_eq!(args["to"], "Bob \"The Builder\" O'Neil\\");
        assert_eq!(args["cc"][0], "alice@example.com");
        let (txt, _) = rehydrate_json_str(r#"{"a":"<PERSON_2>"}"#, &s).unwrap_or_default();
        let back: Value = serde_json::from_str(&txt).unwrap_or_default();
        assert_eq!(back["a"], "Bob \"The Builder\" O'Neil\\");
    }
}
