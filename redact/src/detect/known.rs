//! Name lists matched in one pass over the words of the case-folded text:
//! the caller's known people and organisations (built once per
//! [`crate::Scrubber`]) and names learned in the session (built per call).
//!
//! Patterns for a person are the full name, its first and last word, the
//! surname that starts at its particles (`de la cruz`) and any aliases; for an organisation the name, aliases, the name without its
//! legal-form suffix and, when the rest is generic, its first word
//! (`Tessellate` for `Tessellate Systems Inc.`). Multi-word patterns match in any case (`ALICE SMITH`);
//! single-word patterns only when the text capitalises them (`Smith`,
//! `SMITH`, not `smith`), so a surname that is also a word (`Baker`, `Young`)
//! does not swallow prose. Matches must be whole words (scripts without
//! spaces excepted). Overlapping matches are all reported; resolution picks
//! the longest.
//!
//! A whole-word match of a pattern that begins with a word character starts
//! where a run of word characters starts, and that run is the pattern's
//! first word; so the search looks each word of the text up once in a hash
//! table of first words. The patterns of a first word sit together in a
//! sorted list, where those sharing any longer prefix sit together too: the
//! text's next bytes narrow that run (two binary searches per byte) until
//! at most one pattern is left to compare, so a word costs the same whether
//! ten or ten thousand names start with it. That is one hash per word instead of an automaton
//! stepping through every byte, and building the table costs a sort, which
//! matters for the learned names: they are compiled again on every call.
//! The patterns a word start cannot find (those that begin with punctuation
//! or hold a character of a script written without spaces, where a match
//! needs no word boundary) and overlong ones are searched with
//! Aho-Corasick, as all patterns once were.

use super::{Candidate, Source};
use crate::error::RedactError;
use crate::names::{
    is_stopword, org_brand, org_short_name, particle_surname, starts_with_particle,
};
use crate::placeholder::PiiKind;
use crate::text::{fold_collapsed, is_unspaced_script, is_word_bounded, is_word_char, outer_words};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::ops::Range;

/// One pattern's meaning.
#[derive(Clone, Copy, Debug)]
struct PatInfo {
    kind: PiiKind,
    multi_word: bool,
    /// Starts with a surname particle (`de la cruz`): matches only with
    /// its last word capitalised.
    particle_first: bool,
    /// The caller entry this pattern belongs to; `None` when several
    /// entries share it (an ambiguous first name) or it was learned.
    owner: Option<u32>,
}

/// A pattern found by its first word.
#[derive(Clone, Debug)]
struct WordPattern {
    /// Folded, whitespace collapsed.
    text: String,
    info: PatInfo,
    /// Byte length of its first word.
    first_len: u32,
}

/// The patterns of one first word: `words[start..end]`.
#[derive(Clone, Copy, Debug)]
struct FirstWord {
    start: u32,
    end: u32,
    /// Byte length of the word.
    len: u32,
}

/// A compiled set of name patterns.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameMatcher {
    /// Sorted by first word, then bytes, then kind (see the module docs).
    words: Vec<WordPattern>,
    /// The runs of `words` by first word. Its keys come from the caller's
    /// text: the hasher has a per-instance random seed.
    by_first_word: HashTable<FirstWord>,
    hasher: RandomState,
    /// The [`Sketch`] of every first word: most words of a text are
    /// nobody's first word, and this rules them out before any hashing.
    sketch: Sketch,
    /// The patterns the table does not hold (see [`by_first_word`]), with
    /// their meanings.
    rest: Option<AhoCorasick>,
    rest_info: Vec<PatInfo>,
}

/// How many bytes of text per byte of automaton patterns make a DFA pay
/// for its build (see [`PatternSet::build_for`]).
const DFA_TEXT_PER_PATTERN_BYTE: usize = 128;

/// Collects patterns, merging duplicates.
#[derive(Clone, Default)]
pub(crate) struct PatternSet {
    map: hashbrown::HashMap<(PiiKind, String), PatInfo, RandomState>,
}

