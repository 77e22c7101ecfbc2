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
        None,
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

/// Core loop shared with streaming. Consumes `text` up to the first
/// position where a placeholder might still be completing (only when
/// `eof` is false) and returns how many bytes were consumed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rehydrate_into(
    text: &str,
    eof: bool,
    prev_char: Option<char>,
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
        let prev = if i == 0 {
            prev_char
        } else {
            char_before(text, i)
        };
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
