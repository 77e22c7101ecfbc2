//! Organisations by legal-form suffix: up to five capitalised words (with
//! `&`, `and`, `of`, `de`, `und` between them) followed by Inc, LLC, Ltd,
//! GmbH, AG, Corp, PLC, S.A., B.V., Pty Ltd, … The suffix is part of the
//! span. Caller-supplied organisation names are matched by [`super::known`].
//!
//! A person "of" an organisation is not part of it: in `Dr. Alice Smith of
//! Acme Robotics B.V.` the organisation is `Acme Robotics B.V.` and the
//! person detector finds `Dr. Alice Smith` (see [`person_of`]). Kept whole,
//! the span would hide the person as an organisation and give the company
//! the short name `alice smith of acme robotics`, leaving a later bare
//! `Acme Robotics` in clear.

use super::facts::{capitalised, fact, Facts};
use super::starts::compile_many;
use super::{compile, scan_from, Candidate, Source, Verdict};
use crate::placeholder::PiiKind;
use regex::Regex;
use std::sync::LazyLock;

static ORG: LazyLock<Regex> = LazyLock::new(|| {
    compile(concat!(
        r"(?:\p{Lu}[\p{L}\p{N}'\-]*|[0-9]+\p{L}[\p{L}\p{N}]*)",
        r"(?:[ ]{1,2}(?:\p{Lu}[\p{L}\p{N}'\-.]*|&|and|of|de|und|et|y|the|for)){0,4}?",
        r",?[ ]{1,2}(?:Inc\.?|INC\.?|LLC|L\.L\.C\.|Ltd\.?|LTD\.?|Limited|GmbH|GMBH|AG|Corp\.?|CORP\.?|Corporation|Co\.|PLC|plc|S\.A\.|SA|SAS|SARL|B\.V\.|BV|N\.V\.|NV|Pty(?:\.?[ ]Ltd\.?)?|LLP|LP|KG|Oy|AB|S\.p\.A\.|SpA|S\.r\.l\.|Srl|Holdings|Incorporated|ASA|AS|A/S|ApS|Oyj|SE|KGaA|e\.V\.|S\.L\.|SL|S\.A\.S\.|Ltda\.?|S\.A\. de C\.V\.)",
        r"(?:[^\p{L}\p{N}]|$)",
    ))
});

/// A space and the start of each legal-form suffix of [`ORG`], as
/// written: every match holds one (the pattern has `[ ]{1,2}` right before
/// the suffix and no case folding). A regex rather than Aho-Corasick
/// because its literal prefilter handles the shared leading space well.
static SUFFIX_MARK: LazyLock<regex_automata::meta::Regex> = LazyLock::new(|| {
    compile_many(&[concat!(
        r"[ ](?:Inc|INC|LLC|L\.L\.C\.|Ltd|LTD|Limited|GmbH|GMBH|AG|Corp|CORP|Co\.|PLC|plc|S\.A\.",
        r"|SA|B\.V\.|BV|N\.V\.|NV|Pty|LLP|LP|KG|Oy|AB|S\.p\.A\.|SpA|S\.r\.l\.|Srl|Holdings",
        r"|AS|A/S|ApS|SE|e\.V\.|S\.L\.|SL)",
    )])
});

/// ASCII bytes that an [`ORG`] match can hold only as its last byte (the
/// char of context after the suffix): anything but letters, digits and
/// ` '-.&,/`. Non-ASCII chars are never barriers.
fn is_barrier(b: u8) -> bool {
    b.is_ascii()
        && !b.is_ascii_alphanumeric()
        && !matches!(b, b' ' | b'\'' | b'-' | b'.' | b'&' | b',' | b'/')
}

/// Leading words that start sentences rather than names.
const LEADING_NOISE: &[&str] = &[
    "The",
    "A",
    "An",
    "At",
    "In",
    "On",
    "For",
    "From",
    "With",
    "To",
    "By",
    "Our",
    "Their",
    "My",
    "Your",
    "His",
    "Her",
    "Yesterday",
    "Today",
    "Tomorrow",
    "Meanwhile",
    "Also",
    "And",
    "But",
    "Then",
    "When",
    "If",
    "Dear",
    "Hi",
    "Hello",
    "Re",
    "Fwd",
    "Subject",
    "Call",
    "Email",
    "Contact",
    "Ask",
    "Tell",
    "Thanks",
];

/// Builds this module's patterns now (see [`crate::prepare`]).
pub(crate) fn prepare() {
    LazyLock::force(&ORG);
    LazyLock::force(&SUFFIX_MARK);
}

