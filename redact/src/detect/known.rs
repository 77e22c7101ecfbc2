//! Name lists matched with Aho-Corasick in one pass over the case-folded
//! text: the caller's known people and organisations (built once per
//! [`crate::Scrubber`]) and names learned in the session (built per call).
//!
//! Patterns for a person are the full name, its first and last word and any
//! aliases; for an organisation the name, aliases and the name without its
//! legal-form suffix. Multi-word patterns match in any case (`ALICE SMITH`);
//! single-word patterns only when the text capitalises them (`Smith`,
//! `SMITH`, not `smith`), so a surname that is also a word (`Baker`, `Young`)
//! does not swallow prose. Matches must be whole words (scripts without
//! spaces excepted). Overlapping matches are all reported; resolution picks
//! the longest.

use super::{Candidate, Source};
use crate::error::RedactError;
use crate::names::is_stopword;
use crate::placeholder::PiiKind;
use crate::text::{collapse_ws, fold_collapsed, is_word_bounded};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use foldhash::HashMap;

/// One pattern's meaning.
#[derive(Clone, Copy, Debug)]
struct PatInfo {
    kind: PiiKind,
    multi_word: bool,
    /// The caller entry this pattern belongs to; `None` when several
    /// entries share it (an ambiguous first name) or it was learned.
    owner: Option<u32>,
}

/// A compiled set of name patterns.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameMatcher {
    ac: Option<AhoCorasick>,
    info: Vec<PatInfo>,
}

/// Legal-form suffixes removed to get an organisation's short name.
const ORG_SUFFIXES: &[&str] = &[
    "inc",
    "inc.",
    "llc",
    "ltd",
    "ltd.",
    "limited",
    "gmbh",
    "ag",
    "corp",
    "corp.",
    "corporation",
    "co.",
    "plc",
    "s.a.",
    "sa",
    "sas",
    "sarl",
    "b.v.",
    "bv",
    "n.v.",
    "nv",
    "pty",
    "llp",
    "lp",
    "kg",
    "oy",
    "ab",
    "s.p.a.",
    "spa",
    "srl",
    "holdings",
    "incorporated",
    "as",
    "asa",
    "a/s",
    "aps",
    "oyj",
    "se",
    "kgaa",
    "sl",
    "ltda",
];

/// How many bytes of text per byte of patterns make a DFA pay for its
/// build (see [`PatternSet::build_for`]).
const DFA_TEXT_PER_PATTERN_BYTE: usize = 128;

/// Collects patterns, merging duplicates.
#[derive(Default)]
pub(crate) struct PatternSet {
    map: HashMap<(PiiKind, String), PatInfo>,
}

impl PatternSet {
    fn add(&mut self, kind: PiiKind, folded: &str, owner: Option<u32>) {
        let folded = collapse_ws(folded);
        let letters = folded.chars().filter(|c| c.is_alphabetic()).count();
        if letters < 2 {
            return;
        }
        let multi_word = folded.contains(' ');
        if !multi_word && is_stopword(&folded) {
            return;
        }
        let info = PatInfo {
            kind,
            multi_word,
            owner,
        };
        self.map
            .entry((kind, folded))
            .and_modify(|e| {
                if e.owner != owner {
                    e.owner = None;
                }
            })
            .or_insert(info);
    }

    /// Adds a name with its parts (see the module docs).
    pub(crate) fn add_name(&mut self, kind: PiiKind, name: &str, owner: Option<u32>) {
        let f = fold_collapsed(name);
        if f.is_empty() {
            return;
        }
        self.add(kind, &f, owner);
        let words: Vec<&str> = f.split(' ').collect();
        match kind {
            PiiKind::Person if words.len() >= 2 => {
                self.add(kind, words[0], owner);
                self.add(kind, words[words.len() - 1], owner);
            }
            PiiKind::Org if words.len() >= 2 => {
                let mut n = words.len();
                while n > 1 && ORG_SUFFIXES.contains(&words[n - 1].trim_end_matches(',')) {
                    n -= 1;
                }
                if n < words.len() {
                    let short = words[..n].join(" ");
                    let short = short.trim_end_matches(',');
                    if short.chars().count() >= 3 {
                        self.add(kind, short, owner);
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
        self.build_kind(AhoCorasickKind::ContiguousNFA)
    }

    /// Like [`PatternSet::build`], for one search of `len` bytes: texts
    /// long against the patterns get a DFA, which steps through the text
    /// faster than an NFA but costs more to build, in proportion to the
    /// patterns' bytes. Both report the same matches.
    pub(crate) fn build_for(self, len: usize) -> Result<NameMatcher, RedactError> {
        let pattern_bytes: usize = self.map.keys().map(|(_, p)| p.len()).sum();
        if len >= DFA_TEXT_PER_PATTERN_BYTE * pattern_bytes {
            self.build_kind(AhoCorasickKind::DFA)
        } else {
            self.build()
        }
    }

    fn build_kind(self, kind: AhoCorasickKind) -> Result<NameMatcher, RedactError> {
        if self.map.is_empty() {
            return Ok(NameMatcher::default());
        }
        let mut entries: Vec<((PiiKind, String), PatInfo)> = self.map.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let (pats, info): (Vec<String>, Vec<PatInfo>) =
            entries.into_iter().map(|((_, p), i)| (p, i)).unzip();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&pats)
            .map_err(|e| RedactError::Matcher(e.to_string()))?;
        Ok(NameMatcher { ac: Some(ac), info })
    }
}

impl NameMatcher {
    pub(crate) fn is_empty(&self) -> bool {
        self.ac.is_none()
    }

    /// Finds all whole-word matches in `text` (`folded` is [`crate::text::fold`] of it).
    pub(crate) fn find(&self, text: &str, folded: &str, learned: bool, out: &mut Vec<Candidate>) {
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(folded) {
            let info = self.info[m.pattern().as_usize()];
            let (s, e) = (m.start(), m.end());
            if !text.is_char_boundary(s)
                || !text.is_char_boundary(e)
                || !is_word_bounded(text, s, e)
            {
                continue;
            }
            if !info.multi_word && text[s..].chars().next().is_some_and(char::is_lowercase) {
                continue;
            }
            let source = match (learned, info.owner) {
                (true, _) => Source::Learned,
                (false, Some(o)) => Source::Known(o),
                (false, None) => Source::Learned,
            };
            out.push(Candidate::new(s, e, info.kind, source));
        }
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

    #[test]
    fn nfa_and_dfa_find_the_same() {
        let set = || {
            let mut p = PatternSet::default();
            p.add_name(PiiKind::Person, "Alice Smith", None);
            p.add_name(PiiKind::Person, "Ali Smithers", None);
            p.add_name(PiiKind::Org, "Globex Corporation", None);
            p.add_name(PiiKind::Person, "Émile Zola", None);
            p
        };
        let text = "ALICE SMITH met Ali Smithers, alice smith and Smith at Globex; Smithers, \
                    Alicex, ÉMILE and Zola's globex corporation. Ali Smith?";
        let run = |kind| {
            let m = set().build_kind(kind).unwrap_or_default();
            let mut out = Vec::new();
            m.find(text, &fold(text), true, &mut out);
            out.iter()
                .map(|c| (c.start, c.end, c.kind))
                .collect::<Vec<_>>()
        };
        let nfa = run(AhoCorasickKind::ContiguousNFA);
        assert!(nfa.len() >= 10, "{nfa:?}");
        assert_eq!(run(AhoCorasickKind::DFA), nfa);
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
