//! Digit-based identifiers: phone numbers, US SSNs, payment cards, IBANs.
//!
//! Phones are matched in four shapes, tried in this order at each start:
//! 1. international: `+CC …` or `00CC …` (8–15 digits; `00` needs a separator),
//! 2. North American: `(555) 123-4567`, `555-123-4567`, `1-800-555-0199`,
//! 3. national with trunk `0`: `020 7946 0958`, `030 1234567`, `06 12 34 56 78`
//!    (9–13 digits, not date-shaped),
//! 4. any 7–15 digit run with separators, only after a phone cue such as
//!    "phone", "tel", "call", "mobile", "WhatsApp" in the same clause.
//!
//! Numbers glued to currency signs, percent signs or longer dotted numbers,
//! and date-shaped groups, are never phones. That keeps years, amounts,
//! versions and dates out.
//!
//! SSNs: `123-45-6789` always (except all-zero groups); with spaces or no
//! separator only after an SSN cue. Cards: 13–19 digits, Luhn-valid, grouped
//! like a card (or ungrouped). IBANs: country code and check digits, the
//! registered length for the country, and mod-97.

use super::checksum::{iban_length, iban_valid, luhn_valid};
use super::starts::{compile_many, scan_at, Starts};
use super::{Candidate, Verdict};
use crate::placeholder::PiiKind;
use crate::text::{char_at, char_before, clause_before, Cues};
use regex_automata::meta::Regex;
use std::sync::LazyLock;

/// The four phone shapes, in the order they are tried at each start (see
/// the module docs); the pattern index of a match is its [`Shape`].
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    compile_many(&[
        // 1. international
        r"(?:\+[ ]?|(?-u:\b)00)[1-9][0-9]{0,3}(?:[ .\-/]{0,2}(?:\([0-9]{1,5}\)|[0-9]{1,5})){1,8}(?-u:\b)",
        // 2. NANP
        r"(?:(?-u:\b)1[ .\-]?)?(?:\([0-9]{3}\)[ ]?|(?-u:\b)[0-9]{3}[ .\-])[0-9]{3}[ .\-][0-9]{4}(?-u:\b)",
        // 3. national with trunk prefix 0
        r"(?:(?:\(0[1-9][0-9]{0,4}\)|(?-u:\b)0[1-9][0-9]{0,4})(?:[ .\-/]{1,3}[0-9]{2,8}){1,4}|(?-u:\b)0[1-9][0-9]{8,11})(?-u:\b)",
        // 4. generic digit groups, cue required
        r"(?:\+|\(|(?-u:\b))[0-9][0-9 .\-/()]{5,22}[0-9](?-u:\b)",
    ])
});

static SSN: LazyLock<Regex> = LazyLock::new(|| {
    compile_many(&[r"(?-u)\b(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}|[0-9]{9})\b"])
});

static CARD: LazyLock<Regex> =
    LazyLock::new(|| compile_many(&[r"(?-u)\b[0-9](?:[ \-]?[0-9]){12,18}\b"]));

static IBAN: LazyLock<Regex> =
    LazyLock::new(|| compile_many(&[r"(?i-u)\b[a-z]{2}[0-9]{2}(?:[ ]?[a-z0-9]){11,32}\b"]));

static PHONE_CUE: LazyLock<Cues> = LazyLock::new(|| Cues::new(PHONE_CUES));
static SSN_CUE: LazyLock<Cues> = LazyLock::new(|| Cues::new(SSN_CUES));
static CARD_CUE: LazyLock<Cues> = LazyLock::new(|| Cues::new(CARD_CUES));

const PHONE_CUES: &[&str] = &[
    "phone",
    "tel",
    "tel.",
    "telephone",
    "mobile",
    "mob",
    "cell",
    "fax",
    "call",
    "text me",
    "sms",
    "whatsapp",
    "signal",
    "telegram",
    "reach me",
    "ring",
    "dial",
    "contact",
    "ph",
    "ph.",
    "hotline",
    "extension",
    "tlf",
    "telefon",
    "handy",
    "mobil",
    "téléphone",
    "tél",
    "portable",
    "móvil",
    "movil",
    "teléfono",
    "telefono",
    "telefone",
    "celular",
    "cellulare",
    "номер",
    "телефон",
    "電話",
    "电话",
    "手机",
    "携帯",
];

