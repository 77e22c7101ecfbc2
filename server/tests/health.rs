//! Health that is instant and true, seen from outside: the whole server on the simulated
//! cluster, with faults injected into its nodes and services, read over the REST routes
//! `/health`, `/api/health/deep` and `/api/outages`.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Api;
use serde_json::Value;
use server::config::{NodeConfig, ServiceConfig, ServiceKind, Settings};
use server::monitor::{now_ms, Monitor};
use server::ssh::keys::ControllerKey;
use server::state::AppState;
use spark_sim::{Fault, SimCluster, Timing};

/// How long the monitor may take to see a change (nodes are probed every 2 s).
const DEADLINE: Duration = Duration::from_secs(15);

const DOWN: Fault = Fault {
    down: true,
    delay_ms: 0,
    hang: false,
    error_status: None,
    drop_stream_after: None,
};

/// A server on its own embedded simulated cluster, with a fresh data dir.
struct Server {
    state: Arc<AppState>,
    api: Api,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().display().to_string();
        let settings = Settings::from_vars(|k| (k == "DATA_DIR").then(|| data.clone())).unwrap();
        let state = server::boot::start(settings).await.unwrap();
        let api = common::serve(state.clone()).await;
        Server {
            state,
            api,
            _dir: dir,
        }
    }

    fn sim(&self) -> &SimCluster {
        self.state
            .sim
            .as_ref()
            .expect("the embedded simulator runs")
    }

    async fn fault(&self, node: &str, service: &str, fault: Fault) {
        self.sim().set_fault(node, service, fault).await.unwrap();
    }
}

/// Polls `GET path` until `found` picks something out of the answer; returns it.
async fn wait_for<T>(api: &Api, path: &str, what: &str, found: impl Fn(&Value) -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let body = api.get(path).await;
        if let Some(value) = found(&body) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what} never happened: {body:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The entry of `list` whose fields `key`s equal `values`.
fn find<'a>(list: &'a Value, pairs: &[(&str, &str)]) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|item| pairs.iter().all(|(k, v)| item[*k] == *v))
}

async fn wait_vllm_up(api: &Api) {
    wait_for(api, "/health", "vLLM on spark-1 up", |h| {
        find(
            &h["services"],
            &[("node", "spark-1"), ("name", "vllm"), ("status", "up")],
        )
        .map(drop)
    })
    .await;
}

