//! One target's connectivity — a node's SSH or one service — as the signals about it say, and
//! when that opens or closes an outage.
//!
//! Signals come from two sources that test different depths:
//! - [`Source::Connect`]: the cheap TCP connect check, every [`super::CONNECT_INTERVAL`];
//! - [`Source::Check`]: a full check — the HTTP health probe or the SSH probe — and the
//!   passive signals from proxied traffic, which test the same thing (does it answer a
//!   request?), so the newest of them stands.
//!
//! Each source keeps only its latest verdict. The target is out while either source's verdict
//! is a failure; the outage starts at the first failing signal and ends at the signal after
//! which neither fails. A connect success therefore never hides a service that accepts
//! connections but does not answer (a hung vLLM): that failure stands until a full check or a
//! proxied request succeeds.
//!
//! Signals carry the time they speak for: a failure the moment its attempt began (a timed-out
//! probe had no answer from then on), a success the moment the answer came. A signal older
//! than its source's latest verdict (a slow probe overtaken by a proxied request) is ignored.

/// Where a signal comes from; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Connect,
    Check,
}

/// What applying a signal did to the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Nothing,
    /// The target just went out: an outage starts at `at_ms`, for `cause`.
    Opened {
        at_ms: u64,
        cause: String,
    },
    /// The target is back: the outage ends at `at_ms`.
    Closed {
        at_ms: u64,
    },
}

#[derive(Clone, Debug, Default)]
struct Verdict {
    at_ms: u64,
    failure: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Link {
    connect: Verdict,
    check: Verdict,
}

impl Link {
    /// Whether the target is out (an outage is open for it).
    pub fn is_out(&self) -> bool {
        self.connect.failure.is_some() || self.check.failure.is_some()
    }

    /// Why `source` last failed, if its latest verdict is a failure.
    pub fn failure(&self, source: Source) -> Option<&str> {
        self.verdict(source).failure.as_deref()
    }

    /// Whether a signal from `source` at `at_ms` is older than that source's latest verdict
    /// (and would be ignored).
    pub fn is_stale(&self, source: Source, at_ms: u64) -> bool {
        at_ms < self.verdict(source).at_ms
    }

    /// Records one signal: `failure` is its cause, `None` for a success.
    pub fn apply(&mut self, source: Source, at_ms: u64, failure: Option<String>) -> Change {
        let was_out = self.is_out();
        let verdict = match source {
            Source::Connect => &mut self.connect,
            Source::Check => &mut self.check,
        };
        if at_ms < verdict.at_ms {
            return Change::Nothing;
        }
        let cause = failure.clone();
        *verdict = Verdict { at_ms, failure };
        match (was_out, self.is_out(), cause) {
            (false, true, Some(cause)) => Change::Opened { at_ms, cause },
            (true, false, _) => Change::Closed { at_ms },
            _ => Change::Nothing,
        }
    }

    fn verdict(&self, source: Source) -> &Verdict {
        match source {
            Source::Connect => &self.connect,
            Source::Check => &self.check,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(cause: &str) -> Option<String> {
        Some(cause.to_string())
    }

    #[test]
    fn a_refused_connect_opens_and_the_first_success_closes() {
        let mut link = Link::default();
        assert_eq!(link.apply(Source::Connect, 100, None), Change::Nothing);
        assert_eq!(
            link.apply(Source::Connect, 200, fail("connection refused")),
            Change::Opened {
                at_ms: 200,
                cause: "connection refused".into()
            }
        );
        // More failures, from either source, belong to the same outage.
        assert_eq!(
            link.apply(Source::Connect, 300, fail("connection refused")),
            Change::Nothing
        );
        assert_eq!(
            link.apply(Source::Check, 350, fail("timed out")),
            Change::Nothing
        );
        assert_eq!(
            link.apply(Source::Connect, 500, None),
            Change::Nothing,
            "check still fails"
        );
        assert_eq!(
            link.apply(Source::Check, 520, None),
            Change::Closed { at_ms: 520 }
        );
        assert!(!link.is_out());
    }

    #[test]
    fn a_connect_success_does_not_hide_a_service_that_does_not_answer() {
        let mut link = Link::default();
        assert!(matches!(
            link.apply(Source::Check, 1_000, fail("no answer (timed out)")),
            Change::Opened { at_ms: 1_000, .. }
        ));
        assert_eq!(link.apply(Source::Connect, 1_100, None), Change::Nothing);
        assert!(link.is_out());
        assert_eq!(link.failure(Source::Check), Some("no answer (timed out)"));
        assert_eq!(link.failure(Source::Connect), None);
    }

    #[test]
    fn a_stale_signal_is_ignored() {
        let mut link = Link::default();
        // A proxied request succeeded at 2000; a probe that began at 1000 times out later.
        assert_eq!(link.apply(Source::Check, 2_000, None), Change::Nothing);
        assert_eq!(
            link.apply(Source::Check, 1_000, fail("timed out")),
            Change::Nothing
        );
        assert!(!link.is_out());
    }
}
