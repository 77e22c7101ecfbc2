//! The chat gateway against the simulated vLLM, over real HTTP: passthrough, streaming without
//! buffering, cancellation, swap-awareness, and every error in OpenAI's shape. The official
//! Python `openai` client runs against it too (`openai_client.py`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Api;
use serde_json::{json, Value};
use server::state::AppState;
use spark_sim::Fault;

const CATALOG: &str = r#"
models:
  - id: gpt-oss-120b
    served_model_name: gpt-oss-120b
    name: GPT-OSS 120B
    nodes: 1
    memory_gib: 90
    ready_timeout_secs: 30
    launch:
      container:
        image: vllm-node:latest
        model: openai/gpt-oss-120b
  - id: tiny
    served_model_name: tiny
    name: Tiny
    nodes: 1
    memory_gib: 10
    ready_timeout_secs: 30
    launch:
      container:
        image: vllm-node:latest
        model: org/Tiny-1B
"#;

struct Gateway {
    api: Api,
    state: Arc<AppState>,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Gateway {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

async fn start(vars: &[(&str, &str)]) -> Gateway {
    let (api, state, dir) = common::boot_simulated(CATALOG, vars).await;
    let gateway = Gateway {
        api,
        state,
        _dir: dir,
    };
    gateway.wait_loaded("gpt-oss-120b").await;
    gateway
}

impl Gateway {
    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    fn sim(&self) -> &spark_sim::SimCluster {
        self.state.sim.as_ref().unwrap()
    }

    /// The simulated vLLM's own address, bypassing the gateway.
    fn upstream(&self) -> String {
        let node = self
            .sim()
            .describe()
            .into_iter()
            .find(|n| n.name == "spark-1")
            .unwrap();
        let port = node.services.iter().find(|(s, _)| s == "vllm").unwrap().1;
        format!("http://{}:{port}", node.ip)
    }

    /// A sample of the gateway's own `/metrics`, by its exact name and labels; 0 when absent.
    async fn own_metric(&self, series: &str) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }

    async fn upstream_metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.upstream()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    }
}

fn chat(model: &str, stream: bool, max_tokens: u32) -> Value {
    json!({"model": model, "stream": stream, "max_tokens": max_tokens,
           "messages": [{"role": "user", "content": "Say hello"}]})
}

/// The `error` object of an OpenAI-shaped error answer.
async fn error_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");
    body["error"].clone()
}

#[tokio::test]
async fn chat_passes_through_streaming_and_not() {
    let gw = start(&[("SIM_TOKEN_MS", "30")]).await;

    let models: Value = gw.get("/v1/models").await;
    assert_eq!(models["data"][0]["id"], "gpt-oss-120b", "{models}");

    let whole: Value = gw
        .post("/v1/chat/completions", chat("gpt-oss-120b", false, 8))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(whole["object"], "chat.completion", "{whole}");
    assert!(
        whole["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .len()
            > 1
    );

    // Streaming: the first chunk is in the client's hands while vLLM is still generating —
    // the other chunks keep arriving one by one after it.
    let mut body = chat("gpt-oss-120b", true, 20);
    body["stream_options"] = json!({"include_usage": true});
    let mut response = gw.post("/v1/chat/completions", body).await;
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream; charset=utf-8"
    );
    let mut arrivals = Vec::new();
    let mut text = String::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        arrivals.push(Instant::now());
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        arrivals.len() >= 10,
        "tokens arrived in {} pieces: the stream was buffered",
        arrivals.len()
    );
    assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
    assert!(text.contains("\"usage\""), "include_usage passed through");

    let ok = r#"spark_control_upstream_requests_total{upstream="vllm",outcome="ok"}"#;
    let before = gw.own_metric(ok).await;
    let completion: Value = gw
        .post(
            "/v1/completions",
            json!({"model": "gpt-oss-120b", "prompt": "Once", "max_tokens": 4}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(completion["object"], "text_completion", "{completion}");
    // A whole (non-streamed) answer counts as ok once the client has its last byte.
    assert_eq!(gw.own_metric(ok).await, before + 1.0);
}

#[tokio::test]
async fn a_stream_that_stalls_is_cut_after_the_idle_timeout() {
    // A token every 5 s, and the gateway waits at most 1 s between pieces of an answer.
    let gw = start(&[("SIM_TOKEN_MS", "5000"), ("CHAT_IDLE_TIMEOUT_SECS", "1")]).await;
    let started = Instant::now();
    let mut response = gw
        .post("/v1/chat/completions", chat("gpt-oss-120b", true, 8))
        .await;
    assert_eq!(response.status().as_u16(), 200, "a stream starts at once");
    let cut = loop {
        match tokio::time::timeout(Duration::from_secs(10), response.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None)) => panic!("the stream ended normally"),
            Ok(Err(_)) => break started.elapsed(),
            Err(_) => panic!("no cut within 10 s: the stalled stream held the client"),
        }
    };
    assert!(cut < Duration::from_secs(5), "cut after {cut:?}");
    let timeouts = r#"spark_control_upstream_errors_total{upstream="vllm",kind="timeout"}"#;
    assert_eq!(gw.own_metric(timeouts).await, 1.0);
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_the_generation_upstream() {
    let gw = start(&[("SIM_TOKEN_MS", "20")]).await;
    let before = gw.upstream_metric("vllm:request_aborted_total").await;
    let mut response = gw
        .post("/v1/chat/completions", chat("gpt-oss-120b", true, 2000))
        .await;
    response.chunk().await.unwrap().unwrap();
    response.chunk().await.unwrap().unwrap();
    drop(response);

    let deadline = Instant::now() + Duration::from_secs(10);
    while gw.upstream_metric("vllm:request_aborted_total").await == before {
        assert!(
            Instant::now() < deadline,
            "vLLM kept generating for a client that left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gw.upstream_metric("vllm:num_requests_running").await, 0.0);
}

#[tokio::test]
async fn bad_requests_get_clear_openai_errors() {
    let gw = start(&[("CHAT_MAX_BODY_BYTES", "2048")]).await;

    let bad_json = gw
        .http
        .post(format!("{}/v1/chat/completions", gw.base))
        .header("content-type", "application/json")
        .body("{\"model\": ")
        .send()
        .await
        .unwrap();
    let error = error_of(bad_json, 400).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("the request body is not valid JSON: EOF while parsing"),
        "{error}"
    );

    let huge = json!({"model": "gpt-oss-120b", "prompt": "x".repeat(4096)});
    let error = error_of(gw.post("/v1/completions", huge).await, 413).await;
    assert!(
        error["message"].as_str().unwrap().contains("2048"),
        "{error}"
    );

    let error = error_of(
        gw.post("/v1/chat/completions", chat("llama-9000", false, 4))
            .await,
        404,
    )
    .await;
    assert_eq!(error["code"], "model_not_found");
    assert_eq!(error["param"], "model");

    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("loaded: gpt-oss-120b"),
        "{error}"
    );

    // Routes the gateway does not serve answer in JSON, not with an HTML page.
    let error = error_of(gw.post("/v1/responses", json!({})).await, 404).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("POST /v1/responses"),
        "{error}"
    );
    let wrong_method = gw
        .http
        .get(format!("{}/v1/chat/completions", gw.base))
        .send()
        .await
        .unwrap();
    let error = error_of(wrong_method, 405).await;
    assert!(
        error["message"].as_str().unwrap().contains("GET"),
        "{error}"
    );
}

