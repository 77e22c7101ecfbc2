//! Dates of birth: a date (numeric, ISO, or with a month name in English,
//! German, French or Spanish) preceded in the same clause by a birth cue —
//! "born", "DOB", "D.O.B.", "date of birth", "birthday", "geboren", "geb.", "né le",
//! "fecha de nacimiento", … — or a bare year right after "born in".
//!
//! The date pattern runs only in windows after a cue (see [`super::near`]):
//! a kept date has a cue at most [`CUE_WINDOW`] bytes before it, and most
//! text has none. The cues are found in the case-folded text, where they
//! can be matched case-sensitively: that lets the automaton skip ahead with
//! a SIMD prefilter to the few places a cue can start, where matching them
//! case-insensitively in the original text steps through every byte (as
//! slow as running the date pattern everywhere).

use super::near::Near;
use super::{compile, scan_near, Candidate, Verdict};
use crate::placeholder::PiiKind;
use crate::text::{clause_before, Cues};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::{Match, Regex};
use std::sync::LazyLock;

const MONTHS: &str = "january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|september|sept|sep|october|oct|november|nov|december|dec|januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre";

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        concat!(
            r"(?i)(?-u:\b)(?:",
            r"(?:19|20)[0-9]{{2}}[\-/.][0-9]{{1,2}}[\-/.][0-9]{{1,2}}",
            r"|[0-9]{{1,2}}[./\-][0-9]{{1,2}}[./\-](?:[0-9]{{4}}|[0-9]{{2}})",
            r"|(?:{m})\.?[ ]{{1,2}}[0-9]{{1,2}}(?:st|nd|rd|th)?(?:,?[ ]{{1,2}}[0-9]{{4}})?",
            r"|[0-9]{{1,2}}(?:st|nd|rd|th|er)?\.?[ ]{{1,2}}(?:of[ ]|de[ ])?(?:{m})\.?(?:,?[ ]{{1,2}}(?:de[ ])?[0-9]{{4}})?",
            r"|[0-9]{{1,2}}-(?:{m})-(?:[0-9]{{4}}|[0-9]{{2}})",
            r"|(?:19|20)[0-9]{{2}}",
            r")(?-u:\b)"
        ),
        m = MONTHS
    ))
});

const CUES: &[&str] = &[
    "born",
    "dob",
    "d.o.b",
    "date of birth",
    "birth date",
    "birthdate",
    "birthday",
    "b-day",
    "bday",
    "geboren",
    "geb.",
    "geburtsdatum",
    "geburtstag",
    "né le",
    "née le",
    "né",
    "née",
    "date de naissance",
    "fecha de nacimiento",
    "nacido",
    "nacida",
    "cumpleaños",
    "data di nascita",
    "nato il",
    "nata il",
    "date_of_birth",
    "dateofbirth",
    "birth_date",
    "birthday_date",
    "date-of-birth",
    "geburtsdatum:",
    "geboortedatum",
    "geboren op",
    "data de nascimento",
    "data urodzenia",
    "fødselsdato",
    "födelsedatum",
];

/// Cues of [`CUES`] that end with a dot of their own, which
/// [`clause_before`] would read as the end of a sentence (`D.O.B.
/// 11.09.1969`, `geb. 3.3.1984`).
const DOTTED_CUES: &[&str] = &["d.o.b.", "geb."];

/// A [`DOTTED_CUES`] cue right before the date at `start` (a colon or
/// spaces between).
fn dotted_cue_before(text: &str, start: usize) -> bool {
    let w = &text[crate::text::floor_boundary(text, start.saturating_sub(12))..start];
    let w = w.trim_end_matches([' ', ':']).as_bytes();
    DOTTED_CUES.iter().any(|cue| {
        let cue = cue.as_bytes();
        w.len() >= cue.len()
            && w[w.len() - cue.len()..].eq_ignore_ascii_case(cue)
            && (w.len() == cue.len() || !w[w.len() - cue.len() - 1].is_ascii_alphanumeric())
    })
}

