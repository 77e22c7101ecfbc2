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

use super::{Candidate, Source};
use crate::names::{
    is_ambiguous, is_given_name, is_header_cue, is_opener, is_particle, is_phrase_cue, is_signoff,
    is_stopword, is_title, lowercase_ok,
};
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
        if start.is_none() {
            while i < bytes.len() && bytes[i] < 0x80 && !bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
        } else {
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
        }
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
            if start.is_none() {
                start = Some(at);
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// `Alice`, `McDonald`
    Title,
    /// `ALICE`
    Upper,
    /// `A` (an initial)
    Initial,
    /// `alice`
    Lower,
    /// anything else (`iPhone`, scripts without case)
    Other,
}

fn style(w: &str) -> Style {
    if w.is_ascii() {
        return ascii_style(w.as_bytes());
    }
    if w.chars().any(|c| c.is_numeric()) {
        return Style::Other;
    }
    let mut chars = w.chars();
    let Some(first) = chars.next() else {
        return Style::Other;
    };
    if first.is_uppercase() {
        let mut letters = false;
        let mut lower = false;
        for c in chars.filter(|c| c.is_alphabetic()) {
            letters = true;
            lower |= c.is_lowercase();
        }
        match (letters, lower) {
            (false, _) => Style::Initial,
            (true, false) => Style::Upper,
            (true, true) => Style::Title,
        }
    } else if first.is_lowercase() && w.chars().all(|c| !c.is_uppercase()) {
        Style::Lower
    } else {
        Style::Other
    }
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

fn ascii_style(b: &[u8]) -> Style {
    let (mut upper, mut lower, mut digit) = (0usize, 0usize, false);
    for &c in b {
        upper += usize::from(c.is_ascii_uppercase());
        lower += usize::from(c.is_ascii_lowercase());
        digit |= c.is_ascii_digit();
    }
    match b.first() {
        _ if digit => Style::Other,
        Some(f) if f.is_ascii_uppercase() => match (upper + lower, lower) {
            (1, _) => Style::Initial,
            (_, 0) => Style::Upper,
            _ => Style::Title,
        },
        Some(f) if f.is_ascii_lowercase() && upper == 0 => Style::Lower,
        _ => Style::Other,
    }
}

fn capitalised(s: Style) -> bool {
    matches!(s, Style::Title | Style::Upper)
}

struct Ctx<'a> {
    text: &'a str,
    words: &'a [Word],
}

impl Ctx<'_> {
    fn word(&self, i: usize) -> &str {
        let w = self.words[i];
        &self.text[w.start..w.end]
    }
    fn lower(&self, i: usize) -> String {
        self.word(i).to_lowercase()
    }
    /// Text between word `i` and word `i + 1`.
    fn gap(&self, i: usize) -> &str {
        &self.text[self.words[i].end..self.words[i + 1].start]
    }

    /// The cue before word `i`, if any.
    fn cue(&self, i: usize) -> Cue {
        if i == 0 {
            return Cue::None;
        }
        let prev = self.lower(i - 1);
        let g = self.gap(i - 1);
        if is_title(&prev) && matches!(g, " " | ". " | "." | "  " | ".  ") {
            return Cue::Strong;
        }
        let same_line =
            g.len() <= 3 && !g.is_empty() && g.chars().all(|c| matches!(c, ' ' | ',' | '!'));
        if same_line && is_opener(&prev) {
            return Cue::Strong;
        }
        let signoff_gap = g.len() <= 8
            && !g.is_empty()
            && g.chars()
                .all(|c| matches!(c, ' ' | ',' | '\n' | '\r' | '!' | '-' | '\t'));
        if signoff_gap
            && (is_signoff(&prev) || (prev == "you" && i >= 2 && self.lower(i - 2) == "thank"))
        {
            return Cue::Weak;
        }
        if (is_header_cue(&prev) || is_phrase_cue(&prev)) && g.trim() == ":" {
            return Cue::Weak;
        }
        if i >= 2 && self.gap(i - 2) == " " && prev == "as" && self.lower(i - 2) == "known" {
            return if matches!(g.trim(), "" | ":") {
                Cue::Strong
            } else {
                Cue::None
            };
        }
        if g == " " {
            if is_phrase_cue(&prev) {
                return Cue::Strong;
            }
            if i >= 2 && self.gap(i - 2) == " " {
                let pp = self.lower(i - 2);
                if (prev == "is" && pp == "name") || (prev == "me" && pp == "call") {
                    return Cue::Strong;
                }
            }
        }
        Cue::None
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
            let w = self.word(k);
            let s = style(w);
            let lw = w.to_lowercase();
            if s == Style::Initial {
                let next_ok = k + 1 < self.words.len()
                    && matches!(self.gap(k), " " | ". " | ".")
                    && capitalised(style(self.word(k + 1)));
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
            if is_particle(&lw) && k + 1 < self.words.len() && self.gap(k) == " " {
                // van der Berg: particles then a capitalised word
                let mut j = k;
                while j < self.words.len()
                    && is_particle(&self.lower(j))
                    && j + 1 < self.words.len()
                    && self.gap(j) == " "
                {
                    j += 1;
                }
                if j < self.words.len()
                    && capitalised(style(self.word(j)))
                    && !is_stopword(&self.lower(j))
                {
                    end = j;
                    k = j + 1;
                    added += 1;
                    continue;
                }
                break;
            }
            if capitalised(s) && !is_stopword(&lw) {
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
pub(crate) fn first_name_before(text: &str, start: usize, end: usize) -> Option<usize> {
    if is_given_name(&text.get(start..end)?.to_lowercase()) {
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
    if w.len() > 40 || style(w) != Style::Title {
        return None;
    }
    let lw = w.to_lowercase();
    if is_stopword(&lw) || is_title(&lw) || is_opener(&lw) || is_signoff(&lw) || is_header_cue(&lw)
    {
        return None;
    }
    Some(word_start)
}

/// Whether the part before a hyphen is a given name (`Jean-Luc`).
fn hyphenated_given(lower: &str) -> bool {
    lower
        .split_once('-')
        .is_some_and(|(a, b)| !b.is_empty() && is_given_name(a))
}

pub(crate) fn detect(text: &str, words: &[Word], out: &mut Vec<Candidate>) {
    let cx = Ctx { text, words };
    let push = |out: &mut Vec<Candidate>, i: usize, end: usize| {
        out.push(Candidate::new(
            words[i].start,
            words[end].end,
            PiiKind::Person,
            Source::Heuristic,
        ));
    };
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
        let st = style(w);
        if capitalised(st) {
            let lw = w.to_lowercase();
            let given = is_given_name(&lw);
            let cue = if is_stopword(&lw) || is_title(&lw) || (st == Style::Upper && !given) {
                Cue::None
            } else {
                cx.cue(i)
            };
            if cue != Cue::None {
                let end = cx.extend(i);
                let sure_name = given && !is_ambiguous(&lw);
                if cue == Cue::Strong || end > i || sure_name || cx.stands_alone(end) {
                    push(out, i, end);
                    i = end + 1;
                    continue;
                }
            }
            let hyphenated = hyphenated_given(&lw);
            if given || hyphenated {
                let end = cx.extend(i);
                if end > i || hyphenated || !is_ambiguous(&lw) {
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
        detect(text, &ws, &mut out);
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
    }

    #[test]
    fn ambiguous_names_need_support() {
        assert!(found("May I ask? Will you come? Grace period ends in June.").is_empty());
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
    }
}
