//! Street addresses: house number, street name and a street-type suffix,
//! with an optional unit and an optional `City, ST 12345` or UK postcode
//! tail; also German/Dutch/Nordic `Hauptstraße 5`, `Keizersgracht 123`,
//! French `12 rue de Rivoli` and Spanish/Italian/Portuguese `Calle Mayor 15`,
//! `Via Garibaldi 42` forms.
//!
//! Lower-case streets (`12 main st`) are accepted only with an unambiguous
//! suffix and at most two name words, so "walked 5 miles down the road"
//! stays prose.
//!
//! The pattern runs only where a match can start (see [`super::near`]):
//! anchored at a house number whose next words could make an address
//! ([`may_lead`]), in a window before a number that follows a street word
//! (`Hauptstraße 5`, `Berliner Straße 12a`), and at the street types of
//! the Spanish, Italian and Portuguese form (`Calle`, `Via`). Prose has few
//! of each, where the pattern over the whole text steps through every byte.

use super::near::Near;
use super::starts::{compile_many, Starts};
use super::{scan_with, Candidate, Verdict};
use crate::placeholder::PiiKind;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input, Match};
use std::sync::LazyLock;

const SUFFIX: &str = "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Cres|Close|Row|Plaza|Mews|Grove|Gardens|Alley";
const UNIT: &str = r"(?:,?[ ]{1,2}(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Flat|#)\.?[ ]?#?[0-9A-Za-z][0-9A-Za-z\-]{0,5})?";
// city words are bounded (at 40 letters) so that every match is (see REACH)
const TAIL: &str = r"(?:,[ ]{1,2}[A-Z][a-zA-Z]{1,40}(?:[ ][A-Z][a-zA-Z]{1,40}){0,2}(?:,?[ ]{1,2}[A-Z]{2}[ ]{1,2}[0-9]{5}(?:-[0-9]{4})?|,[ ]{1,2}[A-Z]{1,2}[0-9][0-9A-Z]?[ ][0-9][A-Z]{2}))?";

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    let en = format!(
        r"(?-u:\b)[0-9]{{1,6}}[A-Za-z]?(?:-[0-9]{{1,4}})?[ ]{{1,2}}(?:(?:[A-Z][a-zA-Z'\-]{{0,24}}|[0-9]{{1,3}}(?:st|nd|rd|th)|N|S|E|W|NE|NW|SE|SW)\.?[ ]{{1,2}}){{1,4}}(?:{SUFFIX})(?-u:\b)\.?(?:[ ](?:N|S|E|W|NE|NW|SE|SW)(?-u:\b))?{UNIT}{TAIL}"
    );
    let en_lower = format!(
        r"(?-u:\b)[0-9]{{1,5}}[ ](?:[a-z]{{2,20}}[ ]){{1,2}}(?i:street|st|avenue|ave|road|rd|blvd|boulevard)(?-u:\b)\.?{UNIT}"
    );
    let fr = r"(?-u:\b)[0-9]{1,4}(?:[ ]?(?:bis|ter))?,?[ ](?i:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|cours)[ ](?:(?:de|du|des|la|le|l'|d')[ ]?){0,2}\p{Lu}[\p{L}\-]{1,24}(?:[ ]\p{Lu}[\p{L}\-]{1,24}){0,3}";
    let de = r"(?:\p{Lu}[\p{Ll}]{1,24}[ \-])?\p{Lu}[\p{Ll}]{1,24}(?:straße|strasse|str\.|weg|platz|allee|gasse|damm|ring|ufer|straat|laan|gracht|plein|kade|singel|dijk|steeg|vej|gade|gatan|vägen|veien|gata)[ ][0-9]{1,4}[a-z]?(?-u:\b)";
    // Spanish / Italian / Portuguese: street type, name, then number
    let es = r"(?-u:\b)(?:Calle|C/|Avenida|Avda\.?|Av\.|Plaza|Paseo|Camino|Carrera|Ronda|Travesía|Via|Viale|Piazza|Corso|Largo|Vicolo|Rua|Avenida|Praça|Travessa|Carrer|Passeig|Avinguda|Plaça|ul\.)[ ](?:(?:de|del|de la|dei|della|delle|do|da|dos|das)[ ])?\p{Lu}[\p{L}\-']{1,24}(?:[ ](?:(?:de|del|la|di|dei|da|do)[ ])?\p{Lu}[\p{L}\-']{1,24}){0,3},?[ ](?:n\.?[ºo°]?[ ]?)?[0-9]{1,4}[a-zA-Z]?(?-u:\b)";
    let de_sep = r"\p{Lu}[\p{Ll}]{2,24}[ ](?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse)[ ][0-9]{1,4}[a-z]?(?-u:\b)";
    compile_many(&[&format!("{en}|{en_lower}|{fr}|{de}|{de_sep}|{es}")])
});

