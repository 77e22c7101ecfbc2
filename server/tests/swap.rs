//! Model swaps end to end on the simulated cluster, over the REST API: the controller drives the
//! simulated Spark over real SSH and waits on real HTTP readiness.

mod common;

use std::sync::Arc;
use std::time::Duration;

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
        args: ["--gpu-memory-utilization", "0.7"]
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
        args: ["--gpu-memory-utilization", "0.1", "--chat-template=x; docker rm -f vllm $(reboot)"]
  - id: broken
    served_model_name: broken
    name: Broken
    nodes: 1
    memory_gib: 10
    ready_timeout_secs: 30
    launch:
      container:
        image: vllm-node:latest
        model: org/Broken
        args: ["--max-model-len", "lots"]
  - id: stuck
    served_model_name: stuck
    name: Stuck
    nodes: 1
    memory_gib: 10
    ready_timeout_secs: 10
    launch:
      container:
        image: vllm-node:latest
        model: org/Stuck
  - id: huge
    served_model_name: huge
    name: Huge
    nodes: 1
    memory_gib: 500
    ready_timeout_secs: 30
    launch:
      container:
        image: vllm-node:latest
        model: org/Huge
"#;

/// Why the catalog's `broken` model fails to start (vLLM refuses its arguments).
const BROKEN_FAILS: &str = "docker run failed: vllm: error: argument --max-model-len";

struct Server {
    api: Api,
    state: Arc<AppState>,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Server {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

async fn start() -> Server {
    // Loading outlasts the swapper's log poll (`boot::SWAP_POLL`, 1 s) several times over, so
    // that a swap samples the loading log at least once before the model is ready.
    let (api, state, dir) = common::boot_simulated(CATALOG, &[("SIM_LOAD_SECS", "3")]).await;
    let server = Server {
        api,
        state,
        _dir: dir,
    };
    server.wait_loaded("gpt-oss-120b").await;
    server
}

impl Server {
    fn sim(&self) -> &spark_sim::SimCluster {
        self.state.sim.as_ref().unwrap()
    }

    fn node_exec(&self, command: &str) -> String {
        spark_sim::shell::run(self.sim().node("spark-1").unwrap(), command).stdout
    }

    /// Sets (or, with `Fault::default()`, clears) a fault on spark-1's vLLM.
    async fn fault_vllm(&self, fault: Fault) {
        self.sim()
            .set_fault("spark-1", "vllm", fault)
            .await
            .unwrap();
    }

    /// Waits for the running swap to end rolled back to gpt-oss-120b, serving again, with an
    /// error that names `cause` and the rollback.
    async fn assert_rolled_back(&self, cause: &str) {
        let done = self.wait_finished().await;
        assert_eq!(done["phase"], "rolled_back", "{done:#}");
        let error = done["error"].as_str().unwrap();
        for part in [cause, "rolled back to gpt-oss-120b"] {
            assert!(error.contains(part), "{part:?} in {done:#}");
        }
        self.wait_loaded("gpt-oss-120b").await;
    }
}

#[tokio::test]
async fn a_swap_runs_end_to_end_one_at_a_time_with_progress() {
    let server = start().await;
    let mut events = server
        .http
        .get(format!("{}/api/swap/events", server.base))
        .send()
        .await
        .unwrap();

    let (code, body) = server.post_swap(json!({"model": "tiny"})).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["swap"]["from_model"], "gpt-oss-120b");
    let (code, busy) = server.post_swap(json!({"model": "gpt-oss-120b"})).await;
    assert_eq!(code, 409, "a second swap is refused while one runs: {busy}");
    assert_eq!(
        busy["swap"]["to_model"], "tiny",
        "409 carries the running swap's status"
    );

    let done = server.wait_finished().await;
    assert_eq!(done["phase"], "ready", "{done:#}");
    let phases: Vec<&str> = done["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    for expected in ["checking", "stopping", "starting", "ready"] {
        assert!(phases.contains(&expected), "{phases:?}");
    }
    assert!(
        phases.contains(&"loading") || phases.contains(&"warming_up"),
        "log progress was followed: {phases:?}"
    );
    server.wait_loaded("tiny").await;

    // The SSE stream delivered the progress as it happened.
    let mut seen = String::new();
    while !seen.contains("\"phase\":\"ready\"") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("event: status") && seen.contains("\"phase\":\"stopping\""),
        "{seen}"
    );

    // Only the new model runs: nothing orphaned, and the hostile catalog value arrived as one
    // argument instead of running as a command.
    let ps = server.node_exec("docker ps -a --format {{.Names}}");
    assert_eq!(ps, "vllm\n");
    let cmd = server.node_exec("docker inspect --format '{{json .Config.Cmd}}' vllm");
    assert!(
        cmd.contains("\"--chat-template=x; docker rm -f vllm $(reboot)\""),
        "{cmd}"
    );

