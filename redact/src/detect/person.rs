//! People found without a caller-supplied list, in one pass over the words
//! of the text:
//!
//! * a **cue** — title (`Mr.`, `Dr`, `Frau`), greeting or sign-off (`Dear`,
//!   `Hi`, `Thanks,`, `Best regards,\n`), header (`From:`, `Customer:`) or
//!   phrase (`my name is`, `named`, `call me`) — followed by a capitalised
//!   word takes that word and up to three more capitalised ones;
//! * a **gazetteer** given name, capitalised, takes the capitalised words
//!   that follow it as surname (`Alice Smith`, `Mary Ann van der Berg`,
//!   `John F. Kennedy`); names that are also ordinary words (`May`, `Will`,
//!   `Grace`) count only with such a surname or a cue;
//! * a gazetteer name in lowercase (`talked to priya`) counts when it is not
//!   an ordinary word in any language we know of.
//!
//! Possessives stay outside the span (`Alice's` -> `[PERSON_1]'s`).

use super::facts::{capitalised, fact, FactCache, Facts, Style};
use super::{Candidate, Source};
use crate::names::{is_given_name, lowercase_ok};
use crate::placeholder::PiiKind;

/// A word: a run of letters and digits, with inner apostrophes and hyphens
/// (tokens with digits, like `GB82`, never count as names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    pub start: usize,
    pub end: usize,
}

fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F)
}

/// Byte classes for the word splitter's bulk loops: ASCII letters and
/// digits, other ASCII bytes, and non-ASCII bytes (decoded one by one).
const ALNUM: u8 = 1;
const SKIP: u8 = 2;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = if (b as u8).is_ascii_alphanumeric() {
            ALNUM
        } else {
            SKIP
        };
        b += 1;
    }
    t
};

/// Splits `text` into words in one pass. A trailing `'s` is not part of the
/// word; `O'Brien` and `Smith-Jones` are one word.
pub(crate) fn words(text: &str) -> Vec<Word> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 8);
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        // runs of ASCII bytes take the same transitions as below, in bulk:
        // outside a word, non-alphanumerics are skipped; inside, letters
        // and digits extend it
        let rest = &bytes[i..];
        let class = if start.is_none() { SKIP } else { ALNUM };
        i += rest
            .iter()
            .position(|&b| CLASS[usize::from(b)] != class)
            .unwrap_or(rest.len());
        let Some(&b) = bytes.get(i) else { break };
        // ASCII fast path; decode only non-ASCII chars
        let (c, len) = if b < 0x80 {
            (b as char, 1)
        } else {
            match text[i..].chars().next() {
                Some(c) => (c, c.len_utf8()),
                None => break,
            }
        };
        let at = i;
        i += len;
        let wordy = if b < 0x80 {
            b.is_ascii_alphanumeric()
        } else {
            c.is_alphanumeric() || (start.is_some() && is_mark(c))
        };
        if wordy {
            let s = *start.get_or_insert(at);
            // the common case in one step: the word's ASCII letters and
            // digits, then an ASCII byte that ends it (what the next turn
            // of the loop would do)
            let rest = &bytes[i..];
            i += rest
                .iter()
                .position(|&b| CLASS[usize::from(b)] != ALNUM)
                .unwrap_or(rest.len());
            if bytes
                .get(i)
                .is_some_and(|&t| t < 0x80 && t != b'\'' && t != b'-')
            {
                out.push(Word { start: s, end: i });
                start = None;
                i += 1;
            }
            continue;
        }
        let Some(s) = start else { continue };
        if matches!(c, '\'' | '’' | '-') {
            let mut rest = text[i..].chars();
            let n1 = rest.next();
            if n1.is_some_and(char::is_alphanumeric) {
                let possessive = c != '-'
                    && matches!(n1, Some('s' | 'S'))
                    && !rest.next().is_some_and(char::is_alphabetic);
                if !possessive {
                    continue;
                }
            }
        }
        out.push(Word { start: s, end: at });
        start = None;
    }
    if let Some(s) = start {
        out.push(Word {
            start: s,
            end: text.len(),
        });
    }
    out
}

/// How strongly the context says "a name follows".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cue {
    None,
    /// Title, opener, "my name is": one capitalised word is enough.
    Strong,
    /// Header label or sign-off (also chat role labels such as
    /// `Customer:`): needs a two-word name, a given name, or a name that
    /// stands alone on its line.
    Weak,
}

struct Ctx<'a, 'c> {
    text: &'a str,
    words: &'c [Word],
    facts: &'c FactCache<'a>,
}