/// A birth cue is in the clause and no other number stands between it and
/// the date ("DOB 03/14/1985, seen 05/05/2024" marks only the first date).
fn cue_governs(before: &str) -> bool {
    match CUE.last_end(before) {
        Some(end) => !before[end..].bytes().any(|b| b.is_ascii_digit()),
        None => false,
    }
}

static CUE: LazyLock<Cues> = LazyLock::new(|| Cues::new(CUES));

/// The clause window: how far before a date its cue may start (3 bytes
/// more where the window's start moves back to a char boundary).
const CUE_WINDOW: usize = 48;

/// A bound on the byte length of any match of [`DATE`]: at most 31 chars,
/// 16 of them letters, and a letter matched case-insensitively takes at
/// most 3 bytes (`ſ` for `s`, the Kelvin sign for `k`): 63 bytes.
const DATE_REACH: usize = 72;

/// The longest cue, in bytes.
const CUE_MAX_LEN: usize = 24;

/// The cues as written in [`CUES`] (all lower-case), for the folded text.
/// Leftmost-first, non-overlapping: the kind of search that gets a SIMD
/// prefilter.
static CUE_TRIGGER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::DFA))
        .build(CUES)
        .unwrap_or_else(|e| panic!("built-in cues failed to compile: {e}"))
});

/// Where a kept date can start: one span per cue found in `folded` (the
/// text's [`crate::text::fold`], so its offsets are the text's).
///
/// A kept date starts after the start `c` of its governing cue (the last
/// one in its clause), within [`CUE_WINDOW`] (plus a char boundary's 3
/// bytes) of it, and with no digit between that cue and itself, so at or
/// before the first digit `d` after `c`: the span is `[c, min(c + window,
/// d)]`. The search reports cues without overlaps; a cue it steps over
/// overlaps a reported one at `c`, so it starts at most [`CUE_MAX_LEN`]
/// after `c` (hence the window's extra length) and no digit lies between
/// the two (cues hold none), so `d` bounds its dates too. Folding also
/// lower-cases non-ASCII letters that [`CUE`] matches only as written, so
/// these cues are more, not fewer.
fn date_spans(text: &str, folded: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    CUE_TRIGGER
        .find_iter(folded)
        .filter_map(|m| {
            let c = m.start();
            let last = c + CUE_MAX_LEN + CUE_WINDOW + 3;
            // a date starting by `last` has its first digit before this
            let digits_by = (last + DATE_REACH).min(b.len());
            let d = c + b[c..digits_by].iter().position(u8::is_ascii_digit)?;
            Some((c, d.min(last)))
        })
        .collect()
}

/// Whether the date `m` is a date of birth (its cue, or "born in" for a
/// bare year).
fn verdict(text: &str, m: Match<'_>) -> Verdict {
    let s = m.as_str();
    let before = clause_before(text, m.start(), CUE_WINDOW);
    let year_only = s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    let ok = if year_only {
        let b = before.trim_end().to_lowercase();
        b.ends_with("born in") || b.ends_with("born") || b.ends_with("geboren")
    } else {
        s.bytes().any(|b| b.is_ascii_digit())
            && (cue_governs(before) || dotted_cue_before(text, m.start()))
    };
    if ok {
        Verdict::Accept(m.start(), m.end())
    } else {
        Verdict::Reject
    }
}

/// Builds this module's patterns now (see [`crate::prepare`]).
pub(crate) fn prepare() {
    LazyLock::force(&DATE);
    LazyLock::force(&CUE);
    LazyLock::force(&CUE_TRIGGER);
}

