//! Detectors: each finds candidate spans of one family of PII in linear time
//! and appends them to a shared list; [`crate::resolve`] then picks a
//! non-overlapping set.
//!
//! * [`contact`]  — e-mail, URL/path, IPv4/IPv6
//! * [`number`]   — phone, SSN, payment card, IBAN (with [`checksum`])
//! * [`address`]  — street addresses
//! * [`dob`]      — dates of birth (a date near a birth cue)
//! * [`org`]      — organisations by legal-form suffix
//! * [`person`]   — people by gazetteer, capitalisation and cue words
//!   (with [`facts`], what is known about each word)
//! * [`known`]    — caller-supplied and session-learned names (a table of
//!   first words; Aho-Corasick for the names it cannot hold)
//!
//! Regex detectors use patterns of bounded length and [`scan`], which
//! restarts one char after a rejected candidate; every position is thus
//! examined by a bounded amount of work and the whole pass stays linear.
//! Two helpers give the same results as [`scan`] with less work:
//! [`starts`] tries digit-led patterns anchored only where they can begin
//! (one byte pass finds those places for all of them), and [`near`] runs a
//! pattern only in windows around bytes its kept matches must contain.

pub(crate) mod address;
pub(crate) mod checksum;
pub(crate) mod contact;
pub(crate) mod dob;
pub(crate) mod facts;
pub(crate) mod known;
pub(crate) mod near;
pub(crate) mod number;
pub(crate) mod org;
pub(crate) mod person;
pub(crate) mod starts;

/// Builds every detector's patterns now (see [`crate::prepare`]).
pub(crate) fn prepare() {
    address::prepare();
    contact::prepare();
    dob::prepare();
    number::prepare();
    org::prepare();
}

use crate::placeholder::PiiKind;
use crate::text::next_boundary;
use regex::{Captures, Match, Regex};

/// Where a candidate came from; breaks ties between equally long spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A structural pattern (e-mail, IBAN, …).
    Pattern,
    /// A caller-supplied name; the index of its entry.
    Known(u32),
    /// A name learned earlier in the session or this text.
    Learned,
    /// Gazetteer, capitalisation and cue heuristics.
    Heuristic,
}

/// A detected span `[start, end)` of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
    pub source: Source,
}

