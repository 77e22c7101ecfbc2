//! Overlap resolution: from all candidates, keep a non-overlapping set.
//!
//! Rule (deterministic): longer spans first; among equal lengths the more
//! specific kind and source (see `Candidate::priority`), then the earlier
//! start. A candidate is kept when it overlaps nothing kept before it.
//! O(k log k) for k candidates.

use crate::detect::Candidate;
use std::collections::BTreeMap;

pub(crate) fn resolve(mut cands: Vec<Candidate>) -> Vec<Candidate> {
    cands.retain(|c| c.start < c.end);
    cands.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then(b.priority().cmp(&a.priority()))
            .then(a.start.cmp(&b.start))
            .then(a.kind.cmp(&b.kind))
    });
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for c in cands {
        // kept spans are disjoint, so the one starting last before c.end
        // also ends last among them
        if let Some((_, &e)) = taken.range(..c.end).next_back() {
            if e > c.start {
                continue;
            }
        }
        taken.insert(c.start, c.end);
        out.push(c);
    }
    out.sort_by_key(|c| c.start);
    out
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
