//! Organisations by legal-form suffix: up to five capitalised words (with
//! `&`, `and`, `of`, `de`, `und` between them) followed by Inc, LLC, Ltd,
//! GmbH, AG, Corp, PLC, S.A., B.V., Pty Ltd, … The suffix is part of the
//! span. Caller-supplied organisation names are matched by [`super::known`].

use super::{compile, scan, Candidate, Verdict};
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

pub(crate) fn detect(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
    if !kinds.contains(PiiKind::Org) {
        return;
    }
    scan(&ORG, text, PiiKind::Org, out, |m| {
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
                let cut =
                    first.len() + s[first.len()..].len() - s[first.len()..].trim_start().len();
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
    });
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
}