/// A bound on the byte length of any match of [`ADDRESS`] (the longest
/// forms, the French and Spanish ones with four 25-letter words of up to 4
/// bytes a letter, stay under 460).
const REACH: usize = 512;

/// Street words that end right before the house number in the German,
/// Dutch and Nordic forms (glued: `Hauptstraße 5`; separate: `Berliner
/// Straße 12a`).
const NUMBER_AFTER: &[&str] = &[
    "straße", "strasse", "str.", "weg", "platz", "allee", "gasse", "damm", "ring", "ufer",
    "straat", "laan", "gracht", "plein", "kade", "singel", "dijk", "steeg", "vej", "gade", "gatan",
    "vägen", "veien", "gata", "Straße", "Strasse", "Str.", "Weg", "Platz", "Allee", "Gasse",
];

/// How far before its house number such a match can start: two words of
/// up to 25 letters (4 bytes each), a separator, the suffix and the space.
const NUMBER_AFTER_BACK: usize = 216;

/// The street types that start the Spanish, Italian and Portuguese form,
/// as the pattern writes them (case-sensitive). Leftmost-first: the search
/// that gets a SIMD prefilter.
static LEADING_TYPE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::DFA))
        .build([
            "Calle",
            "C/",
            "Avenida",
            "Avda",
            "Av.",
            "Plaza",
            "Paseo",
            "Camino",
            "Carrera",
            "Ronda",
            "Travesía",
            "Via",
            "Viale",
            "Piazza",
            "Corso",
            "Largo",
            "Vicolo",
            "Rua",
            "Praça",
            "Travessa",
            "Carrer",
            "Passeig",
            "Avinguda",
            "Plaça",
            "ul.",
        ])
        .unwrap_or_else(|e| panic!("built-in street types failed to compile: {e}"))
});

/// The longest of [`LEADING_TYPE`]'s words, in bytes: a type the search
/// steps over overlaps a reported one, so starts at most this far after it.
const LEADING_TYPE_LEN: usize = 9;

/// Street types the French form accepts after the number, and the `bis` /
/// `ter` that may come first.
const FRENCH_TYPES: &[&str] = &[
    "rue",
    "avenue",
    "boulevard",
    "bd",
    "place",
    "chemin",
    "allée",
    "impasse",
    "quai",
    "cours",
    "bis",
    "ter",
];

/// Suffixes of the lower-case English form (`12 main st`).
const LOWER_SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "blvd",
    "boulevard",
];

/// The word at `i` (ASCII letters) and where it ends; `None` when a
/// non-ASCII byte is in it (case-insensitive words also match non-ASCII
/// look-alikes such as `ſ` for `s`, so such a word is not ruled out here).
fn word_at(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let rest = b.get(i..).unwrap_or_default();
    let end = i + rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if b.get(end).is_some_and(|c| !c.is_ascii()) {
        return None;
    }
    Some((&b[i..end], end))
}

/// Whether `word` is one of `list`, ignoring ASCII case.
fn is_one_of(word: &[u8], list: &[&str]) -> bool {
    list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(word))
}

