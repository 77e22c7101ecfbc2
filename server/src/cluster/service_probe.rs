//! Probes one upstream service: a full check over HTTP ([`probe`]: its health path, and for
//! vLLM the served model and the scheduler queue from `/metrics`), and a cheap TCP connect
//! ([`connect`]) that the monitor runs often to catch short outages.
//!
//! What a health answer means:
//! - **down**: the connection is refused or cut, nothing answers within the timeout, or the
//!   health path answers 503 — the service itself says it cannot serve (vLLM's engine is dead
//!   or still starting; FastAPI services answer 503 while their model loads);
//! - **degraded**: it answers, but with another non-2xx status or slower than [`SLOW`];
//! - **up**: a 2xx in time.
//!
//! Probes use their own HTTP client with no connection pool: a pooled keep-alive connection
//! can hide a service that stopped accepting new connections, and a probe must see what a new
//! client would see.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use app::status::Health;

use crate::config::{ServiceConfig, ServiceKind};

/// A response slower than this marks the service degraded.
const SLOW: Duration = Duration::from_millis(1500);

#[derive(Clone, Debug)]
pub struct ServiceReport {
    pub health: Health,
    pub latency: Option<Duration>,
    pub model: Option<String>,
    pub error: Option<String>,
    /// vLLM's `(running, waiting)` requests, when its `/metrics` answered.
    pub queue: Option<(f64, f64)>,
}

pub fn probe_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_max_idle_per_host(0)
        .no_proxy()
        .build()
        .unwrap_or_default()
}

pub async fn probe(
    client: &reqwest::Client,
    base_url: &str,
    service: &ServiceConfig,
) -> ServiceReport {
    let started = Instant::now();
    let response = client
        .get(format!("{base_url}{}", service.kind.health_path()))
        .send()
        .await;
    let latency = started.elapsed();
    let mut report = match response {
        Err(e) => ServiceReport {
            health: Health::Down,
            latency: None,
            model: None,
            error: Some(describe(&e)),
            queue: None,
        },
        Ok(r) if r.status().is_success() => ServiceReport {
            health: if latency > SLOW {
                Health::Degraded
            } else {
                Health::Up
            },
            latency: Some(latency),
            model: None,
            error: (latency > SLOW)
                .then(|| format!("slow: health took {} ms", latency.as_millis())),
            queue: None,
        },
        Ok(r) if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => ServiceReport {
            health: Health::Down,
            latency: Some(latency),
            model: None,
            error: Some("health answered HTTP 503 (unavailable)".into()),
            queue: None,
        },
        Ok(r) => ServiceReport {
            health: Health::Degraded,
            latency: Some(latency),
            model: None,
            error: Some(format!("health answered HTTP {}", r.status().as_u16())),
            queue: None,
        },
    };
    if report.health != Health::Down && service.kind == ServiceKind::Vllm {
        (report.model, report.queue) =
            tokio::join!(served_model(client, base_url), queue(client, base_url));
    }
    report
}

/// Opens a TCP connection to `addr` and closes it: the cheapest sign of life a service gives
/// (no request, nothing for it to log). `Err` says why it failed, in words.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            drop(stream);
            Ok(())
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err("connection refused".into())
        }
        Ok(Err(e)) => Err(format!("cannot connect: {e}")),
        Err(_) => Err(format!("no connection within {} ms", timeout.as_millis())),
    }
}

async fn queue(client: &reqwest::Client, base_url: &str) -> Option<(f64, f64)> {
    let response = client
        .get(format!("{base_url}/metrics"))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    parse_queue(&response.text().await.ok()?)
}

/// vLLM's `vllm:num_requests_running` and `vllm:num_requests_waiting` from its Prometheus
/// text, each summed over its label sets (one per engine). `None` unless both are there.
pub fn parse_queue(text: &str) -> Option<(f64, f64)> {
    let sum = |name: &str| {
        text.lines()
            .filter_map(|line| sample(line, name))
            .reduce(|a, b| a + b)
    };
    Some((
        sum("vllm:num_requests_running")?,
        sum("vllm:num_requests_waiting")?,
    ))
}

/// The value of one Prometheus sample line `name{labels} value [timestamp]` if it is `name`'s.
fn sample(line: &str, name: &str) -> Option<f64> {
    let rest = line.strip_prefix(name)?;
    let rest = match rest.strip_prefix('{') {
        Some(labelled) => &labelled[labelled.rfind('}')? + 1..],
        None if rest.starts_with([' ', '\t']) => rest,
        None => return None,
    };
    rest.split_whitespace().next()?.parse().ok()
}

async fn served_model(client: &reqwest::Client, base_url: &str) -> Option<String> {
    let body: serde_json::Value = client
        .get(format!("{base_url}/v1/models"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body.pointer("/data/0/id")?.as_str().map(str::to_string)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer (timed out)".into()
    } else if e.is_connect() {
        "connection refused or unreachable".into()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_depth_is_read_from_vllm_metrics() {
        let text = "# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine=\"0\",model_name=\"gpt-oss-120b\"} 3.0
vllm:num_requests_running{engine=\"1\",model_name=\"gpt-oss-120b\"} 1.0
vllm:num_requests_running_total 99
vllm:num_requests_waiting 2.0 1712345678000
vllm:kv_cache_usage_perc{engine=\"0\"} 0.06
";
        assert_eq!(parse_queue(text), Some((4.0, 2.0)));
        assert_eq!(parse_queue("vllm:num_requests_running 1.0\n"), None);
        assert_eq!(parse_queue("<html>not metrics</html>"), None);
    }
}