#[tokio::test]
async fn upstream_faults_are_502_and_504_never_a_hang() {
    let gw = start(&[("CHAT_RESPONSE_TIMEOUT_SECS", "1")]).await;
    let sim = gw.sim();

    sim.set_fault(
        "spark-1",
        "vllm",
        Fault {
            hang: true,
            ..Fault::default()
        },
    )
    .await
    .unwrap();
    let error = error_of(
        gw.post("/v1/chat/completions", chat("gpt-oss-120b", false, 4))
            .await,
        504,
    )
    .await;
    assert_eq!(error["code"], "upstream_timeout");
    // The failed request itself opens the outage, before any probe (which waits 2 s) could.
    let outages = gw.get("/api/outages").await;
    let open = outages["outages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["target"] == "vllm" && o["ended_at_ms"].is_null())
        .cloned()
        .unwrap_or_else(|| panic!("no open vLLM outage: {outages}"));
    assert!(
        open["cause"]
            .as_str()
            .unwrap()
            .contains("proxied chat request"),
        "{open}"
    );
    let metrics = gw
        .http
        .get(format!("{}/metrics", gw.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .contains(r#"spark_control_upstream_errors_total{upstream="vllm",kind="timeout"} 1"#),
        "{metrics}"
    );

    sim.set_fault(
        "spark-1",
        "vllm",
        Fault {
            down: true,
            ..Fault::default()
        },
    )
    .await
    .unwrap();
    let error = error_of(
        gw.post("/v1/chat/completions", chat("gpt-oss-120b", false, 4))
            .await,
        502,
    )
    .await;
    assert_eq!(error["code"], "upstream_unreachable");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("vLLM on spark-1"),
        "{error}"
    );

    // vLLM's own errors pass through as vLLM wrote them.
    sim.clear_faults().await.unwrap();
    let response = gw
        .post(
            "/v1/chat/completions",
            json!({"model": "gpt-oss-120b", "messages": "not a list"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn requests_during_a_swap_wait_for_the_new_model() {
    let gw = start(&[("SIM_LOAD_SECS", "2")]).await;
    assert_eq!(gw.post_swap(json!({"model": "tiny"})).await.0, 202);

    let requests = (0..6).map(|_| {
        let gw = &gw;
        async move {
            let response = gw
                .post("/v1/chat/completions", chat("tiny", false, 4))
                .await;
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    for (status, body) in futures::future::join_all(requests).await {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["model"], "tiny");
    }
    assert_eq!(gw.get("/api/swap").await["swap"]["phase"], "ready");
}

#[tokio::test]
async fn past_the_wait_bound_a_swap_answers_503_with_retry_after() {
    let gw = start(&[("SIM_LOAD_SECS", "3"), ("CHAT_SWAP_WAIT_SECS", "0.3")]).await;
    assert_eq!(gw.post_swap(json!({"model": "tiny"})).await.0, 202);

    let response = gw
        .post("/v1/chat/completions", chat("tiny", false, 4))
        .await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after));
    let error = error_of(response, 503).await;
    assert_eq!(error["code"], "model_swap_in_progress");
    assert!(
        error["message"].as_str().unwrap().contains("swap to tiny"),
        "{error}"
    );
    common::Api::wait_finished(&gw).await;
}

/// The official Python client, unmodified, pointed at the gateway.
#[tokio::test]
async fn the_official_openai_python_client_works_against_the_gateway() {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/python");
    if !python.exists() {
        assert!(
            std::env::var_os("SPARK_TEST_REQUIRE_ALL").is_none(),
            "SPARK_TEST_REQUIRE_ALL is set but {} is missing (scripts/setup.sh --test installs it)",
            python.display()
        );
        eprintln!(
            "skipped: no {} (run scripts/setup.sh --test)",
            python.display()
        );
        return;
    }
    let gw = start(&[("SIM_TOKEN_MS", "5")]).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openai_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("{}/v1", gw.base))
        .output()
        .await
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
    assert!(report.contains("5 checks passed"), "{report}");
}