impl<'a> Ctx<'a, '_> {
    fn word(&self, i: usize) -> &'a str {
        let w = self.words[i];
        &self.text[w.start..w.end]
    }
    fn facts(&self, i: usize) -> Facts {
        self.facts.get(self.word(i))
    }
    /// Text between word `i` and word `i + 1`.
    fn gap(&self, i: usize) -> &'a str {
        &self.text[self.words[i].end..self.words[i + 1].start]
    }

    /// Word `i` follows a title (`Dr. Okonkwo`, `MR OKAFOR`). The one-letter
    /// title, French `M.`, needs its dot and a space, and no number before
    /// it (`84 M. Output` counts millions, `size M Blue`, `M.Sc.`).
    fn after_title(&self, i: usize) -> bool {
        if i == 0 || !self.facts(i - 1).is(fact::TITLE) {
            return false;
        }
        let gap = self.gap(i - 1);
        if self.word(i - 1).len() == 1 {
            return gap == ". "
                && !(i > 1
                    && self.gap(i - 2) == " "
                    && self.word(i - 2).starts_with(|c: char| c.is_ascii_digit()));
        }
        matches!(gap, " " | ". " | "." | "  " | ".  ")
    }

    /// The cue before word `i`, if any.
    fn cue(&self, i: usize) -> Cue {
        if i == 0 {
            return Cue::None;
        }
        if self.after_title(i) {
            return Cue::Strong;
        }
        let prev = self.facts(i - 1);
        let g = self.gap(i - 1);
        let same_line =
            g.len() <= 3 && !g.is_empty() && g.chars().all(|c| matches!(c, ' ' | ',' | '!'));
        if same_line && prev.is(fact::OPENER) {
            return Cue::Strong;
        }
        let signoff_gap = g.len() <= 8
            && !g.is_empty()
            && g.chars()
                .all(|c| matches!(c, ' ' | ',' | '\n' | '\r' | '!' | '-' | '\t'));
        if signoff_gap
            && (prev.is(fact::SIGNOFF)
                || (prev.is(fact::YOU) && i >= 2 && self.facts(i - 2).is(fact::THANK)))
        {
            return Cue::Weak;
        }
        if (prev.is(fact::HEADER) || prev.is(fact::PHRASE)) && g.trim() == ":" {
            return Cue::Weak;
        }
        if g == " "
            && prev.is(fact::BY)
            && i >= 2
            && self.gap(i - 2) == " "
            && self.facts(i - 2).is(fact::BY_VERB)
        {
            return Cue::Weak;
        }
        if i >= 2
            && self.gap(i - 2) == " "
            && prev.is(fact::AS)
            && self.facts(i - 2).is(fact::KNOWN)
        {
            return if matches!(g.trim(), "" | ":") {
                Cue::Strong
            } else {
                Cue::None
            };
        }
        if g == " " {
            if prev.is(fact::PHRASE) {
                return Cue::Strong;
            }
            if i >= 2 && self.gap(i - 2) == " " {
                let pp = self.facts(i - 2);
                if (prev.is(fact::IS) && pp.is(fact::NAME))
                    || (prev.is(fact::ME) && pp.is(fact::CALL))
                {
                    return Cue::Strong;
                }
            }
        }
        Cue::None
    }

    /// Word `i` follows a saint's or a place's prefix (`São Paulo`, `San
    /// Jose`, `St. Helena`, `Sankt Moritz`): a place, not a person.
    fn names_a_place(&self, i: usize) -> bool {
        const PREFIXES: &[&str] = &[
            "São", "San", "Santa", "Santo", "Saint", "Sainte", "St", "Ste", "Sankt", "Sint",
            "Sant", "Jebel", "Mount", "Mt", "Port", "Fort", "Lake", "Cape", "Isla", "Puerto",
            "Villa",
        ];
        // not after `. `: `12 Main St. Maria Gonzalez signed`
        i > 0 && self.gap(i - 1) == " " && PREFIXES.contains(&self.word(i - 1))
    }

    /// Word `i` continues a list of names after a header (`CC: Rutger
    /// Janssen, Hannelore Fitzgerald and Orla Byrne`): the name before it
    /// ended at word `prev_end`, and a comma, semicolon or `and` / `&`
    /// stands between.
    fn continues_list(&self, prev_end: usize, i: usize) -> bool {
        if i == prev_end + 1 {
            return matches!(self.gap(prev_end), ", " | "; " | " & " | ",  ");
        }
        i == prev_end + 2
            && matches!(self.gap(prev_end), " " | ", ")
            && self.gap(prev_end + 1) == " "
            && matches!(self.word(prev_end + 1), "and" | "und" | "et" | "y" | "en")
    }

    /// Word `i` starts a display name before an e-mail address
    /// (`Penelope Aldridge <p.aldridge@example.com>`) that ends at word
    /// `end`.
    fn before_mailbox(&self, end: usize) -> bool {
        let rest = &self.text[self.words[end].end..];
        let Some(inner) = rest.strip_prefix(" <") else {
            return false;
        };
        let inner = &inner[..crate::text::floor_boundary(inner, inner.len().min(256))];
        inner
            .split_once('>')
            .is_some_and(|(addr, _)| addr.contains('@') && !addr.contains(char::is_whitespace))
    }

    /// After a weak cue a single unknown word counts only when it ends the
    /// line or is followed by an address or bracket (`From: Okafor <…>`).
    fn stands_alone(&self, end: usize) -> bool {
        let rest = self.text[self.words[end].end..].trim_start_matches([' ', '\t']);
        rest.is_empty() || rest.starts_with(['\n', '\r', '<', '(', '[', '|'])
    }

    /// Extends a name starting at word `i` over following capitalised words
    /// (surname, middle names, initials, particles); returns the last word.
    fn extend(&self, i: usize) -> usize {
        let mut end = i;
        let mut k = i + 1;
        let mut added = 0;
        let mut after_initial = false;
        while k < self.words.len() && added < 3 {
            let g = self.gap(k - 1);
            let joined = g == " " || (after_initial && (g == ". " || g == "."));
            if !joined {
                break;
            }
            let f = self.facts(k);
            if f.style == Style::Initial {
                let next_ok = k + 1 < self.words.len()
                    && matches!(self.gap(k), " " | ". " | ".")
                    && capitalised(self.facts(k + 1).style);
                if !next_ok {
                    break;
                }
                end = k;
                k += 1;
                added += 1;
                after_initial = true;
                continue;
            }
            after_initial = false;
            if f.is(fact::PARTICLE) && k + 1 < self.words.len() && self.gap(k) == " " {
                // van der Berg: particles then a capitalised word
                let mut j = k;
                while j < self.words.len()
                    && self.facts(j).is(fact::PARTICLE)
                    && j + 1 < self.words.len()
                    && self.gap(j) == " "
                {
                    j += 1;
                }
                if j < self.words.len() && {
                    let fj = self.facts(j);
                    capitalised(fj.style) && !fj.is(fact::STOPWORD)
                } {
                    end = j;
                    k = j + 1;
                    added += 1;
                    continue;
                }
                break;
            }
            if capitalised(f.style) && !f.is(fact::STOPWORD) {
                end = k;
                k += 1;
                added += 1;
                continue;
            }
            break;
        }
        end
    }
}

