//! Tolerant placeholder grammar: recognises what a model makes of `[TAG_N]`.
//!
//! Accepted at a position (tags are `PERSON`, `EMAIL`, … from
//! [`PiiKind::tag`]):
//!
//! * **bracketed**: an opener `[ ( { <` (or `【 「`, or markdown-escaped `\[`
//!   which then needs `\]`), up to two spaces, the tag in any ASCII case, an
//!   optional separator (`_`, `\_`, space or `-`) and optional space, the
//!   number, an optional `.V` variant, up to two spaces, and any closer
//!   `] ) } > 】 」`. Examples: `[person_1]`, `[ PERSON_1 ]`, `[PERSON 1]`,
//!   `(PERSON_1)`, `{Person-1}`, `<PERSON_1>`, `\[PERSON\_1\]`.
//! * **bare**: the tag in UPPER case, `_` or `\_`, the number and optional
//!   variant, not glued to word characters on either side: `PERSON_1`.
//!
//! Markdown around a placeholder (`**[PERSON_1]**`, `` `[PERSON_1]` ``) is
//! left in place; only the placeholder itself is replaced. Double brackets
//! `[[PERSON_1]]` restore to `[value]`.
//!
//! The parser is incremental: on input that ends while a placeholder could
//! still be completing it answers [`Parse::NeedMore`] instead of guessing, so
//! a stream can hold back exactly the undecided tail. It never reads more
//! than [`Limits::max_form_len`] bytes from its start position.

use crate::placeholder::PiiKind;
use crate::text::is_word_char;

/// Bounds that keep the grammar finite; derived from the session.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Most digits accepted in an entity number.
    pub num_digits: usize,
    /// Most digits accepted in a variant number.
    pub variant_digits: usize,
}

const MAX_SPACES: usize = 2;
/// Longest opener / closer in bytes (`【` is 3 bytes).
const MAX_BRACKET: usize = 3;
/// Longest separator in bytes (`\_` plus one space).
const MAX_SEP: usize = 3;

impl Limits {
    /// Upper bound on the byte length of any accepted placeholder form, and
    /// therefore on what a stream ever holds back.
    pub(crate) fn max_form_len(&self) -> usize {
        MAX_BRACKET
            + MAX_SPACES
            + PiiKind::MAX_TAG_LEN
            + MAX_SEP
            + self.num_digits
            + 1
            + self.variant_digits
            + MAX_SPACES
            + MAX_BRACKET
    }
}

/// A recognised placeholder form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub end: usize,
    pub kind: PiiKind,
    pub number: u32,
    pub variant: Option<u32>,
}

/// Outcome of trying to parse at one position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parse {
    Match(Found),
    NoMatch,
    /// The input ended while a placeholder was still possible.
    NeedMore,
}

enum Stop {
    No,
    More,
}

type R<T> = Result<T, Stop>;

struct Cur<'a> {
    s: &'a [u8],
    pos: usize,
    eof: bool,
}

