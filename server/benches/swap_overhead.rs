//! # What the swap controller adds to a model's load time (issue #3, item 7)
//!
//! A plain benchmark, not a timed test: it runs swaps on the in-process simulated cluster with
//! the production readiness poll ([`server::boot::SWAP_POLL`]) and prints medians.
//!
//! For each swap, on one clock (the bench, the controller and the simulator share a process):
//!
//! ```text
//! POST ─accept─ checking ─check─ stopping ─stop─ starting ─launch + load─ upstream ready
//!      upstream ready ─detect─ ready mark ─publish─ `ready` on SSE
//!      └──────────────────── ready lag ─────────────────────┘
//! ```
//!
//! - *upstream ready*: the simulated vLLM first lists the new model on `/v1/models`, polled
//!   directly by the bench every 5 ms (no connection reuse, as the controller probes);
//! - *ready mark*: the controller's `ready` phase mark; *SSE `ready`*: when the final status
//!   arrives on `/api/swap/events`, which is what the dashboard sees;
//! - *overhead* = total − the simulated load time = accept + check + stop + launch + ready lag.
//!   Phase marks are whole milliseconds, so the small parts read ±1 ms.
//!
//! The lag depends on where in the controller's poll cycle the model becomes ready. One fixed
//! load time samples one point of that cycle (2 s against a 1 s poll sits on its edge: the lag
//! is a whole poll or nothing, by chance), so each round starts a fresh cluster and controller
//! with another load time, stratified over one poll period (2 s + ⅛, ⅜, ⅝, ⅞ of it): the
//! medians then cover the whole cycle, as real loads of arbitrary length do.
//!
//! Run: `cargo bench -p server --bench swap_overhead`. Environment: `SWAP_BENCH_SWAPS`, the
//! total number of swaps (default 8, split across the load times); `SWAP_BENCH_LOADS`, the
//! load times in seconds, comma-separated (default as above).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::swap::{SwapPhase, SwapStatus};
use common::Api;
use serde_json::{json, Value};
use server::config::{ServiceKind, Settings};
use tokio::sync::mpsc;

/// The preloaded model (the simulator starts spark-1 serving it) and a small one. Memory needs
/// are kept low so a stale memory reading between quick swaps never refuses one.
const CATALOG: &str = r#"
models:
  - id: gpt-oss-120b
    served_model_name: gpt-oss-120b
    name: GPT-OSS 120B
    nodes: 1
    memory_gib: 30
    ready_timeout_secs: 60
    launch:
      container:
        image: vllm-node:latest
        model: openai/gpt-oss-120b
        args: ["--gpu-memory-utilization", "0.7"]
  - id: tiny
    served_model_name: tiny
    name: Tiny
    nodes: 1
    memory_gib: 10
    ready_timeout_secs: 60
    launch:
      container:
        image: vllm-node:latest
        model: org/Tiny-1B
        args: ["--gpu-memory-utilization", "0.1"]
"#;

/// How often the bench asks the simulated vLLM whether it is ready.
const UPSTREAM_POLL: Duration = Duration::from_millis(5);

/// One swap's timeline, in milliseconds.
struct Sample {
    to: String,
    load: f64,
    total: f64,
    accept: f64,
    check: f64,
    stop: f64,
    launch: f64,
    detect: f64,
    publish: f64,
}

impl Sample {
    fn overhead(&self) -> f64 {
        self.total - self.load
    }

    fn lag(&self) -> f64 {
        self.detect + self.publish
    }
}

