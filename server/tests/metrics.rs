//! `GET /metrics` on the whole server and the embedded simulated cluster, read as a Prometheus
//! server reads it: the text must parse, every line by the exposition format's grammar, and
//! the numbers must follow what the test did to the server and the cluster.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::status::ClusterStatus;
use app::swap::{SwapPhase, SwapStatus};
use axum::http::StatusCode;
use common::Api;
use prometheus_parse::{LineInfo, Scrape, Value};
use server::config::{ServiceKind, Settings};
use server::metrics::{ClusterView, Format, UpstreamError, UpstreamOutcome};
use server::monitor::now_ms;
use server::state::AppState;
use spark_sim::Fault;

const DEADLINE: Duration = Duration::from_secs(20);

struct Server {
    api: Api,
    state: Arc<AppState>,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let settings = Settings::from_vars(|k| (k == "DATA_DIR").then(|| data.clone())).unwrap();
    let state = server::boot::start(settings).await.unwrap();
    let api = common::serve(state.clone()).await;
    Server {
        api,
        state,
        _dir: dir,
    }
}

/// One scrape, parsed.
struct Metrics {
    text: String,
    scrape: Scrape,
}

impl Metrics {
    /// Checks `text` line by line, then parses it with `prometheus-parse`.
    fn parse(text: String) -> Self {
        check_exposition_format(&text);
        let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
        Metrics { text, scrape }
    }

    /// The value of the one sample of `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut found = self.scrape.samples.iter().filter(|s| {
            s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
        });
        let sample = found.next()?;
        assert!(
            found.next().is_none(),
            "more than one {name}{labels:?} in\n{}",
            self.text
        );
        match sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v),
            _ => panic!("{name} is not a single number"),
        }
    }
}