/// Whether a match of the English or French forms may start at the digit
/// run at `i` (a necessary test: `false` only where none can). After the
/// number (and an optional `-14`): a space, then a capital or an ordinal
/// (`742 Evergreen`, `300 5th Avenue`), a French street type (`12 rue`,
/// `12 bis`), or one or two lower-case words before an English suffix (`12
/// main st`). A letter may follow the number (`221B`), as may `bis` or
/// `ter` (`12bis`) or, in the French form, a comma (`12, rue`).
fn may_lead(b: &[u8], i: usize) -> bool {
    let digits_at = |k: usize| {
        b[k.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let digits = digits_at(i);
    if digits > 6 {
        return false;
    }
    let mut k = i + digits;
    if b[k.min(b.len())..].starts_with(b"bis") || b[k.min(b.len())..].starts_with(b"ter") {
        return true;
    }
    if b.get(k).is_some_and(u8::is_ascii_alphabetic) {
        k += 1;
    }
    match b.get(k) {
        // `12, rue`: only the French form has a comma here
        Some(b',') => {
            return b.get(k + 1) == Some(&b' ')
                && word_at(b, k + 2).is_none_or(|(w, _)| is_one_of(w, FRENCH_TYPES));
        }
        Some(b'-') => {
            let n = digits_at(k + 1);
            if !(1..=4).contains(&n) {
                return false;
            }
            k += 1 + n;
        }
        _ => {}
    }
    if b.get(k) != Some(&b' ') {
        return false;
    }
    k += 1;
    if b.get(k) == Some(&b' ') {
        k += 1;
    }
    match b.get(k) {
        Some(c) if c.is_ascii_uppercase() => true,
        Some(c) if c.is_ascii_digit() => {
            // `[0-9]{1,3}(?:st|nd|rd|th)`
            let n = digits_at(k);
            let ordinal = b.get(k + n..k + n + 2);
            n <= 3 && matches!(ordinal, Some(b"st" | b"nd" | b"rd" | b"th"))
        }
        Some(c) if c.is_ascii_lowercase() || !c.is_ascii() => {
            let Some((w1, e1)) = word_at(b, k) else {
                return true;
            };
            if is_one_of(w1, FRENCH_TYPES) || is_one_of(w1, LOWER_SUFFIXES) {
                return true;
            }
            // `[a-z]{2,20}[ ]` once or twice, then the suffix
            let mut at = e1;
            for _ in 0..2 {
                if b.get(at) != Some(&b' ') {
                    return false;
                }
                let Some((w, e)) = word_at(b, at + 1) else {
                    return true;
                };
                if is_one_of(w, LOWER_SUFFIXES) {
                    return true;
                }
                at = e;
            }
            false
        }
        _ => false,
    }
}

/// [`NUMBER_AFTER`] by last byte, so a number after most words is ruled
/// out with one lookup.
static NUMBER_AFTER_BY_LAST: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    let mut by_last = vec![Vec::new(); 256];
    for w in NUMBER_AFTER {
        if let Some(&last) = w.as_bytes().last() {
            by_last[usize::from(last)].push(*w);
        }
    }
    by_last
});

/// Whether the number at `i` follows a street word and one space
/// (`Hauptstraße 5`).
fn follows_street_word(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    if i < 2 || b[i - 1] != b' ' {
        return false;
    }
    let before = &b[..i - 1];
    NUMBER_AFTER_BY_LAST[usize::from(b[i - 2])]
        .iter()
        .any(|w| before.ends_with(w.as_bytes()))
}

/// Where matches can start, as `[lo, hi]` spans ascending by `lo`: each
/// house number that [`may_lead`], a window before each number that
/// [`follows_street_word`], and each leading street type.
fn spans(text: &str, digit_runs: &[usize]) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for &i in digit_runs {
        if follows_street_word(text, i) {
            spans.push((i.saturating_sub(NUMBER_AFTER_BACK), i - 1));
        }
        if may_lead(b, i) {
            spans.push((i, i));
        }
    }
    let types = LEADING_TYPE
        .find_iter(text)
        .map(|m| (m.start(), m.start() + LEADING_TYPE_LEN));
    spans.extend(types);
    spans.sort_unstable();
    spans
}