/// A borrowed key of [`PatternSet`]'s map, hashed as the owned one is
/// (a tuple hashes its fields in order; `&str` as `String`).
#[derive(Hash)]
struct PatternKey<'p>(PiiKind, &'p str);

impl hashbrown::Equivalent<(PiiKind, String)> for PatternKey<'_> {
    fn equivalent(&self, key: &(PiiKind, String)) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

impl PatternSet {
    /// Adds one folded, whitespace-collapsed pattern.
    fn add(&mut self, kind: PiiKind, folded: &str, owner: Option<u32>) {
        let letters = folded.chars().filter(|c| c.is_alphabetic()).count();
        if letters < 2 {
            return;
        }
        let multi_word = folded.contains(' ');
        if !multi_word && is_stopword(folded) {
            return;
        }
        // most parts recur (first names, surnames): look before allocating
        match self.map.get_mut(&PatternKey(kind, folded)) {
            Some(e) if e.owner != owner => e.owner = None,
            Some(_) => {}
            None => {
                let info = PatInfo {
                    kind,
                    multi_word,
                    particle_first: multi_word && starts_with_particle(folded),
                    owner,
                };
                self.map.insert((kind, folded.to_string()), info);
            }
        }
    }

    /// Adds a name with its parts (see the module docs).
    pub(crate) fn add_name(&mut self, kind: PiiKind, name: &str, owner: Option<u32>) {
        let f = fold_collapsed(name);
        if f.is_empty() {
            return;
        }
        self.add(kind, &f, owner);
        match kind {
            PiiKind::Person => {
                if let Some((first, last)) = outer_words(&f) {
                    self.add(kind, first, owner);
                    self.add(kind, last, owner);
                }
                if let Some(surname) = particle_surname(&f) {
                    self.add(kind, surname, owner);
                }
            }
            PiiKind::Org => {
                if let Some(short) = org_short_name(&f) {
                    self.add(kind, short, owner);
                    if let Some(brand) = org_brand(short) {
                        self.add(kind, brand, owner);
                    }
                }
            }
            _ => {}
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn build(self) -> Result<NameMatcher, RedactError> {
        self.build_with(true, |_| AhoCorasickKind::ContiguousNFA)
    }

    /// Like [`PatternSet::build`], for one search of `len` bytes: when the
    /// text is long against the patterns left to the automaton, that
    /// automaton is a DFA, which steps through the text faster than an NFA
    /// but costs more to build, in proportion to the patterns' bytes. Both
    /// report the same matches.
    pub(crate) fn build_for(self, len: usize) -> Result<NameMatcher, RedactError> {
        self.build_with(true, |automaton_bytes| {
            if len >= DFA_TEXT_PER_PATTERN_BYTE * automaton_bytes {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            }
        })
    }

    /// Builds the first-word table, and the automaton (of the kind
    /// `kind_for` picks for its patterns' total bytes) for the patterns the
    /// table does not hold; without `word_table`, the automaton for all
    /// patterns (the tests compare the two).
    fn build_with(
        self,
        word_table: bool,
        kind_for: impl FnOnce(usize) -> AhoCorasickKind,
    ) -> Result<NameMatcher, RedactError> {
        let mut m = NameMatcher::default();
        let mut rest: Vec<((PiiKind, String), PatInfo)> = Vec::new();
        let mut words = Vec::with_capacity(self.map.len());
        for ((pkind, text), info) in self.map {
            if !word_table || !by_first_word(&text) {
                rest.push(((pkind, text), info));
                continue;
            }
            // under MAX_TABLE_PATTERN bytes: the length fits
            let first_len = first_word_len(&text) as u32;
            words.push(WordPattern {
                text,
                info,
                first_len,
            });
        }
        m.index_words(words)?;
        if !rest.is_empty() {
            // a fixed pattern order: the same set always builds the same automaton
            rest.sort_by(|a, b| a.0.cmp(&b.0));
            let bytes = rest.iter().map(|((_, p), _)| p.len()).sum();
            let (pats, info): (Vec<String>, Vec<PatInfo>) =
                rest.into_iter().map(|((_, p), i)| (p, i)).unzip();
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(kind_for(bytes)))
                .build(&pats)
                .map_err(|e| RedactError::Matcher(e.to_string()))?;
            m.rest = Some(ac);
            m.rest_info = info;
        }
        Ok(m)
    }
}

/// Longest pattern, in bytes, the table holds: it bounds the steps taken at
/// each occurrence of a first word. Real names are shorter; longer ones go
/// to the automaton.
const MAX_TABLE_PATTERN: usize = 64;

/// Whether pattern `p` goes to the first-word table. A whole-word match of
/// folded `p` starts where a word of the text starts (see [`WordRuns`]) and
/// that word is `p`'s first word when `p` begins with a word character and
/// holds no character of a script written without spaces (next to which no
/// boundary is needed); and `p` is not too long (see [`MAX_TABLE_PATTERN`]).
fn by_first_word(p: &str) -> bool {
    p.len() <= MAX_TABLE_PATTERN
        && p.chars().next().is_some_and(is_word_char)
        && !p.chars().any(is_unspaced_script)
}

/// The first word of table pattern `w`.
fn first_of(w: &WordPattern) -> &[u8] {
    &w.text.as_bytes()[..w.first_len as usize]
}

/// Byte length of `p`'s first word: its leading word characters.
fn first_word_len(p: &str) -> usize {
    p.find(|c: char| !is_word_char(c)).unwrap_or(p.len())
}

impl NameMatcher {
    pub(crate) fn is_empty(&self) -> bool {
        self.by_first_word.is_empty() && self.rest.is_none()
    }

