//! A proxied answer's body, watched to its end: `/metrics` counts the request once, with the
//! right outcome, when the client has it all or when it was cut; and a body that stops
//! arriving is ended after the idle timeout instead of holding the client forever.
//!
//! A streamed chat answer is only known good after its last chunk; a client that hangs up
//! mid-stream drops the body, which is a cancellation, not an upstream fault. Counting at
//! the headers would call both "ok". A body with a `Content-Length` is complete at its last
//! byte: the server stops reading there, so that, not the stream's end, is when it counts.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures::Stream;
use tokio::time::Sleep;

use crate::config::ServiceKind;
use crate::metrics::{Metrics, UpstreamError, UpstreamOutcome};

/// Wraps an upstream body stream; reports to `metrics` exactly once.
pub struct ObservedBody<S> {
    inner: S,
    report: Option<Report>,
    /// Bytes still to come when the upstream said how many it would send.
    remaining: Option<u64>,
    idle: Duration,
    idle_timer: Pin<Box<Sleep>>,
    ended: bool,
}

/// What one proxied request reports when its body ends.
pub struct Report {
    pub metrics: Arc<Metrics>,
    pub service: ServiceKind,
    /// The outcome the status code gave; the body can still turn it into a failure.
    pub outcome: UpstreamOutcome,
    pub started: Instant,
}

impl Report {
    fn send(self, outcome: UpstreamOutcome) {
        self.metrics
            .observe_upstream(self.service, outcome, self.started.elapsed());
    }
}

impl<S> ObservedBody<S> {
    pub fn new(inner: S, report: Report, content_length: Option<u64>, idle: Duration) -> Self {
        let mut body = Self {
            inner,
            report: Some(report),
            remaining: content_length,
            idle,
            idle_timer: Box::pin(tokio::time::sleep(idle)),
            ended: false,
        };
        if body.remaining == Some(0) {
            body.finish(None);
        }
        body
    }

    /// Reports the outcome (the status's, unless `failed`), once.
    fn finish(&mut self, failed: Option<UpstreamOutcome>) {
        if let Some(report) = self.report.take() {
            let outcome = failed.unwrap_or(report.outcome);
            report.send(outcome);
        }
    }
}

impl<S> Stream for ObservedBody<S>
where
    S: Stream<Item = Result<Bytes, reqwest::Error>> + Unpin,
{
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                let deadline = tokio::time::Instant::now() + this.idle;
                this.idle_timer.as_mut().reset(deadline);
                if let Some(remaining) = this.remaining.as_mut() {
                    *remaining = remaining.saturating_sub(bytes.len() as u64);
                    if *remaining == 0 {
                        this.finish(None);
                    }
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            // Headers came, then the body broke off: a cut stream, whatever the status said.
            Poll::Ready(Some(Err(e))) => {
                this.ended = true;
                this.finish(Some(UpstreamOutcome::Failed(UpstreamError::Stream)));
                Poll::Ready(Some(Err(io::Error::other(e))))
            }
            Poll::Ready(None) => {
                this.ended = true;
                this.finish(None);
                Poll::Ready(None)
            }
            Poll::Pending => match this.idle_timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.ended = true;
                    this.finish(Some(UpstreamOutcome::Failed(UpstreamError::Timeout)));
                    Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no data from upstream for {} s", this.idle.as_secs()),
                    ))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<S> Drop for ObservedBody<S> {
    /// Dropped before its end: the client went away.
    fn drop(&mut self) {
        self.finish(Some(UpstreamOutcome::Cancelled));
    }
}
