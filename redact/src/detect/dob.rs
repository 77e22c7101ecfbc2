//! Dates of birth: a date (numeric, ISO, or with a month name in English,
//! German, French or Spanish) preceded in the same clause by a birth cue —
//! "born", "DOB", "date of birth", "birthday", "geboren", "né le",
//! "fecha de nacimiento", … — or a bare year right after "born in".

use super::{compile, scan, Candidate, Verdict};
use crate::placeholder::PiiKind;
use crate::text::{clause_before, Cues};
use regex::Regex;
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
];

/// A birth cue is in the clause and no other number stands between it and
/// the date ("DOB 03/14/1985, seen 05/05/2024" marks only the first date).
fn cue_governs(before: &str) -> bool {
    match CUE.last_end(before) {
        Some(end) => !before[end..].bytes().any(|b| b.is_ascii_digit()),
        None => false,
    }
}

static CUE: LazyLock<Cues> = LazyLock::new(|| Cues::new(CUES));

pub(crate) fn detect(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
    if !kinds.contains(PiiKind::Dob) || !text.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    scan(&DATE, text, PiiKind::Dob, out, |m| {
        let s = m.as_str();
        let before = clause_before(text, m.start(), 48);
        let year_only = s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
        let ok = if year_only {
            let b = before.trim_end().to_lowercase();
            b.ends_with("born in") || b.ends_with("born") || b.ends_with("geboren")
        } else {
            s.bytes().any(|b| b.is_ascii_digit()) && cue_governs(before)
        };
        if ok {
            Verdict::Accept(m.start(), m.end())
        } else {
            Verdict::Reject
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        crate::detect::test_support::found(text, detect)
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
        assert!(found("The meeting is on May 5 at 3pm.").is_empty());
        assert!(found("He was born in Ohio. We meet on 05/05/2024.").is_empty());
    }
}
