//! Overlap resolution: from all candidates, keep a non-overlapping set.
//!
//! Rule (deterministic): longer spans first; among equal lengths the more
//! specific kind and source (see `Candidate::priority`), then the earlier
//! start. A candidate is kept when it overlaps nothing kept before it.
//! O(k log k) for k candidates, plus one bit test per 64 bytes of each.
//! The rule runs per cluster of overlapping candidates (see [`resolve`]).

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
    let mut taken = Occupied::new(max_end);
    let mut out = Vec::with_capacity(cands.len());
    let mut cluster: Vec<usize> = Vec::new();
    let mut cluster_end = 0;
    // A candidate's fate depends only on the candidates it overlaps, so the
    // rule runs cluster by cluster (runs of candidates chained by overlaps,
    // in start order). Most clusters are one candidate, kept as it is:
    // only the few real contests pay for the ordering.
    for i in by_start(&cands, max_end) {
        let c = cands[i];
        if c.start >= cluster_end {
            settle(&cands, &mut cluster, &mut taken, &mut out);
        }
        cluster_end = if cluster.is_empty() {
            c.end
        } else {
            cluster_end.max(c.end)
        };
        cluster.push(i);
    }
    settle(&cands, &mut cluster, &mut taken, &mut out);
    out
}

/// Applies the rule to one cluster (emptying it): longest first, then by
/// priority (higher first), start, kind and input order, each kept when it
/// overlaps nothing kept before it. Appends what it keeps in start order.
fn settle(
    cands: &[Candidate],
    cluster: &mut Vec<usize>,
    taken: &mut Occupied,
    out: &mut Vec<Candidate>,
) {
    if let [only] = cluster[..] {
        out.push(cands[only]);
        cluster.clear();
        return;
    }
    cluster.sort_unstable_by_key(|&i| rank(&cands[i], i));
    let from = out.len();
    for &i in cluster.iter() {
        let c = cands[i];
        if !taken.any(c.start, c.end) {
            taken.set(c.start, c.end);
            out.push(c);
        }
    }
    // kept spans are disjoint: their starts differ
    out[from..].sort_unstable_by_key(|c| c.start);
    cluster.clear();
}

/// Where candidate `c`, at `index` in the input, comes in the rule's order
/// (smaller first): longest, then higher priority, earlier start, kind and
/// input order.
fn rank(c: &Candidate, index: usize) -> impl Ord {
    (
        std::cmp::Reverse(c.len()),
        std::cmp::Reverse(c.priority()),
        c.start,
        c.kind,
        index,
    )
}

/// Indexes of `cands` by start, then input order. Offsets and counts below
/// 2^32 (every real input) pack both into one `u64` per candidate, which
/// sorts fast (detectors emit in text order, so the sort mostly merges
/// runs); otherwise a tuple key does the same.
fn by_start(cands: &[Candidate], max_end: usize) -> Vec<usize> {
    let small = u32::try_from(max_end).is_ok() && u32::try_from(cands.len()).is_ok();
    if !small {
        let mut idx: Vec<usize> = (0..cands.len()).collect();
        idx.sort_by_key(|&i| (cands[i].start, i));
        return idx;
    }
    let mut keys: Vec<u64> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.start as u64) << 32) | i as u64)
        .collect();
    keys.sort();
    keys.into_iter()
        .map(|k| (k & u64::from(u32::MAX)) as usize)
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

    /// The rule as stated, over all candidates at once: the definition that
    /// the cluster-wise [`resolve`] must match.
    fn resolve_globally(mut cands: Vec<Candidate>) -> Vec<Candidate> {
        cands.retain(|c| c.start < c.end);
        let mut idx: Vec<usize> = (0..cands.len()).collect();
        idx.sort_by_key(|&i| rank(&cands[i], i));
        let mut kept: Vec<Candidate> = Vec::new();
        for i in idx {
            let c = cands[i];
            if kept.iter().all(|k| k.end <= c.start || c.end <= k.start) {
                kept.push(c);
            }
        }
        kept.sort_by_key(|c| c.start);
        kept
    }

    #[test]
    fn clusters_keep_what_the_global_rule_keeps() {
        let kinds = PiiKind::ALL;
        let sources = [
            Source::Pattern,
            Source::Known(0),
            Source::Learned,
            Source::Heuristic,
        ];
        let mut next = crate::detect::test_support::random_below(0x2545_F491_4F6C_DD1D);
        for round in 0..3000 {
            // short texts crowd candidates into chains, ties and nests
            let len = 1 + next(if round % 2 == 0 { 40 } else { 400 });
            let n = next(60);
            let cands: Vec<Candidate> = (0..n)
                .map(|_| {
                    let start = next(len);
                    let end = (start + next(24)).min(len);
                    let kind = kinds[next(kinds.len())];
                    Candidate::new(start, end, kind, sources[next(sources.len())])
                })
                .collect();
            assert_eq!(
                resolve(cands.clone()),
                resolve_globally(cands.clone()),
                "{cands:?}"
            );
        }
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