    /// The first word of the run `g`.
    fn first_word(&self, g: &FirstWord) -> &str {
        let p = self
            .words
            .get(g.start as usize)
            .map_or("", |w| w.text.as_str());
        p.get(..g.len as usize).unwrap_or(p)
    }

    /// Sorts `words` into runs by first word and indexes the runs.
    fn index_words(&mut self, mut words: Vec<WordPattern>) -> Result<(), RedactError> {
        u32::try_from(words.len())
            .map_err(|_| RedactError::Matcher("too many name patterns".into()))?;
        words.sort_unstable_by(|a, b| {
            (first_of(a), a.text.as_bytes(), a.info.kind).cmp(&(
                first_of(b),
                b.text.as_bytes(),
                b.info.kind,
            ))
        });
        let mut start = 0;
        while start < words.len() {
            let word = first_of(&words[start]);
            let end = start + words[start..].partition_point(|w| first_of(w) == word);
            self.sketch.insert(word);
            let hash = self
                .hasher
                .hash_one(std::str::from_utf8(word).unwrap_or_default());
            let run = FirstWord {
                start: start as u32,
                end: end as u32,
                len: word.len() as u32,
            };
            let (all, hasher) = (&words, &self.hasher);
            self.by_first_word.insert_unique(hash, run, |g| {
                let p = &all[g.start as usize].text;
                hasher.hash_one(p.get(..g.len as usize).unwrap_or(p))
            });
            start = end;
        }
        self.words = words;
        Ok(())
    }

    /// Calls `found` with the end and meaning of each pattern of run `g`
    /// that `hay` starts with. Every pattern of the run starts with `hay`'s
    /// first word; the run is narrowed a byte at a time to those that go on
    /// as `hay` does, until at most one is left: at most
    /// [`MAX_TABLE_PATTERN`] steps, each two binary searches.
    fn prefixes_of(&self, g: &FirstWord, hay: &[u8], mut found: impl FnMut(usize, PatInfo)) {
        let run = &self.words[g.start as usize..g.end as usize];
        let (mut lo, mut hi) = (0, run.len());
        let mut k = g.len as usize;
        // invariant: run[lo..hi] are the patterns that start with hay[..k]
        loop {
            // the ones equal to hay[..k] sort first
            while lo < hi && run[lo].text.len() == k {
                found(k, run[lo].info);
                lo += 1;
            }
            if hi - lo <= 1 {
                break;
            }
            let Some(&b) = hay.get(k) else { return };
            // every pattern left is longer than k
            let at = |w: &WordPattern| w.text.as_bytes()[k];
            let from = lo + run[lo..hi].partition_point(|w| at(w) < b);
            hi = from + run[from..hi].partition_point(|w| at(w) == b);
            lo = from;
            k += 1;
        }
        if let Some(w) = run.get(lo..hi).and_then(|r| r.first()) {
            let p = w.text.as_bytes();
            if hay.get(k..p.len()) == p.get(k..) {
                found(p.len(), w.info);
            }
        }
    }

