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

use crate::names::{
    is_ambiguous, is_given_name, is_header_cue, is_opener, is_particle, is_phrase_cue, is_signoff,
    is_stopword, is_title,
};
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

/// Facts about a word's lowercase form, one bit each.
pub(crate) mod fact {
    pub(crate) const GIVEN: u32 = 1;
    pub(crate) const AMBIGUOUS: u32 = 1 << 1;
    pub(crate) const STOPWORD: u32 = 1 << 2;
    pub(crate) const TITLE: u32 = 1 << 3;
    pub(crate) const OPENER: u32 = 1 << 4;
    pub(crate) const SIGNOFF: u32 = 1 << 5;
    pub(crate) const HEADER: u32 = 1 << 6;
    pub(crate) const PHRASE: u32 = 1 << 7;
    pub(crate) const PARTICLE: u32 = 1 << 8;
    /// `Jean-Luc`: a given name before a hyphen.
    pub(crate) const HYPHEN_GIVEN: u32 = 1 << 9;
    // the words the multi-word cues look for
    pub(crate) const YOU: u32 = 1 << 10;
    pub(crate) const THANK: u32 = 1 << 11;
    pub(crate) const AS: u32 = 1 << 12;
    pub(crate) const KNOWN: u32 = 1 << 13;
    pub(crate) const IS: u32 = 1 << 14;
    pub(crate) const NAME: u32 = 1 << 15;
    pub(crate) const ME: u32 = 1 << 16;
    pub(crate) const CALL: u32 = 1 << 17;
}

/// What is known about one spelling of a word.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    pub style: Style,
    flags: u32,
}

impl Facts {
    fn of(w: &str) -> Self {
        let lw = w.to_lowercase();
        let lw = lw.as_str();
        let checks: [(bool, u32); 18] = [
            (is_given_name(lw), fact::GIVEN),
            (is_ambiguous(lw), fact::AMBIGUOUS),
            (is_stopword(lw), fact::STOPWORD),
            (is_title(lw), fact::TITLE),
            (is_opener(lw), fact::OPENER),
            (is_signoff(lw), fact::SIGNOFF),
            (is_header_cue(lw), fact::HEADER),
            (is_phrase_cue(lw), fact::PHRASE),
            (is_particle(lw), fact::PARTICLE),
            (hyphenated_given(lw), fact::HYPHEN_GIVEN),
            (lw == "you", fact::YOU),
            (lw == "thank", fact::THANK),
            (lw == "as", fact::AS),
            (lw == "known", fact::KNOWN),
            (lw == "is", fact::IS),
            (lw == "name", fact::NAME),
            (lw == "me", fact::ME),
            (lw == "call", fact::CALL),
        ];
        let flags = checks
            .iter()
            .filter(|(yes, _)| *yes)
            .fold(0, |acc, (_, bit)| acc | bit);
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

/// Whether the part before a hyphen is a given name (`Jean-Luc`).
fn hyphenated_given(lower: &str) -> bool {
    lower
        .split_once('-')
        .is_some_and(|(a, b)| !b.is_empty() && is_given_name(a))
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