/// Finds dates of birth in `text`; `folded` is [`crate::text::fold`] of it.
pub(crate) fn detect(text: &str, folded: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
    if !kinds.contains(PiiKind::Dob) || !text.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    let mut near = Near::spans(date_spans(text, folded), DATE_REACH);
    scan_near(&DATE, &mut near, text, PiiKind::Dob, out, |m| {
        verdict(text, m)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_fold(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
        detect(text, &crate::text::fold(text), kinds, out);
    }

    /// The date pattern over the whole text, with no cue prefilter.
    fn everywhere(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
        if kinds.contains(PiiKind::Dob) {
            crate::detect::scan(&DATE, text, PiiKind::Dob, out, |m| verdict(text, m));
        }
    }

    fn found(text: &str) -> Vec<String> {
        crate::detect::test_support::found(text, with_fold)
    }

    /// Random splices of cues, dates and what stands between them: clause
    /// ends, other numbers, filler of every length around the window's edge.
    fn cue_texts() -> Vec<String> {
        const PARTS: &[&str] = &[
            "DOB ",
            "dob: ",
            "Born ",
            "born in ",
            "GEBOREN ",
            "NÉ LE ",
            "Née le ",
            "birthday ",
            "xborn ",
            "03/14/1985",
            "1985",
            "1972-11-02",
            "March 3, 1990",
            "ſeptember 3",
            "12th of June",
            "3. März 1985",
            "05/05/2024",
            ", seen ",
            ". ",
            "; ",
            "\n",
            " ",
            "the claim was filed ",
            "and reviewed by the team on ",
            "é",
            "42",
        ];
        crate::detect::test_support::splices(PARTS, 0x5EED_0D0B, 300, 24)
    }

    #[test]
    fn bounds_hold() {
        assert!(CUES.iter().all(|c| c.len() <= CUE_MAX_LEN));
        // the longest dates, spelled with the widest letters that match:
        // `ſ` (2 bytes) for s, the Kelvin sign (3 bytes) for k
        for d in [
            "28th  of ſeptiembre.,  de 1990",
            "28th  of o\u{212A}tober.,  de 1990",
            "o\u{212A}tober.  28th,  1990",
        ] {
            let m = DATE.find(d).map_or(0, |m| m.len());
            assert_eq!(m, d.len(), "{d:?} is one date");
            assert!(m <= DATE_REACH, "{d:?}: {m} bytes");
        }
    }

    #[test]
    fn cue_windows_find_what_a_full_scan_finds() {
        let kept =
            crate::detect::test_support::assert_same_finds(with_fold, everywhere, cue_texts());
        // the texts exercise the cue windows: many dates of birth are kept
        assert!(
            kept > 100,
            "only {kept} dates of birth in the prefilter texts"
        );
    }

    #[test]
    fn dobs() {
        assert_eq!(
            found("DOB: 03/14/1985, seen 05/05/2024"),
            vec!["03/14/1985"]
        );
        assert_eq!(
            found("She was born on March 3, 1990."),
            vec!["March 3, 1990"]
        );
        assert_eq!(found("date of birth 1972-11-02"), vec!["1972-11-02"]);
        assert_eq!(
            found("Geboren am 3. März 1985 in Köln"),
            vec!["3. März 1985"]
        );
        assert_eq!(found("his birthday is 12th of June"), vec!["12th of June"]);
        assert_eq!(found("I was born in 1985."), vec!["1985"]);
        assert_eq!(found("D.O.B. 11.09.1969 for him"), vec!["11.09.1969"]);
        assert_eq!(found("Müller, geb. 03.03.1984"), vec!["03.03.1984"]);
        assert_eq!(found("born 03-Mar-1984"), vec!["03-Mar-1984"]);
        assert_eq!(found("geboortedatum: 03-03-1984"), vec!["03-03-1984"]);
        assert!(found("See p. 12. Ref. 03.03.1984 is the order date.").is_empty());
        // a dotted cue counts only right before the date
        assert!(found("Anna Müller, geb. Schmidt, Termin 03.03.2024").is_empty());
        assert!(found("The meeting is on May 5 at 3pm.").is_empty());
        assert!(found("He was born in Ohio. We meet on 05/05/2024.").is_empty());
    }
}
