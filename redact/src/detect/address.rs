//! Street addresses: house number, street name and a street-type suffix,
//! with an optional unit and an optional `City, ST 12345` or UK postcode
//! tail; also German/Dutch/Nordic `Hauptstraße 5`, `Keizersgracht 123`,
//! French `12 rue de Rivoli` and Spanish/Italian/Portuguese `Calle Mayor 15`,
//! `Via Garibaldi 42` forms.
//!
//! Lower-case streets (`12 main st`) are accepted only with an unambiguous
//! suffix and at most two name words, so "walked 5 miles down the road"
//! stays prose.

use super::{compile, scan, Candidate, Verdict};
use crate::placeholder::PiiKind;
use regex::Regex;
use std::sync::LazyLock;

const SUFFIX: &str = "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Cres|Close|Row|Plaza|Mews|Grove|Gardens|Alley";
const UNIT: &str = r"(?:,?[ ]{1,2}(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Flat|#)\.?[ ]?#?[0-9A-Za-z][0-9A-Za-z\-]{0,5})?";
const TAIL: &str = r"(?:,[ ]{1,2}[A-Z][a-zA-Z]+(?:[ ][A-Z][a-zA-Z]+){0,2}(?:,?[ ]{1,2}[A-Z]{2}[ ]{1,2}[0-9]{5}(?:-[0-9]{4})?|,[ ]{1,2}[A-Z]{1,2}[0-9][0-9A-Z]?[ ][0-9][A-Z]{2}))?";

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    let en = format!(
        r"(?-u:\b)[0-9]{{1,6}}[A-Za-z]?(?:-[0-9]{{1,4}})?[ ]{{1,2}}(?:(?:[A-Z][a-zA-Z'\-]{{0,24}}|[0-9]{{1,3}}(?:st|nd|rd|th)|N|S|E|W|NE|NW|SE|SW)\.?[ ]{{1,2}}){{1,4}}(?:{SUFFIX})(?-u:\b)\.?(?:[ ](?:N|S|E|W|NE|NW|SE|SW)(?-u:\b))?{UNIT}{TAIL}"
    );
    let en_lower = format!(
        r"(?-u:\b)[0-9]{{1,5}}[ ](?:[a-z]{{2,20}}[ ]){{1,2}}(?i:street|st|avenue|ave|road|rd|blvd|boulevard)(?-u:\b)\.?{UNIT}"
    );
    let fr = r"(?-u:\b)[0-9]{1,4}(?:[ ]?(?:bis|ter))?,?[ ](?i:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|cours)[ ](?:(?:de|du|des|la|le|l'|d')[ ]?){0,2}\p{Lu}[\p{L}\-]{1,24}(?:[ ]\p{Lu}[\p{L}\-]{1,24}){0,3}";
    let de = r"(?:\p{Lu}[\p{Ll}]{1,24}[ \-])?\p{Lu}[\p{Ll}]{1,24}(?:straße|strasse|str\.|weg|platz|allee|gasse|damm|ring|ufer|straat|laan|gracht|plein|kade|singel|dijk|steeg|vej|gade|gatan|vägen|veien|gata)[ ][0-9]{1,4}[a-z]?(?-u:\b)";
    // Spanish / Italian / Portuguese: street type, name, then number
    let es = r"(?-u:\b)(?:Calle|C/|Avenida|Avda\.?|Av\.|Plaza|Paseo|Camino|Carrera|Ronda|Travesía|Via|Viale|Piazza|Corso|Largo|Vicolo|Rua|Avenida|Praça|Travessa)[ ](?:(?:de|del|de la|dei|della|delle|do|da|dos|das)[ ])?\p{Lu}[\p{L}\-']{1,24}(?:[ ](?:(?:de|del|la|di|dei|da|do)[ ])?\p{Lu}[\p{L}\-']{1,24}){0,3},?[ ](?:n\.?[ºo°]?[ ]?)?[0-9]{1,4}[a-zA-Z]?(?-u:\b)";
    let de_sep = r"\p{Lu}[\p{Ll}]{2,24}[ ](?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse)[ ][0-9]{1,4}[a-z]?(?-u:\b)";
    compile(&format!("{en}|{en_lower}|{fr}|{de}|{de_sep}|{es}"))
});

pub(crate) fn detect(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
    if !kinds.contains(PiiKind::Address) || !text.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    scan(&ADDRESS, text, PiiKind::Address, out, |m| {
        let s = m.as_str();
        // a trailing "Dr." before a capitalised word is a title, not a suffix
        let trimmed = s.trim_end_matches(['.', ' ', ',']);
        Verdict::Accept(m.start(), m.start() + trimmed.len())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        crate::detect::test_support::found(text, detect)
    }

    #[test]
    fn addresses() {
        for a in [
            "742 Evergreen Terrace",
            "221B Baker Street",
            "1600 Pennsylvania Avenue NW",
            "10 Downing St",
            "55 West 42nd St, Apt 5B",
            "1234 Elm Street, Springfield, IL 62704",
            "12 main st",
            "12 rue de Rivoli",
            "Hauptstraße 5",
            "Berliner Straße 12a",
            "8 Oak Lane, Suite 210",
            "3 Kings Road, London, SW3 4UT",
            "Calle Mayor 15",
            "Via Garibaldi 42",
            "Avenida de la Constitución 5",
            "Keizersgracht 123",
        ] {
            let t = format!("Send it to {a}. Thanks");
            assert_eq!(found(&t), vec![a.to_string()], "{a}");
        }
    }

    #[test]
    fn not_addresses() {
        for t in [
            "I walked 5 miles down the road today.",
            "We have 3 big dogs and 2 cats.",
            "Chapter 7 Covers Everything",
            "Room 101 on floor 3",
            "Phone screen with Rachel on 12 Feb. Strong SQL skills.",
        ] {
            assert!(found(t).is_empty(), "{t}: {:?}", found(t));
        }
    }
}