/// Runs [`ORG`] only over the *segments* (text between barrier bytes, see
/// [`is_barrier`]) that hold a [`SUFFIX_MARK`] match. A match holds a mark
/// and no barrier except as its last byte, so it lies in one such segment
/// plus the barrier after it; scanning each of those segments (with that
/// byte, so the context char and `$` see the real text) in order finds the
/// matches a scan of the whole text finds. Each segment is scanned once.
pub(crate) fn detect(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
    if !kinds.contains(PiiKind::Org) {
        return;
    }
    let b = text.as_bytes();
    let mut pos = 0;
    let mut done = 0;
    let mut people = Vec::new();
    for t in SUFFIX_MARK.find_iter(text).map(|m| m.start()) {
        if t < done {
            continue;
        }
        let seg_start = b[..t]
            .iter()
            .rposition(|&c| is_barrier(c))
            .map_or(0, |i| i + 1);
        let seg_end = b[t..]
            .iter()
            .position(|&c| is_barrier(c))
            .map_or(b.len(), |i| t + i);
        // the barrier is one ASCII byte: a char boundary after it
        let hay_end = (seg_end + 1).min(b.len());
        pos = scan_from(
            &ORG,
            &text[..hay_end],
            pos.max(seg_start),
            PiiKind::Org,
            out,
            |m| verdict(text, m, &mut people),
        );
        done = seg_end;
    }
    out.append(&mut people);
}

/// Trims a match to the organisation name (context char, leading sentence
/// words, a person before "of") or rejects a bare suffix.
fn verdict(text: &str, m: regex::Match<'_>, people: &mut Vec<Candidate>) -> Verdict {
    let mut start = m.start();
    let mut s = m.as_str();
    // a ticket number (`Escalation INC-4471`), not a legal form
    if s.ends_with('-') && text[m.end()..].starts_with(|c: char| c.is_ascii_digit()) {
        return Verdict::Reject;
    }
    // the pattern ends with one char of context; drop it
    if let Some(last) = s.chars().next_back() {
        if !last.is_alphanumeric() && !s.ends_with('.') {
            s = &s[..s.len() - last.len_utf8()];
        } else if s.ends_with('.')
            && !(s.ends_with("Inc.")
                || s.ends_with("Ltd.")
                || s.ends_with("Corp.")
                || s.ends_with("Co.")
                || s.ends_with("INC.")
                || s.ends_with("LTD.")
                || s.ends_with("CORP.")
                || s.ends_with("A.")
                || s.ends_with("V.")
                || s.ends_with("C."))
        {
            s = &s[..s.len() - 1];
        }
    }
    // strip leading sentence words
    loop {
        let first = s.split(' ').next().unwrap_or("");
        if LEADING_NOISE.contains(&first) && s.len() > first.len() + 1 {
            let cut = first.len() + s[first.len()..].len() - s[first.len()..].trim_start().len();
            start += cut;
            s = &s[cut..];
        } else {
            break;
        }
    }
    if let Some(of) = person_of(text, start, s) {
        // the person is found here: the person detector may not see a
        // lone name (`Thanks to Mercedes of Acme Robotics Inc.`)
        let name = Candidate::new(
            of.person.start,
            of.person.end,
            PiiKind::Person,
            Source::Heuristic,
        );
        people.push(name);
        start += of.org_from;
        s = &s[of.org_from..];
    }
    // `EXCEPT AS PROVIDED`, `SUCH AS`: capitals, not a Norwegian company
    if s.ends_with(" AS") && !s.chars().any(char::is_lowercase) {
        return Verdict::Reject;
    }
    // a bare suffix (e.g. "AG" alone) is no organisation
    if !s.contains(' ') && !s.contains(',') {
        return Verdict::Reject;
    }
    Verdict::Accept(start, start + s.len())
}

/// Connectives that join a person to the organisation after them.
const OF: &[&str] = &["of"];

/// Most words a person's name takes before "of".
const MAX_PERSON_WORDS: usize = 3;

/// Where the organisation starts in match `s` (at `start` in `text`) when
/// the match begins with a person and "of": the offset just after the
/// connective. The words before it are a person when they are one to
/// three capitalised words, none a stopword (`Bank`, `University`, …), and
/// a title precedes them (`Dr. Alice Smith of`, `Mr Lee of`) or the first
/// is a given name (`Alice Smith of`), counting the word just before the
/// match. `Bank of America Corp.` and `Royal
/// Bank of Canada Inc.` stay whole; a bare surname without a title stays
/// inside the organisation (hidden, but as one).
fn person_of(text: &str, start: usize, s: &str) -> Option<PersonOf> {
    let is_title = |w: &str| Facts::of(w.trim_end_matches('.')).is(fact::TITLE);
    // the match may start inside the name: `Alice [Smith of Bank of America
    // Corp.]` (its words before the suffix are bounded)
    let before = text[..start].strip_suffix(' ').unwrap_or_default();
    let word_before = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or_default();
    let given_before = {
        let facts = Facts::of(word_before);
        capitalised(facts.style) && facts.is(fact::GIVEN)
    };
    let mut titled = !word_before.is_empty() && is_title(word_before);
    let (mut names, mut given_first) = (usize::from(given_before), given_before);
    // where the person's name starts and ends (absolute)
    let mut person = given_before.then(|| (before.len() - word_before.len(), before.len()));
    let mut at = 0;
    for word in s.split(' ') {
        let word_start = at;
        at += word.len() + 1;
        if word.is_empty() {
            continue;
        }
        if OF.contains(&word) {
            let rest = s.get(at..)?;
            let (from, to) = person?;
            return (names > 0 && (titled || given_first) && rest.contains(' ')).then_some(
                PersonOf {
                    person: from..to,
                    org_from: word_start + word.len() + 1,
                },
            );
        }
        if names == 0 && !titled && is_title(word) {
            titled = true;
            continue;
        }
        let facts = Facts::of(word);
        if !capitalised(facts.style) || facts.is(fact::STOPWORD) || names == MAX_PERSON_WORDS {
            return None;
        }
        given_first |= names == 0 && facts.is(fact::GIVEN);
        names += 1;
        let end = start + word_start + word.len();
        person = Some((person.map_or(start + word_start, |(from, _)| from), end));
    }
    None
}

