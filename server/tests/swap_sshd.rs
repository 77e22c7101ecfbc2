//! Model swaps against two fake Sparks that run the real OpenSSH server (see [`fake_spark`]):
//! the controller is configured by a cluster file as for real nodes, logs in with its key
//! through `sshd`, has its command lines run by a real login shell, and drives the simulated
//! `docker` behind it. The simulator's own SSH servers are switched off, so OpenSSH is the only
//! way in.
//!
//! spark-1 (vLLM, preloaded with gpt-oss-120b) is pinned on first contact in known_hosts, as the
//! `SPARK1_HOST` form configures it; spark-2 is pinned by `host_key` in the cluster file.
//!
//! Without OpenSSH on the machine these tests say so and return; `scripts/test.sh` installs it
//! and sets `SPARK_TEST_REQUIRE_SSHD`, which turns the skip into a failure.

mod common;
mod fake_spark;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::Api;
use fake_spark::FakeSpark;
use serde_json::json;
use server::config::Settings;
use server::ssh::keys::ControllerKey;
use server::state::AppState;
use spark_sim::{Fault, SimCluster, SimOptions, Timing};

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
  - id: hostile
    served_model_name: hostile
    name: Hostile
    nodes: 1
    memory_gib: 10
    ready_timeout_secs: 30
    launch:
      container:
        image: vllm-node:latest
        model: org/Hostile-1B
        args: @HOSTILE_ARGS@
"#;

/// Catalog values that make a shell create `pwned` if they reach it unquoted (split at `;`,
/// `|`, `&`) or only double-quoted (`$(…)`, backquotes); quotes of both kinds must survive too.
fn hostile_args(pwned: &Path) -> Vec<String> {
    let p = pwned.display();
    vec![
        format!("--chat-template=x; touch {p}"),
        "--tool-call-parser".into(),
        format!("$(touch {p})"),
        "--reasoning-parser".into(),
        format!("`touch {p}` 'single' \"double\" | tee {p} & *"),
    ]
}

/// A controller configured for two fake Sparks, serving its REST API.
struct Rig {
    api: Api,
    sim: Arc<SimCluster>,
    /// spark-1, spark-2.
    sparks: Vec<FakeSpark>,
    known_hosts: PathBuf,
    /// Where a catalog value that reached a shell would leave a file (world-writable /tmp, so
    /// the throwaway user could create it).
    pwned: PathBuf,
    _state: Arc<AppState>,
    _dir: tempfile::TempDir,
}