/// For a learned or known single-word name at `start` (`Vos`), the start of
/// a capitalised word right before it (`Rutger Vos`) that is not a
/// stopword, title or cue — the first name of that person.
pub(crate) fn first_name_before<'t>(
    text: &'t str,
    start: usize,
    end: usize,
    facts: &FactCache<'t>,
) -> Option<usize> {
    if facts.get(text.get(start..end)?).is(fact::GIVEN) {
        return None;
    }
    let head = text.get(..start)?.strip_suffix(' ')?;
    let word_start = head
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphabetic() || matches!(c, '\'' | '’' | '-'))
        .last()
        .map(|(i, _)| i)?;
    let w = &head[word_start..];
    if w.len() > 40 {
        return None;
    }
    let f = facts.get(w);
    let cue = fact::STOPWORD | fact::TITLE | fact::OPENER | fact::SIGNOFF | fact::HEADER;
    if f.style != Style::Title || f.is(cue) {
        return None;
    }
    Some(word_start)
}

/// A capitalised word whose ending marks English prose rather than a
/// surname (`Promotions`, `Payments`, `Analytics`, `Software`): after a
/// given name that is also a common word, it is not a surname. Endings
/// that surnames share are not used (`Davies`, `Jennings`, `Ahmed`).
fn looks_like_prose(word: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "tion", "tions", "sion", "sions", "ment", "ments", "ness", "ity", "able", "ible", "ful",
        "ous", "ive", "ives", "ics", "ware",
    ];
    word.len() > 4 && ENDINGS.iter().any(|e| word.ends_with(e))
}