const SSN_CUES: &[&str] = &[
    "ssn",
    "ss#",
    "ss #",
    "social security",
    "soc sec",
    "social-security",
    "itin",
    "tax id",
    "taxpayer",
];

const CARD_CUES: &[&str] = &[
    "card",
    "visa",
    "mastercard",
    "amex",
    "american express",
    "discover",
    "credit",
    "debit",
    "cc",
    "pan",
    "karte",
    "carte",
    "tarjeta",
];

/// Builds this module's patterns now (see [`crate::prepare`]).
pub(crate) fn prepare() {
    LazyLock::force(&PHONE);
    LazyLock::force(&SSN);
    LazyLock::force(&CARD);
    LazyLock::force(&IBAN);
    LazyLock::force(&PHONE_CUE);
    LazyLock::force(&SSN_CUE);
    LazyLock::force(&CARD_CUE);
}

#[cfg(test)]
pub(crate) fn detect(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
    detect_at(text, &Starts::of(text), kinds, out);
}

/// Runs the number detectors at the start positions `starts` of `text`.
pub(crate) fn detect_at(
    text: &str,
    starts: &Starts,
    kinds: &crate::KindSet,
    out: &mut Vec<Candidate>,
) {
    if kinds.contains(PiiKind::Iban) {
        scan_at(&IBAN, text, &starts.iban, PiiKind::Iban, out, |m| {
            iban_span(text, m.start(), m.end())
        });
    }
    if kinds.contains(PiiKind::Card) {
        scan_at(&CARD, text, &starts.card, PiiKind::Card, out, |m| {
            card_verdict(text, m.start(), m.end())
        });
    }
    if kinds.contains(PiiKind::Ssn) {
        scan_at(&SSN, text, &starts.ssn, PiiKind::Ssn, out, |m| {
            ssn_verdict(text, m.start(), m.end())
        });
    }
    if kinds.contains(PiiKind::Phone) {
        scan_at(&PHONE, text, &starts.phone, PiiKind::Phone, out, |m| {
            let shape = match m.pattern().as_usize() {
                0 => Shape::Intl,
                1 => Shape::Nanp,
                2 => Shape::National,
                _ => Shape::Generic,
            };
            phone_verdict(text, m.start(), m.end(), shape)
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Intl,
    Nanp,
    National,
    Generic,
}

/// The runs of ASCII digits in `s`, in order. An iterator, not a `Vec`:
/// the verdicts below run once per candidate, thousands of times in a
/// PII-dense megabyte, and need only a few groups each.
fn digit_groups(s: &str) -> impl Iterator<Item = &str> + Clone {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
}

/// The characters of `s` that are not ASCII digits.
fn separators(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| !c.is_ascii_digit())
}

/// `dd.mm.yyyy`, `mm/dd/yy`, `yyyy-mm-dd` and similar.
fn date_shaped(s: &str) -> bool {
    let mut groups = digit_groups(s);
    let (Some(a), Some(b), Some(c)) = (groups.next(), groups.next(), groups.next()) else {
        return false;
    };
    let mut seps = separators(s.trim_start_matches(['+', '(']));
    match (seps.next(), seps.next()) {
        (Some(first), Some(second)) if first == second && matches!(first, '.' | '/' | '-') => {}
        _ => return false,
    }
    let n = |g: &str| g.parse::<u32>().unwrap_or(u32::MAX);
    let dmy = a.len() <= 2 && b.len() <= 2 && n(a) <= 31 && n(b) <= 31 && matches!(c.len(), 2 | 4);
    let ymd = a.len() == 4 && b.len() <= 2 && c.len() <= 2 && n(b) <= 12 && n(c) <= 31;
    dmy || ymd
}

/// Shared rejections: currency, percent, part of a longer dotted number.
fn glued_to_number(text: &str, start: usize, end: usize) -> bool {
    if let Some(b) = char_before(text, start) {
        if matches!(b, '$' | '€' | '£' | '¥' | '#' | '@') {
            return true;
        }
        let before2 = text[..start].chars().rev().nth(1);
        if matches!(b, '.' | ',' | '-' | '/') && before2.is_some_and(|c| c.is_ascii_digit()) {
            return true;
        }
    }
    if let Some(a) = char_at(text, end) {
        if a == '%' {
            return true;
        }
        let after2 = text[end..].chars().nth(1);
        if matches!(a, '.' | ',' | '-' | '/') && after2.is_some_and(|c| c.is_ascii_digit()) {
            return true;
        }
    }
    false
}

fn phone_verdict(text: &str, start: usize, end: usize, shape: Shape) -> Verdict {
    let s = &text[start..end];
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    if glued_to_number(text, start, end) {
        return Verdict::Reject;
    }
    let ok = match shape {
        Shape::Intl => {
            let separated = s
                .trim_start_matches(['+', ' '])
                .bytes()
                .any(|b| !b.is_ascii_digit());
            (8..=15).contains(&digits) && (s.starts_with('+') || separated)
        }
        Shape::Nanp => digits == 10 || digits == 11,
        Shape::National => (9..=13).contains(&digits) && !date_shaped(s),
        Shape::Generic => {
            (7..=15).contains(&digits)
                && !date_shaped(s)
                && digit_groups(s).all(|g| g.len() <= 6 || digits == g.len())
                && PHONE_CUE.found_in(clause_before(text, start, 40))
        }
    };
    if !ok {
        return Verdict::Reject;
    }
    // "(1-800-555-0199)": an opening paren without its closer is context
    if s.starts_with('(') && !s.contains(')') {
        return Verdict::Accept(start + 1, end);
    }
    Verdict::Accept(start, end)
}

fn ssn_verdict(text: &str, start: usize, end: usize) -> Verdict {
    let s = &text[start..end];
    let mut all_digits = [0u8; 9];
    let mut n = 0;
    for d in s.bytes().filter(u8::is_ascii_digit) {
        if n == all_digits.len() {
            return Verdict::Reject;
        }
        all_digits[n] = d;
        n += 1;
    }
    if n != all_digits.len() || glued_to_number(text, start, end) {
        return Verdict::Reject;
    }
    let zeros = |r: std::ops::Range<usize>| all_digits[r].iter().all(|&d| d == b'0');
    if zeros(0..3) || zeros(3..5) || zeros(5..9) {
        return Verdict::Reject;
    }
    let dashed = s.contains('-');
    if dashed || SSN_CUE.found_in(clause_before(text, start, 40)) {
        Verdict::Accept(start, end)
    } else {
        Verdict::Reject
    }
}

fn card_verdict(text: &str, start: usize, end: usize) -> Verdict {
    let s = &text[start..end];
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    if !(13..=19).contains(&digits) || !luhn_valid(s) || glued_to_number(text, start, end) {
        return Verdict::Reject;
    }
    let mut seps = separators(s);
    if let Some(first) = seps.next() {
        if seps.any(|c| c != first) {
            return Verdict::Reject;
        }
    }
    // at most 19 groups: each holds a digit
    let mut lens = [0usize; 19];
    let mut groups = 0;
    for (len, g) in lens.iter_mut().zip(digit_groups(s)) {
        *len = g.len();
        groups += 1;
    }
    let card_grouping = match &lens[..groups] {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.iter().all(|&l| l == 4) && (1..=4).contains(last),
        [] => false,
    };
    if card_grouping || CARD_CUE.found_in(clause_before(text, start, 40)) {
        Verdict::Accept(start, end)
    } else {
        Verdict::Reject
    }
}

/// Trims an IBAN candidate to its country's registered length (the greedy
/// pattern may run into following words) and checks mod-97.
fn iban_span(text: &str, start: usize, end: usize) -> Verdict {
    let s = &text[start..end];
    let bytes = s.as_bytes();
    // the letters and digits, upper-cased, and the byte end after each
    let mut compact = Vec::with_capacity(bytes.len());
    let mut cuts = Vec::with_capacity(bytes.len());
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() {
            compact.push(b.to_ascii_uppercase());
            cuts.push(i + 1);
        }
    }
    let try_len = |n: usize| -> Option<usize> {
        let e = *cuts.get(n.checked_sub(1)?)?;
        // must end at a token boundary of the candidate
        let next = bytes.get(e).copied();
        let at_boundary = next.is_none() || next == Some(b' ');
        (at_boundary && iban_valid(&compact[..n])).then_some(e)
    };
    let hit = match compact.get(..2).and_then(iban_length) {
        Some(n) => try_len(n),
        None => (15..=compact.len().min(34)).rev().find_map(try_len),
    };
    match hit {
        Some(e) => Verdict::Accept(start, start + e),
        None => Verdict::Reject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(PiiKind, String)> {
        crate::detect::test_support::found_resolved(text, detect)
    }

    fn phones(text: &str) -> Vec<String> {
        found(text)
            .into_iter()
            .filter(|(k, _)| *k == PiiKind::Phone)
            .map(|(_, s)| s)
            .collect()
    }

    #[test]
    fn phone_formats() {
        for p in [
            "+1 (555) 123-4567",
            "+44 20 7946 0958",
            "555-123-4567",
            "(555) 123-4567",
            "555.123.4567",
            "0049 30 1234567",
            "+49 (0)30 1234567",
            "+33 1 23 45 67 89",
            "06 12 34 56 78",
            "020 7946 0958",
            "030 1234567",
            "+91 98765 43210",
            "1-800-555-0199",
            "+81 3-1234-5678",
            "090-1234-5678",
            "(02) 9876 5432",
            "+34 612 34 56 78",
            "+4915112345678",
        ] {
            let text = format!("Reach me on {p} tomorrow.");
            assert_eq!(phones(&text), vec![p.to_string()], "{p}");
        }
        assert_eq!(phones("call 555 0199 now"), vec!["555 0199".to_string()]);
        assert_eq!(
            phones("called (1-800-555-0199) twice"),
            vec!["1-800-555-0199".to_string()]
        );
    }

    #[test]
    fn not_phones() {
        for t in [
            "In 2023 and 2024 we grew.",
            "The meeting is on May 5 at 3pm in room 101, version 2.4.1, total $1,234.56",
            "Between 2019-2023 revenue was 1 234 567 EUR.",
            "Dated 2024-05-05 and 05/05/2024 and 01.02.2024.",
            "Order 0012345678 shipped; ISBN 978-3-16-148410-0.",
            "Increase of 12.5% to 1,000,000 units, 99.9 uptime.",
            "Coordinates 48.8566, 2.3522.",
        ] {
            assert!(found(t).is_empty(), "{t}: {:?}", found(t));
        }
    }

    #[test]
    fn ssn_card_iban() {
        let f = found(
            "SSN 123-45-6789, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00 and more",
        );
        assert_eq!(
            f,
            vec![
                (PiiKind::Ssn, "123-45-6789".into()),
                (PiiKind::Card, "4111 1111 1111 1111".into()),
                (PiiKind::Iban, "DE89 3704 0044 0532 0130 00".into()),
            ]
        );
        assert_eq!(found("ssn: 123456789")[0].0, PiiKind::Ssn);
        assert!(found("id 123456789").is_empty());
        assert!(found("card 4111 1111 1111 1112").is_empty());
        assert_eq!(found("GB29NWBK60161331926819")[0].0, PiiKind::Iban);
        assert_eq!(found("Amex 3782 822463 10005")[0].0, PiiKind::Card);
    }
}
