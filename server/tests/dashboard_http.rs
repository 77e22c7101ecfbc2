//! The whole server on the embedded simulated cluster, over real HTTP: what a newcomer's first
//! run serves.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use server::config::Settings;

struct Running {
    base: String,
    /// The server's task: it ends when the shutdown future given to [`start_until`] completes
    /// and the last answer is done.
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    start_until(std::future::pending()).await
}

/// The whole server on a loopback port, on a fresh data directory, until `shutdown` completes.
async fn start_until(shutdown: impl Future<Output = ()> + Send + 'static) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let settings = Settings::from_vars(|k| (k == "DATA_DIR").then(|| data.clone())).unwrap();
    let state = server::boot::start(settings).await.unwrap();
    let (api, serving) = common::serve_until(state, shutdown).await;
    Running {
        base: api.base,
        serving,
        _dir: dir,
    }
}

async fn health(base: &str) -> serde_json::Value {
    reqwest::get(format!("{base}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn health_reports_both_simulated_sparks_and_the_loaded_model() {
    let server = start().await;
    let first = reqwest::get(format!("{}/health", server.base))
        .await
        .unwrap();
    assert_eq!(
        first.status(),
        200,
        "the controller answers before any probe finished"
    );

    let deadline = Instant::now() + Duration::from_secs(15);
    let report = loop {
        let report = health(&server.base).await;
        if report["status"] == "ok" {
            break report;
        }
        assert!(
            Instant::now() < deadline,
            "cluster never came up: {report:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let names: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["spark-1", "spark-2"]);
    let vllm = &report["services"][0];
    assert_eq!(
        (
            vllm["name"].as_str(),
            vllm["node"].as_str(),
            vllm["status"].as_str()
        ),
        (Some("vllm"), Some("spark-1"), Some("up"))
    );
    assert_eq!(vllm["model"], "gpt-oss-120b");
    assert!(vllm["url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
}

#[tokio::test]
async fn dashboard_page_is_server_rendered_with_node_cards() {
    let server = start().await;
    // Let the first probes land so the rendered page carries real data.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let page = reqwest::get(&server.base).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Cluster overview"), "{html}");
    assert!(html.contains("data-testid=\"node-spark-1\""), "{html}");
    assert!(html.contains("data-testid=\"node-spark-2\""), "{html}");
    assert!(html.contains("gpt-oss-120b"), "the loaded model is shown");
}

/// Stopping the controller (StartOS stops its service with SIGTERM) lets a generation that is
/// streaming finish, then closes the port: no app sees its answer cut off.
#[tokio::test]
async fn a_stop_lets_a_streaming_answer_finish_then_closes_the_port() {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let Running {
        base,
        serving,
        _dir,
    } = start_until(async {
        let _ = stopped.await;
    })
    .await;

    // The simulated model writes a token every 25 ms: the answer streams for a while.
    let request = serde_json::json!({
        "model": "gpt-oss-120b",
        "stream": true,
        "max_tokens": 40,
        "messages": [{"role": "user", "content": "Tell me a story"}],
    });
    let mut answer = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let before = answer.chunk().await.unwrap().unwrap();
    stop.send(()).unwrap();
    let mut after = Vec::new();
    while let Some(chunk) = answer.chunk().await.unwrap() {
        after.extend_from_slice(&chunk);
    }
    let after = String::from_utf8(after).unwrap();
    let tokens = after.matches("\"content\":").count();
    assert!(
        tokens >= 5
            && after.contains("\"finish_reason\":\"stop\"")
            && after.trim_end().ends_with("data: [DONE]"),
        "after the stop, the stream went on to its end ({tokens} tokens): {}{after}",
        String::from_utf8_lossy(&before)
    );

    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("the server stops once its last answer is done")
        .unwrap()
        .unwrap();
    assert!(
        reqwest::get(format!("{base}/health")).await.is_err(),
        "a stopped server no longer accepts connections"
    );
}
