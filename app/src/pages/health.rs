//! The health page: each node's card with GPU and memory sparklines over the last minutes,
//! vLLM's queue, every service's status, and the outage timeline.
//!
//! It shows the same live status as the overview, plus history the server keeps: load
//! samples from each node probe and every outage the connectivity monitor recorded.

use std::time::Duration;

use leptos::prelude::*;

use super::overview::{NodeCard, ServiceChip};
use crate::health::{HealthReport, NodeSample, Outage, QueueDepth};
use crate::status::{format_clock, format_duration};

const REFRESH: Duration = Duration::from_secs(2);
/// The span of the outage timeline.
const TIMELINE_MS: u64 = 60 * 60 * 1000;

/// The cluster status with its recent history.
#[server]
pub async fn get_health_report() -> Result<HealthReport, ServerFnError> {
    Ok(crate::backend::backend()?.health_report())
}

#[component]
pub fn HealthPage() -> impl IntoView {
    let tick = RwSignal::new(0u64);
    let report = Resource::new(move || tick.get(), |_| get_health_report());
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH).ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        <h1>"Health"</h1>
        <Transition fallback=|| view! { <p class="empty">"Loading health…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => view! { <HealthView report /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">"Could not load health: " {e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HealthView(report: HealthReport) -> impl IntoView {
    let HealthReport {
        status,
        history,
        queues,
        outages,
    } = report;
    let now = status.updated_at_ms;
    let open = outages.iter().filter(|o| o.ended_at_ms.is_none()).count();
    view! {
        <p class="live" aria-live="polite">
            <span class="dot" aria-hidden="true"></span>
            "Live · updated " <time data-testid="updated">{format_clock(now)}</time>
            {(open > 0).then(|| view! { " · " <strong class="error">{format!("{open} outage{} now", if open == 1 { "" } else { "s" })}</strong> })}
        </p>
        <section aria-labelledby="services-h">
            <h2 id="services-h">"Services"</h2>
            <ul class="services">
                {status.services.into_iter().map(|s| {
                    let queue = queues.iter().find(|q| q.node == s.node && q.service == s.name).cloned();
                    view! { <ServiceChip service=s>{queue.map(|q| view! { <QueueLine queue=q /> })}</ServiceChip> }
                }).collect_view()}
            </ul>
        </section>
        <section aria-labelledby="outages-h">
            <h2 id="outages-h">"Outages"</h2>
            {if outages.is_empty() {
                // one sentence, not an empty timeline and an empty list
                view! { <p class="empty" data-testid="outages-empty">"No outages recorded."</p> }.into_any()
            } else {
                view! { <OutageTimeline outages=outages.clone() now /> <OutageList outages /> }.into_any()
            }}
        </section>
        <section aria-labelledby="nodes-h">
            <h2 id="nodes-h">"Nodes"</h2>
            <div class="nodes">
                {status.nodes.into_iter().map(|n| {
                    let samples = history.iter().find(|h| h.node == n.name).map(|h| h.samples.clone()).unwrap_or_default();
                    view! {
                        <NodeCard node=n>
                            <Trends samples now />
                        </NodeCard>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// vLLM's running and waiting requests, inside its service's card.
#[component]
fn QueueLine(queue: QueueDepth) -> impl IntoView {
    view! {
        <div class="queue muted" data-testid=format!("queue-{}-{}", queue.node, queue.service)>
            "Queue: " <strong>{format!("{:.0}", queue.running)}</strong> " running, "
            <strong>{format!("{:.0}", queue.waiting)}</strong> " waiting"
        </div>
    }
}

/// GPU utilisation and memory sparklines for one node.
#[component]
fn Trends(samples: Vec<NodeSample>, now: u64) -> impl IntoView {
    if samples.len() < 2 {
        return view! { <p class="muted">"Trends appear after a few probes."</p> }.into_any();
    }
    let since = samples.first().map_or(now, |s| s.at_ms);
    let span = trend_span(now.saturating_sub(since));
    let gpu: Vec<(u64, Option<f64>)> = samples
        .iter()
        .map(|s| (s.at_ms, s.gpu_utilization_pct.map(|p| p / 100.0)))
        .collect();
    let memory: Vec<(u64, Option<f64>)> = samples
        .iter()
        .map(|s| (s.at_ms, s.memory_used_fraction))
        .collect();
    view! {
        <div class="trends">
            <Sparkline label="GPU utilisation" points=gpu span=span.clone() />
            <Sparkline label="Memory used" points=memory span />
        </div>
    }
    .into_any()
}

/// How far back the sparklines reach, for their caption: to the nearest second while under a
/// minute (a fresh start), then to the nearest minute.
fn trend_span(ms: u64) -> String {
    let secs = if ms < 59_500 {
        (ms + 500) / 1000
    } else {
        (ms + 30_000) / 60_000 * 60
    };
    format!("last {}", format_duration(secs))
}

#[component]
fn Sparkline(label: &'static str, points: Vec<(u64, Option<f64>)>, span: String) -> impl IntoView {
    let last = points.iter().rev().find_map(|(_, v)| *v);
    let path = sparkline_path(&points);
    view! {
        <figure class="sparkline">
            <figcaption>
                <span>{label}</span>
                <span class="muted">{span} " · now " {last.map_or("n/a".to_string(), |v| format!("{:.0}%", v * 100.0))}</span>
            </figcaption>
            <svg viewBox="0 0 100 24" preserveAspectRatio="none" role="img" aria-label=format!("{label} over time")>
                <path d=path />
            </svg>
        </figure>
    }
}

/// An SVG path through `(time, fraction 0–1)` points on a 100×24 canvas; a missing value breaks
/// the line rather than pretending it was zero.
pub fn sparkline_path(points: &[(u64, Option<f64>)]) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let span = last.0.saturating_sub(first.0).max(1) as f64;
    let mut path = String::new();
    let mut pen_down = false;
    for (at, value) in points {
        let Some(value) = value else {
            pen_down = false;
            continue;
        };
        let x = (at.saturating_sub(first.0)) as f64 / span * 100.0;
        let y = 24.0 - value.clamp(0.0, 1.0) * 22.0 - 1.0;
        path.push_str(&format!(
            "{}{x:.1},{y:.1} ",
            if pen_down { "L" } else { "M" }
        ));
        pen_down = true;
    }
    path.trim_end().to_string()
}

/// One row per node/target that had an outage in the last hour, each outage a bar.
#[component]
fn OutageTimeline(outages: Vec<Outage>, now: u64) -> impl IntoView {
    let start = now.saturating_sub(TIMELINE_MS);
    let mut rows: Vec<(String, Vec<Outage>)> = Vec::new();
    for o in outages
        .into_iter()
        .filter(|o| o.ended_at_ms.is_none_or(|end| end >= start))
    {
        let key = format!("{} {}", o.node, o.target);
        match rows.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(o),
            None => rows.push((key, vec![o])),
        }
    }
    if rows.is_empty() {
        return view! { <p class="empty" data-testid="timeline-empty">"No outages in the last hour."</p> }.into_any();
    }
    view! {
        <div class="timeline" data-testid="outage-timeline" role="list" aria-label="Outages in the last hour">
            {rows.into_iter().map(|(key, list)| view! {
                <div class="timeline-row" role="listitem">
                    <span class="timeline-label">{key}</span>
                    <div class="timeline-track">
                        {list.into_iter().map(|o| {
                            let (left, width) = bar(&o, start, now);
                            view! {
                                <span class="timeline-bar" class:open=o.ended_at_ms.is_none()
                                    class:planned=o.planned.is_some()
                                    style=format!("left: {left:.2}%; width: {width:.2}%")
                                    title=format!("{} · {} · {}", format_clock(o.started_at_ms), outage_length(&o, now), cause_text(&o))></span>
                            }
                        }).collect_view()}
                    </div>
                </div>
            }).collect_view()}
            <div class="timeline-axis muted"><span>"1 hour ago"</span><span>"now"</span></div>
        </div>
    }
    .into_any()
}

/// Where an outage sits on a `[start, now]` track, in percent; never thinner than visible.
fn bar(o: &Outage, start: u64, now: u64) -> (f64, f64) {
    let span = now.saturating_sub(start).max(1) as f64;
    let from = o.started_at_ms.clamp(start, now);
    let to = o.ended_at_ms.unwrap_or(now).clamp(from, now);
    let left = (from - start) as f64 / span * 100.0;
    let width = ((to - from) as f64 / span * 100.0)
        .max(0.4)
        .min(100.0 - left);
    (left, width)
}

#[component]
fn OutageList(outages: Vec<Outage>) -> impl IntoView {
    view! {
        <table class="outages" data-testid="outage-list">
            <thead><tr><th>"Where"</th><th>"Started"</th><th>"Lasted"</th><th>"Cause"</th></tr></thead>
            <tbody>
                {outages.into_iter().take(50).map(|o| {
                    let lasted = o.duration_ms.map_or_else(|| "ongoing".to_string(), format_millis);
                    view! {
                        <tr class:open=o.ended_at_ms.is_none() class:planned=o.planned.is_some()>
                            <td>{o.target.clone()} " on " {o.node.clone()}</td>
                            <td>{format_clock(o.started_at_ms)}</td>
                            <td>{lasted}</td>
                            <td>{cause_text(&o)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The cause, led by what the controller was doing when the outage was its own doing.
fn cause_text(o: &Outage) -> String {
    match &o.planned {
        Some(what) => format!("Expected: {what}. {}", o.cause),
        None => o.cause.clone(),
    }
}

fn outage_length(o: &Outage, now: u64) -> String {
    match o.duration_ms {
        Some(ms) => format_millis(ms),
        None => format!(
            "ongoing for {}",
            format_millis(now.saturating_sub(o.started_at_ms))
        ),
    }
}

/// `320 ms`, `4.2 s`, `3 min 5 s`: outages are often shorter than a second.
pub fn format_millis(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..=3_599_999 => format!("{} min {} s", ms / 60_000, ms % 60_000 / 1000),
        _ => format!("{} h {} min", ms / 3_600_000, ms % 3_600_000 / 60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_span_reads_in_seconds_until_a_minute_then_in_minutes() {
        assert_eq!(trend_span(8_200), "last 8 s");
        assert_eq!(trend_span(59_000), "last 59 s");
        assert_eq!(trend_span(59_600), "last 1 min");
        assert_eq!(trend_span(10 * 60_000 + 20_000), "last 10 min");
    }

    #[test]
    fn a_sparkline_spans_the_canvas_and_breaks_at_gaps() {
        let path = sparkline_path(&[
            (0, Some(0.0)),
            (50, Some(1.0)),
            (75, None),
            (100, Some(0.5)),
        ]);
        assert_eq!(path, "M0.0,23.0 L50.0,1.0 M100.0,12.0");
        assert_eq!(sparkline_path(&[]), "");
    }

    #[test]
    fn a_planned_outage_says_what_the_controller_was_doing() {
        let mut o = Outage {
            id: 1,
            node: "spark-1".into(),
            target: "vllm".into(),
            started_at_ms: 0,
            ended_at_ms: Some(60_000),
            duration_ms: Some(60_000),
            cause: "connection refused (connect check)".into(),
            planned: None,
        };
        assert_eq!(cause_text(&o), "connection refused (connect check)");
        o.planned = Some("swap #3 to tiny".into());
        assert_eq!(
            cause_text(&o),
            "Expected: swap #3 to tiny. connection refused (connect check)"
        );
    }

    #[test]
    fn short_outages_stay_visible_and_bars_stay_on_the_track() {
        let o = |start, end: Option<u64>| Outage {
            id: 1,
            node: "n".into(),
            target: "vllm".into(),
            started_at_ms: start,
            ended_at_ms: end,
            duration_ms: end.map(|e| e - start),
            cause: String::new(),
            planned: None,
        };
        let (left, width) = bar(&o(500_000, Some(500_300)), 0, 1_000_000);
        assert_eq!((left, width), (50.0, 0.4), "a 300 ms outage is still drawn");
        let (left, width) = bar(&o(0, None), 500_000, 1_000_000);
        assert_eq!(
            (left, width),
            (0.0, 100.0),
            "an open outage older than the window fills it"
        );
        assert_eq!(format_millis(320), "320 ms");
        assert_eq!(format_millis(4_200), "4.2 s");
        assert_eq!(format_millis(185_000), "3 min 5 s");
    }
}
