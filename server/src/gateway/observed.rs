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
use http_body::{Body, Frame};
use tokio::time::Sleep;

use crate::config::ServiceKind;
use crate::metrics::{Metrics, UpstreamError, UpstreamOutcome};

/// Wraps an upstream response body; reports to `metrics` exactly once.
pub struct ObservedBody<B> {
    inner: B,
    report: Option<Report>,
    /// Bytes still to come when the upstream said how many it would send.
    remaining: Option<u64>,
    idle: Duration,
    /// Armed only when the upstream makes the client wait: most answers are already here when
    /// they are first polled, and need no timer at all.
    idle_timer: Option<Pin<Box<Sleep>>>,
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

impl<B> ObservedBody<B> {
    pub fn new(inner: B, report: Report, content_length: Option<u64>, idle: Duration) -> Self {
        let mut body = Self {
            inner,
            report: Some(report),
            remaining: content_length,
            idle,
            idle_timer: None,
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

impl<B> Body for ObservedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                // Something arrived: the silence, if one was being timed, is over.
                this.idle_timer = None;
                if let (Some(data), Some(remaining)) = (frame.data_ref(), this.remaining.as_mut()) {
                    *remaining = remaining.saturating_sub(data.len() as u64);
                    if *remaining == 0 {
                        this.finish(None);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            // Headers came, then the body broke off: a cut stream, whatever the status said.
            Poll::Ready(Some(Err(e))) => {
                this.ended = true;
                this.finish(Some(UpstreamOutcome::Failed(UpstreamError::Stream)));
                Poll::Ready(Some(Err(io::Error::other(e.to_string()))))
            }
            Poll::Ready(None) => {
                this.ended = true;
                this.finish(None);
                Poll::Ready(None)
            }
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .idle_timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.ended = true;
                        this.finish(Some(UpstreamOutcome::Failed(UpstreamError::Timeout)));
                        Poll::Ready(Some(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("no data from upstream for {} s", idle.as_secs()),
                        ))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<B> Drop for ObservedBody<B> {
    /// Dropped before its end: the client went away.
    fn drop(&mut self) {
        self.finish(Some(UpstreamOutcome::Cancelled));
    }
}
