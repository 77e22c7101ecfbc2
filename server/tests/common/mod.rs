//! What the integration tests share: a server started in-process and served on a loopback port,
//! and its REST API as a script on the LAN uses it (`/api/swap`, `/api/models`, `/health`).
//!
//! Each test binary compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use server::state::AppState;

/// How long a swap may take in these tests (the simulated models load in about a second).
const SWAP_DEADLINE: Duration = Duration::from_secs(40);
/// How long the health monitor may take to notice a change (it probes nodes every 2 s).
const HEALTH_DEADLINE: Duration = Duration::from_secs(15);

/// A running server's REST API.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// Serves `state` with the binary's own router on a loopback port.
pub async fn serve(state: Arc<AppState>) -> Api {
    serve_until(state, std::future::pending()).await.0
}

/// Like [`serve`], until `shutdown` completes; the task ends when the last answer is done.
pub async fn serve_until(
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> (Api, tokio::task::JoinHandle<std::io::Result<()>>) {
    let options = leptos::config::LeptosOptions::builder()
        .output_name("spark-control")
        .build();
    let app = server::http::app(state.clone(), options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = tokio::spawn(server::http::serve(listener, state, app, shutdown));
    let api = Api {
        base,
        http: reqwest::Client::new(),
    };
    (api, serving)
}

impl Api {
    /// `POST /api/swap` → (status code, body).
    pub async fn post_swap(&self, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/api/swap", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Follows `GET /api/swap` until the swap is ready, rolled back or failed.
    pub async fn wait_finished(&self) -> Value {
        let deadline = Instant::now() + SWAP_DEADLINE;
        loop {
            let swap = self.get("/api/swap").await["swap"].clone();
            if ["ready", "rolled_back", "failed"]
                .contains(&swap["phase"].as_str().unwrap_or_default())
            {
                return swap;
            }
            assert!(Instant::now() < deadline, "swap never finished: {swap:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Follows `GET /api/swap` until the swap reaches `phase`.
    pub async fn wait_phase(&self, phase: &str) {
        let deadline = Instant::now() + SWAP_DEADLINE;
        loop {
            let swap = self.get("/api/swap").await["swap"].clone();
            if swap["phase"] == phase {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "swap never got to {phase}: {swap:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `/api/models` reports `served` as the loaded model.
    pub async fn wait_loaded(&self, served: &str) {
        let deadline = Instant::now() + HEALTH_DEADLINE;
        while self.get("/api/models").await["loaded"] != served {
            assert!(Instant::now() < deadline, "{served} never showed as loaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `/health` shows node `name` in a state that satisfies `want` (described by
    /// `what` for the failure message); returns that node's entry.
    pub async fn wait_node(&self, name: &str, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + HEALTH_DEADLINE;
        loop {
            let health = self.get("/health").await;
            let node = health["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|n| n["name"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("no node {name} in {health:#}"));
            if want(&node) {
                return node;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never became {what}: {node:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Boots a controller on its embedded simulated cluster with catalog `catalog` and extra
/// settings `vars` (on top of a fresh data dir and fast simulated loads), and serves it.
/// Keep the `TempDir` alive as long as the server.
pub async fn boot_simulated(
    catalog: &str,
    vars: &[(&str, &str)],
) -> (Api, Arc<AppState>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let catalog_path = dir.path().join("models.yaml");
    std::fs::write(&catalog_path, catalog).unwrap();
    let mut all: Vec<(String, String)> = vec![
        ("DATA_DIR".into(), dir.path().display().to_string()),
        ("MODELS_YAML".into(), catalog_path.display().to_string()),
        ("SIM_LOAD_SECS".into(), "1".into()),
        ("SIM_TOKEN_MS".into(), "1".into()),
    ];
    for (name, value) in vars {
        all.retain(|(n, _)| n != name);
        all.push((name.to_string(), value.to_string()));
    }
    let settings = server::config::Settings::from_vars(|k| {
        all.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .unwrap();
    let state = server::boot::start(settings).await.unwrap();
    (serve(state.clone()).await, state, dir)
}