/// Outages of `target` on `node` that started at or after `since_ms`.
fn outages_since(body: &Value, node: &str, target: &str, since_ms: u64) -> Vec<Value> {
    body["outages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["node"] == node && o["target"] == target)
        .filter(|o| o["started_at_ms"].as_u64().is_some_and(|s| s >= since_ms))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_ms_service_outage_is_logged_with_a_plausible_duration() {
    let server = Server::start().await;
    wait_vllm_up(&server.api).await;

    let before = now_ms();
    let faulted = std::time::Instant::now();
    server.fault("spark-1", "vllm", DOWN).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.fault("spark-1", "vllm", Fault::default()).await;
    // On a loaded machine the sleep overshoots: the fault really lasted this long.
    let lasted = faulted.elapsed().as_millis() as u64;

    let outage = wait_for(
        &server.api,
        "/api/outages?limit=50",
        "the outage's end",
        |body| {
            let found = outages_since(body, "spark-1", "vllm", before);
            found
                .iter()
                .all(|o| !o["ended_at_ms"].is_null())
                .then(|| found.first().cloned())
                .flatten()
        },
    )
    .await;
    let outages = outages_since(
        &server.api.get("/api/outages").await,
        "spark-1",
        "vllm",
        before,
    );
    assert_eq!(outages.len(), 1, "one outage, not split: {outages:#?}");
    let duration = outage["duration_ms"].as_u64().unwrap();
    println!("a {lasted} ms fault was logged as {duration} ms: {outage}");
    // Seen by 100 ms connect checks: at most a check interval short, and late by at most a
    // check interval plus the time to notice (generous: the machine may be busy).
    assert!(
        (200..=lasted + 1200).contains(&duration),
        "a {lasted} ms fault: {outage:#}"
    );
    assert_eq!(
        outage["ended_at_ms"].as_u64().unwrap() - outage["started_at_ms"].as_u64().unwrap(),
        duration
    );
    assert!(
        outage["cause"].as_str().unwrap().contains("refused"),
        "{outage:#}"
    );
    // The deep report carries the same record, and the service is back.
    let deep = server.api.get("/api/health/deep").await;
    assert!(find(
        &deep["outages"],
        &[("cause", outage["cause"].as_str().unwrap())]
    )
    .is_some());
    wait_vllm_up(&server.api).await;

    // A bad limit is refused in the one error shape.
    for query in ["limit=0", "limit=many", "limt=3"] {
        let response = server
            .api
            .http
            .get(format!("{}/api/outages?{query}", server.api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 400, "{query}: {body:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_a_probe_of_a_hung_upstream_is_pending() {
    let server = Server::start().await;
    wait_vllm_up(&server.api).await;
    let monitor = &server.state.monitor;

    let hung_at = now_ms();
    server
        .fault(
            "spark-1",
            "vllm",
            Fault {
                hang: true,
                ..Fault::default()
            },
        )
        .await;
    // A probe that began after the hang: it cannot get an answer.
    let deadline = Instant::now() + DEADLINE;
    let pending = loop {
        match monitor.probe_in_flight_since("spark-1", "vllm") {
            Some(since) if since > hung_at => break since,
            _ => {}
        }
        assert!(Instant::now() < deadline, "no probe of the hung vLLM began");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let asked = Instant::now();
    let response = server
        .api
        .http
        .get(format!("{}/health", server.api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let deep = server.api.get("/api/health/deep").await;
    let took = asked.elapsed();
    // Both answers arrived while that very probe was still waiting on vLLM.
    assert_eq!(
        monitor.probe_in_flight_since("spark-1", "vllm"),
        Some(pending),
        "the hung probe ended before /health answered ({took:?})"
    );
    println!("/health and /api/health/deep answered in {took:?} with a probe hung");
    assert_eq!(body["nodes"].as_array().unwrap().len(), 2, "{body:#}");
    assert_eq!(deep["status"]["services"][0]["name"], "vllm", "{deep:#}");

    // When the probe gives up, the hung service is down and an outage is open.
    let outage = wait_for(
        &server.api,
        "/api/outages",
        "an outage of the hung vLLM",
        |body| {
            outages_since(body, "spark-1", "vllm", hung_at)
                .into_iter()
                .next()
        },
    )
    .await;
    assert!(
        outage["cause"].as_str().unwrap().contains("timed out"),
        "{outage:#}"
    );
    let status = &server.api.get("/health").await["services"][0];
    assert_eq!(status["status"], "down", "{status:#}");
    server.fault("spark-1", "vllm", Fault::default()).await;
    wait_for(
        &server.api,
        "/api/outages",
        "the hung vLLM's outage to end",
        |body| {
            let found = outages_since(body, "spark-1", "vllm", hung_at);
            found
                .iter()
                .all(|o| o["ended_at_ms"].is_u64())
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_ssh_is_down_while_the_other_nodes_details_keep_coming() {
    let server = Server::start().await;
    let api = &server.api;
    for node in ["spark-1", "spark-2"] {
        api.wait_node(node, "up", |n| n["status"] == "up").await;
    }
    let before = now_ms();
    server.fault("spark-1", "ssh", DOWN).await;
    api.wait_node("spark-1", "down", |n| n["status"] == "down")
        .await;
    let down_seen = now_ms();

    // spark-2 is probed again after spark-1 went down, and its details are all there.
    let deep = wait_for(api, "/api/health/deep", "a fresh spark-2 sample", |deep| {
        let history = find(&deep["history"], &[("node", "spark-2")])?;
        let latest = history["samples"].as_array()?.last()?;
        (latest["at_ms"].as_u64()? > down_seen && latest["gpu_utilization_pct"].is_number())
            .then(|| deep.clone())
    })
    .await;
    let nodes = &deep["status"]["nodes"];
    let spark1 = find(nodes, &[("name", "spark-1")]).unwrap();
    assert_eq!(spark1["ssh"], "down", "{spark1:#}");
    assert!(spark1["error"].is_string(), "{spark1:#}");
    let spark2 = find(nodes, &[("name", "spark-2")]).unwrap();
    assert_eq!(spark2["ssh"], "up", "{spark2:#}");
    assert!(spark2["gpu"]["utilization_pct"].is_number(), "{spark2:#}");
    assert!(spark2["gpu"]["temperature_c"].is_number(), "{spark2:#}");
    assert!(
        spark2["memory"]["total_bytes"].as_u64().unwrap() > 0,
        "{spark2:#}"
    );
    assert!(spark2["disk"]["available_bytes"].is_u64(), "{spark2:#}");
    assert!(spark2["uptime_secs"].is_u64(), "{spark2:#}");
    let fraction = find(&deep["history"], &[("node", "spark-2")]).unwrap()["samples"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["memory_used_fraction"]
        .as_f64()
        .unwrap();
    assert!((0.0..=1.0).contains(&fraction), "{fraction}");

    // spark-1's vLLM still answers over HTTP: its queue comes from vLLM's /metrics.
    let queue = find(&deep["queues"], &[("node", "spark-1"), ("service", "vllm")])
        .unwrap_or_else(|| panic!("no vLLM queue in {:#}", deep["queues"]));
    assert!(queue["running"].as_f64().unwrap() >= 0.0 && queue["waiting"].is_number());

    // The node's outage is open, listed first.
    let open = &outages_since(&deep, "spark-1", "ssh", before)[0];
    assert!(open["ended_at_ms"].is_null(), "{open:#}");
    assert_eq!(
        deep["outages"][0]["id"], open["id"],
        "open outages come first"
    );

    server.fault("spark-1", "ssh", Fault::default()).await;
    api.wait_node("spark-1", "up again", |n| n["status"] == "up")
        .await;
    let closed = &outages_since(&api.get("/api/outages").await, "spark-1", "ssh", before)[0];
    assert!(closed["duration_ms"].as_u64().unwrap() > 0, "{closed:#}");
}

/// A monitor of one node with a vLLM, without probe loops: only what the test reports.
async fn idle_monitor(dir: &std::path::Path) -> (Arc<Monitor>, server::store::Store) {
    let key = ControllerKey::load_or_create(&dir.join("id_ed25519"), true).unwrap();
    let node = NodeConfig {
        name: "spark-1".into(),
        host: std::net::Ipv4Addr::LOCALHOST,
        user: "sim".into(),
        ssh_port: 1,
        host_key: None,
        services: vec![ServiceConfig {
            kind: ServiceKind::Vllm,
            port: 1,
        }],
    };
    let cluster =
        server::cluster::Cluster::new(vec![node], key.private.clone(), &dir.join("known_hosts"))
            .unwrap();
    let store = server::store::Store::open(dir.join("state.sqlite3"))
        .await
        .unwrap();
    let monitor = Monitor::new(&cluster, None);
    monitor.record_outages_in(store.clone()).await.unwrap();
    (monitor, store)
}

#[tokio::test]
async fn a_failed_proxied_request_opens_an_outage_at_once_and_a_success_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let (monitor, store) = idle_monitor(dir.path()).await;
    let cause = "a proxied chat request failed: connection refused";

    let before = now_ms();
    monitor.report_upstream_failure("spark-1", "vllm", cause);
    let open = monitor.outages(10);
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(
        (open[0].node.as_str(), open[0].target.as_str()),
        ("spark-1", "vllm")
    );
    assert_eq!((open[0].cause.as_str(), open[0].ended_at_ms), (cause, None));
    assert!(open[0].started_at_ms >= before);
    let vllm = &monitor.snapshot().services[0];
    assert_eq!(
        (vllm.health, vllm.error.as_deref()),
        (app::status::Health::Down, Some(cause))
    );

    // More failures belong to the same outage; a service the cluster lacks is ignored.
    monitor.report_upstream_failure("spark-1", "vllm", "another refusal");
    monitor.report_upstream_failure("spark-9", "vllm", "no such node");
    assert_eq!(monitor.outages(10).len(), 1);

    tokio::time::sleep(Duration::from_millis(50)).await;
    monitor.report_upstream_success("spark-1", "vllm");
    let closed = &monitor.outages(10)[0];
    assert_eq!(closed.id, open[0].id);
    let duration = closed.duration_ms.expect("ended");
    assert!((50..5_000).contains(&duration), "{closed:#?}");
    assert_eq!(closed.ended_at_ms, Some(closed.started_at_ms + duration));
    assert_eq!(
        monitor.snapshot().services[0].health,
        app::status::Health::Up
    );
    assert_eq!(monitor.report().outages, std::slice::from_ref(closed));

    // The state file has it too (written behind, so wait a moment).
    let deadline = Instant::now() + DEADLINE;
    while store.recent_outages(10).await.unwrap() != [closed.clone()] {
        assert!(
            Instant::now() < deadline,
            "the closed outage never reached the state file"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A controller in its own runtime, so that it can be stopped as a crash stops it.
struct Controller {
    runtime: Option<tokio::runtime::Runtime>,
    api: Api,
    state: Arc<AppState>,
}

impl Controller {
    async fn start(data_dir: PathBuf) -> Controller {
        let data = data_dir.display().to_string();
        let settings = Settings::from_vars(|k| (k == "DATA_DIR").then(|| data.clone())).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (state, api) = runtime
            .spawn(async move {
                let state = server::boot::start(settings).await.unwrap();
                let api = common::serve(state.clone()).await;
                (state, api)
            })
            .await
            .unwrap();
        Controller {
            runtime: Some(runtime),
            api,
            state,
        }
    }
}

impl Drop for Controller {
    /// Every task ends where it is, nothing is flushed: what `kill -9` does.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_survive_a_restart_and_one_left_open_is_closed_with_a_note() {
    // A simulated cluster that outlives the controllers, described in the shared data dir.
    let dir = tempfile::tempdir().unwrap();
    let key = ControllerKey::load_or_create(&dir.path().join("id_ed25519"), true).unwrap();
    let timing = Timing {
        load: Duration::from_millis(300),
        token_interval: Duration::from_millis(1),
    };
    let (sim, nodes) = server::boot::start_simulated(&key, timing).await.unwrap();
    std::fs::write(
        dir.path().join("cluster.yaml"),
        server::config::cluster_file_yaml(&nodes),
    )
    .unwrap();

    let first = Controller::start(dir.path().to_path_buf()).await;
    wait_vllm_up(&first.api).await;
    first
        .api
        .wait_node("spark-2", "up", |n| n["status"] == "up")
        .await;
    let monitor = &first.state.monitor;
    monitor.report_upstream_failure("spark-1", "vllm", "test: a proxied request was refused");
    monitor.report_upstream_success("spark-1", "vllm");
    let closed = monitor.outages(1)[0].clone();
    assert!(closed.ended_at_ms.is_some(), "{closed:#?}");
    sim.set_fault("spark-2", "ssh", DOWN).await.unwrap();
    let open = wait_for(&first.api, "/api/outages", "spark-2's SSH outage", |body| {
        outages_since(body, "spark-2", "ssh", 0).into_iter().next()
    })
    .await;
    let open_id = open["id"].as_u64().unwrap();
    // Both are in the state file before the controller dies.
    let deadline = Instant::now() + DEADLINE;
    loop {
        let stored = first.state.store.recent_outages(100).await.unwrap();
        let has = |id: u64| stored.iter().any(|o| o.id == id);
        if has(closed.id) && has(open_id) {
            break;
        }
        assert!(Instant::now() < deadline, "not stored: {stored:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(first);
    sim.set_fault("spark-2", "ssh", Fault::default())
        .await
        .unwrap();

    let restarted_at = now_ms();
    let second = Controller::start(dir.path().to_path_buf()).await;
    let listed = second.api.get("/api/outages").await;
    let outages = listed["outages"].as_array().unwrap();
    let by_id = |id: u64| {
        outages
            .iter()
            .find(|o| o["id"] == id)
            .unwrap_or_else(|| panic!("outage {id} lost in the restart: {listed:#}"))
    };
    assert_eq!(
        serde_json::from_value::<app::health::Outage>(by_id(closed.id).clone()).unwrap(),
        closed,
        "a closed outage comes back as it was"
    );
    let cut_off = by_id(open_id);
    let ended = cut_off["ended_at_ms"]
        .as_u64()
        .expect("closed at the restart");
    assert!(ended >= restarted_at, "{cut_off:#}");
    assert_eq!(
        cut_off["duration_ms"].as_u64(),
        Some(ended - cut_off["started_at_ms"].as_u64().unwrap())
    );
    assert!(
        cut_off["cause"]
            .as_str()
            .unwrap()
            .contains("controller stopped"),
        "{cut_off:#}"
    );
    // New outages continue the numbering.
    second
        .state
        .monitor
        .report_upstream_failure("spark-1", "vllm", "test: after the restart");
    let newest = second.state.monitor.outages(1)[0].clone();
    assert!(newest.id > open_id.max(closed.id), "{newest:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_json_for_scripts_and_the_health_page_for_browsers() {
    let server = Server::start().await;
    let get = |accept: Option<&'static str>| {
        let mut request = server.api.http.get(format!("{}/health", server.api.base));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        async move {
            let response = request.send().await.unwrap();
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            (
                response.status().as_u16(),
                kind,
                response.text().await.unwrap(),
            )
        }
    };
    for accept in [None, Some("*/*"), Some("application/json")] {
        let (status, kind, body) = get(accept).await;
        assert_eq!(
            (status, kind.as_str()),
            (200, "application/json"),
            "{accept:?}"
        );
        let body: Value = serde_json::from_str(&body).unwrap();
        assert!(body["nodes"].is_array(), "{body:#}");
    }
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let (status, kind, html) = get(Some(browser)).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(html.contains("<h1>Health</h1>"), "{html}");
}
