//! Small text helpers shared by the detectors: length-preserving case
//! folding, word boundaries and bounded look-behind for context cues.
//!
//! Everything here touches at most a fixed window around a position, so
//! callers can use it per match without rescanning the input.

use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// Lower-cases `text` char by char, keeping every byte offset valid: a char
/// whose lowercase form is a single char of the same UTF-8 length is
/// replaced, anything else (e.g. `İ`) is kept as it is.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // ASCII runs in bulk, other chars one by one
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        out.push_str(&rest[..ascii].to_ascii_lowercase());
        rest = &rest[ascii..];
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(fold_char(c));
            rest = chars.as_str();
        }
    }
    out
}

/// The length-preserving lowercase of one char (see [`fold`]).
pub(crate) fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
        _ => c,
    }
}

/// Letters, digits and `_` count as word characters.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Scripts written without spaces between words: a boundary check makes no
/// sense there, so a name may touch them.
pub(crate) fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK ext A
        | 0x4E00..=0x9FFF    // CJK unified
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility
        | 0x0E00..=0x0E7F    // Thai
    )
}

/// The char just before byte `i` (which must be a char boundary).
pub(crate) fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i).and_then(|s| s.chars().next_back())
}

/// The char starting at byte `i` (which must be a char boundary).
pub(crate) fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// True when `[start, end)` is a whole word: not glued to word characters
/// on either side (unspaced scripts excepted).
pub(crate) fn is_word_bounded(text: &str, start: usize, end: usize) -> bool {
    let before_ok = match (char_before(text, start), char_at(text, start)) {
        (Some(b), Some(f)) => !is_word_char(b) || is_unspaced_script(b) || is_unspaced_script(f),
        _ => true,
    };
    let after_ok = match (char_before(text, end), char_at(text, end)) {
        (Some(l), Some(a)) => !is_word_char(a) || is_unspaced_script(a) || is_unspaced_script(l),
        _ => true,
    };
    before_ok && after_ok
}

/// Largest char boundary `<= i`.
pub(crate) fn floor_boundary(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Smallest char boundary `> i` (or `text.len()`).
pub(crate) fn next_boundary(text: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < text.len() && !text.is_char_boundary(j) {
        j += 1;
    }
    j.min(text.len())
}

/// Up to `window` bytes before `start`, cut at the last line break or
/// sentence end so a cue in an earlier sentence does not count.
pub(crate) fn clause_before(text: &str, start: usize, window: usize) -> &str {
    let from = floor_boundary(text, start.saturating_sub(window));
    let w = text.get(from..start).unwrap_or("");
    let b = w.as_bytes();
    let mut cut = 0;
    for i in (0..b.len()).rev() {
        let end_of_sentence =
            matches!(b[i], b'.' | b'!' | b'?' | b';') && b.get(i + 1) == Some(&b' ');
        if b[i] == b'\n' {
            cut = i + 1;
            break;
        }
        if end_of_sentence {
            cut = i + 2;
            break;
        }
    }
    &w[cut..]
}

/// A list of cue words, matched ASCII-case-insensitively at word starts in
/// one pass over a short window (non-ASCII cues match as written, lowercase).
pub(crate) struct Cues(Option<AhoCorasick>);

impl Cues {
    pub(crate) fn new(words: &[&str]) -> Self {
        Cues(
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                // a few dozen short words: the DFA is small, and it steps
                // through the windows it is asked about fastest
                .kind(Some(AhoCorasickKind::DFA))
                .build(words)
                .ok(),
        )
    }

    /// End of the last cue in `hay` that starts at a word boundary.
    pub(crate) fn last_end(&self, hay: &str) -> Option<usize> {
        let ac = self.0.as_ref()?;
        ac.find_overlapping_iter(hay)
            .filter(|m| char_before(hay, m.start()).is_none_or(|c| !c.is_alphanumeric()))
            .map(|m| m.end())
            .max()
    }

    /// Whether `hay` holds a cue at a word boundary.
    pub(crate) fn found_in(&self, hay: &str) -> bool {
        self.last_end(hay).is_some()
    }
}

/// The first and last word of a name with single spaces between its words
/// (a folded, collapsed key or pattern); `None` for a single word.
pub(crate) fn outer_words(name: &str) -> Option<(&str, &str)> {
    let (first, _) = name.split_once(' ')?;
    let (_, last) = name.rsplit_once(' ')?;
    Some((first, last))
}

/// `collapse_ws(&fold(s))` in one pass and one allocation: the key of a
/// name, address or link (folding never turns a char into whitespace or
/// back, so collapsing before or after folding is the same).
pub(crate) fn fold_collapsed(s: &str) -> String {
    if s.is_ascii() {
        return fold_collapsed_ascii(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        if c.is_whitespace() {
            gap = !out.is_empty();
            continue;
        }
        if gap {
            out.push(' ');
            gap = false;
        }
        out.push(fold_char(c));
    }
    out
}

/// [`fold_collapsed`] of ASCII text, byte by byte (the ASCII chars
/// `char::is_whitespace` accepts are tab to carriage return and space).
fn fold_collapsed_ascii(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut gap = false;
    for &b in s.as_bytes() {
        if matches!(b, b' ' | b'\t'..=b'\r') {
            gap = !out.is_empty();
            continue;
        }
        if gap {
            out.push(b' ');
            gap = false;
        }
        out.push(b.to_ascii_lowercase());
    }
    // only ASCII bytes were pushed
    String::from_utf8(out).unwrap_or_default()
}

/// Collapses runs of whitespace to one space and trims.
#[cfg(test)]
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_keeps_offsets() {
        let s = "ÉMILE Zoë İstanbul ALICE ẞ";
        let f = fold(s);
        assert_eq!(f.len(), s.len());
        assert!(f.starts_with("émile zoë "));
        assert!(f.contains("alice"));
        for (i, _) in s.char_indices() {
            assert!(f.is_char_boundary(i));
        }
    }

    #[test]
    fn fold_collapsed_is_fold_then_collapse() {
        for s in [
            "",
            "  ",
            " Alice\t SMITH \n",
            "ÉMILE  Zoë\u{2003}İstanbul ẞ",
            "a\u{85}B",
            "x",
        ] {
            assert_eq!(fold_collapsed(s), collapse_ws(&fold(s)), "{s:?}");
        }
    }

    #[test]
    fn boundaries() {
        let s = "Alice's friend xAlice 王伟开会";
        assert!(is_word_bounded(s, 0, 5));
        assert!(!is_word_bounded(s, 16, 21));
        let w = s.find("王伟").unwrap_or(0);
        assert!(is_word_bounded(s, w, w + "王伟".len()));
    }

    #[test]
    fn clause_and_cue() {
        let born = Cues::new(&["born", "dob", "tel", "телефон"]);
        let s = "He was born in Ohio. Meet on 05/05/2024";
        let at = s.find("05/05").unwrap_or(0);
        assert!(!born.found_in(clause_before(s, at, 60)));
        let s2 = "DOB: 05/05/1980";
        assert!(born.found_in(clause_before(s2, 5, 60)));
        assert_eq!(born.last_end("Born, DOB x"), Some(9));
        assert!(!born.found_in("hotel"));
        assert!(born.found_in("Tel.") && born.found_in("мой телефон"));
    }
}
