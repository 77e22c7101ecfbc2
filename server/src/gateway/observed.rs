//! A proxied answer's body, watched to its end so that `/metrics` counts the request once,
//! with the right outcome, when the client has it all — or when it was cut.
//!
//! A streamed chat answer is only known good after its last chunk; a client that hangs up
//! mid-stream drops the body, which is a cancellation, not an upstream fault. Counting at
//! the headers would call both "ok".

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Bytes;
use futures::Stream;

use crate::config::ServiceKind;
use crate::metrics::{Metrics, UpstreamError, UpstreamOutcome};

/// Wraps an upstream body stream; reports to `metrics` exactly once.
pub struct ObservedBody<S> {
    inner: S,
    report: Option<Report>,
}

struct Report {
    metrics: Arc<Metrics>,
    service: ServiceKind,
    /// The outcome the status code gave; the body can still turn it into a failure.
    outcome: UpstreamOutcome,
    started: Instant,
}

impl Report {
    fn send(self, outcome: UpstreamOutcome) {
        self.metrics
            .observe_upstream(self.service, outcome, self.started.elapsed());
    }
}

impl<S> ObservedBody<S> {
    pub fn new(
        inner: S,
        metrics: Arc<Metrics>,
        service: ServiceKind,
        outcome: UpstreamOutcome,
        started: Instant,
    ) -> Self {
        Self {
            inner,
            report: Some(Report {
                metrics,
                service,
                outcome,
                started,
            }),
        }
    }
}

impl<S> Stream for ObservedBody<S>
where
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Unpin,
{
    type Item = Result<Bytes, reqwest::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        match &polled {
            Poll::Ready(None) => {
                if let Some(report) = self.report.take() {
                    let outcome = report.outcome;
                    report.send(outcome);
                }
            }
            // Headers came, then the body broke off: a cut stream, whatever the status said.
            Poll::Ready(Some(Err(_))) => {
                if let Some(report) = self.report.take() {
                    report.send(UpstreamOutcome::Failed(UpstreamError::Stream));
                }
            }
            _ => {}
        }
        polled
    }
}

impl<S> Drop for ObservedBody<S> {
    /// Dropped before its end: the client went away.
    fn drop(&mut self) {
        if let Some(report) = self.report.take() {
            report.send(UpstreamOutcome::Cancelled);
        }
    }
}