fn main() {
    let poll = server::boot::SWAP_POLL.as_secs_f64();
    let swaps: usize = std::env::var("SWAP_BENCH_SWAPS")
        .ok()
        .map(|v| v.parse().expect("SWAP_BENCH_SWAPS is a number of swaps"))
        .unwrap_or(8);
    let loads: Vec<f64> = match std::env::var("SWAP_BENCH_LOADS") {
        Ok(list) => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("SWAP_BENCH_LOADS: seconds, comma-separated")
            })
            .collect(),
        Err(_) => [1.0, 3.0, 5.0, 7.0].map(|k| 2.0 + k / 8.0 * poll).to_vec(),
    };
    println!(
        "swap overhead: {swaps} swaps on the simulated cluster, load times {loads:?} s, swap poll {} ms",
        poll * 1000.0
    );
    let mut samples = Vec::new();
    for (i, &load) in loads.iter().enumerate() {
        // Each load time gets its share; a runtime per round ends that round's monitor, server
        // and simulator with it, so they do not load the next round.
        let n = swaps / loads.len() + usize::from(i < swaps % loads.len());
        if n == 0 {
            continue;
        }
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        samples.extend(runtime.block_on(round(Duration::from_secs_f64(load), n)));
        runtime.shutdown_timeout(Duration::from_secs(5));
    }
    report(&samples, poll * 1000.0);
}

