//! Recipe launches and two-node (Ray) swaps end to end on the simulated cluster: the controller
//! runs spark-vllm-docker's launcher on spark-1 over SSH (`--solo`, or `-n spark-1,spark-2`),
//! the simulated launcher starts the Ray worker container on spark-2, and the swap stops head
//! and worker in that order, checks memory on both, and cleans both up when it fails.

mod common;

use std::sync::Arc;

use common::Api;
use serde_json::{json, Value};
use server::config::Settings;
use server::state::AppState;
use spark_sim::{launcher, Fault, SimCluster};

const GIB: u64 = 1024 * 1024 * 1024;

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
  - id: coder
    served_model_name: qwen3-coder-30b
    name: Qwen3 Coder (recipe)
    nodes: 1
    memory_gib: 60
    ready_timeout_secs: 30
    launch:
      recipe: qwen3-coder-30b-a3b-fp8
  - id: qwen3-235b
    served_model_name: qwen3-235b
    name: Qwen3 235B (both Sparks)
    nodes: 2
    memory_gib: 200
    ready_timeout_secs: 30
    launch:
      recipe: qwen3-235b-a22b-fp4
"#;

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
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("models.yaml");
    std::fs::write(&catalog, CATALOG).unwrap();
    let vars = [
        ("DATA_DIR", dir.path().display().to_string()),
        ("MODELS_YAML", catalog.display().to_string()),
        ("SIM_LOAD_SECS", "1".into()),
        ("SIM_TOKEN_MS", "1".into()),
    ];
    let settings =
        Settings::from_vars(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let state = server::boot::start(settings).await.unwrap();
    let server = Server {
        api: common::serve(state.clone()).await,
        state,
        _dir: dir,
    };
    server.wait_loaded("gpt-oss-120b").await;
    server
}

impl Server {
    fn sim(&self) -> &SimCluster {
        self.state.sim.as_ref().unwrap()
    }

    fn exec(&self, node: &str, command: &str) -> String {
        spark_sim::shell::run(self.sim().node(node).unwrap(), command).stdout
    }

    /// `NAME:STATE` of every container on `node`, one per line.
    fn containers(&self, node: &str) -> String {
        self.exec(node, "docker ps -a --format {{.Names}}:{{.State}}")
    }

    fn vllm_port(&self) -> u16 {
        self.sim().describe()[0].services[0].1
    }