impl Candidate {
    pub(crate) fn new(start: usize, end: usize, kind: PiiKind, source: Source) -> Self {
        Candidate {
            start,
            end,
            kind,
            source,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    /// Specificity when two candidates have the same length (higher wins).
    pub(crate) fn priority(&self) -> u8 {
        let kind = match self.kind {
            PiiKind::Email => 20,
            PiiKind::Url => 19,
            PiiKind::Iban => 18,
            PiiKind::Card => 17,
            PiiKind::Ssn => 16,
            PiiKind::Ip => 15,
            PiiKind::Dob => 14,
            PiiKind::Phone => 13,
            PiiKind::Address => 12,
            PiiKind::Org => 11,
            PiiKind::Person => 10,
        };
        let source = match self.source {
            Source::Pattern => 3,
            Source::Known(_) => 2,
            Source::Learned => 1,
            Source::Heuristic => 0,
        };
        kind * 4 + source
    }
}

/// Verdict of a validator on a regex candidate.
pub(crate) enum Verdict {
    /// Keep this (possibly trimmed) span.
    Accept(usize, usize),
    /// Not PII here; search again one char after the candidate's start.
    Reject,
}

/// The loop every regex detector runs: `find` gives the next match at or after a position,
/// with its start; `check` keeps it (pushed as `kind`, the search resumes after it) or
/// rejects it (the search resumes one char after its start, so a bad long candidate cannot
/// hide a good one inside it). Returns where a following search would resume.
pub(crate) fn scan_with<M>(
    text: &str,
    mut pos: usize,
    kind: PiiKind,
    out: &mut Vec<Candidate>,
    mut find: impl FnMut(usize) -> Option<(usize, M)>,
    mut check: impl FnMut(M) -> Verdict,
) -> usize {
    while pos <= text.len() {
        let Some((start, m)) = find(pos) else {
            break;
        };
        match check(m) {
            Verdict::Accept(s, e) if s < e => {
                out.push(Candidate::new(s, e, kind, Source::Pattern));
                pos = e.max(next_boundary(text, start));
            }
            _ => pos = next_boundary(text, start),
        }
    }
    pos
}

/// Runs `re` over `text`, handing each match to `check` (see [`scan_with`]).
pub(crate) fn scan(
    re: &Regex,
    text: &str,
    kind: PiiKind,
    out: &mut Vec<Candidate>,
    check: impl FnMut(Match<'_>) -> Verdict,
) {
    scan_from(re, text, 0, kind, out, check);
}

/// [`scan`] from `pos` over `hay` (the input or a prefix of it ending at a
/// char boundary); returns where a following scan would resume.
pub(crate) fn scan_from(
    re: &Regex,
    hay: &str,
    pos: usize,
    kind: PiiKind,
    out: &mut Vec<Candidate>,
    check: impl FnMut(Match<'_>) -> Verdict,
) -> usize {
    let find = |at| re.find_at(hay, at).map(|m| (m.start(), m));
    scan_with(hay, pos, kind, out, find, check)
}

/// Like [`scan`], searching only near trigger positions (see [`near`]):
/// every span `check` accepts must come from a match holding a trigger.
pub(crate) fn scan_near(
    re: &Regex,
    near: &mut near::Near,
    text: &str,
    kind: PiiKind,
    out: &mut Vec<Candidate>,
    check: impl FnMut(Match<'_>) -> Verdict,
) {
    let find = |at| near.find(re, text, at).map(|m| (m.start(), m));
    scan_with(text, 0, kind, out, find, check);
}

/// Like [`scan`], for patterns whose validator needs capture groups. The
/// groups are resolved on the matched span only.
pub(crate) fn scan_captures(
    re: &Regex,
    text: &str,
    kind: PiiKind,
    out: &mut Vec<Candidate>,
    mut check: impl FnMut(&Captures<'_>) -> Verdict,
) {
    let find = |at| {
        let caps = re.captures_at(text, at)?;
        Some((caps.get(0)?.start(), caps))
    };
    scan_with(text, 0, kind, out, find, |caps| check(&caps));
}

/// Compiles a built-in pattern. The patterns are constants covered by tests,
/// so failure is a programming error, not an input error.
pub(crate) fn compile(pattern: &str) -> Regex {
    regex::RegexBuilder::new(pattern)
        .size_limit(64 << 20)
        .dfa_size_limit(16 << 20)
        .build()
        .unwrap_or_else(|e| panic!("built-in pattern failed to compile: {e}"))
}

/// Helpers shared by the detectors' unit tests: run one detector over all kinds and show what
/// it found.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Candidate;
    use crate::placeholder::PiiKind;
    use crate::KindSet;

    pub(crate) type Detector = fn(&str, &KindSet, &mut Vec<Candidate>);

    /// The matched texts, unresolved (overlaps kept).
    pub(crate) fn found(text: &str, detect: Detector) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, &KindSet::all(), &mut out);
        out.iter()
            .map(|c| text[c.start..c.end].to_string())
            .collect()
    }

    /// A deterministic pseudo-random source (xorshift64, seeded): each call
    /// gives a number below its argument, the same sequence on every run.
    pub(crate) fn random_below(seed: u64) -> impl FnMut(usize) -> usize {
        let mut x = seed;
        move |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        }
    }

    /// Texts for checking that a prefilter finds what a full scan finds:
    /// the leak corpus, and deterministic random splices of fragments at
    /// the prefilters' edges (digit runs that almost make an SSN, card or
    /// dotted quad, colon pairs, home paths, legal-form suffixes beside
    /// punctuation, birth cues and dates, non-ASCII letters).
    pub(crate) fn prefilter_texts() -> Vec<String> {
        const PARTS: &[&str] = &[
            "123-45-6789",
            "123 45 6789",
            "123456789",
            "12-345",
            "4111 1111 1111 1111",
            "4111-1111-1111-111",
            "5500 0000 0000 0004",
            "192.168.1.1",
            "10.0.0",
            "4.2.1",
            "1.2.3.4/24",
            "+49 30 1234567",
            "+1 (555) 123-4567",
            "(555) 12",
            "420 ms",
            "3pm",
            "1,200",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "fe80::1",
            "::1",
            "2001:db8:85a3::8a2e:370:7334",
            "a:b:c",
            "10:30",
            "12:00:01",
            "::ffff:10.0.0.1",
            "/home/alice/x",
            "/Users/bob",
            "/users/",
            "C:\\Users\\carol\\",
            "D:\\Documents and Settings\\dan",
            "x/home/eve",
            "Acme GmbH",
            "Globex Corp.",
            "Foo, Inc.",
            "Bar & Baz LLC",
            "Müller AG",
            "an AG",
            " Inc",
            "S.A.",
            "Oy",
            "(Initech Ltd)",
            "Vandelay Industries, Inc.",
            "é",
            "ß",
            "742 Evergreen Terrace",
            "55 West 42nd St, Apt 5B",
            ", Springfield, IL 62704",
            "12 main st",
            "12 rue de Rivoli",
            "Hauptstraße 5",
            "Berliner Straße 12a",
            "Calle Mayor 15",
            "Via Garibaldi 42",
            "Keizersgracht 123",
            "Österreicher Straße 3",
            ", London, SW3 4UT",
            "Zoë",
            "—",
            " ",
            "  ",
            "\n",
            ".",
            ",",
            ":",
            ";",
            "/",
            "-",
            "(",
            ")",
            "'",
            "\"",
            "0",
            "7",
            "42",
            "x",
            "The",
            "Call",
            "email",
            "Alice Smith",
            "dr. Jones",
            "born ",
            "Born in ",
            "DOB: ",
            "d.o.b.",
            "date of birth ",
            "Geboren am ",
            "NÉ LE ",
            "née le ",
            "Cumpleaños: ",
            "03/14/1985",
            "1985",
            "1972-11-02",
            "March 3, 1990",
            "12th of June",
            "3. März 1985",
            "5 de mayo de 1990",
        ];
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        assert!(texts.len() >= 10, "the leak corpus is missing from {dir}");
        texts.extend(splices(PARTS, 0x9E37_79B9_7F4A_7C15, 400, 40));
        texts
    }

    /// `count` texts, each `len` of `parts` picked at random (the same
    /// texts on every run for the same `seed`).
    pub(crate) fn splices(parts: &[&str], seed: u64, count: usize, len: usize) -> Vec<String> {
        let mut next = random_below(seed);
        (0..count)
            .map(|_| (0..len).map(|_| parts[next(parts.len())]).collect())
            .collect()
    }

    /// Checks that `fast` (a detector with a prefilter) finds exactly what
    /// `full` (the same pattern tried everywhere) finds, in the prefilter
    /// texts and in `more`; returns how many matches `full` found.
    pub(crate) fn assert_same_finds(fast: Detector, full: Detector, more: Vec<String>) -> usize {
        let mut kept = 0;
        for text in prefilter_texts().into_iter().chain(more) {
            let want = found(&text, full);
            assert_eq!(found(&text, fast), want, "in {text:?}");
            kept += want.len();
        }
        kept
    }

    /// The matches after overlap resolution, with their kinds.
    pub(crate) fn found_resolved(text: &str, detect: Detector) -> Vec<(PiiKind, String)> {
        let mut out = Vec::new();
        detect(text, &KindSet::all(), &mut out);
        crate::resolve::resolve(out)
            .iter()
            .map(|c| (c.kind, text[c.start..c.end].to_string()))
            .collect()
    }
}