    /// Finds all whole-word matches in `text` (`folded` is [`crate::text::fold`] of it).
    pub(crate) fn find(&self, text: &str, folded: &str, learned: bool, out: &mut Vec<Candidate>) {
        if !self.by_first_word.is_empty() {
            for run in WordRuns::new(folded) {
                let word = &folded[run.clone()];
                if !self.sketch.may_hold(word.as_bytes()) {
                    continue;
                }
                let hash = self.hasher.hash_one(word);
                let found = self.by_first_word.find(hash, |g| {
                    g.len as usize == word.len() && self.first_word(g) == word
                });
                let Some(g) = found else { continue };
                self.prefixes_of(g, &folded.as_bytes()[run.start..], |end, info| {
                    report(text, run.start, run.start + end, info, learned, out);
                });
            }
        }
        if let Some(ac) = &self.rest {
            for m in ac.find_overlapping_iter(folded) {
                let info = self.rest_info[m.pattern().as_usize()];
                report(text, m.start(), m.end(), info, learned, out);
            }
        }
    }
}

/// Adds a match of a pattern with `info` at `[s, e)` when it is a whole
/// word and, for a single word, capitalised.
fn report(text: &str, s: usize, e: usize, info: PatInfo, learned: bool, out: &mut Vec<Candidate>) {
    if !text.is_char_boundary(s) || !text.is_char_boundary(e) || !is_word_bounded(text, s, e) {
        return;
    }
    if !info.multi_word && text[s..].chars().next().is_some_and(char::is_lowercase) {
        return;
    }
    if info.particle_first {
        let last = text[s..e].rsplit(char::is_whitespace).next().unwrap_or("");
        if !last.starts_with(char::is_uppercase) {
            return;
        }
    }
    let source = match (learned, info.owner) {
        (true, _) => Source::Learned,
        (false, Some(o)) => Source::Known(o),
        (false, None) => Source::Learned,
    };
    out.push(Candidate::new(s, e, info.kind, source));
}

/// A 4096-bit set of words by their length and first and last bytes: a
/// word whose bit is clear is not in the set; one whose bit is set may be.
/// Testing a bit costs a few instructions, hashing a word a few dozen.
#[derive(Clone, Debug)]
struct Sketch(Box<[u64; 64]>);

impl Default for Sketch {
    fn default() -> Self {
        Sketch(Box::new([0; 64]))
    }
}

impl Sketch {
    /// The bit of a non-empty word.
    fn bit(w: &[u8]) -> usize {
        let (first, last) = (w[0] as u32, w[w.len() - 1] as u32);
        let key = (first << 16) | (last << 8) | (w.len() as u32 & 0xff);
        (key.wrapping_mul(0x9E37_79B1) >> 20) as usize
    }

    fn insert(&mut self, w: &[u8]) {
        if !w.is_empty() {
            let b = Self::bit(w);
            self.0[b / 64] |= 1 << (b % 64);
        }
    }

    fn may_hold(&self, w: &[u8]) -> bool {
        !w.is_empty() && {
            let b = Self::bit(w);
            self.0[b / 64] & (1 << (b % 64)) != 0
        }
    }
}

/// What a byte says about word runs: an ASCII word character (letter,
/// digit, `_`), another ASCII character, or part of a non-ASCII char, which
/// must be decoded to know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    Word,
    Gap,
    NonAscii,
}

const BYTE_CLASS: [ByteClass; 256] = {
    let mut t = [ByteClass::NonAscii; 256];
    let mut b = 0;
    while b < 0x80 {
        let word = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
        t[b] = if word {
            ByteClass::Word
        } else {
            ByteClass::Gap
        };
        b += 1;
    }
    t
};

