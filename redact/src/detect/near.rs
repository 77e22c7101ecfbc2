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
//! bytes long, and every match the caller keeps starts in
//! `[t - back, t + ahead]` for some trigger `t`. A scan loop (see
//! [`super::scan`]) keeps or rejects the real matches in order of their
//! start; a rejection only moves it one char on. So it keeps the same
//! matches when it is shown a subset of the real matches that includes
//! every keepable one, each with its real extent. Triggers closer than
//! `back + ahead` form a chain; for a chain ending at trigger `last`, every
//! keepable start is in `[first - back, last + ahead]`, and the prefix
//! `text[..last + ahead + reach + 1]` holds every match starting there in
//! full, with the byte after it (so `\b` and `$` see the real text). The
//! leftmost match found in that prefix at or before `last + ahead` is
//! therefore a real match with its real extent, and no keepable match is
//! passed over. Each chain is measured once and each window is at most
//! `back + ahead + reach` longer than its chain, so the work stays linear.

use crate::text::{floor_boundary, next_boundary};
use regex::{Match, Regex};

/// Search state over one text: ascending trigger positions and the reach
/// of a match around them.
pub(crate) struct Near {
    triggers: Vec<usize>,
    back: usize,
    ahead: usize,
    reach: usize,
    /// First trigger whose window is not yet behind the search position.
    next: usize,
    /// Last trigger of the chain holding `next` (valid when `>= next`).
    chain_end: Option<usize>,
}

impl Near {
    /// `triggers` must be ascending and hold every trigger position; kept
    /// matches start in `[t - back, t + ahead]` of one and are at most
    /// `reach` bytes long (see the module docs).
    pub(crate) fn new(triggers: Vec<usize>, back: usize, ahead: usize, reach: usize) -> Self {
        Near {
            triggers,
            back,
            ahead,
            reach,
            next: 0,
            chain_end: None,
        }
    }

    /// The leftmost match of `re` at or after `pos`, as `re.find_at(text,
    /// pos)`, when it can be a kept one; otherwise a later real match, or
    /// `None` when no kept match remains. `pos` must not decrease between
    /// calls.
    pub(crate) fn find<'t>(
        &mut self,
        re: &Regex,
        text: &'t str,
        mut pos: usize,
    ) -> Option<Match<'t>> {
        loop {
            let lo = pos.saturating_sub(self.ahead);
            while self.triggers.get(self.next).is_some_and(|&t| t < lo) {
                self.next += 1;
            }
            let t = *self.triggers.get(self.next)?;
            let end_idx = match self.chain_end {
                Some(e) if e >= self.next => e,
                _ => {
                    let gap = self.back + self.ahead;
                    let mut e = self.next;
                    while self
                        .triggers
                        .get(e + 1)
                        .is_some_and(|&u| u - self.triggers[e] <= gap)
                    {
                        e += 1;
                    }
                    self.chain_end = Some(e);
                    e
                }
            };
            let last_start = self.triggers[end_idx] + self.ahead;
            let from = pos.max(floor_boundary(text, t.saturating_sub(self.back)));
            let hay_end = ceil_boundary(text, last_start + self.reach + 1);
            match re.find_at(&text[..hay_end], from) {
                Some(m) if m.start() <= last_start => return Some(m),
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