impl Server {
    async fn metrics(&self) -> Metrics {
        let response = self
            .api
            .http
            .get(format!("{}/metrics", self.api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        Metrics::parse(response.text().await.unwrap())
    }

    async fn get_status(&self, path: &str) -> u16 {
        self.api
            .http
            .get(format!("{}{path}", self.api.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Scrapes until `want` holds.
    async fn wait_metrics(&self, what: &str, want: impl Fn(&Metrics) -> bool) -> Metrics {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let metrics = self.metrics().await;
            if want(&metrics) {
                return metrics;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what} in\n{}",
                metrics.text
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

const HEALTH_OK: [(&str, &str); 3] = [("route", "/health"), ("method", "GET"), ("status", "200")];

#[tokio::test]
async fn metrics_parse_and_follow_requests_probes_and_faults() {
    let server = start().await;
    let up = |m: &Metrics| {
        m.value("spark_control_node_up", &[("node", "spark-1")]) == Some(1.0)
            && m.value("spark_control_node_up", &[("node", "spark-2")]) == Some(1.0)
            && m.value(
                "spark_control_service_up",
                &[("node", "spark-1"), ("service", "vllm")],
            ) == Some(1.0)
    };
    let before = server.wait_metrics("both nodes and vLLM up", up).await;
    assert_eq!(
        before.value(
            "spark_control_service_state",
            &[("node", "spark-1"), ("service", "vllm"), ("state", "up")]
        ),
        Some(1.0)
    );
    assert!(
        before
            .value(
                "spark_control_probe_latency_seconds",
                &[("node", "spark-2"), ("target", "ssh")]
            )
            .unwrap()
            > 0.0
    );
    assert_eq!(
        before.value(
            "spark_control_service_model_info",
            &[("service", "vllm"), ("model", "gpt-oss-120b")]
        ),
        Some(1.0)
    );
    assert_eq!(
        before.value("spark_control_swap_in_progress", &[]),
        Some(0.0)
    );

    // Requests: three to /health, two to paths no route knows.
    let health_before = before
        .value("spark_control_http_requests_total", &HEALTH_OK)
        .unwrap_or(0.0);
    for _ in 0..3 {
        assert_eq!(server.get_status("/health").await, 200);
    }
    assert_eq!(server.get_status("/no/such/route").await, 404);
    assert_eq!(server.get_status("/no/such/route?again=1").await, 404);

    let after = server.metrics().await;
    assert_eq!(
        after.value("spark_control_http_requests_total", &HEALTH_OK),
        Some(health_before + 3.0),
        "{}",
        after.text
    );
    let unmatched = [("route", "unmatched"), ("method", "GET"), ("status", "404")];
    assert_eq!(
        after.value("spark_control_http_requests_total", &unmatched),
        Some(2.0),
        "{}",
        after.text
    );
    assert_eq!(
        after.value(
            "spark_control_http_request_duration_seconds_count",
            &unmatched
        ),
        Some(2.0)
    );
    assert!(
        !after.text.contains("/no/such/route"),
        "raw paths never become labels"
    );
    // The scrapes themselves are requests like any other.
    assert!(
        after
            .value(
                "spark_control_http_requests_total",
                &[("route", "/metrics"), ("status", "200")]
            )
            .unwrap()
            >= 1.0
    );

    // A fault: vLLM's port closes; the next probes say so, and so does /metrics.
    server
        .state
        .sim
        .as_ref()
        .unwrap()
        .set_fault(
            "spark-1",
            "vllm",
            Fault {
                down: true,
                ..Fault::default()
            },
        )
        .await
        .unwrap();
    let down = server
        .wait_metrics("vLLM down", |m| {
            m.value(
                "spark_control_service_up",
                &[("node", "spark-1"), ("service", "vllm")],
            ) == Some(0.0)
        })
        .await;
    assert_eq!(
        down.value(
            "spark_control_service_state",
            &[("node", "spark-1"), ("service", "vllm"), ("state", "down")]
        ),
        Some(1.0)
    );
    assert_eq!(
        down.value("spark_control_node_up", &[("node", "spark-1")]),
        Some(1.0),
        "the node itself is still up"
    );
}

#[tokio::test]
async fn a_scraper_that_asks_for_openmetrics_gets_it() {
    let server = start().await;
    let response = server
        .api
        .http
        .get(format!("{}/metrics", server.api.base))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    assert!(
        text.lines()
            .any(|l| l == "# TYPE spark_control_node_up gauge"),
        "{text}"
    );
}

// The typed API the proxies and the swap tally use, without a server.

fn no_cluster(swaps: Vec<SwapStatus>) -> ClusterView {
    ClusterView {
        status: ClusterStatus {
            updated_at_ms: 0,
            note: None,
            nodes: Vec::new(),
            services: Vec::new(),
        },
        queues: Vec::new(),
        swaps,
        swap_running: false,
    }
}

fn render(metrics: &server::metrics::Metrics, swaps: Vec<SwapStatus>) -> Metrics {
    Metrics::parse(
        metrics
            .render(Format::Prometheus, no_cluster(swaps))
            .unwrap(),
    )
}

#[test]
fn upstream_requests_are_counted_by_outcome_and_errors_by_kind() {
    let metrics = server::metrics::Metrics::new();
    let ms = Duration::from_millis;
    metrics.observe_upstream(ServiceKind::Vllm, UpstreamOutcome::Ok, ms(40));
    metrics.observe_upstream(ServiceKind::Vllm, UpstreamOutcome::Ok, ms(2_000));
    let too_long = UpstreamOutcome::from_status(StatusCode::BAD_REQUEST);
    metrics.observe_upstream(ServiceKind::Vllm, too_long, ms(5));
    let dead = UpstreamOutcome::from_status(StatusCode::SERVICE_UNAVAILABLE);
    metrics.observe_upstream(ServiceKind::Vllm, dead, ms(5));
    metrics.observe_upstream(ServiceKind::Vllm, UpstreamOutcome::Cancelled, ms(900));
    let timeout = UpstreamOutcome::Failed(UpstreamError::Timeout);
    metrics.observe_upstream(ServiceKind::Parakeet, timeout, ms(30_000));

    let m = render(&metrics, Vec::new());
    let requests = "spark_control_upstream_requests_total";
    let vllm = |outcome| [("upstream", "vllm"), ("outcome", outcome)];
    assert_eq!(m.value(requests, &vllm("ok")), Some(2.0));
    assert_eq!(m.value(requests, &vllm("rejected")), Some(1.0));
    assert_eq!(m.value(requests, &vllm("error")), Some(1.0));
    assert_eq!(m.value(requests, &vllm("cancelled")), Some(1.0));
    let parakeet = [("upstream", "parakeet"), ("outcome", "error")];
    assert_eq!(m.value(requests, &parakeet), Some(1.0));

    let errors = "spark_control_upstream_errors_total";
    let error = |upstream, kind| [("upstream", upstream), ("kind", kind)];
    assert_eq!(m.value(errors, &error("vllm", "status")), Some(1.0));
    assert_eq!(m.value(errors, &error("parakeet", "timeout")), Some(1.0));
    let vllm_errors = m
        .scrape
        .samples
        .iter()
        .filter(|s| s.metric == errors && s.labels.get("upstream") == Some("vllm"))
        .count();
    assert_eq!(
        vllm_errors, 1,
        "refused and cancelled requests are not upstream errors"
    );

    let duration = "spark_control_upstream_request_duration_seconds";
    let sum = m.value(&format!("{duration}_sum"), &vllm("ok")).unwrap();
    assert!((sum - 2.04).abs() < 1e-9, "{sum}");
    assert_eq!(
        m.value(&format!("{duration}_count"), &vllm("ok")),
        Some(2.0)
    );
    let buckets = m
        .scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == duration
                && s.labels.get("upstream") == Some("vllm")
                && s.labels.get("outcome") == Some("ok")
        })
        .map(|s| match &s.value {
            Value::Histogram(buckets) => buckets
                .iter()
                .map(|b| (b.less_than, b.count))
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        })
        .unwrap();
    assert!(
        buckets.contains(&(0.05, 1.0)) && buckets.contains(&(2.5, 2.0)),
        "{buckets:?}"
    );
}

#[test]
fn upstream_outcomes_classify_statuses() {
    let outcome = |code| UpstreamOutcome::from_status(StatusCode::from_u16(code).unwrap());
    assert_eq!(outcome(200), UpstreamOutcome::Ok);
    assert_eq!(outcome(413), UpstreamOutcome::Rejected);
    assert_eq!(outcome(502), UpstreamOutcome::Failed(UpstreamError::Status));
}

fn finished_swap(id: u64, phase: SwapPhase, started_at_ms: u64, secs: u64) -> SwapStatus {
    SwapStatus {
        id,
        from_model: None,
        to_model: "tiny".into(),
        node: "spark-1".into(),
        requested_by: None,
        requested_from: None,
        phase,
        percent: None,
        started_at_ms,
        finished_at_ms: Some(started_at_ms + secs * 1000),
        eta_secs: None,
        phases: Vec::new(),
        log_tail: Vec::new(),
        message: String::new(),
        error: None,
        dry_run: false,
        commands: Vec::new(),
        stopping: Vec::new(),
    }
}

#[test]
fn finished_swaps_are_counted_once_and_only_those_of_this_run() {
    let metrics = server::metrics::Metrics::new();
    let start = now_ms();
    let earlier_run = finished_swap(1, SwapPhase::Ready, start - 3_600_000, 60);
    let first = finished_swap(2, SwapPhase::Ready, start, 45);
    let m = render(&metrics, vec![earlier_run.clone()]);
    assert!(!m.text.contains("swaps_total"), "{}", m.text);

    let ready = [("model", "tiny"), ("outcome", "ready")];
    let rolled_back = [("model", "tiny"), ("outcome", "rolled_back")];
    let m = render(&metrics, vec![first.clone(), earlier_run.clone()]);
    assert_eq!(m.value("spark_control_swaps_total", &ready), Some(1.0));
    assert_eq!(
        m.value("spark_control_swap_duration_seconds_sum", &ready),
        Some(45.0)
    );
    assert_eq!(m.value("spark_control_swaps_total", &rolled_back), None);

    // The next scrape: one more swap finished; the first is not counted again.
    let second = finished_swap(3, SwapPhase::RolledBack, start + 60_000, 100);
    let m = render(&metrics, vec![second, first, earlier_run]);
    assert_eq!(m.value("spark_control_swaps_total", &ready), Some(1.0));
    assert_eq!(
        m.value("spark_control_swaps_total", &rolled_back),
        Some(1.0)
    );
    assert_eq!(
        m.value("spark_control_swap_duration_seconds_count", &rolled_back),
        Some(1.0)
    );
}

#[test]
fn openmetrics_is_negotiated_from_the_accept_header() {
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    assert_eq!(Format::negotiate(Some("*/*")), Format::Prometheus);
    assert_eq!(Format::negotiate(None), Format::Prometheus);
}

#[test]
fn the_format_check_rejects_what_a_scraper_would() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\n";
    check_exposition_format(good);
    for bad in [
        "a_total 1\n",                                    // no TYPE
        "# TYPE a_total counter\na_total{x=1} 1\n",       // unquoted label value
        "# TYPE a_total counter\na_total{x=\"1\"} one\n", // not a number
        "# TYPE a_total counter\na_total 1\na_total 2\n", // repeated series
        "# TYPE a_total counter\na_total{x=\"\\q\"} 1\n", // bad escape
        "# TYPE a_total counter\nb_total 1\n",            // outside its family
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", // shrinking
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n",                          // no +Inf
    ] {
        let caught = std::panic::catch_unwind(|| check_exposition_format(bad));
        assert!(caught.is_err(), "accepted {bad:?}");
    }
}

/// Checks `text` against the grammar of the Prometheus text format 0.0.4, more strictly than
/// `prometheus-parse` (which skips what it cannot read): every line is a comment or a valid
/// sample; each family is typed once, before its samples, and its samples are contiguous; no
/// series repeats; a histogram's buckets grow and end in `+Inf` equal to its `_count`.
fn check_exposition_format(text: &str) {
    assert!(text.ends_with('\n'), "the last line ends in a newline");
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut finished_families: HashSet<String> = HashSet::new();
    let mut series: HashSet<String> = HashSet::new();
    // (family, labels without le) → [(le, cumulative count)], and → _count.
    let mut buckets: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts: HashMap<(String, String), f64> = HashMap::new();

    for line in text.lines() {
        assert_ne!(
            LineInfo::parse(line),
            LineInfo::Ignored,
            "prometheus-parse cannot read {line:?}"
        );
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(valid_metric_name(name), "{line}");
            assert!(helps.insert(name.to_string()), "second HELP: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut words = rest.split(' ');
            let (name, kind) = (words.next().unwrap(), words.next().unwrap());
            assert!(valid_metric_name(name), "{line}");
            assert!(words.next().is_none(), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "second TYPE: {line}"
            );
            if let Some(previous) = current.replace(name.to_string()) {
                finished_families.insert(previous);
            }
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment {line:?}");
        assert!(!line.is_empty(), "empty line");

        let (name, labels, value) = parse_sample(line);
        let family = current
            .as_deref()
            .unwrap_or_else(|| panic!("sample before any TYPE: {line}"));
        let kind = types[family].as_str();
        let suffix = name
            .strip_prefix(family)
            .unwrap_or_else(|| panic!("{name} outside its family {family}: {line}"));
        let allowed: &[&str] = match kind {
            "histogram" => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        assert!(allowed.contains(&suffix), "{line}");
        assert!(!finished_families.contains(family), "{family} is split");
        let key = format!("{name}{labels:?}");
        assert!(series.insert(key), "repeated series: {line}");

        if kind == "histogram" {
            let mut rest = labels.clone();
            let le = rest.remove("le");
            let id = (family.to_string(), format!("{rest:?}"));
            match suffix {
                "_bucket" => {
                    let le = le.unwrap_or_else(|| panic!("bucket without le: {line}"));
                    buckets
                        .entry(id)
                        .or_default()
                        .push((parse_value(&le), value));
                }
                "_count" => {
                    counts.insert(id, value);
                }
                _ => {}
            }
        }
    }
    for (id, bounds) in &buckets {
        assert!(
            bounds
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{id:?}: buckets must grow: {bounds:?}"
        );
        let (le, total) = *bounds.last().unwrap();
        assert_eq!(le, f64::INFINITY, "{id:?} ends in +Inf");
        assert_eq!(Some(&total), counts.get(id), "{id:?}: +Inf bucket = _count");
    }
    assert!(!types.is_empty(), "no metrics at all");
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_value(text: &str) -> f64 {
    match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => text
            .parse()
            .unwrap_or_else(|_| panic!("not a sample value: {text:?}")),
    }
}

/// `name{label="value",…} value [timestamp]`, with label values unescaped.
fn parse_sample(line: &str) -> (String, BTreeMap<String, String>, f64) {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(valid_metric_name(name), "{line}");
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices().peekable();
        loop {
            if let Some((i, '}')) = chars.peek().copied() {
                rest = &after[i + 1..];
                break;
            }
            let start = chars
                .peek()
                .unwrap_or_else(|| panic!("open labels: {line}"))
                .0;
            let eq = after[start..]
                .find('=')
                .unwrap_or_else(|| panic!("label without '=': {line}"))
                + start;
            let key = &after[start..eq];
            assert!(valid_label_name(key), "label name {key:?}: {line}");
            while chars.peek().is_some_and(|&(i, _)| i <= eq) {
                chars.next();
            }
            assert_eq!(chars.next().map(|c| c.1), Some('"'), "{line}");
            let mut value = String::new();
            loop {
                match chars
                    .next()
                    .unwrap_or_else(|| panic!("open value: {line}"))
                    .1
                {
                    '"' => break,
                    '\\' => match chars.next().map(|c| c.1) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => panic!("bad escape {other:?}: {line}"),
                    },
                    c => value.push(c),
                }
            }
            assert!(
                labels.insert(key.to_string(), value).is_none(),
                "repeated label {key}: {line}"
            );
            match chars.peek().map(|c| c.1) {
                Some(',') => {
                    chars.next();
                }
                Some('}') => {}
                other => panic!("expected , or }} after a label, got {other:?}: {line}"),
            }
        }
    }
    let mut words = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("no space before the value: {line}"))
        .split(' ');
    let value = parse_value(words.next().unwrap());
    if let Some(timestamp) = words.next() {
        timestamp
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("bad timestamp: {line}"));
    }
    assert!(words.next().is_none(), "{line}");
    (name.to_string(), labels, value)
}
