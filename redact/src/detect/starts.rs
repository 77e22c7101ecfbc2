//! Where digit-led patterns can begin, found in one byte pass, and an
//! anchored scan that tries a pattern only there.
//!
//! Phones, cards, SSNs, IBANs and IPv4 addresses all start at a few kinds
//! of byte (a digit at an ASCII word start, `+`, `(`, two letters before
//! two digits). Running a regex unanchored over the whole text costs a DFA
//! step per byte for every pattern; trying it anchored only at those
//! positions costs a byte pass once plus a few steps per position. The
//! result is the same as [`super::scan`]'s: the first position (at or
//! after the resume point) where the pattern matches is its leftmost match,
//! and the anchored match there is the one leftmost-first semantics pick.
//! Every position is tried at most once and each try is bounded by the
//! pattern's longest match, so the pass stays linear.

use super::{Candidate, Verdict};
use crate::placeholder::PiiKind;
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input, Match};

/// Byte offsets where digit-led patterns may start, each list ascending.
/// Each list keeps only the positions that pass a cheap necessary test for
/// its pattern (the first bytes a match must have), so most digits in
/// prose (`3pm`, `1,200`) are never handed to a regex; [`Starts::pruned`]
/// looks further ahead (`4.2.1`, `420 ms`).
#[derive(Debug, Default)]
pub(crate) struct Starts {
    /// `(?-u:\b)[0-9]{3}`: where an SSN may start.
    pub ssn: Vec<usize>,
    /// `(?-u:\b)[0-9][ \-]?[0-9]`: where a card number may start.
    pub card: Vec<usize>,
    /// `(?-u:\b)[0-9]{1,3}\.`: where an IPv4 address may start.
    pub ipv4: Vec<usize>,
    /// `+`, `(` and `(?-u:\b)[0-9]` followed by a phone byte: where a
    /// phone may start.
    pub phone: Vec<usize>,
    /// `(?-u:\b)[a-z]{2}[0-9]{2}`, any case: where an IBAN may start.
    pub iban: Vec<usize>,
    /// `(?-u:\b)[0-9]`, every digit run at a word start: where a street
    /// address's house number may start, or (after the street's name) end
    /// it; [`super::address`] narrows them down.
    pub digit_runs: Vec<usize>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Bytes that may continue a phone after its first byte
/// (`[0-9 .\-/()]`, the generic shape's class, which covers the others).
fn is_phone_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b' ' | b'.' | b'-' | b'/' | b'(' | b')')
}

/// Whether any byte of the 8-byte word `x` is a digit, `+` or `(`: the
/// bytes where a start can be. Exact per byte (no carries cross bytes).
fn any_start_byte(x: u64) -> bool {
    const ONES: u64 = u64::MAX / 255;
    const LOW7: u64 = ONES * 127;
    const HIGH: u64 = ONES * 128;
    let low = x & LOW7;
    // "has a byte strictly between m and n" with m = 0x2f, n = 0x3a
    let digit =
        (ONES * (127 + 0x3a)).wrapping_sub(low) & !x & low.wrapping_add(ONES * (127 - 0x2f));
    // "has a zero byte" after xor with the byte looked for
    let zero = |y: u64| y.wrapping_sub(ONES) & !y;
    let plus = zero(x ^ (ONES * u64::from(b'+')));
    let paren = zero(x ^ (ONES * u64::from(b'(')));
    (digit | plus | paren) & HIGH != 0
}

