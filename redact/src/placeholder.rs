//! Placeholder vocabulary: the PII kinds, their tags, and the canonical
//! `[TAG_N]` / `[TAG_N.V]` text that the scrubber writes.
//!
//! Parsing the many ways a model may mangle a placeholder lives in
//! [`crate::parse`]; this module only knows the canonical form.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of personal data the engine detects. Each has a fixed tag used
/// in placeholders (`Person` -> `PERSON`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PiiKind {
    /// Names of people.
    Person,
    /// Names of organisations.
    Org,
    /// E-mail addresses.
    Email,
    /// Telephone numbers.
    Phone,
    /// US social security numbers (and ITINs, which share the shape).
    Ssn,
    /// Payment card numbers (Luhn-checked).
    Card,
    /// International bank account numbers (mod-97 checked).
    Iban,
    /// IPv4 and IPv6 addresses.
    Ip,
    /// URLs and paths that carry credentials or identify a person.
    Url,
    /// Street addresses.
    Address,
    /// Dates of birth.
    Dob,
}

impl PiiKind {
    /// Every kind, in a fixed order.
    pub const ALL: [PiiKind; 11] = [
        PiiKind::Person,
        PiiKind::Org,
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::Ssn,
        PiiKind::Card,
        PiiKind::Iban,
        PiiKind::Ip,
        PiiKind::Url,
        PiiKind::Address,
        PiiKind::Dob,
    ];

    /// Length in bytes of the longest tag (`ADDRESS`).
    pub const MAX_TAG_LEN: usize = 7;

    /// The placeholder tag, e.g. `PERSON`.
    pub const fn tag(self) -> &'static str {
        match self {
            PiiKind::Person => "PERSON",
            PiiKind::Org => "ORG",
            PiiKind::Email => "EMAIL",
            PiiKind::Phone => "PHONE",
            PiiKind::Ssn => "SSN",
            PiiKind::Card => "CARD",
            PiiKind::Iban => "IBAN",
            PiiKind::Ip => "IP",
            PiiKind::Url => "URL",
            PiiKind::Address => "ADDRESS",
            PiiKind::Dob => "DOB",
        }
    }

    /// The kind for a tag, ignoring ASCII case.
    pub fn from_tag(tag: &str) -> Option<PiiKind> {
        PiiKind::ALL
            .into_iter()
            .find(|k| k.tag().eq_ignore_ascii_case(tag))
    }

    /// Dense index, `0..ALL.len()`.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A placeholder: kind, entity number (1-based, per kind and session) and
/// surface variant (1 = the entity's first-seen spelling).
///
/// Canonical text: `[PERSON_3]` for variant 1, `[PERSON_3.2]` for variant 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Placeholder {
    /// What kind of data it stands for.
    pub kind: PiiKind,
    /// The entity number within its kind, from 1.
    pub number: u32,
    /// The spelling of that entity, from 1 (1 is written without a suffix).
    pub variant: u32,
}

impl Placeholder {
    /// The canonical text, e.g. `[EMAIL_2]`.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(self.kind.tag().len() + 8);
        self.push_to(&mut s);
        s
    }

    /// Appends the canonical text to `out` (what [`fmt::Display`] writes,
    /// without the formatting machinery: scrubbing writes one per value).
    pub(crate) fn push_to(&self, out: &mut String) {
        out.push('[');
        out.push_str(self.kind.tag());
        out.push('_');
        push_decimal(out, self.number);
        if self.variant > 1 {
            out.push('.');
            push_decimal(out, self.variant);
        }
        out.push(']');
    }
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, mut n: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(24);
        self.push_to(&mut s);
        f.write_str(&s)
    }
}

/// Number of decimal digits of `n` (at least 1).
pub(crate) fn decimal_digits(mut n: u32) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip() {
        for k in PiiKind::ALL {
            assert_eq!(PiiKind::from_tag(k.tag()), Some(k));
            assert_eq!(PiiKind::from_tag(&k.tag().to_lowercase()), Some(k));
            assert!(k.tag().len() <= PiiKind::MAX_TAG_LEN);
            assert_eq!(PiiKind::ALL[k.index()], k);
        }
        assert_eq!(PiiKind::from_tag("PERSONA"), None);
    }

    #[test]
    fn canonical_text() {
        let p = Placeholder {
            kind: PiiKind::Person,
            number: 3,
            variant: 1,
        };
        assert_eq!(p.text(), "[PERSON_3]");
        let v = Placeholder { variant: 2, ..p };
        assert_eq!(v.text(), "[PERSON_3.2]");
        assert_eq!(decimal_digits(0), 1);
        assert_eq!(decimal_digits(9), 1);
        assert_eq!(decimal_digits(10), 2);
        assert_eq!(decimal_digits(u32::MAX), 10);
    }

    #[test]
    fn serde_tag_names() {
        let s = serde_json::to_string(&PiiKind::Dob).unwrap_or_default();
        assert_eq!(s, "\"DOB\"");
    }
}