fn verdict(text: &str, m: Match) -> Verdict {
    let s = &text[m.range()];
    // a trailing "Dr." before a capitalised word is a title, not a suffix
    let trimmed = s.trim_end_matches(['.', ' ', ',']);
    let end = m.start() + trimmed.len();
    Verdict::Accept(
        m.start() - unit_before(&text[..m.start()]),
        end + tail_after(&text[end..]),
    )
}

/// A city (`Bristol`, `Zürich`, `Saint-Étienne`).
const CITY: &str = r"\p{Lu}[\p{L}'\-]{1,40}";

/// What may follow a street beyond [`ADDRESS`]'s own `City, ST 12345`
/// tail: a city and a postcode that comes after it (UK, US without
/// commas, Canada, Australia, Ireland), or a postcode and the city after
/// it (most of Europe: `10115 Berlin`, `3511 AM Utrecht`, `1000-001
/// Lisboa`, `CH-8001 Zürich`, `111 22 Stockholm`). Anchored; the street
/// is incomplete without it, and city and postcode together locate a home.
static TAIL_AFTER: LazyLock<regex::Regex> = LazyLock::new(|| {
    let city_first = format!(
        r"(?:{CITY}(?:[ ]{CITY}){{0,2}},[ ])?{CITY}(?:[ ]{CITY}){{0,2}}(?:[ ][0-9]{{1,2}})?,?[ ]{{1,2}}(?:{uk}|{us}|{ca}|{au}|{eir})",
        uk = r"[A-Z]{1,2}[0-9][0-9A-Z]?[ ][0-9][A-Z]{2}",
        us = r"[A-Z]{2}[ ]{1,2}[0-9]{5}(?:-[0-9]{4})?",
        ca = r"(?:[A-Z]{2}[ ]{1,2})?[A-Z][0-9][A-Z][ ][0-9][A-Z][0-9]",
        au = r"(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT)[ ]{1,2}[0-9]{4}",
        eir = r"[A-Z][0-9][0-9W][ ][0-9A-Z]{4}",
    );
    let postcode_first = format!(
        r"(?:[A-Z]{{1,2}}-)?(?:[0-9]{{4,5}}(?:[ ]?[A-Z]{{2}})?|[0-9]{{4}}-[0-9]{{3}}|[0-9]{{2}}-[0-9]{{3}}|[0-9]{{3}}[ ][0-9]{{2}})[ ]{{1,2}}{CITY}(?:[ \-]{CITY}){{0,2}}"
    );
    // a door or floor may come first (`45/3`, `48, 3º B`), and a line
    // break after a comma
    let door = r"(?:/[0-9]{1,4}[a-zA-Z]?)?(?:,?[ ]{1,2}[0-9]{1,2}[ºª°]?(?:[ ]?[A-Z])?)?";
    super::compile(&format!(
        r"^{door}(?:,?[ ]{{1,2}}|,[ ]?\r?\n[ ]{{0,8}})(?:{city_first}|{postcode_first})(?:[^\p{{L}}\p{{N}}]|$)"
    ))
});

/// A unit written before the street (`Apt 5C, 12 Main St`, `Flat 2, 3
/// Kings Road`). Anchored at the end of the text before the street.
static UNIT_BEFORE: LazyLock<regex::Regex> = LazyLock::new(|| {
    super::compile(
        r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Fl|Floor|Rm|Room)\.?[ ]?#?(?:[0-9][0-9A-Za-z\-]{0,5}|[A-Za-z](?:[0-9][0-9A-Za-z\-]{0,4})?),?[ ]{1,2}$",
    )
});

/// A post-office box (`PO Box 4471`, `P.O. Box 12`, `Postfach 10 20 30`,
/// `Apartado de Correos 55`), then a city with its postcode as after a
/// street ([`TAIL_AFTER`]).
static PO_BOX: LazyLock<regex::Regex> = LazyLock::new(|| {
    super::compile(
        r"(?-u:\b)(?:P\.?[ ]?O\.?[ ]?Box|PO[ ]BOX|Postfach|Postbus|Apartado(?:[ ]de[ ][Cc]orreos)?|Casella[ ][Pp]ostale|Bo[îi]te[ ]postale)[ ](?:[0-9]{1,3}[ ]){0,2}[0-9]{1,6}(?-u:\b)",
    )
});