/// Starts a simulated cluster loading models in `load` and a controller on it, then swaps back
/// and forth `swaps` times.
async fn round(load: Duration, swaps: usize) -> Vec<Sample> {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("models.yaml");
    std::fs::write(&catalog, CATALOG).unwrap();
    let vars = [
        ("DATA_DIR", dir.path().display().to_string()),
        ("MODELS_YAML", catalog.display().to_string()),
        ("SIM_LOAD_SECS", load.as_secs_f64().to_string()),
        ("SIM_TOKEN_MS", "1".into()),
    ];
    let settings =
        Settings::from_vars(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let state = server::boot::start(settings).await.unwrap();
    let upstream = state
        .cluster
        .nodes
        .iter()
        .find_map(|n| {
            let service = n
                .config
                .services
                .iter()
                .find(|s| s.kind == ServiceKind::Vllm)?;
            Some(format!("http://{}:{}", n.config.host, service.port))
        })
        .expect("the simulated cluster serves vLLM");
    let api = common::serve(state).await;
    api.wait_loaded("gpt-oss-120b").await;
    let mut events = follow_events(&api).await;
    let mut samples = Vec::new();
    for i in 0..swaps {
        let to = if i % 2 == 0 { "tiny" } else { "gpt-oss-120b" };
        samples.push(swap(&api, &upstream, &mut events, to, load).await);
        // The next swap's checks read the health monitor: let it see this one's model.
        api.wait_loaded(to).await;
    }
    samples
}

/// Runs one swap to `to` and times it.
async fn swap(
    api: &Api,
    upstream: &str,
    events: &mut mpsc::UnboundedReceiver<(f64, SwapStatus)>,
    to: &str,
    load: Duration,
) -> Sample {
    let ready = tokio::spawn(first_listed(upstream.to_string(), to.to_string()));
    let (posted, body) = post_swap(api, to).await;
    let id = body["swap"]["id"].as_u64().expect("a swap id");
    let deadline = load + Duration::from_secs(30);
    let (seen, status) = tokio::time::timeout(deadline, async {
        loop {
            let (at, status) = events.recv().await.expect("the event stream ended");
            if status.id == id && status.phase.is_finished() {
                return (at, status);
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the swap to {to} did not finish within {deadline:?}"));
    assert_eq!(status.phase, SwapPhase::Ready, "{status:#?}");
    let upstream_ready = tokio::time::timeout(Duration::from_secs(5), ready)
        .await
        .expect("the bench saw the model ready")
        .unwrap();
    let mark = |phase| {
        status
            .phases
            .iter()
            .find(|m| m.phase == phase)
            .map(|m| m.at_ms as f64)
            .unwrap_or_else(|| panic!("no {phase:?} mark in {status:#?}"))
    };
    let load = load.as_secs_f64() * 1000.0;
    Sample {
        to: to.to_string(),
        load,
        total: seen - posted,
        accept: mark(SwapPhase::Checking) - posted,
        check: mark(SwapPhase::Stopping) - mark(SwapPhase::Checking),
        stop: mark(SwapPhase::Starting) - mark(SwapPhase::Stopping),
        launch: upstream_ready - mark(SwapPhase::Starting) - load,
        detect: mark(SwapPhase::Ready) - upstream_ready,
        publish: seen - mark(SwapPhase::Ready),
    }
}

/// `POST /api/swap` until it is accepted (the checks read the health monitor, which may lag a
/// moment behind the previous swap); returns when it was sent and the 202 body.
async fn post_swap(api: &Api, to: &str) -> (f64, Value) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let sent = unix_ms();
        let (code, body) = api.post_swap(json!({"model": to})).await;
        if code == 202 {
            return (sent, body);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the swap to {to} was refused: {code} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// When `served` first appears on the upstream's `/v1/models` (the time the successful request
/// was sent: the model became ready within one [`UPSTREAM_POLL`] before it).
async fn first_listed(upstream: String, served: String) -> f64 {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    loop {
        let sent = unix_ms();
        if let Ok(response) = http.get(format!("{upstream}/v1/models")).send().await {
            if let Ok(models) = response.json::<Value>().await {
                let data = models["data"].as_array().into_iter().flatten();
                if data.into_iter().any(|m| m["id"] == served.as_str()) {
                    return sent;
                }
            }
        }
        tokio::time::sleep(UPSTREAM_POLL).await;
    }
}

/// Follows `/api/swap/events`, handing on each status with the time its event arrived.
async fn follow_events(api: &Api) -> mpsc::UnboundedReceiver<(f64, SwapStatus)> {
    let mut response = api
        .http
        .get(format!("{}/api/swap/events", api.base))
        .send()
        .await
        .unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buffer = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let at = unix_ms();
            buffer.extend_from_slice(&chunk);
            while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
                let frame: Vec<u8> = buffer.drain(..end + 2).collect();
                let frame = String::from_utf8_lossy(&frame);
                for data in frame.lines().filter_map(|l| l.strip_prefix("data:")) {
                    if let Ok(Some(status)) = serde_json::from_str(data.trim()) {
                        if tx.send((at, status)).is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });
    rx
}

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

/// What a row of the summary measures of a swap, in milliseconds.
type Metric = fn(&Sample) -> f64;

fn report(samples: &[Sample], poll_ms: f64) {
    println!("\n  #  to            load ms   total ms  overhead ms  ready lag ms");
    for (i, s) in samples.iter().enumerate() {
        println!(
            "{:>3}  {:<12} {:>8.0} {:>10.0} {:>12.0} {:>13.0}",
            i + 1,
            s.to,
            s.load,
            s.total,
            s.overhead(),
            s.lag()
        );
    }
    let rows: [(&str, Metric); 9] = [
        ("total: POST -> ready on SSE", |s| s.total),
        ("overhead: total - load", Sample::overhead),
        ("  accept: POST -> checking", |s| s.accept),
        ("  check: checking -> stopping", |s| s.check),
        ("  stop: stopping -> starting", |s| s.stop),
        ("  launch: starting -> upstream - load", |s| s.launch),
        ("  ready lag: upstream -> SSE", Sample::lag),
        ("    detect: upstream -> ready mark", |s| s.detect),
        ("    publish: ready mark -> SSE", |s| s.publish),
    ];
    println!(
        "\n{:<40} {:>9} {:>9} {:>9}   ({} swaps, ms)",
        "metric",
        "median",
        "min",
        "max",
        samples.len()
    );
    for (name, metric) in rows {
        if let Some((median, min, max)) = spread(samples.iter().map(metric)) {
            println!("{name:<40} {median:>9.1} {min:>9.1} {max:>9.1}");
        }
    }
    // The controller checks readiness once per poll: the lag is bounded by it.
    if let Some((median, min, max)) = spread(samples.iter().map(|s| s.lag() / poll_ms)) {
        println!(
            "{:<40} {median:>9.2} {min:>9.2} {max:>9.2}",
            format!("ready lag / swap poll ({poll_ms:.0} ms)")
        );
    }
}

/// Median, min and max (the median of an even count is the mean of the middle two).
fn spread(values: impl Iterator<Item = f64>) -> Option<(f64, f64, f64)> {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    let (min, max) = (*values.first()?, *values.last()?);
    let mid = values.len() / 2;
    let median = if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    };
    Some((median, min, max))
}