/// Starts the rig; `None` (after saying why) when OpenSSH is not installed.
async fn rig() -> Option<Rig> {
    if let Some(missing) = fake_spark::missing_tools() {
        assert!(
            std::env::var_os("SPARK_TEST_REQUIRE_SSHD").is_none(),
            "SPARK_TEST_REQUIRE_SSHD is set but the fake Sparks cannot run: missing {missing}"
        );
        eprintln!("SKIPPED: the real-OpenSSH swap tests need {missing}; scripts/setup.sh --test installs it");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let key = ControllerKey::load_or_create(&data.join("id_ed25519"), true).unwrap();

    let mut options = SimOptions::two_sparks(key.public());
    // Loading outlasts the swapper's log poll several times over, so that at least one sample
    // of the container's log comes back through sshd while the model still loads.
    options.timing = Timing {
        load: server::boot::SWAP_POLL * 3,
        token_interval: std::time::Duration::from_millis(1),
    };
    let sim = Arc::new(SimCluster::start(options).await.unwrap());
    let down = Fault {
        down: true,
        ..Fault::default()
    };
    for node in sim.describe() {
        sim.set_fault(&node.name, "ssh", down.clone())
            .await
            .unwrap();
    }
    let control = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let control_addr = control.local_addr().unwrap();
    let router = spark_sim::control::router(sim.clone());
    tokio::spawn(async move { axum::serve(control, router).await.unwrap() });

    let authorized = key.public_openssh();
    let sparks: Vec<FakeSpark> = sim
        .describe()
        .iter()
        .map(|node| FakeSpark::start(&node.name, control_addr, &authorized))
        .collect();
    let nodes: Vec<_> = server::boot::sim_node_configs(&sim)
        .into_iter()
        .zip(&sparks)
        .map(|(mut node, spark)| {
            node.ssh_port = spark.port;
            node.user = spark.user.clone();
            node.host_key = (node.name != "spark-1").then(|| spark.host_key());
            node
        })
        .collect();
    let cluster_file = data.join("cluster.yaml");
    std::fs::write(&cluster_file, server::config::cluster_file_yaml(&nodes)).unwrap();

    let pwned = std::env::temp_dir().join(format!(
        "spark-control-pwned-{}-{}",
        std::process::id(),
        sparks[0].port
    ));
    let catalog = data.join("models.yaml");
    let hostile = serde_json::to_string(&hostile_args(&pwned)).unwrap();
    std::fs::write(&catalog, CATALOG.replace("@HOSTILE_ARGS@", &hostile)).unwrap();

    let vars = [
        ("DATA_DIR", data.display().to_string()),
        ("MODELS_YAML", catalog.display().to_string()),
        ("CLUSTER_FILE", cluster_file.display().to_string()),
    ];
    let settings =
        Settings::from_vars(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let state = server::boot::start(settings).await.unwrap();
    let api = common::serve(state.clone()).await;
    api.wait_loaded("gpt-oss-120b").await;
    // Both nodes answered over SSH once: spark-1's key is in known_hosts from here on.
    for node in ["spark-1", "spark-2"] {
        api.wait_node(node, "up", |n| n["status"] == "up").await;
    }
    Some(Rig {
        api,
        sim,
        sparks,
        known_hosts: data.join("known_hosts"),
        pwned,
        _state: state,
        _dir: dir,
    })
}

impl Rig {
    /// Runs a command line on a simulated node directly (the test's view, not the controller's).
    fn sh(&self, node: &str, command: &str) -> String {
        spark_sim::shell::run(self.sim.node(node).unwrap(), command).stdout
    }

    /// The command line of spark-1's vLLM container, one element per argument.
    fn vllm_cmd(&self) -> Vec<String> {
        let json = self.sh(
            "spark-1",
            "docker inspect --format '{{json .Config.Cmd}}' vllm",
        );
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json:?}"))
    }

    /// spark-1 runs exactly one container, `vllm`, serving `model`.
    fn assert_only(&self, model: &str) {
        assert_eq!(
            self.sh("spark-1", "docker ps -a --format '{{.Names}} {{.State}}'"),
            "vllm running\n",
            "exactly one vLLM container"
        );
        let cmd = self.vllm_cmd();
        assert!(cmd.iter().any(|a| a == model), "{model} in {cmd:?}");
    }

    async fn assert_no_swap_ran(&self) {
        let history = self.api.get("/api/swap/history").await;
        assert_eq!(history["swaps"], json!([]), "{history:#}");
        assert_eq!(self.api.get("/api/models").await["loaded"], "gpt-oss-120b");
        self.assert_only("openai/gpt-oss-120b");
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pwned);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_through_openssh_runs_end_to_end_and_a_second_one_is_refused() {
    let Some(rig) = rig().await else { return };
    let (code, body) = rig.api.post_swap(json!({"model": "tiny"})).await;
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["swap"]["from_model"], "gpt-oss-120b");
    let (code, busy) = rig.api.post_swap(json!({"model": "gpt-oss-120b"})).await;
    assert_eq!(code, 409, "a second swap is refused while one runs: {busy}");
    assert_eq!(busy["swap"]["to_model"], "tiny", "{busy}");

    let done = rig.api.wait_finished().await;
    assert_eq!(done["phase"], "ready", "{done:#}");
    let phases: Vec<&str> = done["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    for expected in ["stopping", "starting", "ready"] {
        assert!(phases.contains(&expected), "{phases:?}");
    }
    assert!(
        phases.contains(&"loading") || phases.contains(&"warming_up"),
        "the log came back through sshd and the shim: {phases:?}"
    );
    rig.api.wait_loaded("tiny").await;
    rig.assert_only("org/Tiny-1B");
    assert_eq!(rig.sh("spark-2", "docker ps -a -q"), "");
    let history = rig.api.get("/api/swap/history").await;
    assert_eq!(history["swaps"].as_array().unwrap().len(), 1, "{history:#}");

    // It really was OpenSSH: each sshd logged the controller in, and first contact pinned
    // spark-1's sshd host key.
    for spark in &rig.sparks {
        let accepted = format!("Accepted publickey for {}", spark.user);
        assert!(
            spark.log().contains(&accepted),
            "{}: {}",
            spark.name,
            spark.log()
        );
    }
    let spark1 = &rig.sparks[0];
    let known = std::fs::read_to_string(&rig.known_hosts).unwrap();
    let key_base64 = spark1.host_key().split(' ').nth(1).unwrap().to_string();
    assert!(
        known.contains(&format!(
            "[127.0.0.1]:{} ssh-ed25519 {key_base64}",
            spark1.port
        )),
        "{known}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_catalog_value_reaches_docker_as_one_argument_and_runs_nothing() {
    let Some(rig) = rig().await else { return };
    let (code, body) = rig.api.post_swap(json!({"model": "hostile"})).await;
    assert_eq!(code, 202, "{body}");
    let done = rig.api.wait_finished().await;
    assert_eq!(done["phase"], "ready", "{done:#}");

    // The login shell ran the controller's line; every value arrived whole, none ran.
    let hostile = hostile_args(&rig.pwned);
    let cmd = rig.vllm_cmd();
    assert!(cmd.len() > hostile.len(), "{cmd:?}");
    assert_eq!(cmd[cmd.len() - hostile.len()..], hostile[..], "{cmd:?}");
    assert!(
        !rig.pwned.exists(),
        "a catalog value was run by the node's shell"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_never_gets_ready_times_out_and_rolls_back() {
    let Some(rig) = rig().await else { return };
    // vLLM's health answers 503 for the new model: it never becomes ready.
    let failing = Fault {
        error_status: Some(503),
        ..Fault::default()
    };
    rig.sim.set_fault("spark-1", "vllm", failing).await.unwrap();
    let (code, body) = rig.api.post_swap(json!({"model": "stuck"})).await;
    assert_eq!(code, 202, "{body}");
    rig.api.wait_phase("rolling_back").await;
    rig.sim
        .set_fault("spark-1", "vllm", Fault::default())
        .await
        .unwrap();

    let done = rig.api.wait_finished().await;
    assert_eq!(done["phase"], "rolled_back", "{done:#}");
    let error = done["error"].as_str().unwrap();
    assert!(
        error.contains("did not become ready within 10 s")
            && error.contains("rolled back to gpt-oss-120b"),
        "{done:#}"
    );
    rig.api.wait_loaded("gpt-oss-120b").await;
    rig.assert_only("openai/gpt-oss-120b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_node_refuses_the_swap_and_nothing_changes() {
    let Some(mut rig) = rig().await else { return };
    rig.sparks[0].stop();
    rig.api
        .wait_node("spark-1", "down", |n| n["status"] == "down")
        .await;

    let (code, body) = rig.api.post_swap(json!({"model": "tiny"})).await;
    assert_eq!(code, 503, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("spark-1 is not reachable over SSH")
            && message.contains("nothing was changed"),
        "{body}"
    );
    rig.assert_no_swap_ran().await;

    // Back on the same address with the same key: the controller reconnects on its own.
    rig.sparks[0].restart(false);
    rig.api
        .wait_node("spark-1", "up", |n| n["status"] == "up")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_is_refused_and_nothing_changes() {
    let Some(mut rig) = rig().await else { return };
    let known_before = std::fs::read_to_string(&rig.known_hosts).unwrap();
    // Both nodes come back on their addresses with new host keys.
    for spark in &mut rig.sparks {
        spark.restart(true);
    }
    let spark1 = rig
        .api
        .wait_node("spark-1", "refused for its key", |n| {
            n["status"] == "down" && n["error"].as_str().is_some_and(|e| e.contains("CHANGED"))
        })
        .await;
    assert!(
        spark1["error"].as_str().unwrap().contains("known_hosts"),
        "{spark1:#}"
    );
    rig.api
        .wait_node("spark-2", "refused for its key", |n| {
            n["status"] == "down"
                && n["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("does not match the configured host_key"))
        })
        .await;

    let (code, body) = rig.api.post_swap(json!({"model": "tiny"})).await;
    assert_eq!(code, 503, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("host key")
            && message.contains("CHANGED")
            && message.contains("nothing was changed"),
        "{body}"
    );
    rig.assert_no_swap_ran().await;

    // The new key was not learned, and the controller never authenticated to the impostors.
    assert_eq!(
        std::fs::read_to_string(&rig.known_hosts).unwrap(),
        known_before
    );
    for spark in &rig.sparks {
        assert!(
            !spark.log().contains("Accepted publickey"),
            "{}: {}",
            spark.name,
            spark.log()
        );
    }
}