pub(crate) fn detect<'t>(
    text: &'t str,
    words: &[Word],
    facts: &FactCache<'t>,
    out: &mut Vec<Candidate>,
) {
    let cx = Ctx { text, words, facts };
    let push = |out: &mut Vec<Candidate>, i: usize, end: usize| {
        out.push(Candidate::new(
            words[i].start,
            words[end].end,
            PiiKind::Person,
            Source::Heuristic,
        ));
    };
    // display names before `<e-mail>` need only be looked for when the
    // text has one
    let mailboxes = text.contains('<');
    // where the last name after a header cue (or in its list) ended
    let mut list_end: Option<usize> = None;
    let mut i = 0;
    while i < words.len() {
        let w = cx.word(i);
        // a word led by an ASCII byte other than a capital is never
        // capitalised; skip classifying it (a gazetteer name is lowercase
        // by construction, so the lowercase test below needs no style)
        let first = w.as_bytes().first().copied().unwrap_or(0);
        if first.is_ascii() && !first.is_ascii_uppercase() {
            if w.len() >= 4 && is_given_name(w) && lowercase_ok(w) {
                push(out, i, i);
            }
            i += 1;
            continue;
        }
        let f = cx.facts(i);
        let st = f.style;
        if capitalised(st) {
            let given = f.is(fact::GIVEN);
            // a word in capitals is a name after a title, or a given name;
            // other cues see acronyms (`Hi HR`, `Attn: QA`)
            let cue = if f.is(fact::STOPWORD) || f.is(fact::TITLE) {
                Cue::None
            } else if st == Style::Upper && !given {
                if cx.after_title(i) {
                    Cue::Strong
                } else {
                    Cue::None
                }
            } else {
                cx.cue(i)
            };
            // the next name of a list after a header: two words or a given
            // name (`To: Eleanor Whitcombe, Partner` lists a role)
            let listed = cue == Cue::None && list_end.is_some_and(|e| cx.continues_list(e, i));
            let cue = if listed { Cue::Weak } else { cue };
            if cue != Cue::None {
                let end = cx.extend(i);
                let sure_name = given && !f.is(fact::AMBIGUOUS);
                let alone_ok = !listed && cx.stands_alone(end);
                if cue == Cue::Strong || end > i || sure_name || alone_ok {
                    push(out, i, end);
                    list_end = (cue == Cue::Weak).then_some(end);
                    i = end + 1;
                    continue;
                }
            } else if mailboxes && !f.is(fact::STOPWORD) && !f.is(fact::TITLE) {
                let end = cx.extend(i);
                if end > i && cx.before_mailbox(end) {
                    push(out, i, end);
                    i = end + 1;
                    continue;
                }
            }
            let hyphenated = f.is(fact::HYPHEN_GIVEN);
            if (given || hyphenated) && !cx.names_a_place(i) {
                let end = cx.extend(i);
                let ambiguous = f.is(fact::AMBIGUOUS);
                // `Summer Promotions`, `Ray Analytics`: a word that is
                // also common, before a word shaped like prose
                let prose_after = ambiguous && end > i && looks_like_prose(cx.word(i + 1));
                if (end > i && !prose_after) || hyphenated || !ambiguous {
                    push(out, i, end);
                    i = end + 1;
                    continue;
                }
            }
        } else if st == Style::Lower && w.len() >= 4 && is_given_name(w) && lowercase_ok(w) {
            push(out, i, i);
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let ws = words(text);
        let mut out = Vec::new();
        detect(text, &ws, &FactCache::default(), &mut out);
        out.iter()
            .map(|c| text[c.start..c.end].to_string())
            .collect()
    }

    #[test]
    fn tokenizer() {
        let t = "Alice's friend O'Brien met Smith-Jones (café) ’s";
        let ws: Vec<&str> = words(t).iter().map(|w| &t[w.start..w.end]).collect();
        assert_eq!(
            ws,
            vec![
                "Alice",
                "s",
                "friend",
                "O'Brien",
                "met",
                "Smith-Jones",
                "café",
                "s"
            ]
        );
    }

    #[test]
    fn gazetteer_and_surnames() {
        assert_eq!(found("Alice Smith called Bob."), vec!["Alice Smith", "Bob"]);
        assert_eq!(
            found("ask Mary Ann van der Berg"),
            vec!["Mary Ann van der Berg"]
        );
        assert_eq!(found("John F. Kennedy spoke"), vec!["John F. Kennedy"]);
        assert_eq!(found("Alice's laptop"), vec!["Alice"]);
        assert_eq!(found("MEETING WITH JOHN SMITH"), vec!["JOHN SMITH"]);
        assert_eq!(found("Jean-Luc will call"), vec!["Jean-Luc"]);
        assert_eq!(found("talked to priya yesterday"), vec!["priya"]);
        assert_eq!(
            found("Kristín Sigurðardóttir spoke first"),
            vec!["Kristín Sigurðardóttir"]
        );
    }

    #[test]
    fn ambiguous_names_need_support() {
        assert!(found("May I ask? Will you come? Grace period ends in June.").is_empty());
        assert!(found("Our office near Victoria Station in Austin Texas").is_empty());
        for t in [
            "## Summer Promotions And Timeouts",
            "Ray Analytics runs on the GPU pool.",
            "Miles Payments must be logged.",
            "Will-call orders ship in May-June.",
            "Brent crude was flat; São Paulo and San Jose rallied.",
        ] {
            assert!(found(t).is_empty(), "{t}: {:?}", found(t));
        }
        assert_eq!(
            found("Jean-Luc met Grant Thompson"),
            vec!["Jean-Luc", "Grant Thompson"]
        );
        assert_eq!(
            found("Delivered to 12 Main St. Maria Gonzalez signed"),
            vec!["Maria Gonzalez"]
        );
        assert_eq!(found("Jean-marc Dupont called"), vec!["Jean-marc Dupont"]);
        for name in [
            "Victoria Davies",
            "Taylor Jennings",
            "Dean Fleming",
            "Jordan Ahmed",
        ] {
            assert_eq!(found(&format!("{name} called")), vec![name], "{name}");
        }
        assert_eq!(found("Will Turner called"), vec!["Will Turner"]);
        assert_eq!(found("Dear June,"), vec!["June"]);
        assert!(found("Rep: Will do. Agent: May I help?").is_empty());
    }

    #[test]
    fn cues() {
        assert_eq!(found("Dr. Okonkwo will see you"), vec!["Okonkwo"]);
        assert_eq!(
            found("my name is Zygmunt Wolanski."),
            vec!["Zygmunt Wolanski"]
        );
        assert_eq!(
            found("Best regards,\nTamsin Greaves"),
            vec!["Tamsin Greaves"]
        );
        assert_eq!(
            found("Customer: Xiomara Delacroix"),
            vec!["Xiomara Delacroix"]
        );
        assert!(found("Hi Team, Dear Hiring Manager, Hello World").is_empty());
        assert!(found(
            "Customer: Sure, it's fine.\nAgent: Welcome to Acme\nBonjour,\n\nJe suis là"
        )
        .is_empty());
        assert_eq!(found("Payout to: IBAN GB82 WEST"), Vec::<String>::new());
        assert_eq!(
            found("From: Okafor <x@y.z>\nTo: Zed Quill"),
            vec!["Okafor", "Zed Quill"]
        );
        assert_eq!(found("Mr. and Mrs. Okafor"), vec!["Okafor"]);
        assert_eq!(found("MR OKAFOR called"), vec!["OKAFOR"]);
        assert_eq!(
            found("Mr THADDEUS OKONJO-IWEALA called"),
            vec!["THADDEUS OKONJO-IWEALA"]
        );
        assert_eq!(found("Hi HR, Attn: QA"), Vec::<String>::new());
        assert_eq!(found("Mon conseiller, M. Dupont, a appelé"), vec!["Dupont"]);
        assert!(found("It took 84 M. Output was the same").is_empty());
        assert!(found("Order size M Blue, an M.Sc. in Physics").is_empty());
        assert_eq!(found("In 2019 Dr. Okonkwo joined"), vec!["Okonkwo"]);
        assert_eq!(found("Dhr. Maarten Visser"), vec!["Maarten Visser"]);
        assert_eq!(
            found("Aan: mevrouw Ingeborg Heuvel"),
            vec!["Ingeborg Heuvel"]
        );
        assert_eq!(found("de heer Jansen belde"), vec!["Jansen"]);
        assert_eq!(
            found("Reported by Zygmunt Wolanski, assigned to Tamsin Greaves"),
            vec!["Zygmunt Wolanski", "Tamsin Greaves"]
        );
        assert!(found("Approved by Finance. Sent to Legal. passed by Main Street").is_empty());
        assert_eq!(
            found("CC: Zygmunt Wolanski, Tamsin Greaves and Quill Zed; Okwu Ibe"),
            vec![
                "Zygmunt Wolanski",
                "Tamsin Greaves",
                "Quill Zed",
                "Okwu Ibe"
            ]
        );
        assert_eq!(
            found("Dr. Okafor, Acme Partners and Main Street"),
            vec!["Okafor"]
        );
        assert_eq!(
            found("Zygmunt Wolanski <zw@example.com> wrote"),
            vec!["Zygmunt Wolanski"]
        );
        assert!(found("Billing Team <billing@example.com>, Billing <b@x.io>").is_empty());
        assert_eq!(
            found("To: Eleanor Whitcombe, Partner\nCC: Quill Zed, Counsel"),
            vec!["Eleanor Whitcombe", "Quill Zed"]
        );
    }
}