impl Cur<'_> {
    /// The byte at `pos + k`: `Ok(None)` past the end of a finished input,
    /// `Err(More)` past the end of an unfinished one.
    fn peek_at(&self, k: usize) -> R<Option<u8>> {
        match self.s.get(self.pos + k) {
            Some(&b) => Ok(Some(b)),
            None if self.eof => Ok(None),
            None => Err(Stop::More),
        }
    }
    fn peek(&self) -> R<Option<u8>> {
        self.peek_at(0)
    }
    fn skip_spaces(&mut self) -> R<()> {
        for _ in 0..MAX_SPACES {
            if self.peek()? == Some(b' ') {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(())
    }
    /// Matches a literal byte string (fails early on the first difference).
    fn lit(&mut self, lit: &[u8]) -> R<bool> {
        for (k, &b) in lit.iter().enumerate() {
            if self.peek_at(k)? != Some(b) {
                return Ok(false);
            }
        }
        self.pos += lit.len();
        Ok(true)
    }
}

const OPEN_MB: [&[u8]; 2] = ["【".as_bytes(), "「".as_bytes()];
const CLOSE_MB: [&[u8]; 2] = ["】".as_bytes(), "」".as_bytes()];

/// Bytes at which a placeholder form may start.
pub(crate) fn may_start(b: u8) -> bool {
    matches!(b, b'[' | b'(' | b'{' | b'<' | b'\\' | 0xE3) || b.is_ascii_uppercase()
}

/// Tries to parse a placeholder form starting at byte `i` of `s`.
/// `prev` is the char before `i` (needed for the bare form's boundary).
pub(crate) fn parse_at(s: &str, i: usize, prev: Option<char>, eof: bool, lim: &Limits) -> Parse {
    let mut c = Cur {
        s: s.as_bytes(),
        pos: i,
        eof,
    };
    let r = match s.as_bytes().get(i) {
        Some(b) if b.is_ascii_uppercase() => bare(&mut c, s, prev, lim),
        Some(_) => bracketed(&mut c, lim),
        None => Err(Stop::No),
    };
    match r {
        Ok(f) => Parse::Match(f),
        Err(Stop::No) => Parse::NoMatch,
        Err(Stop::More) => Parse::NeedMore,
    }
}

fn bracketed(c: &mut Cur<'_>, lim: &Limits) -> R<Found> {
    let escaped = match c.peek()? {
        Some(b'[' | b'(' | b'{' | b'<') => {
            c.pos += 1;
            false
        }
        Some(b'\\') => {
            // `?` before the guard: a partial escape may need more input
            let ok = c.lit(b"\\[")?;
            if !ok {
                return Err(Stop::No);
            }
            true
        }
        Some(0xE3) => {
            let mut ok = false;
            for o in OPEN_MB {
                if c.lit(o)? {
                    ok = true;
                    break;
                }
            }
            if !ok {
                return Err(Stop::No);
            }
            false
        }
        _ => return Err(Stop::No),
    };
    c.skip_spaces()?;
    let kind = tag(c, false)?;
    // separator
    match c.peek()? {
        Some(b'_' | b' ' | b'-') => c.pos += 1,
        Some(b'\\') => {
            let ok = c.lit(b"\\_")?;
            if !ok {
                return Err(Stop::No);
            }
        }
        _ => {}
    }
    if c.peek()? == Some(b' ') {
        c.pos += 1;
    }
    let (number, variant) = number_and_variant(c, lim)?;
    c.skip_spaces()?;
    let closed = if escaped {
        c.lit(b"\\]")?
    } else {
        match c.peek()? {
            Some(b']' | b')' | b'}' | b'>') => {
                c.pos += 1;
                true
            }
            Some(0xE3) => {
                let mut ok = false;
                for cl in CLOSE_MB {
                    if c.lit(cl)? {
                        ok = true;
                        break;
                    }
                }
                ok
            }
            _ => false,
        }
    };
    if !closed {
        return Err(Stop::No);
    }
    Ok(Found {
        end: c.pos,
        kind,
        number,
        variant,
    })
}

fn bare(c: &mut Cur<'_>, s: &str, prev: Option<char>, lim: &Limits) -> R<Found> {
    if prev.is_some_and(is_word_char) {
        return Err(Stop::No);
    }
    let kind = tag(c, true)?;
    match c.peek()? {
        Some(b'_') => c.pos += 1,
        Some(b'\\') => {
            if !c.lit(b"\\_")? {
                return Err(Stop::No);
            }
        }
        _ => return Err(Stop::No),
    }
    let (number, variant) = number_and_variant(c, lim)?;
    // must not be glued to a following word character
    match c.peek()? {
        None => {}
        Some(b) if b.is_ascii() && is_word_char(b as char) => return Err(Stop::No),
        Some(b) if b.is_ascii() => {}
        Some(_) => {
            let next = s.get(c.pos..).and_then(|t| t.chars().next());
            if next.is_some_and(is_word_char) {
                return Err(Stop::No);
            }
        }
    }
    Ok(Found {
        end: c.pos,
        kind,
        number,
        variant,
    })
}

/// Reads a tag; fails as soon as the letters read are no prefix of any tag.
fn tag(c: &mut Cur<'_>, upper_only: bool) -> R<PiiKind> {
    let mut buf = [0u8; PiiKind::MAX_TAG_LEN];
    let mut n = 0;
    loop {
        match c.peek()? {
            Some(b) if b.is_ascii_alphabetic() => {
                if upper_only && !b.is_ascii_uppercase() {
                    return Err(Stop::No);
                }
                if n == buf.len() {
                    return Err(Stop::No);
                }
                buf[n] = b.to_ascii_uppercase();
                n += 1;
                let so_far = &buf[..n];
                if !PiiKind::ALL
                    .iter()
                    .any(|k| k.tag().as_bytes().starts_with(so_far))
                {
                    return Err(Stop::No);
                }
                c.pos += 1;
            }
            _ => break,
        }
    }
    let word = &buf[..n];
    PiiKind::ALL
        .into_iter()
        .find(|k| k.tag().as_bytes() == word)
        .ok_or(Stop::No)
}

fn digits(c: &mut Cur<'_>, max: usize) -> R<u32> {
    let mut n: u32 = 0;
    let mut count = 0;
    while let Some(b) = c.peek()? {
        if !b.is_ascii_digit() {
            break;
        }
        if count == max {
            return Err(Stop::No);
        }
        n = n.saturating_mul(10).saturating_add(u32::from(b - b'0'));
        count += 1;
        c.pos += 1;
    }
    if count == 0 {
        return Err(Stop::No);
    }
    Ok(n)
}

fn number_and_variant(c: &mut Cur<'_>, lim: &Limits) -> R<(u32, Option<u32>)> {
    let number = digits(c, lim.num_digits)?;
    let mut variant = None;
    if c.peek()? == Some(b'.') {
        if let Some(b) = c.peek_at(1)? {
            if b.is_ascii_digit() {
                c.pos += 1;
                variant = Some(digits(c, lim.variant_digits)?);
            }
        }
    }
    Ok((number, variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        num_digits: 3,
        variant_digits: 2,
    };

    fn whole(s: &str) -> Option<(PiiKind, u32, Option<u32>)> {
        match parse_at(s, 0, None, true, &L) {
            Parse::Match(f) if f.end == s.len() => Some((f.kind, f.number, f.variant)),
            _ => None,
        }
    }

    #[test]
    fn accepted_forms() {
        let p1 = Some((PiiKind::Person, 1, None));
        for s in [
            "[PERSON_1]",
            "[person_1]",
            "[ PERSON_1 ]",
            "[PERSON 1]",
            "[PERSON-1]",
            "[PERSON1]",
            "(PERSON_1)",
            "{PERSON_1}",
            "<PERSON_1>",
            "PERSON_1",
            "PERSON\\_1",
            "\\[PERSON\\_1\\]",
            "【PERSON_1】",
            "[Person_ 1]",
            "[PERSON_001]",
        ] {
            assert_eq!(whole(s), p1, "{s}");
        }
        assert_eq!(whole("[EMAIL_2.3]"), Some((PiiKind::Email, 2, Some(3))));
        assert_eq!(whole("DOB_12.2"), Some((PiiKind::Dob, 12, Some(2))));
    }

    #[test]
    fn rejected_forms() {
        for s in [
            "[PERSONA_1]",
            "person_1",
            "Person_1",
            "[PERSON_]",
            "[PERSON_1",
            "\\[PERSON_1]",
            "[PERSON_1234]",
            "[HELLO_1]",
        ] {
            assert_eq!(whole(s), None, "{s}");
        }
        // bare form glued to word characters
        assert_eq!(parse_at("PERSON_1x", 0, None, true, &L), Parse::NoMatch);
        assert_eq!(
            parse_at("xPERSON_1", 1, Some('x'), true, &L),
            Parse::NoMatch
        );
    }

    #[test]
    fn need_more_only_while_viable() {
        for s in [
            "[",
            "[PER",
            "[PERSON_",
            "[PERSON_1",
            "PERSON_1",
            "PERSON_1.",
            "\\",
            "【",
        ] {
            assert_eq!(parse_at(s, 0, None, false, &L), Parse::NeedMore, "{s}");
        }
        for s in ["[Hel", "(see", "PEOPLE", "[PERSON_1x"] {
            assert_eq!(parse_at(s, 0, None, false, &L), Parse::NoMatch, "{s}");
        }
    }
}