/// A person "of" an organisation (see [`person_of`]).
struct PersonOf {
    /// The person's name in the text.
    person: std::ops::Range<usize>,
    /// Where the organisation starts in the match.
    org_from: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The organisations found (the persons "of" them aside).
    fn found(text: &str) -> Vec<String> {
        of_kind(text, PiiKind::Org)
    }

    fn of_kind(text: &str, kind: PiiKind) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, &crate::KindSet::all(), &mut out);
        out.iter()
            .filter(|c| c.kind == kind)
            .map(|c| text[c.start..c.end].to_string())
            .collect()
    }

    #[test]
    fn orgs() {
        assert_eq!(
            found("We signed with Acme Widgets Inc. yesterday"),
            vec!["Acme Widgets Inc."]
        );
        assert_eq!(found("The Initech LLC contract"), vec!["Initech LLC"]);
        assert_eq!(
            found("Müller & Söhne GmbH liefert"),
            vec!["Müller & Söhne GmbH"]
        );
        assert_eq!(
            found("Globex Corp, Hooli Ltd and Vandelay Industries, Inc."),
            vec!["Globex Corp", "Hooli Ltd", "Vandelay Industries, Inc."]
        );
        assert!(found("an AG meeting").is_empty());
        assert!(found("Subject: Escalation INC-4471").is_empty());
        assert!(found("EXCEPT AS PROVIDED HEREIN, SUCH AS FEES").is_empty());
        assert_eq!(
            found("Kongsberg Maritime AS delivered"),
            vec!["Kongsberg Maritime AS"]
        );
    }

    /// A person "of" an organisation is left to the person detector; an
    /// organisation whose name holds "of" stays whole.
    #[test]
    fn person_of_an_organisation() {
        for (text, org) in [
            (
                "Dr. Alice Smith of Acme Robotics B.V. called",
                "Acme Robotics B.V.",
            ),
            ("Dr Smith of Initech LLC wrote", "Initech LLC"),
            ("Mr. Okafor of Globex Corp. agreed", "Globex Corp."),
            ("We met.\nMr. Okafor of Globex Corp. agreed", "Globex Corp."),
            ("Priya Raman of Hooli Ltd follows up", "Hooli Ltd"),
            (
                "Alice Smith of Bank of America Corp. called",
                "Bank of America Corp.",
            ),
            ("Bank of America Corp. wired it", "Bank of America Corp."),
            (
                "The Royal Bank of Canada Inc. merged",
                "Royal Bank of Canada Inc.",
            ),
            (
                "Victoria Bank of Canada Inc. merged",
                "Victoria Bank of Canada Inc.",
            ),
            // no title, no given name: could be a name, could be an org
            ("Smith of Acme Inc. called", "Smith of Acme Inc."),
            // four words before "of" (counting Alice, before the match:
            // the pattern takes four words before a suffix) are no name
            (
                "Alice Mary Jane Smith of Acme Inc.",
                "Mary Jane Smith of Acme Inc.",
            ),
            ("Alice Jane Smith of Acme Inc.", "Acme Inc."),
        ] {
            assert_eq!(found(text), vec![org], "in {text:?}");
        }
        // the person is found here too, title aside
        for (text, person) in [
            (
                "Dr. Alice Smith of Acme Robotics B.V. called",
                "Alice Smith",
            ),
            ("Dr Smith of Initech LLC wrote", "Smith"),
            ("Thanks to Mercedes of Acme Robotics Inc.", "Mercedes"),
            ("Alice Jane Smith of Acme Inc.", "Alice Jane Smith"),
        ] {
            assert_eq!(of_kind(text, PiiKind::Person), vec![person], "in {text:?}");
        }
    }

    /// Scanning only the segments that hold a suffix finds what a scan of
    /// the whole text finds.
    #[test]
    fn suffix_segments_find_what_a_full_scan_finds() {
        for text in crate::detect::test_support::prefilter_texts() {
            let mut full = Vec::new();
            let mut people = Vec::new();
            crate::detect::scan(&ORG, &text, PiiKind::Org, &mut full, |m| {
                verdict(&text, m, &mut people)
            });
            full.append(&mut people);
            let mut fast = Vec::new();
            detect(&text, &crate::KindSet::all(), &mut fast);
            assert_eq!(fast, full, "in {text:?}");
        }
    }
}