/// The runs of word characters of a text, without the characters of
/// scripts written without spaces, which end a run. Every whole-word match
/// of a pattern [`by_first_word`] accepts starts at one of them.
struct WordRuns<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> WordRuns<'t> {
    fn new(text: &'t str) -> Self {
        WordRuns { text, pos: 0 }
    }

    /// Moves past the bytes of class `class` from the current position.
    fn skip(&mut self, class: ByteClass) {
        let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
        self.pos += rest
            .iter()
            .position(|&b| BYTE_CLASS[usize::from(b)] != class)
            .unwrap_or(rest.len());
    }

    /// At a non-ASCII char: whether it belongs in a run, and its length.
    fn non_ascii(&self) -> (bool, usize) {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => (is_word_char(c) && !is_unspaced_script(c), c.len_utf8()),
            None => (false, 1),
        }
    }
}

impl Iterator for WordRuns<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let b = self.text.as_bytes();
        // to the next char that can start a run
        let start = loop {
            self.skip(ByteClass::Gap);
            match BYTE_CLASS[usize::from(*b.get(self.pos)?)] {
                ByteClass::Word => break self.pos,
                _ => match self.non_ascii() {
                    (true, _) => break self.pos,
                    (false, len) => self.pos += len,
                },
            }
        };
        // through its end
        loop {
            self.skip(ByteClass::Word);
            match b.get(self.pos) {
                Some(&c) if BYTE_CLASS[usize::from(c)] == ByteClass::NonAscii => {
                    match self.non_ascii() {
                        (true, len) => self.pos += len,
                        (false, _) => break,
                    }
                }
                _ => break,
            }
        }
        Some(start..self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;

    fn find(m: &NameMatcher, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        m.find(text, &fold(text), false, &mut out);
        let out = crate::resolve::resolve(out);
        out.iter()
            .map(|c| text[c.start..c.end].to_string())
            .collect()
    }

    #[test]
    fn known_people_and_orgs() {
        let mut p = PatternSet::default();
        p.add_name(PiiKind::Person, "Alice Smith", Some(0));
        p.add_name(PiiKind::Org, "Globex Corporation", Some(1));
        p.add_name(PiiKind::Person, "Émile Zola", Some(2));
        let m = p.build().unwrap_or_default();
        assert_eq!(
            find(&m, "ALICE SMITH and Alice's boss Smith (not smith) at GLOBEX and Globex Corporation; ÉMILE"),
            vec!["ALICE SMITH", "Alice", "Smith", "GLOBEX", "Globex Corporation", "ÉMILE"]
        );
        assert!(find(&m, "Alicex Smithy").is_empty());
    }

    /// Names whose forms reach every path of the search: plain and
    /// accented words, apostrophes, hyphens, digits and `_` inside, legal
    /// forms with dots, one word that is another's prefix, and the ones left
    /// to the automaton (a leading apostrophe or bracket, Chinese and Thai
    /// letters).
    fn odd_names() -> PatternSet {
        let mut p = PatternSet::default();
        let people = [
            "Alice Smith",
            "Ali Smithers",
            "Émile Zola",
            "Jean-Luc Picard",
            "Seán O'Brien",
            "Gerard 't Hooft",
            "'t Hooft",
            "José Núñez",
            "Jose\u{301} Nun\u{303}ez",
            "Straße Weiß",
            "İlker Çağlar",
            "Anna_Maria Lopez",
            "R2 Unit",
            "王小明",
            "Smith王",
            "สมชาย ใจดี",
            "Mary  Ann   Lee",
            "Jan Berg",
            "Jan Bergman",
            "Jan Bergmann",
        ];
        for (i, n) in people.iter().enumerate() {
            p.add_name(PiiKind::Person, n, Some(i as u32));
        }
        // many people named John (a long run to narrow), and a name too
        // long for the table
        for i in 0..40 {
            p.add_name(PiiKind::Person, &format!("John Doe{i}"), Some(50 + i));
        }
        p.add_name(PiiKind::Org, &"Very Long Name ".repeat(5), Some(99));
        for (i, n) in [
            "Globex Corporation",
            "Acme Co.",
            "(Initech) Ltd",
            "3M Company",
            "Smith & Sons",
        ]
        .iter()
        .enumerate()
        {
            p.add_name(PiiKind::Org, n, Some(100 + i as u32));
        }
        p
    }

    /// Every match `m` reports in `text`, sorted.
    fn all_matches(
        m: &NameMatcher,
        text: &str,
        learned: bool,
    ) -> Vec<(usize, usize, PiiKind, Source)> {
        let mut out = Vec::new();
        m.find(text, &fold(text), learned, &mut out);
        let mut v: Vec<_> = out
            .iter()
            .map(|c| (c.start, c.end, c.kind, c.source))
            .collect();
        v.sort_by_key(|&(s, e, k, src)| (s, e, k, format!("{src:?}")));
        v
    }

    /// Texts for the search: the prefilter texts and random splices of the
    /// names' parts, their case variants and what can stand beside a name.
    fn name_texts() -> Vec<String> {
        const PARTS: &[&str] = &[
            "Alice",
            "alice",
            "ALICE",
            "Smith",
            "smith",
            "Smiths",
            "Smithers",
            "Ali",
            "Alice Smith",
            "alice  smith",
            "Alice\nSmith",
            "Émile",
            "ÉMILE",
            "Zola's",
            "Jean-Luc",
            "Jean",
            "Luc",
            "Picard",
            "O'Brien",
            "Seán",
            "SEÁN",
            "'t Hooft",
            "Hooft",
            "Gerard",
            "José",
            "JOSÉ",
            "Jose\u{301}",
            "Núñez",
            "Straße",
            "STRASSE",
            "Weiß",
            "İlker",
            "ilker",
            "Çağlar",
            "Anna_Maria",
            "Anna",
            "Lopez",
            "R2",
            "Unit",
            "王小明",
            "小明",
            "王",
            "先生",
            "สมชาย",
            "ใจดี",
            "John",
            "JOHN DOE3",
            "John Doe1",
            "John Doe12",
            "Doe12",
            "john doe",
            "Very Long Name",
            "Very Long Name Very Long Name Very Long Name Very Long Name Very Long Name",
            "Jan Bergmann",
            "Jan Bergman",
            "Jan Berg",
            "JAN BERGMANN",
            "Mary Ann Lee",
            "Mary",
            "Lee",
            "Globex",
            "GLOBEX corporation",
            "Acme",
            "Acme Co.",
            "Co",
            "(Initech)",
            "Initech",
            "3M",
            "3m",
            "Company",
            "Smith & Sons",
            "&",
            " ",
            " ",
            " ",
            "  ",
            "\n",
            ".",
            ",",
            "'",
            "’",
            "-",
            "_",
            "(",
            ")",
            "x",
            "7",
            "é",
            "\u{301}",
            "the",
        ];
        let mut texts = crate::detect::test_support::prefilter_texts();
        texts.extend(crate::detect::test_support::splices(
            PARTS,
            0x0A11_CE5E,
            600,
            24,
        ));
        texts
    }

    #[test]
    fn word_table_finds_what_an_automaton_finds() {
        let table = odd_names().build().unwrap_or_default();
        assert!(table.rest.is_some(), "no pattern left to the automaton");
        assert!(
            table.words.len() > 20,
            "{} word patterns",
            table.words.len()
        );
        let automaton = odd_names()
            .build_with(false, |_| AhoCorasickKind::ContiguousNFA)
            .unwrap_or_default();
        assert!(automaton.words.is_empty());
        let mut matches = 0;
        for text in name_texts() {
            for learned in [false, true] {
                let want = all_matches(&automaton, &text, learned);
                assert_eq!(all_matches(&table, &text, learned), want, "in {text:?}");
                matches += want.len();
            }
        }
        assert!(
            matches > 3_000,
            "only {matches} matches: the texts miss the names"
        );
    }

    /// 5,000 learned people named John share one run of the table, which
    /// each `John` of a text narrows by its next bytes; a 10 KB name goes
    /// to the automaton, so no table pattern is longer than
    /// [`MAX_TABLE_PATTERN`].
    #[test]
    fn many_names_share_a_first_word() {
        let mut p = PatternSet::default();
        for i in 0..5_000 {
            p.add_name(PiiKind::Person, &format!("John Doe{i}"), None);
        }
        p.add_name(PiiKind::Person, "Mary Ann Lee", None);
        p.add_name(PiiKind::Org, &"Acme ".repeat(2_000), None);
        let m = p.build().unwrap_or_default();
        assert!(m.words.iter().all(|w| w.text.len() <= MAX_TABLE_PATTERN));
        let john = m.by_first_word.iter().find(|g| m.first_word(g) == "john");
        assert_eq!(john.map(|g| g.end - g.start), Some(5_001));
        assert!(m.rest.is_some(), "the long name is left to the automaton");
        let long = "Acme ".repeat(2_000);
        let text =
            format!("John Doe4711 and Mary met JOHN DOE17 at {long}; John, Johnny, John Doe");
        let found = find(&m, &text);
        assert_eq!(
            found,
            vec![
                "John Doe4711",
                "Mary",
                "JOHN DOE17",
                long.trim_end(),
                "John",
                "John"
            ]
        );
    }

    #[test]
    fn nfa_and_dfa_find_the_same() {
        let run = |kind, text: &str| {
            let m = odd_names().build_with(false, |_| kind).unwrap_or_default();
            all_matches(&m, text, true)
        };
        for text in name_texts().iter().step_by(7) {
            let nfa = run(AhoCorasickKind::ContiguousNFA, text);
            assert_eq!(run(AhoCorasickKind::DFA, text), nfa, "in {text:?}");
        }
    }

    /// The search folds the text once and finds word runs in the folded
    /// text, while whole-word checks read the original: that agrees only
    /// because folding never changes whether a char is a word char or one
    /// of a script written without spaces.
    #[test]
    fn folding_keeps_word_chars() {
        use crate::text::fold_char;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let f = fold_char(c);
            assert_eq!(is_word_char(f), is_word_char(c), "{c:?} folds to {f:?}");
            assert_eq!(is_unspaced_script(f), is_unspaced_script(c), "{c:?}");
        }
    }

    #[test]
    fn word_runs() {
        let runs = |t: &str| {
            WordRuns::new(t)
                .map(|r| t[r].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            runs("Seán O'Brien_2, 王小明先生 Smith王 (x) é\u{301}"),
            vec!["Seán", "O", "Brien_2", "Smith", "x", "é"]
        );
        assert!(runs(" ,.;王").is_empty());
    }

    #[test]
    fn sketch_holds_what_was_inserted() {
        let mut s = Sketch::default();
        for w in ["alice", "a", "straße", "王"] {
            s.insert(w.as_bytes());
            assert!(s.may_hold(w.as_bytes()), "{w}");
        }
        assert!(!s.may_hold(b""));
        let misses = (0..1000)
            .filter(|i| !s.may_hold(format!("w{i}x").as_bytes()))
            .count();
        assert!(misses > 950, "{misses} of 1000 ruled out");
    }

    /// A lone comma before the legal form (`Zyxqo , Inc`) once left the
    /// short name with a trailing space, a multi-word pattern that matched
    /// only before a space and in any case.
    #[test]
    fn short_org_name_after_a_lone_comma() {
        let mut p = PatternSet::default();
        p.add_name(PiiKind::Org, "Zyxqo , Inc", Some(0));
        let m = p.build().unwrap_or_default();
        assert_eq!(
            find(&m, "Zyxqo said hi. We met Zyxqo."),
            vec!["Zyxqo", "Zyxqo"]
        );
        assert!(find(&m, "zyxqo , hi").is_empty());
        assert_eq!(find(&m, "ZYXQO , INC"), vec!["ZYXQO , INC"]);
    }

    #[test]
    fn shared_first_name_has_no_owner() {
        let mut p = PatternSet::default();
        p.add_name(PiiKind::Person, "Alice Smith", Some(0));
        p.add_name(PiiKind::Person, "Alice Brown", Some(1));
        let m = p.build().unwrap_or_default();
        let mut out = Vec::new();
        m.find("Alice", "alice", false, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].source, Source::Learned);
    }
}
