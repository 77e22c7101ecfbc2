//! The simulated vLLM must speak vLLM's wire format and lifecycle, or the controller would be
//! tested against a fiction. These tests drive it exactly as the controller does: `docker run`
//! on the node, then HTTP.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use spark_sim::{shell, Fault, SimNode, Timing};

fn free_port() -> u16 {
    spark_sim::endpoint::free_port(Ipv4Addr::LOCALHOST).unwrap()
}

fn node(load: Duration) -> SimNode {
    SimNode::new(
        "spark-t",
        Ipv4Addr::LOCALHOST,
        Timing {
            load,
            token_interval: Duration::from_millis(1),
        },
    )
}

async fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if reqwest::get(url).await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{url} never became ready");
}

fn run_vllm(node: &SimNode, port: u16) {
    let out = shell::run(node, &format!("docker run -d --name vllm --gpus all --network host vllm-node vllm serve org/Tiny-1B --served-model-name tiny --port {port}"));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[tokio::test]
async fn health_refuses_connections_while_loading_then_answers_200_empty() {
    let node = node(Duration::from_millis(600));
    let port = free_port();
    run_vllm(&node, port);
    let url = format!("http://127.0.0.1:{port}/health");

    let err = reqwest::get(&url)
        .await
        .expect_err("port must refuse while loading");
    assert!(err.is_connect(), "expected connection refused, got {err}");
    let logs = shell::run(&node, "docker logs vllm").stdout;
    assert!(
        logs.contains("Loading safetensors checkpoint shards"),
        "{logs}"
    );
    let loading_mem = shell::run(
        &node,
        "nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits",
    )
    .stdout;

    wait_ready(&url).await;
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");
    let ready_mem = shell::run(
        &node,
        "nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits",
    )
    .stdout;
    assert!(ready_mem.trim().parse::<u64>().unwrap() > loading_mem.trim().parse::<u64>().unwrap());
    assert!(shell::run(&node, "docker logs --tail 3 vllm")
        .stdout
        .contains("Application startup complete"));

    // Stopping frees the port and the memory.
    assert_eq!(shell::run(&node, "docker stop vllm").code, 0);
    assert!(reqwest::get(&url).await.is_err());
    assert_eq!(
        shell::run(
            &node,
            "nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits"
        )
        .stdout,
        "0\n"
    );
}

#[tokio::test]
async fn streaming_chat_is_sse_chunks_ending_in_done() {
    let node = node(Duration::ZERO);
    let port = free_port();
    run_vllm(&node, port);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{base}/health")).await;

    let models: serde_json::Value = reqwest::get(format!("{base}/v1/models"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "tiny");
    assert_eq!(models["data"][0]["owned_by"], "vllm");

    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/v1/chat/completions"))
        .json(&serde_json::json!({"model": "tiny", "stream": true, "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "hello there"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let body = response.text().await.unwrap();
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(*events.last().unwrap(), "data: [DONE]");
    let chunks: Vec<serde_json::Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(text.ends_with("hello there"), "{text}");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"].as_array().unwrap().len(), 0);
    assert_eq!(usage["usage"]["prompt_tokens"], 2);
    assert_eq!(
        chunks[chunks.len() - 2]["choices"][0]["finish_reason"],
        "stop"
    );

    // Completions, non-streaming, and the error shape for an unknown model.
    let done: serde_json::Value = client
        .post(format!("{base}/v1/completions"))
        .json(&serde_json::json!({"model": "tiny", "prompt": "say hi", "max_tokens": 2}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["object"], "text_completion");
    assert_eq!(done["choices"][0]["finish_reason"], "length");
    assert_eq!(done["usage"]["completion_tokens"], 2);
    let missing = client
        .post(format!("{base}/v1/chat/completions"))
        .json(&serde_json::json!({"model": "nope", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let err: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(err["error"]["code"], 404);
    assert_eq!(err["error"]["type"], "NotFoundError");
}

#[tokio::test]
async fn faults_make_the_service_fail_the_way_tests_ask() {
    let node = node(Duration::ZERO);
    let port = free_port();
    run_vllm(&node, port);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{base}/health")).await;
    let client = reqwest::Client::new();

    node.faults.set(
        "vllm",
        Fault {
            error_status: Some(503),
            ..Fault::default()
        },
    );
    assert_eq!(
        client
            .get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );

    node.faults.set(
        "vllm",
        Fault {
            drop_stream_after: Some(2),
            ..Fault::default()
        },
    );
    let response = client
        .post(format!("{base}/v1/chat/completions"))
        .json(&serde_json::json!({"stream": true, "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    let body = response.text().await;
    assert!(
        body.map_or(true, |b| !b.contains("[DONE]")),
        "a dropped stream must not end cleanly"
    );

    node.faults.set(
        "vllm",
        Fault {
            down: true,
            ..Fault::default()
        },
    );
    node.apply_faults().await;
    assert!(client
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap_err()
        .is_connect());
    node.faults.set("vllm", Fault::default());
    node.apply_faults().await;
    assert_eq!(
        client
            .get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("vllm:num_requests_running{"), "{metrics}");
}