/// How many bytes of `after` (the text right after a street) extend it by
/// [`TAIL_AFTER`]: a city with its postcode.
fn tail_after(after: &str) -> usize {
    let Some(m) = TAIL_AFTER.find(after) else {
        return 0;
    };
    if is_year_then_prose(m.as_str(), &after[m.end()..]) {
        return 0;
    }
    // the pattern ends with one char of context: not part of the tail
    let tail = m.as_str();
    match tail.chars().next_back() {
        Some(c) if !c.is_alphanumeric() => tail.len() - c.len_utf8(),
        _ => tail.len(),
    }
}

/// A tail that is a year and a capitalised word before prose (`12 Main
/// St, 2024 Annual report`), not a postcode and city.
fn is_year_then_prose(tail: &str, rest: &str) -> bool {
    let digits = tail.trim_start_matches([',', ' ']);
    let year = digits.len() > 5
        && digits.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && digits.as_bytes()[4] == b' '
        && matches!(&digits[..2], "19" | "20");
    // the tail ends with its char of context: here the space before `rest`
    year && tail.ends_with(' ') && rest.starts_with(char::is_lowercase)
}

/// How many bytes right before a street are a unit ([`UNIT_BEFORE`]).
fn unit_before(before: &str) -> usize {
    let window = &before[crate::text::floor_boundary(before, before.len().saturating_sub(32))..];
    // anchored at the end: the search runs backwards from there and stops
    // at once before most streets; the unit must start a word
    match UNIT_BEFORE.find(window) {
        Some(m) if !window[..m.start()].ends_with(char::is_alphanumeric) => m.len(),
        _ => 0,
    }
}

/// Builds this module's patterns now (see [`crate::prepare`]).
pub(crate) fn prepare() {
    LazyLock::force(&ADDRESS);
    LazyLock::force(&LEADING_TYPE);
    LazyLock::force(&NUMBER_AFTER_BY_LAST);
    LazyLock::force(&TAIL_AFTER);
    LazyLock::force(&UNIT_BEFORE);
    LazyLock::force(&PO_BOX);
}

/// Finds street addresses; `starts` are the text's [`Starts`].
pub(crate) fn detect_at(
    text: &str,
    starts: &Starts,
    kinds: &crate::KindSet,
    out: &mut Vec<Candidate>,
) {
    if !kinds.contains(PiiKind::Address) || starts.digit_runs.is_empty() {
        return;
    }
    let mut near = Near::spans(spans(text, &starts.digit_runs), REACH);
    let find = |pos| {
        near.find_by(text, pos, |hay, from, point| {
            let anchored = if point { Anchored::Yes } else { Anchored::No };
            let input = Input::new(hay).range(from..).anchored(anchored);
            ADDRESS.search(&input).map(|m| (m.start(), m))
        })
    };
    scan_with(text, 0, PiiKind::Address, out, find, |m| verdict(text, m));
    po_boxes(text, &starts.digit_runs, out);
}

/// How far before its number a [`PO_BOX`] match starts, at most
/// (`Apartado de Correos ` and the `P.O.` spellings are shorter).
const PO_BOX_BACK: usize = 24;

/// The words right before a post-office box number, as [`PO_BOX`] writes
/// them, with the space after them (`Box 12`, `Postfach 10 20 30`).
const PO_BOX_WORDS: &[&str] = &[
    "Box ",
    "BOX ",
    "Postfach ",
    "Postbus ",
    "Apartado ",
    "orreos ",
    "ostale ",
];