    /// Waits until the health monitor (what the swap's memory check reads) sees less than
    /// `below` bytes available on `node`.
    async fn wait_available_below(&self, node: &str, below: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let available = self
                .state
                .monitor
                .snapshot()
                .nodes
                .into_iter()
                .find(|n| n.name == node)
                .and_then(|n| n.memory)
                .map(|m| m.available_bytes);
            if available.is_some_and(|a| a < below) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{node} never had less than {below} bytes available: {available:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Swaps to `model` and waits for the outcome.
    async fn swap(&self, model: &str) -> Value {
        let (code, body) = self.post_swap(json!({"model": model})).await;
        assert_eq!(code, 202, "{body}");
        self.wait_finished().await
    }
}

fn commands(swap: &Value) -> Vec<String> {
    swap["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_recipe_runs_solo_on_the_vllm_node() {
    let server = start().await;
    let done = server.swap("coder").await;
    assert_eq!(done["phase"], "ready", "{done:#}");
    let port = server.vllm_port();
    assert_eq!(
        commands(&done),
        [
            "docker stop -t 30 vllm".to_string(),
            "docker rm -f vllm".to_string(),
            format!("spark-vllm-docker/run-recipe.sh qwen3-coder-30b-a3b-fp8 --solo -d --name vllm --port {port} -- --served-model-name qwen3-coder-30b"),
        ],
        "a one-node swap never touches spark-2"
    );
    server.wait_loaded("qwen3-coder-30b").await;
    assert_eq!(server.containers("spark-1"), "vllm:running\n");
    assert_eq!(server.containers("spark-2"), "");
    let cmd = server.exec(
        "spark-1",
        "docker inspect --format '{{json .Config.Cmd}}' vllm",
    );
    assert!(
        cmd.contains("Qwen/Qwen3-Coder-30B-A3B-Instruct-FP8"),
        "{cmd}"
    );

    // And back to a container launch: the recipe's container is stopped like any other.
    let back = server.swap("gpt-oss-120b").await;
    assert_eq!(back["phase"], "ready", "{back:#}");
    server.wait_loaded("gpt-oss-120b").await;
    assert_eq!(server.containers("spark-1"), "vllm:running\n");
}

#[tokio::test]
async fn a_two_node_swap_runs_on_both_nodes_and_swapping_back_orphans_nothing() {
    let server = start().await;
    let preview = server.get("/api/swap/preview?model=qwen3-235b").await;
    let unaffected = preview["preview"]["unaffected"].as_array().unwrap();
    assert!(
        !unaffected.iter().any(|u| u == "spark-2"),
        "spark-2 gets the worker, it is not unaffected: {preview:#}"
    );
    let one_node = server.get("/api/swap/preview?model=coder").await;
    assert!(
        one_node["preview"]["unaffected"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "spark-2"),
        "{one_node:#}"
    );

    let done = server.swap("qwen3-235b").await;
    assert_eq!(done["phase"], "ready", "{done:#}");
    let port = server.vllm_port();
    assert_eq!(
        commands(&done).last().unwrap(),
        &format!("spark-vllm-docker/run-recipe.sh qwen3-235b-a22b-fp4 -n 127.0.0.1,127.0.0.1 -d --name vllm --port {port} -- --served-model-name qwen3-235b")
    );
    assert!(
        done["message"]
            .as_str()
            .unwrap()
            .contains("spark-1 and spark-2"),
        "{done:#}"
    );
    server.wait_loaded("qwen3-235b").await;
    assert_eq!(server.containers("spark-1"), "vllm:running\n");
    assert_eq!(
        server.containers("spark-2"),
        "vllm:running\n",
        "the Ray worker runs on spark-2"
    );
    let worker = server.sim().node("spark-2").unwrap();
    assert!(
        worker.gpu_memory_used_bytes() > 90 * GIB,
        "the worker holds its share of the model"
    );
    // The controller's own probes see the worker's memory too.
    server.wait_available_below("spark-2", 40 * GIB).await;

    let back = server.swap("gpt-oss-120b").await;
    assert_eq!(back["phase"], "ready", "{back:#}");
    let sent = commands(&back);
    let at = |c: &str| {
        sent.iter()
            .position(|s| s == c)
            .unwrap_or_else(|| panic!("{c} not sent: {sent:#?}"))
    };
    assert!(
        at("docker stop -t 30 vllm") < at("spark-2: docker stop -t 30 vllm"),
        "the head stops before the worker: {sent:#?}"
    );
    assert!(at("spark-2: docker stop -t 30 vllm") < at("spark-2: docker rm -f vllm"));
    assert!(sent
        .last()
        .unwrap()
        .starts_with("docker run -d --name vllm"));
    server.wait_loaded("gpt-oss-120b").await;
    assert_eq!(server.containers("spark-1"), "vllm:running\n");
    assert_eq!(
        server.containers("spark-2"),
        "",
        "no worker container is left on spark-2"
    );
    assert_eq!(worker.gpu_memory_used_bytes(), 0);
}

#[tokio::test]
async fn a_two_node_swap_is_refused_when_the_worker_node_lacks_memory() {
    let server = start().await;
    // Another service on spark-2 holds half its memory (an embeddings server on a vLLM image:
    // not a model the swap manages, so it must keep running and keep its memory).
    let port = spark_sim::endpoint::free_port(std::net::Ipv4Addr::LOCALHOST).unwrap();
    let out = spark_sim::shell::run(
        server.sim().node("spark-2").unwrap(),
        &format!("docker run -d --name embeddings vllm/vllm-openai:latest --model BAAI/bge-m3 --gpu-memory-utilization 0.5 --port {port}"),
    );
    assert_eq!(out.code, 0, "{out:?}");
    server.wait_available_below("spark-2", 70 * GIB).await;

    let (code, body) = server.post_swap(json!({"model": "qwen3-235b"})).await;
    assert_eq!(code, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("needs about 100 GiB on spark-2")
            && message.contains("nothing was changed"),
        "{message}"
    );
    let (code, body) = server
        .post_swap(json!({"model": "qwen3-235b", "dry_run": true}))
        .await;
    assert_eq!(code, 422, "a dry run is refused the same way: {body}");

    assert_eq!(server.containers("spark-1"), "vllm:running\n");
    assert_eq!(server.containers("spark-2"), "embeddings:running\n");
    assert_eq!(server.get("/api/models").await["loaded"], "gpt-oss-120b");
    assert!(server.get("/api/swap/history").await["swaps"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_two_node_swap_whose_worker_fails_rolls_back_and_leaves_nothing_on_the_worker() {
    let server = start().await;
    server
        .sim()
        .set_fault(
            "spark-2",
            launcher::RAY_SERVICE,
            Fault {
                down: true,
                ..Fault::default()
            },
        )
        .await
        .unwrap();
    let done = server.swap("qwen3-235b").await;
    assert_eq!(done["phase"], "rolled_back", "{done:#}");
    let error = done["error"].as_str().unwrap();
    assert!(
        error.contains("while loading") && error.contains("rolled back to gpt-oss-120b"),
        "{error}"
    );
    assert!(
        commands(&done).contains(&"spark-2: docker rm -f vllm".to_string()),
        "the failed worker is removed: {:#?}",
        commands(&done)
    );
    server.wait_loaded("gpt-oss-120b").await;
    assert_eq!(server.containers("spark-1"), "vllm:running\n");
    assert_eq!(
        server.containers("spark-2"),
        "",
        "nothing left on the worker"
    );
}

#[tokio::test]
async fn a_dry_run_lists_the_commands_of_both_nodes() {
    let server = start().await;
    let port = server.vllm_port();
    let (code, plan) = server
        .post_swap(json!({"model": "qwen3-235b", "dry_run": true}))
        .await;
    assert_eq!(code, 200, "{plan}");
    assert_eq!(
        commands(&plan["swap"]),
        [
            "docker stop -t 30 vllm".to_string(),
            "docker rm -f vllm".to_string(),
            format!("spark-vllm-docker/run-recipe.sh qwen3-235b-a22b-fp4 -n 127.0.0.1,127.0.0.1 -d --name vllm --port {port} -- --served-model-name qwen3-235b"),
        ]
    );
    assert_eq!(plan["swap"]["node"], "spark-1");

    assert_eq!(server.swap("qwen3-235b").await["phase"], "ready");
    server.wait_loaded("qwen3-235b").await;
    let (code, plan) = server
        .post_swap(json!({"model": "gpt-oss-120b", "dry_run": true}))
        .await;
    assert_eq!(code, 200, "{plan}");
    let planned = commands(&plan["swap"]);
    assert_eq!(
        planned[..4],
        [
            "docker stop -t 30 vllm",
            "docker rm -f vllm",
            "spark-2: docker stop -t 30 vllm",
            "spark-2: docker rm -f vllm",
        ]
    );
    assert!(
        planned[4].starts_with("docker run -d --name vllm"),
        "{planned:#?}"
    );
    assert!(
        plan["swap"]["message"]
            .as_str()
            .unwrap()
            .contains("spark-2"),
        "{plan:#}"
    );
    // Nothing ran: both nodes still serve the two-node model.
    assert_eq!(server.containers("spark-2"), "vllm:running\n");
    assert_eq!(server.get("/api/models").await["loaded"], "qwen3-235b");
}
