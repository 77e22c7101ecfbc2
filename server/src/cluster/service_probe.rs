//! Probes one upstream service over HTTP: its health path, and for vLLM the served model.
//!
//! Probes use their own HTTP client with no connection pool: a pooled keep-alive connection
//! can hide a service that stopped accepting new connections, and a probe must see what a new
//! client would see.

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
        },
        Ok(r) => ServiceReport {
            health: Health::Degraded,
            latency: Some(latency),
            model: None,
            error: Some(format!("health answered HTTP {}", r.status().as_u16())),
        },
    };
    if report.health != Health::Down && service.kind == ServiceKind::Vllm {
        report.model = served_model(client, base_url).await;
    }
    report
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
