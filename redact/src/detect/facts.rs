//! What the person heuristics need to know about one word, worked out
//! once per distinct spelling in a text.
//!
//! The heuristics look at every capitalised word and at its neighbours:
//! its case [`Style`], and whether its lowercase form is a given name, a
//! stopword, a title, a cue… — a lowercase copy and up to a dozen set
//! lookups. Names and sentence openers recur (in PII-dense text most
//! capitalised words are the same few names), so [`FactCache`] keeps the
//! answers per spelling and a repeat costs one hash probe. Every answer
//! depends on the word alone, so caching changes no result.

use crate::names::{is_given_name, lists_of};
use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `Alice`, `McDonald`
    Title,
    /// `ALICE`
    Upper,
    /// `A` (an initial)
    Initial,
    /// `alice`
    Lower,
    /// anything else (`iPhone`, scripts without case)
    Other,
}

/// The case shape of a word.
pub(crate) fn style(w: &str) -> Style {
    if w.is_ascii() {
        return ascii_style(w.as_bytes());
    }
    if w.chars().any(|c| c.is_numeric()) {
        return Style::Other;
    }
    let mut chars = w.chars();
    let Some(first) = chars.next() else {
        return Style::Other;
    };
    if first.is_uppercase() {
        let mut letters = false;
        let mut lower = false;
        for c in chars.filter(|c| c.is_alphabetic()) {
            letters = true;
            lower |= c.is_lowercase();
        }
        match (letters, lower) {
            (false, _) => Style::Initial,
            (true, false) => Style::Upper,
            (true, true) => Style::Title,
        }
    } else if first.is_lowercase() && w.chars().all(|c| !c.is_uppercase()) {
        Style::Lower
    } else {
        Style::Other
    }
}

fn ascii_style(b: &[u8]) -> Style {
    let (mut upper, mut lower, mut digit) = (0usize, 0usize, false);
    for &c in b {
        upper += usize::from(c.is_ascii_uppercase());
        lower += usize::from(c.is_ascii_lowercase());
        digit |= c.is_ascii_digit();
    }
    match b.first() {
        _ if digit => Style::Other,
        Some(f) if f.is_ascii_uppercase() => match (upper + lower, lower) {
            (1, _) => Style::Initial,
            (_, 0) => Style::Upper,
            _ => Style::Title,
        },
        Some(f) if f.is_ascii_lowercase() && upper == 0 => Style::Lower,
        _ => Style::Other,
    }
}

/// `Title` or `Upper`: a word that can be (part of) a name.
pub(crate) fn capitalised(s: Style) -> bool {
    matches!(s, Style::Title | Style::Upper)
}

/// Facts about a word's lowercase form, one bit each: the word lists it is
/// in (see [`crate::names::list`]).
pub(crate) use crate::names::list as fact;

/// What is known about one spelling of a word.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    pub style: Style,
    flags: u32,
}

impl Facts {
    pub(crate) fn of(w: &str) -> Self {
        // short ASCII words (nearly all) are lowercased on the stack
        let mut buf = [0u8; 32];
        let heap;
        let lower = match buf.get_mut(..w.len()) {
            Some(b) if w.is_ascii() => {
                b.copy_from_slice(w.as_bytes());
                b.make_ascii_lowercase();
                std::str::from_utf8(b).unwrap_or_default()
            }
            _ => {
                heap = w.to_lowercase();
                heap.as_str()
            }
        };
        let hyphen_given = if hyphenated_given(w, lower) {
            fact::HYPHEN_GIVEN
        } else {
            0
        };
        let mut flags = lists_of(lower) | hyphen_given;
        if flags & fact::GIVEN == 0 && !lower.is_ascii() {
            // `Kristín`, `Zoë` written with accents the gazetteer has not;
            // a weaker match (`León`, `Niña` are words too): it needs a
            // surname or a cue
            if lists_of(&strip_accents(lower)) & fact::GIVEN != 0 {
                flags |= fact::GIVEN | fact::AMBIGUOUS;
            }
        }
        Facts {
            style: style(w),
            flags,
        }
    }

    /// Whether the word's lowercase form has the fact `bit` (see [`fact`]).
    pub(crate) fn is(&self, bit: u32) -> bool {
        self.flags & bit != 0
    }
}

/// `lower` with the accents of Latin letters dropped (`kristín` →
/// `kristin`): a second chance for a given name written with accents
/// that the gazetteer spells without.
fn strip_accents(lower: &str) -> String {
    lower
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'ď' | 'đ' | 'ð' => 'd',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
            'ł' | 'ľ' | 'ĺ' => 'l',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
            'ř' | 'ŕ' => 'r',
            'ś' | 'š' | 'ş' | 'ș' => 's',
            'ť' | 'ţ' | 'ț' => 't',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
            'ý' | 'ÿ' => 'y',
            'ź' | 'ż' | 'ž' => 'z',
            c => c,
        })
        .collect()
}

/// Whether `word` (lowercase: `lower`) is a given name, hyphen, capital
/// (`Jean-Luc`, `Anne-Marie`, or two given names: `Jean-marc`): not
/// `Will-call`, and not two words that are also common words (`May-June`).
fn hyphenated_given(word: &str, lower: &str) -> bool {
    let capital_after = word
        .split_once('-')
        .is_some_and(|(_, b)| b.starts_with(char::is_uppercase));
    let plain = |w: &str| lists_of(w) & fact::AMBIGUOUS == 0;
    lower.split_once('-').is_some_and(|(a, b)| {
        is_given_name(a) && (plain(a) || plain(b)) && (capital_after || is_given_name(b))
    })
}

/// [`Facts`] per spelling, filled on first use, for one text.
///
/// The keys come from the caller's text, so the map hashes with a
/// per-instance random seed (foldhash): a text crafted to collide cannot
/// turn the lookups quadratic, as it could with a fixed hash.
#[derive(Default)]
pub(crate) struct FactCache<'t> {
    map: RefCell<HashMap<&'t str, Facts, foldhash::fast::RandomState>>,
}

impl<'t> FactCache<'t> {
    pub(crate) fn get(&self, w: &'t str) -> Facts {
        if let Some(f) = self.map.borrow().get(w) {
            return *f;
        }
        let f = Facts::of(w);
        self.map.borrow_mut().insert(w, f);
        f
    }
}
