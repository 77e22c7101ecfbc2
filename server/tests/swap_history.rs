//! Swap history and restart recovery, seen from outside: controllers are started, killed and
//! started again on one data dir, against one simulated cluster that outlives them (as real
//! Sparks outlive a restart of the controller).
//!
//! Each controller runs in its own tokio runtime; killing it shuts that runtime down, which
//! ends every task it started wherever it was — what `kill -9` or a crash does to the process.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Api;
use serde_json::{json, Value};
use server::config::Settings;
use server::ssh::keys::ControllerKey;
use server::state::AppState;
use spark_sim::{SimCluster, Timing};

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
        args: ["--gpu-memory-utilization", "0.1"]
"#;

/// How long reconciliation may take to say what the node runs (the interrupted load finishing
/// included).
const RECONCILE_DEADLINE: Duration = Duration::from_secs(30);

/// A simulated cluster that outlives the controllers, and the data dir they share.
struct Site {
    sim: SimCluster,
    dir: tempfile::TempDir,
}

impl Site {
    /// `load` is how long a simulated model takes to load after `docker run`.
    async fn start(load: Duration) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("models.yaml"), CATALOG).unwrap();
        let key = ControllerKey::load_or_create(&dir.path().join("id_ed25519"), true).unwrap();
        let timing = Timing {
            load,
            token_interval: Duration::from_millis(1),
        };
        let (sim, nodes) = server::boot::start_simulated(&key, timing).await.unwrap();
        // `cluster.yaml` in the data dir is picked up by every controller started on it.
        std::fs::write(
            dir.path().join("cluster.yaml"),
            server::config::cluster_file_yaml(&nodes),
        )
        .unwrap();
        Site { sim, dir }
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts a controller on the shared data dir and serves its API.
    async fn controller(&self) -> Controller {
        let data_dir = self.data_dir().display().to_string();
        let catalog = self.data_dir().join("models.yaml").display().to_string();
        let settings = Settings::from_vars(|k| match k {
            "DATA_DIR" => Some(data_dir.clone()),
            "MODELS_YAML" => Some(catalog.clone()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            settings.state_file,
            PathBuf::from(&data_dir).join("state.sqlite3")
        );
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

    /// Runs a shell command on the simulated vLLM node, bypassing the controller.
    fn node_exec(&self, command: &str) -> String {
        spark_sim::shell::run(self.sim.node("spark-1").unwrap(), command).stdout
    }
}

struct Controller {
    runtime: Option<tokio::runtime::Runtime>,
    api: Api,
    state: Arc<AppState>,
}

impl std::ops::Deref for Controller {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Controller {
    /// Stops the controller as a crash does: every task ends where it is, nothing is flushed.
    fn kill(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Follows `GET /api/swap` until `done` holds for the swap; returns it.
async fn wait_swap(api: &Api, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + RECONCILE_DEADLINE;
    loop {
        let swap = api.get("/api/swap").await["swap"].clone();
        if done(&swap) {
            return swap;
        }
        assert!(Instant::now() < deadline, "{what} never happened: {swap:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts a swap to `model` that must be accepted; returns its first status.
async fn swap_to(api: &Api, model: &str) -> Value {
    let (code, body) = api.post_swap(json!({"model": model})).await;
    assert_eq!(code, 202, "{body:#}");
    body["swap"].clone()
}

/// Kills the controller once the new model's container runs and loads (its log is being read):
/// the old model is gone and the new one is not ready — the worst moment to stop.
async fn kill_mid_load(controller: Controller) -> Value {
    let swap = wait_swap(&controller, "loading the new model", |s| {
        s["log_tail"].as_array().is_some_and(|l| !l.is_empty())
    })
    .await;
    assert_eq!(swap["finished_at_ms"], Value::Null, "{swap:#}");
    controller.kill();
    swap
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_etas_survive_a_restart_and_ids_continue() {
    let site = Site::start(Duration::from_millis(300)).await;
    let first = site.controller().await;
    first.wait_loaded("gpt-oss-120b").await;
    let started = swap_to(&first, "tiny").await;
    assert_eq!(started["eta_secs"], Value::Null, "no earlier swap to go by");
    let done = first.wait_finished().await;
    assert_eq!(done["phase"], "ready", "{done:#}");
    first.kill();

    let second = site.controller().await;
    // Before any probe: the last swap is the one the previous run finished.
    let last = second.get("/api/swap").await["swap"].clone();
    assert_eq!(
        (&last["id"], &last["phase"]),
        (&done["id"], &json!("ready")),
        "{last:#}"
    );
    let history = second.get("/api/swap/history").await["swaps"].clone();
    let swaps = history.as_array().unwrap();
    assert_eq!(swaps.len(), 1, "{history:#}");
    let recorded = &swaps[0];
    for field in [
        "id",
        "from_model",
        "to_model",
        "node",
        "phase",
        "started_at_ms",
        "finished_at_ms",
        "phases",
        "commands",
        "message",
    ] {
        assert_eq!(recorded[field], done[field], "{field}: {recorded:#}");
    }
    let took =
        recorded["finished_at_ms"].as_u64().unwrap() - recorded["started_at_ms"].as_u64().unwrap();
    assert!(took >= 300, "the load alone takes 300 ms: {took}");
    // Who asked survives too: the API, from this test's address.
    assert_eq!(recorded["requested_by"], "api", "{recorded:#}");
    assert_eq!(recorded["requested_from"], "127.0.0.1", "{recorded:#}");

    // What is loaded is learned from the cluster, not from the record.
    second.wait_loaded("tiny").await;

    // New swaps continue the ids, and the ETA to tiny comes from the first run's swap.
    let back = swap_to(&second, "gpt-oss-120b").await;
    assert_eq!(back["id"], done["id"].as_u64().unwrap() + 1);
    assert_eq!(second.wait_finished().await["phase"], "ready");
    let again = swap_to(&second, "tiny").await;
    assert_eq!(again["id"], done["id"].as_u64().unwrap() + 2);
    assert!(
        again["eta_secs"].as_f64().is_some(),
        "ETA from the persisted history: {again:#}"
    );
    assert_eq!(second.wait_finished().await["phase"], "ready");
    let history = second.get("/api/swap/history").await["swaps"].clone();
    let ids: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    let first_id = done["id"].as_u64().unwrap();
    assert_eq!(
        ids,
        vec![first_id + 2, first_id + 1, first_id],
        "newest first"
    );
    assert_eq!(
        second.state.store.path(),
        site.data_dir().join("state.sqlite3")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_cut_off_by_a_restart_is_reported_interrupted_and_reconciled() {
    // Loads take long enough to kill the controller in the middle of one.
    let site = Site::start(Duration::from_secs(4)).await;
    let first = site.controller().await;
    first.wait_loaded("gpt-oss-120b").await;
    let started = swap_to(&first, "tiny").await;
    let cut = kill_mid_load(first).await;

    let second = site.controller().await;
    // At once, before the cluster was asked anything: interrupted, not in progress.
    let swap = second.get("/api/swap").await["swap"].clone();
    assert_eq!(swap["id"], started["id"], "{swap:#}");
    assert_eq!(swap["phase"], "interrupted", "{swap:#}");
    assert!(swap["finished_at_ms"].as_u64().is_some(), "{swap:#}");
    assert!(
        swap["error"]
            .as_str()
            .unwrap()
            .starts_with("the controller restarted during this swap, while"),
        "{swap:#}"
    );
    assert!(
        swap["message"]
            .as_str()
            .unwrap()
            .starts_with("Interrupted by a controller restart; "),
        "{swap:#}"
    );
    let phases: Vec<&str> = swap["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases.first(), Some(&"checking"));
    assert_eq!(phases.last(), Some(&"interrupted"));
    assert_eq!(
        swap["commands"], cut["commands"],
        "the commands the first run sent are kept"
    );

    // The load the first run started goes on on the node; once it serves, the record says so.
    let reconciled = wait_swap(&second, "reconciliation", |s| {
        s["message"] == "Interrupted by a controller restart; spark-1 now serves Tiny."
    })
    .await;
    assert_eq!(reconciled["phase"], "interrupted");
    second.wait_loaded("tiny").await;
    let history = second.get("/api/swap/history").await["swaps"].clone();
    assert_eq!(history[0]["message"], reconciled["message"], "{history:#}");

    // Nothing is left in progress: a new swap is accepted and gets the next id.
    let next = swap_to(&second, "gpt-oss-120b").await;
    assert_eq!(next["id"], started["id"].as_u64().unwrap() + 1);
    assert_eq!(next["from_model"], "tiny");
    assert_eq!(second.wait_finished().await["phase"], "ready");
    assert_eq!(site.node_exec("docker ps -a --format {{.Names}}"), "vllm\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_swap_that_left_nothing_running_says_so() {
    let site = Site::start(Duration::from_secs(4)).await;
    let first = site.controller().await;
    first.wait_loaded("gpt-oss-120b").await;
    swap_to(&first, "tiny").await;
    kill_mid_load(first).await;
    // Whatever was loading is gone too (say the node was restarted with the controller).
    site.node_exec("docker rm -f vllm");

    let second = site.controller().await;
    let swap = wait_swap(&second, "reconciliation", |s| {
        s["message"] == "Interrupted by a controller restart; no model is running on spark-1."
    })
    .await;
    assert_eq!(swap["phase"], "interrupted", "{swap:#}");

    // The owner can bring a model back at once.
    let next = swap_to(&second, "tiny").await;
    assert_eq!(
        next["from_model"],
        Value::Null,
        "nothing was serving: {next:#}"
    );
    assert_eq!(second.wait_finished().await["phase"], "ready");
    second.wait_loaded("tiny").await;
}