impl Starts {
    pub(crate) fn of(text: &str) -> Self {
        let b = text.as_bytes();
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        let mut s = Starts::default();
        let mut i = 0;
        // bytes up to `checked` are known to hold a start byte somewhere
        // in their 8-byte block, or are the short tail
        let mut checked = 0;
        while i < b.len() {
            // skip 8 bytes at a time while none can start anything
            if i >= checked {
                if i + 8 <= b.len() {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(&b[i..i + 8]);
                    if !any_start_byte(u64::from_le_bytes(word)) {
                        i += 8;
                        continue;
                    }
                    checked = i + 8;
                } else {
                    checked = b.len();
                }
            }
            let c = b[i];
            if c.is_ascii_digit() {
                let prev_word = i > 0 && is_word_byte(b[i - 1]);
                if !prev_word {
                    s.digit_runs.push(i);
                    let (n1, n2, n3) = (at(i + 1), at(i + 2), at(i + 3));
                    if n1.is_ascii_digit() && n2.is_ascii_digit() {
                        s.ssn.push(i);
                    }
                    if n1.is_ascii_digit() || (matches!(n1, b' ' | b'-') && n2.is_ascii_digit()) {
                        s.card.push(i);
                    }
                    if n1 == b'.'
                        || (n1.is_ascii_digit()
                            && (n2 == b'.' || (n2.is_ascii_digit() && n3 == b'.')))
                    {
                        s.ipv4.push(i);
                    }
                    if is_phone_byte(n1) {
                        s.phone.push(i);
                    }
                } else if i >= 2
                    && b[i - 1].is_ascii_alphabetic()
                    && b[i - 2].is_ascii_alphabetic()
                    && (i == 2 || !is_word_byte(b[i - 3]))
                    && at(i + 1).is_ascii_digit()
                {
                    s.iban.push(i - 2);
                }
            } else if c == b'+' || c == b'(' {
                // `+1`, `+ 1`, `(555)`, `(0`: a digit follows (after one space for `+`)
                let n1 = at(i + 1);
                if n1.is_ascii_digit() || (c == b'+' && n1 == b' ' && at(i + 2).is_ascii_digit()) {
                    s.phone.push(i);
                }
            }
            i += 1;
        }
        s
    }

    /// Drops the starts a longer look rules out: the next bytes cannot
    /// make an SSN, card or dotted quad there, or too few digits follow
    /// for any phone shape the validator keeps. Each test reads a bounded
    /// window, so this stays linear.
    pub(crate) fn pruned(mut self, text: &str) -> Self {
        let b = text.as_bytes();
        self.ssn.retain(|&i| ssn_shape(b, i));
        self.card.retain(|&i| card_reps(b, i));
        self.ipv4.retain(|&i| ipv4_dots(b, i));
        self.phone.retain(|&i| phone_has_digits(b, i));
        self
    }
}

/// The first bytes of an SSN match: `ddd-dd-dddd`, `ddd dd dddd` or nine
/// digits (the pattern's three forms, without the word boundaries).
fn ssn_shape(b: &[u8], i: usize) -> bool {
    let d = |k: usize| b.get(i + k).is_some_and(u8::is_ascii_digit);
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    let sep = at(3);
    let grouped = matches!(sep, b'-' | b' ') && d(4) && d(5) && at(6) == sep && (7..11).all(d);
    grouped || (0..9).all(d)
}

/// Whether 12 `[ \-]?[0-9]` repetitions follow the digit at `i`, as a
/// card match (`[0-9](?:[ \-]?[0-9]){12,18}`) needs. Each step is forced
/// by the next byte, so this is exactly whether the pattern can get there.
fn card_reps(b: &[u8], i: usize) -> bool {
    let digit = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
    let mut k = i + 1;
    for _ in 0..12 {
        if digit(k) {
            k += 1;
        } else if matches!(b.get(k), Some(b' ' | b'-')) && digit(k + 1) {
            k += 2;
        } else {
            return false;
        }
    }
    true
}

/// Whether the run of digits and dots at `i` has the three dots of a
/// dotted quad within its first 12 bytes (octets have at most 3 digits).
fn ipv4_dots(b: &[u8], i: usize) -> bool {
    b[i..]
        .iter()
        .take(12)
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .filter(|c| **c == b'.')
        .count()
        >= 3
}

/// Whether the run of phone bytes at `i` (a leading `+`, then
/// `[0-9 .\-/()]`) has 7 digits within the longest phone match (under 96
/// bytes). Every phone shape is rejected with fewer (see
/// `number::phone_verdict`), and a rejection moves the scan on exactly as
/// no match does, so such starts need no search.
fn phone_has_digits(b: &[u8], i: usize) -> bool {
    let start = if b.get(i) == Some(&b'+') { i + 1 } else { i };
    let end = b.len().min(i + 96);
    let mut digits = 0;
    for &c in b.get(start..end).unwrap_or(&[]) {
        if c.is_ascii_digit() {
            digits += 1;
            if digits == 7 {
                return true;
            }
        } else if !is_phone_byte(c) {
            break;
        }
    }
    false
}

