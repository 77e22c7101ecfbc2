//! Organisations by legal-form suffix: up to five capitalised words (with
//! `&`, `and`, `of`, `de`, `und` between them) followed by Inc, LLC, Ltd,
//! GmbH, AG, Corp, PLC, S.A., B.V., Pty Ltd, … The suffix is part of the
//! span. Caller-supplied organisation names are matched by [`super::known`].

use super::starts::compile_many;
use super::{compile, scan_from, Candidate, Verdict};
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
            verdict,
        );
        done = seg_end;
    }
}

/// Trims a match to the organisation name (context char, leading sentence
/// words) or rejects a bare suffix.
fn verdict(m: regex::Match<'_>) -> Verdict {
    let mut start = m.start();
    let mut s = m.as_str();
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
    // a bare suffix (e.g. "AG" alone) is no organisation
    if !s.contains(' ') && !s.contains(',') {
        return Verdict::Reject;
    }
    Verdict::Accept(start, start + s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        crate::detect::test_support::found(text, detect)
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
    }

    /// Scanning only the segments that hold a suffix finds what a scan of
    /// the whole text finds.
    #[test]
    fn suffix_segments_find_what_a_full_scan_finds() {
        for text in crate::detect::test_support::prefilter_texts() {
            let mut full = Vec::new();
            crate::detect::scan(&ORG, &text, PiiKind::Org, &mut full, verdict);
            let mut fast = Vec::new();
            detect(&text, &crate::KindSet::all(), &mut fast);
            assert_eq!(fast, full, "in {text:?}");
        }
    }
}