    let history = server.get("/api/swap/history").await;
    assert_eq!(history["swaps"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    let server = start().await;
    let (code, body) = server.post_swap(json!({"model": "nope"})).await;
    assert_eq!(
        (code, body["error"]["code"].as_u64()),
        (404, Some(404)),
        "{body}"
    );
    let (code, body) = server.post_swap(json!({"model": "huge"})).await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("GiB"),
        "{body}"
    );
    let (code, body) = server.post_swap(json!({"model": "gpt-oss-120b"})).await;
    assert_eq!(code, 409, "already loaded: {body}");
    let bad = server
        .http
        .post(format!("{}/api/swap", server.base))
        .header("content-type", "application/json")
        .body("{\"model\":")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().len() > 5,
        "{body}"
    );

    let (code, plan) = server
        .post_swap(json!({"model": "tiny", "dry_run": true}))
        .await;
    assert_eq!(code, 200, "{plan}");
    assert_eq!(plan["swap"]["phase"], "planned");
    let commands: Vec<&str> = plan["swap"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(commands[0], "docker stop -t 30 vllm");
    assert!(
        commands
            .last()
            .unwrap()
            .contains("'--chat-template=x; docker rm -f vllm $(reboot)'"),
        "{commands:?}"
    );

    // An unreachable node: refused before anything is stopped.
    server
        .sim()
        .set_fault(
            "spark-1",
            "ssh",
            Fault {
                down: true,
                ..Fault::default()
            },
        )
        .await
        .unwrap();
    server
        .wait_node("spark-1", "down", |n| n["status"] == "down")
        .await;
    let (code, body) = server.post_swap(json!({"model": "tiny"})).await;
    assert_eq!(code, 503, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was changed"),
        "{body}"
    );
    server
        .sim()
        .set_fault("spark-1", "ssh", Fault::default())
        .await
        .unwrap();
    assert!(
        server
            .node_exec("docker ps --format {{.Names}}")
            .contains("vllm"),
        "the old model still runs"
    );
    assert!(server.get("/api/swap/history").await["swaps"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_model_that_fails_to_start_rolls_back_to_the_previous_one() {
    let server = start().await;
    let (code, _) = server.post_swap(json!({"model": "broken"})).await;
    assert_eq!(code, 202);
    server.assert_rolled_back(BROKEN_FAILS).await;
}

#[tokio::test]
async fn a_swap_asked_for_while_vllm_does_not_answer_still_rolls_back_to_the_running_model() {
    let server = start().await;
    // vLLM stops answering (a blip, or it hangs): the monitor no longer knows the model, but
    // its container still runs it.
    let down = Fault {
        down: true,
        ..Fault::default()
    };
    server.fault_vllm(down).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !server.get("/api/models").await["loaded"].is_null() {
        assert!(
            std::time::Instant::now() < deadline,
            "vLLM never showed as down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, body) = server.post_swap(json!({"model": "broken"})).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(
        body["swap"]["from_model"], "gpt-oss-120b",
        "the container's command line names the model: {body}"
    );
    server.fault_vllm(Fault::default()).await;
    server.assert_rolled_back(BROKEN_FAILS).await;
}

#[tokio::test]
async fn a_model_that_never_gets_ready_times_out_and_rolls_back() {
    let server = start().await;
    // vLLM's health answers 503 for the new model: it never becomes ready.
    server
        .fault_vllm(Fault {
            error_status: Some(503),
            ..Fault::default()
        })
        .await;
    let (code, _) = server.post_swap(json!({"model": "stuck"})).await;
    assert_eq!(code, 202);
    server.wait_phase("rolling_back").await;
    server.fault_vllm(Fault::default()).await;
    server
        .assert_rolled_back("did not become ready within 10 s")
        .await;
}

#[tokio::test]
async fn the_preview_says_what_a_swap_will_do_and_changes_nothing() {
    let server = start().await;
    let preview = |model: &'static str| {
        let http = server.http.clone();
        let url = format!("{}/api/swap/preview?model={model}", server.base);
        async move {
            let response = http.get(url).send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };

    let (code, body) = preview("tiny").await;
    assert_eq!(code, 200, "{body}");
    let p = &body["preview"];
    assert_eq!(p["stops"], "GPT-OSS 120B");
    assert_eq!(p["node"], "spark-1");
    assert_eq!(
        p["downtime"],
        json!({"basis": "unknown", "limit_secs": 30}),
        "no earlier swap to go by"
    );
    assert_eq!(
        p["sentences"][0],
        "GPT-OSS 120B will stop on spark-1, and Tiny will start in its place."
    );
    assert_eq!(p["unaffected"], json!(["spark-2"]));
    assert_eq!(
        server.get("/api/swap").await["swap"],
        Value::Null,
        "nothing started"
    );
    assert_eq!(server.node_exec("docker ps --format {{.Names}}"), "vllm\n");

    // Refusals are the ones a start would give, before anything is touched.
    assert_eq!(preview("huge").await.0, 422);
    assert_eq!(preview("nope").await.0, 404);
    assert_eq!(preview("gpt-oss-120b").await.0, 409, "already loaded");
    let missing = server
        .http
        .get(format!("{}/api/swap/preview", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 400);

    // While a swap runs the preview refuses with its status; once one succeeded, the downtime
    // of the next swap to that model is measured.
    assert_eq!(server.post_swap(json!({"model": "tiny"})).await.0, 202);
    let (code, busy) = preview("gpt-oss-120b").await;
    assert_eq!(
        (code, &busy["swap"]["to_model"]),
        (409, &json!("tiny")),
        "{busy}"
    );
    assert_eq!(server.wait_finished().await["phase"], "ready");
    server.wait_loaded("tiny").await;
    assert_eq!(
        server.post_swap(json!({"model": "gpt-oss-120b"})).await.0,
        202
    );
    assert_eq!(server.wait_finished().await["phase"], "ready");
    server.wait_loaded("gpt-oss-120b").await;
    let (code, body) = preview("tiny").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["preview"]["downtime"]["basis"], "measured", "{body}");
    assert_eq!(body["preview"]["downtime"]["swaps"], 1);
    assert!(
        body["preview"]["sentences"][1]
            .as_str()
            .unwrap()
            .contains("1 earlier swap to this model"),
        "{body}"
    );
}

/// On the model's node a swap clears every container of a vLLM image, not only its own: the
/// confirmation names each one before anything happens, and the swap then does what it said.
#[tokio::test]
async fn the_preview_names_every_other_container_the_swap_will_clear() {
    let server = start().await;
    let port = spark_sim::endpoint::free_port(std::net::Ipv4Addr::LOCALHOST).unwrap();
    for command in [
        format!("docker run -d --name scratch vllm/vllm-openai:latest --model org/Scratch-1B --gpu-memory-utilization 0.05 --port {port}"),
        "docker run -d --name old-test vllm/vllm-openai:latest --model org/Old-1B".to_string(),
        "docker stop old-test".to_string(),
    ] {
        let out = spark_sim::shell::run(server.sim().node("spark-1").unwrap(), &command);
        assert_eq!(out.code, 0, "{command}: {out:?}");
    }

    let body = server.get("/api/swap/preview?model=tiny").await;
    let p = &body["preview"];
    assert_eq!(
        p["also_stops"],
        json!([
            {"node": "spark-1", "container": "scratch", "image": "vllm/vllm-openai:latest", "running": true},
            {"node": "spark-1", "container": "old-test", "image": "vllm/vllm-openai:latest", "running": false},
        ]),
        "{body}"
    );
    assert_eq!(
        p["sentences"][1],
        "It also stops the container scratch (image vllm/vllm-openai:latest) on spark-1, to free the GPU memory, and removes the stopped container old-test on spark-1.",
        "{body}"
    );
    assert_eq!(p["sentences"].as_array().unwrap().len(), 4);
    assert_eq!(
        {
            let mut names: Vec<String> = server
                .node_exec("docker ps -a --format {{.Names}}")
                .lines()
                .map(String::from)
                .collect();
            names.sort();
            names
        },
        ["old-test", "scratch", "vllm"],
        "a preview changes nothing"
    );

    assert_eq!(server.post_swap(json!({"model": "tiny"})).await.0, 202);
    assert_eq!(server.wait_finished().await["phase"], "ready");
    assert_eq!(
        server.node_exec("docker ps -a --format {{.Names}}"),
        "vllm\n",
        "the swap cleared what the preview named, and nothing else is left"
    );
}

/// A swap takes vLLM down on purpose: the outage log records that outage as the swap's doing,
/// so the owner does not read it as a fault.
#[tokio::test]
async fn the_outage_a_swap_causes_is_recorded_as_planned() {
    let server = start().await;
    let (code, body) = server.post_swap(json!({"model": "tiny"})).await;
    assert_eq!(code, 202, "{body}");
    let id = body["swap"]["id"].as_u64().unwrap();
    assert_eq!(server.wait_finished().await["phase"], "ready");
    server.wait_loaded("tiny").await;

    let outages = server.get("/api/outages").await["outages"].clone();
    let vllm: Vec<&Value> = outages
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["target"] == "vllm")
        .collect();
    assert!(!vllm.is_empty(), "the swap's downtime was seen: {outages}");
    for o in vllm {
        assert_eq!(o["node"], "spark-1");
        assert_eq!(o["planned"], format!("swap #{id} to tiny"), "{o}");
    }
}