/// Like [`super::scan`], trying `re` anchored at each of `starts` (which
/// must include every position where a match `check` keeps can start: a
/// rejection moves the scan on exactly as no match there does). The validator also
/// gets the pattern index, for multi-pattern regexes.
pub(crate) fn scan_at(
    re: &Regex,
    text: &str,
    starts: &[usize],
    kind: PiiKind,
    out: &mut Vec<Candidate>,
    check: impl FnMut(Match) -> Verdict,
) {
    let mut next = starts.iter();
    let find = |pos: usize| {
        next.by_ref().filter(|&&s| s >= pos).find_map(|&s| {
            let input = Input::new(text).range(s..).anchored(Anchored::Yes);
            // anchored: the start is known, so the forward half suffices
            let half = re.search_half(&input)?;
            Some((s, Match::new(half.pattern(), s..half.offset())))
        })
    };
    super::scan_with(text, 0, kind, out, find, check);
}

/// Compiles built-in patterns as one multi-pattern regex (leftmost-first:
/// earlier patterns win at the same start, as in an alternation), with the
/// same limits as [`super::compile`].
pub(crate) fn compile_many(patterns: &[&str]) -> Regex {
    Regex::builder()
        .configure(
            Regex::config()
                .nfa_size_limit(Some(64 << 20))
                .hybrid_cache_capacity(16 << 20),
        )
        .build_many(patterns)
        .unwrap_or_else(|e| panic!("built-in pattern failed to compile: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_positions() {
        let t = "a1 +44 (0) x9 DE89 3704 é5 ab12 123-45-6789 10.0.0.1 4111 1111 3pm + 7";
        let s = Starts::of(t);
        let at = |v: &[usize]| {
            v.iter()
                .map(|&i| &t[i..])
                .map(|r| &r[..2])
                .collect::<Vec<_>>()
        };
        assert_eq!(at(&s.iban), vec!["DE", "ab"]);
        assert_eq!(at(&s.ssn), vec!["37", "12", "67", "41", "11"]);
        assert_eq!(at(&s.ipv4), vec!["10", "0.", "0."]);
        assert_eq!(
            at(&s.card),
            vec!["44", "37", "12", "45", "67", "10", "1 ", "41", "11"]
        );
        assert_eq!(
            at(&s.phone),
            vec![
                "+4", "44", "(0", "0)", "37", "5 ", "12", "45", "67", "10", "0.", "0.", "1 ", "41",
                "11", "+ "
            ]
        );
    }
}

/// Pruning the start lists changes nothing: the digit-led detectors find
/// with them what they find when tried at every char boundary (which is
/// what an unanchored scan of the whole text does).
#[cfg(test)]
mod pruning_tests {
    use super::Starts;
    use crate::detect::{contact, number, test_support::prefilter_texts};
    use crate::KindSet;

    fn run(text: &str, starts: &Starts) -> Vec<super::Candidate> {
        let mut out = Vec::new();
        number::detect_at(text, starts, &KindSet::all(), &mut out);
        contact::detect_at(text, starts, &KindSet::all(), &mut out);
        out
    }

    #[test]
    fn pruned_starts_find_what_every_position_finds() {
        for text in prefilter_texts() {
            let every: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let all = Starts {
                ssn: every.clone(),
                card: every.clone(),
                ipv4: every.clone(),
                phone: every.clone(),
                iban: every,
                digit_runs: Vec::new(),
            };
            let fast = Starts::of(&text).pruned(&text);
            assert_eq!(run(&text, &fast), run(&text, &all), "in {text:?}");
        }
    }
}

#[cfg(test)]
mod swar_tests {
    use super::any_start_byte;

    #[test]
    fn byte_test_matches_scalar() {
        for fill in [b'a', 0u8, 0xff, b'*', b'/', b':'] {
            for b in 0..=255u8 {
                for pos in 0..8 {
                    let mut w = [fill; 8];
                    w[pos] = b;
                    let want = b.is_ascii_digit() || b == b'+' || b == b'(';
                    assert_eq!(
                        any_start_byte(u64::from_le_bytes(w)),
                        want,
                        "{b:#x} at {pos} in {fill:#x}"
                    );
                }
            }
        }
    }
}