/// Finds post-office boxes ([`PO_BOX`]), trying only at digit runs right
/// after one of [`PO_BOX_WORDS`] (every match has its first number there).
fn po_boxes(text: &str, digit_runs: &[usize], out: &mut Vec<Candidate>) {
    let b = text.as_bytes();
    let mut pos = 0;
    for &i in digit_runs {
        // one byte test rules out nearly every number
        if i < 2
            || i < pos
            || b[i - 1] != b' '
            || !matches!(b[i - 2], b'x' | b'X' | b'h' | b'o' | b's' | b'e')
        {
            continue;
        }
        if !PO_BOX_WORDS.iter().any(|w| b[..i].ends_with(w.as_bytes())) {
            continue;
        }
        // a match has at most 14 bytes from its first number on, so this
        // window holds it and the char after it, and bounds the search
        let from = crate::text::floor_boundary(text, i.saturating_sub(PO_BOX_BACK));
        let hay = &text[..crate::text::floor_boundary(text, (i + 24).min(text.len()))];
        let Some(m) = PO_BOX.find_at(hay, from.max(pos)).filter(|m| m.start() < i) else {
            continue;
        };
        let end = m.end() + tail_after(&text[m.end()..]);
        out.push(Candidate::new(
            m.start(),
            end,
            PiiKind::Address,
            super::Source::Pattern,
        ));
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
        detect_at(text, &Starts::of(text), kinds, out);
    }

    /// The pattern over the whole text, tried everywhere.
    fn everywhere(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
        if kinds.contains(PiiKind::Address) {
            let find = |pos| {
                let input = Input::new(text).range(pos..);
                ADDRESS.search(&input).map(|m| (m.start(), m))
            };
            scan_with(text, 0, PiiKind::Address, out, find, |m| verdict(text, m));
            crate::detect::scan(&PO_BOX, text, PiiKind::Address, out, |m| {
                Verdict::Accept(m.start(), m.end() + tail_after(&text[m.end()..]))
            });
        }
    }

    fn found(text: &str) -> Vec<String> {
        crate::detect::test_support::found(text, detect)
    }

    /// Random splices of house numbers, street words and types, and what
    /// stands near them in prose.
    fn street_texts() -> Vec<String> {
        const PARTS: &[&str] = &[
            "12",
            "742",
            "221B",
            "12-14",
            "1234567",
            "42nd",
            "5th ",
            "Avenue",
            "3pm",
            " ",
            "  ",
            ", ",
            ". ",
            "\n",
            "Evergreen ",
            "Terrace",
            "Baker ",
            "Street",
            "St",
            "st",
            "main ",
            "oak ",
            "road",
            "ſt",
            "rue ",
            "Rue ",
            "bis ",
            "de ",
            "Rivoli",
            "Hauptstraße ",
            "Berliner ",
            "Straße ",
            "Keizersgracht ",
            "during ",
            "Calle ",
            "Mayor ",
            "Via ",
            "Garibaldi ",
            "Avenida ",
            "n.º ",
            "Apt ",
            "5B",
            "Springfield",
            "IL ",
            "62704",
            "PO Box ",
            "P.O. Box ",
            "Box",
            "Postfach ",
            "Apartado de Correos ",
            "10 20 30",
            "Tulsa, OK 74101",
            "walked ",
            "miles ",
            "down ",
            "the ",
            "É",
            "é",
            "x",
        ];
        crate::detect::test_support::splices(PARTS, 0xADD2_E55E, 400, 30)
    }

    #[test]
    fn spans_find_what_a_full_scan_finds() {
        let kept =
            crate::detect::test_support::assert_same_finds(detect, everywhere, street_texts());
        assert!(kept > 300, "only {kept} addresses in the test texts");
    }

    #[test]
    fn reach_bounds_every_match() {
        let w = "Ẃ".to_string() + &"ŵ".repeat(24);
        for t in [
            format!("123456B-1234  N.  Aaaaaaaaaaaaaaaaaaaaaaaaa.  Bbbbbbbbbbbbbbbbbbbbbbbbb.  Ccccccccccccccccccccccccc  Boulevard. NE,  Apartment. #5B-123,  {c} {c} {c},  IL  62704-1234", c = "C".to_string() + &"c".repeat(40)),
            format!("1234 ter, rue de la {w} {w} {w} {w}"),
            format!("Travesía de la {w} de {w} de {w} de {w}, n.º 1234a"),
            format!("{w}-{w}straße 1234a"),
        ] {
            let m = ADDRESS.find(t.as_str()).map_or(0, |m| m.len());
            assert_eq!(m, t.len(), "{t:?} is one address");
            assert!(m <= REACH, "{t:?}: {m} bytes");
        }
    }

    #[test]
    fn addresses() {
        for a in [
            "742 Evergreen Terrace",
            "221B Baker Street",
            "1600 Pennsylvania Avenue NW",
            "10 Downing St",
            "55 West 42nd St, Apt 5B",
            "1234 Elm Street, Springfield, IL 62704",
            "12 main st",
            "12 rue de Rivoli",
            "Hauptstraße 5",
            "Berliner Straße 12a",
            "8 Oak Lane, Suite 210",
            "3 Kings Road, London, SW3 4UT",
            "Calle Mayor 15",
            "Via Garibaldi 42",
            "Avenida de la Constitución 5",
            "Keizersgracht 123",
            "350 5th Avenue",
            "14 Harbour Road, Bristol BS1 5TY",
            "Oudegracht 12, 3511 AM Utrecht",
            "Hauptstraße 5, 10115 Berlin",
            "12 rue de Rivoli, 75001 Paris",
            "Rua Augusta 27, 1100-048 Lisboa",
            "Bahnhofstrasse 1, CH-8001 Zürich",
            "1234 Elm Street, Springfield IL 62704",
            "100 Queen Street, Toronto ON M5H 2N2",
            "12 George Street, Sydney NSW 2000",
            "5 Merrion Square, Dublin D02 X285",
            "Apt 5C, 210 West 14th Street",
            "Flat 2, 3 Kings Road",
            "PO Box 4471, Tulsa, OK 74101",
            "P.O. Box 12",
            "Postfach 10 20 30, 80333 München",
            "22 Merrion Square, Dublin 2, D02 X285",
            "Calle de Alcalá 48, 3º B, 28014 Madrid",
            "Mariahilfer Straße 45/3, 1060 Wien",
            "8 avenue Jean Jaurès,\n69007 Lyon",
            "31 Glenview Road, Ranelagh, Dublin 6, D06 F2X4",
            "Carrer de Mallorca 401, 08013 Barcelona",
            "ul. Marszałkowska 84/92, 00-514 Warszawa",
            "Postbus 8123, 3503 RC Utrecht",
        ] {
            let t = format!("Send it to {a}. Thanks");
            assert_eq!(found(&t), vec![a.to_string()], "{a}");
        }
    }

    #[test]
    fn not_addresses() {
        for t in [
            "I walked 5 miles down the road today.",
            "We have 3 big dogs and 2 cats.",
            "Chapter 7 Covers Everything",
            "Room 101 on floor 3",
            "Phone screen with Rachel on 12 Feb. Strong SQL skills.",
        ] {
            assert!(found(t).is_empty(), "{t}: {:?}", found(t));
        }
    }

    /// Only a city with a postcode extends a street: not a city alone, a
    /// number alone, or a word glued to the postcode.
    #[test]
    fn tails_need_a_postcode() {
        for (t, a) in [
            ("at 12 Main St, Springfield today", "12 Main St"),
            ("at 12 Main St, 3 boxes", "12 Main St"),
            ("at 14 Harbour Road, Bristol BS1 5TYX", "14 Harbour Road"),
            (
                "at 14 Harbour Road, Bristol BS1 5TY.",
                "14 Harbour Road, Bristol BS1 5TY",
            ),
            ("Unit 4 of 12 Main St", "12 Main St"),
            ("Unit 4, 12 Main St", "Unit 4, 12 Main St"),
            ("Room to 12 Main St", "12 Main St"),
            ("12 Main St, 2024 Annual report", "12 Main St"),
            ("12 Main St, 2024 Annual—report", "12 Main St, 2024 Annual"),
            ("Suite B, 12 Main St", "Suite B, 12 Main St"),
        ] {
            assert_eq!(found(t), vec![a.to_string()], "in {t:?}");
        }
    }
}
