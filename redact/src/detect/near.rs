//! Searching a pattern only near the bytes that every useful match has
//! in or just before it.
//!
//! An IPv6 address has a `:`, a link has `://` or `www.`, a date of birth
//! has a birth cue shortly before it; prose mostly has none of these.
//! [`Near`] hands a scan loop the same matches `re.find_at(text, pos)`
//! would, except matches the caller would reject anyway, and runs the
//! regex only over windows around those *trigger* positions.
//!
//! Why it is exact. Assumptions: every match of `re` is at most `reach`
//! bytes long, and every match the caller keeps starts in one of the
//! *spans* `[lo, hi]` (for triggers: `[t - back, t + ahead]`). A scan loop
//! (see [`super::scan`]) keeps or rejects the real matches in order of
//! their start; a rejection only moves it one char on. So it keeps the same
//! matches when it is shown a subset of the real matches that includes
//! every keepable one, each with its real extent. Spans that overlap or
//! touch form a chain (sorted by `lo`, each next `lo` at most the largest
//! `hi` so far); every keepable start in a chain is in `[first lo, last]`
//! with `last` its largest `hi`, and the prefix `text[..last + reach + 1]`
//! holds every match starting there in full, with the byte after it (so
//! `\b` and `$` see the real text). The leftmost match found in that prefix
//! at or before `last` is therefore a real match with its real extent, and
//! no keepable match is passed over. Each chain is measured once and each
//! window is at most `reach` longer than its chain, so the work stays
//! linear in the text plus the spans' lengths.

use crate::text::{floor_boundary, next_boundary};
use regex::{Match, Regex};

/// Search state over one text: the spans where kept matches start, and the
/// reach of a match.
pub(crate) struct Near {
    /// `[lo, hi]` byte ranges, ascending by `lo`.
    spans: Vec<(usize, usize)>,
    reach: usize,
    /// First span whose `hi` is not yet behind the search position.
    next: usize,
    /// Last span and largest `hi` of the chain holding `next` (valid when
    /// the span index is `>= next`).
    chain_end: Option<(usize, usize)>,
}

impl Near {
    /// `triggers` must be ascending and hold every trigger position; kept
    /// matches start in `[t - back, t + ahead]` of one and are at most
    /// `reach` bytes long (see the module docs).
    pub(crate) fn new(triggers: Vec<usize>, back: usize, ahead: usize, reach: usize) -> Self {
        let spans = triggers
            .into_iter()
            .map(|t| (t.saturating_sub(back), t + ahead))
            .collect();
        Near::spans(spans, reach)
    }

    /// `spans` must be ascending by `lo`; every kept match starts in one of
    /// them and every match is at most `reach` bytes long.
    pub(crate) fn spans(spans: Vec<(usize, usize)>, reach: usize) -> Self {
        Near {
            spans,
            reach,
            next: 0,
            chain_end: None,
        }
    }

    /// The leftmost match of `re` at or after `pos`, as `re.find_at(text,
    /// pos)`, when it can be a kept one; otherwise a later real match, or
    /// `None` when no kept match remains. `pos` must not decrease between
    /// calls.
    pub(crate) fn find<'t>(&mut self, re: &Regex, text: &'t str, pos: usize) -> Option<Match<'t>> {
        self.find_by(text, pos, |hay, from, _| {
            re.find_at(hay, from).map(|m| (m.start(), m))
        })
        .map(|(_, m)| m)
    }

    /// [`Near::find`] for any pattern: `search(hay, from, point)` gives the
    /// leftmost match in `hay` (a prefix of the text) starting at or after
    /// `from`, with its start. With `point` set only a match starting at
    /// `from` itself can be kept, so an anchored search there is enough.
    pub(crate) fn find_by<'t, M>(
        &mut self,
        text: &'t str,
        mut pos: usize,
        mut search: impl FnMut(&'t str, usize, bool) -> Option<(usize, M)>,
    ) -> Option<(usize, M)> {
        loop {
            while self.spans.get(self.next).is_some_and(|&(_, hi)| hi < pos) {
                self.next += 1;
            }
            let (lo, _) = *self.spans.get(self.next)?;
            let (end_idx, last_start) = match self.chain_end {
                Some((e, hi)) if e >= self.next => (e, hi),
                _ => {
                    let mut e = self.next;
                    let mut hi = self.spans[e].1;
                    while self.spans.get(e + 1).is_some_and(|&(l, _)| l <= hi) {
                        e += 1;
                        hi = hi.max(self.spans[e].1);
                    }
                    self.chain_end = Some((e, hi));
                    (e, hi)
                }
            };
            let from = pos.max(floor_boundary(text, lo));
            let hay_end = ceil_boundary(text, last_start + self.reach + 1);
            // past the chain's last start (after a match near its end): a
            // search could only find matches the guard below turns away
            let found = if from <= last_start {
                let point = end_idx == self.next && from == last_start;
                search(&text[..hay_end], from, point)
            } else {
                None
            };
            match found {
                Some((start, m)) if start <= last_start => return Some((start, m)),
                _ => {
                    self.next = end_idx + 1;
                    pos = pos.max(next_boundary(text, last_start.min(text.len())));
                }
            }
        }
    }
}

/// Smallest char boundary `>= i` (or `text.len()`).
fn ceil_boundary(text: &str, i: usize) -> usize {
    (i..text.len())
        .find(|&j| text.is_char_boundary(j))
        .unwrap_or(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_find_at_for_matches_with_a_trigger() {
        let re = regex::Regex::new(r"\b[a-z]{1,6}:[0-9]{1,3}\b|\b[a-z]{4,6}\b")
            .unwrap_or_else(|e| panic!("{e}"));
        let text = "alpha beta:12 gamma delta epsil:7 zeta x:1é y:22 omega";
        let triggers: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
        let mut near = Near::new(triggers, 12, 0, 12);
        let mut want = Vec::new();
        let mut pos = 0;
        while let Some(m) = re.find_at(text, pos) {
            if m.as_str().contains(':') {
                want.push(m.range());
            }
            pos = next_boundary(text, m.start());
        }
        let mut got = Vec::new();
        let mut pos = 0;
        while let Some(m) = near.find(&re, text, pos) {
            if m.as_str().contains(':') {
                got.push(m.range());
            }
            pos = next_boundary(text, m.start());
        }
        assert_eq!(got, want);
        assert_eq!(want.len(), 3);
    }
}
