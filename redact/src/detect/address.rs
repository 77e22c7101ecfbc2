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
    let es = r"(?-u:\b)(?:Calle|C/|Avenida|Avda\.?|Av\.|Plaza|Paseo|Camino|Carrera|Ronda|Travesía|Via|Viale|Piazza|Corso|Largo|Vicolo|Rua|Avenida|Praça|Travessa)[ ](?:(?:de|del|de la|dei|della|delle|do|da|dos|das)[ ])?\p{Lu}[\p{L}\-']{1,24}(?:[ ](?:(?:de|del|la|di|dei|da|do)[ ])?\p{Lu}[\p{L}\-']{1,24}){0,3},?[ ](?:n\.?[ºo°]?[ ]?)?[0-9]{1,4}[a-zA-Z]?(?-u:\b)";
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
    Verdict::Accept(m.start(), m.start() + trimmed.len())
}

/// Builds this module's patterns now (see [`crate::prepare`]).
pub(crate) fn prepare() {
    LazyLock::force(&ADDRESS);
    LazyLock::force(&LEADING_TYPE);
    LazyLock::force(&NUMBER_AFTER_BY_LAST);
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
}
