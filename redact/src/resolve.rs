//! Overlap resolution: from all candidates, keep a non-overlapping set.
//!
//! Rule (deterministic): longer spans first; among equal lengths the more
//! specific kind and source (see `Candidate::priority`), then the earlier
//! start. A candidate is kept when it overlaps nothing kept before it.
//! O(k log k) for k candidates, plus one bit test per 64 bytes of each.

use crate::detect::Candidate;

/// One bit per byte offset: which bytes kept spans cover. Testing or
/// marking a span touches one word per 64 bytes of it, so resolution stays
/// linear in the total length of the candidates.
struct Occupied(Vec<u64>);

impl Occupied {
    fn new(len: usize) -> Self {
        Occupied(vec![0; len / 64 + 1])
    }

    /// The words under `[start, end)` (non-empty) with the mask of its bits.
    fn words(start: usize, end: usize) -> impl Iterator<Item = (usize, u64)> {
        let (first, last) = (start / 64, (end - 1) / 64);
        (first..=last).map(move |w| {
            let lo = if w == first { start % 64 } else { 0 };
            let hi = if w == last { (end - 1) % 64 } else { 63 };
            (w, (u64::MAX >> (63 - hi)) & (u64::MAX << lo))
        })
    }

    fn any(&self, start: usize, end: usize) -> bool {
        Self::words(start, end).any(|(w, mask)| self.0[w] & mask != 0)
    }

    fn set(&mut self, start: usize, end: usize) {
        for (w, mask) in Self::words(start, end) {
            self.0[w] |= mask;
        }
    }
}

pub(crate) fn resolve(mut cands: Vec<Candidate>) -> Vec<Candidate> {
    cands.retain(|c| c.start < c.end);
    let max_end = cands.iter().map(|c| c.end).max().unwrap_or(0);
    let order = order(&cands, max_end);
    let mut taken = Occupied::new(max_end);
    let mut out = Vec::new();
    for i in order {
        let c = cands[i];
        if taken.any(c.start, c.end) {
            continue;
        }
        taken.set(c.start, c.end);
        out.push(c);
    }
    // kept spans are disjoint: their starts differ
    out.sort_unstable_by_key(|c| c.start);
    out
}

/// Indexes of `cands` longest first, then by priority (higher first),
/// start, kind, and input order. Offsets below 2^40 and at most 2^32
/// candidates (every real input) pack all of that into one `u128` per
/// candidate, which sorts fast; otherwise a tuple key does the same.
fn order(cands: &[Candidate], max_end: usize) -> Vec<usize> {
    const OFFSET_BITS: u32 = 40;
    let small = (max_end as u64) < 1 << OFFSET_BITS && (cands.len() as u64) < 1 << 32;
    if !small {
        let mut idx: Vec<usize> = (0..cands.len()).collect();
        // stable: equal keys stay in input order
        idx.sort_by_key(|&i| {
            let c = &cands[i];
            (
                std::cmp::Reverse(c.len()),
                std::cmp::Reverse(c.priority()),
                c.start,
                c.kind,
            )
        });
        return idx;
    }
    let mask = (1u128 << OFFSET_BITS) - 1;
    let mut keys: Vec<u128> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let len_inv = mask - c.len() as u128;
            let prio_inv = u128::from(u8::MAX - c.priority());
            (len_inv << 84)
                | (prio_inv << 76)
                | ((c.start as u128) << 36)
                | ((c.kind.index() as u128) << 32)
                | i as u128
        })
        .collect();
    // keys are distinct (the index is in them): unstable is stable here
    keys.sort_unstable();
    keys.into_iter()
        .map(|k| (k & u128::from(u32::MAX)) as usize)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Source;
    use crate::placeholder::PiiKind;

    fn c(s: usize, e: usize, k: PiiKind) -> Candidate {
        Candidate::new(s, e, k, Source::Pattern)
    }

    #[test]
    fn longest_then_priority() {
        let out = resolve(vec![
            c(0, 5, PiiKind::Person),
            c(0, 20, PiiKind::Email),
            c(25, 30, PiiKind::Phone),
            c(25, 30, PiiKind::Card),
            c(29, 40, PiiKind::Person),
            c(40, 41, PiiKind::Ip),
        ]);
        let kinds: Vec<_> = out.iter().map(|c| (c.start, c.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (0, PiiKind::Email),
                (29, PiiKind::Person),
                (40, PiiKind::Ip)
            ]
        );
    }

    #[test]
    fn order_independent() {
        let a = vec![
            c(0, 4, PiiKind::Phone),
            c(2, 6, PiiKind::Ssn),
            c(5, 9, PiiKind::Card),
        ];
        let mut b = a.clone();
        b.reverse();
        assert_eq!(resolve(a), resolve(b));
    }
}
