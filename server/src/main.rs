//! `spark-control`: serve the dashboard and gateway (default), or run the simulated cluster
//! alone (`spark-control sim`) for tests and other processes to point at.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use server::config::{ClusterSource, Settings};
use server::ssh::keys::ControllerKey;

/// mimalloc rather than glibc's `malloc`: every proxied request allocates (headers, buffers,
/// futures) on one thread and frees on another, where glibc spent ~18 % of the gateway's CPU
/// time; with mimalloc the gateway serves ~20 % more requests per second (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "spark-control",
    version,
    about = "Control panel and LAN API gateway for a small GPU cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard and API (the default). Configured by environment variables.
    Serve,
    /// Run only the simulated cluster, and describe it in a cluster file.
    Sim {
        /// Write a cluster file for a controller to use (CLUSTER_FILE=…).
        #[arg(long)]
        cluster_out: Option<PathBuf>,
        /// Where to serve the fault-injection and exec API.
        #[arg(long, default_value = "127.0.0.1:0")]
        control_addr: SocketAddr,
        /// Public key the simulated nodes accept (default: the controller key in DATA_DIR).
        #[arg(long)]
        authorized_key: Option<PathBuf>,
        /// Seconds a simulated model takes to load.
        #[arg(long, default_value_t = 12.0)]
        load_secs: f64,
        /// Milliseconds between streamed tokens.
        #[arg(long, default_value_t = 25)]
        token_ms: u64,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,russh=warn,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Sim {
            cluster_out,
            control_addr,
            authorized_key,
            load_secs,
            token_ms,
        } => {
            let timing = spark_sim::Timing {
                load: Duration::from_secs_f64(load_secs.max(0.0)),
                token_interval: Duration::from_millis(token_ms),
            };
            sim(cluster_out, control_addr, authorized_key, timing).await
        }
    };
    if let Err(message) = result {
        eprintln!("spark-control: {message}");
        std::process::exit(2);
    }
}

async fn serve() -> Result<(), String> {
    let settings = Settings::from_env().map_err(|e| format!("configuration error: {e}"))?;
    // held until the server stops (see `server::instance`)
    let _instance =
        server::instance::InstanceLock::acquire(&settings.data_dir).map_err(|e| e.to_string())?;
    let addr = SocketAddr::new(settings.bind_addr, settings.bind_port);
    let mut leptos_options = leptos::config::get_configuration(None)
        .map_err(|e| e.to_string())?
        .leptos_options;
    leptos_options.site_addr = addr;
    let source = settings.source.clone();
    let state = server::boot::start(settings)
        .await
        .map_err(|e| e.to_string())?;
    let app = server::http::app(state.clone(), leptos_options);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let shown = if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    match source {
        ClusterSource::Simulated => tracing::info!("serving {shown} on the simulated cluster"),
        other => tracing::info!("serving {shown} for the cluster from {other:?}"),
    }
    tracing::info!("controller public key: {}", state.key.public_openssh());
    server::http::serve(listener, state, app, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn sim(
    cluster_out: Option<PathBuf>,
    control_addr: SocketAddr,
    authorized_key: Option<PathBuf>,
    timing: spark_sim::Timing,
) -> Result<(), String> {
    let public = match authorized_key {
        Some(path) => russh::keys::load_public_key(&path)
            .map_err(|e| format!("--authorized-key {}: {e}", path.display()))?,
        None => {
            let settings = Settings::from_env().map_err(|e| format!("configuration error: {e}"))?;
            ControllerKey::load_or_create(&settings.ssh_key_path, settings.generate_key)
                .map_err(|e| e.to_string())?
                .public()
        }
    };
    let mut options = spark_sim::SimOptions::two_sparks(public);
    options.timing = timing;
    let cluster = Arc::new(
        spark_sim::SimCluster::start(options)
            .await
            .map_err(|e| e.to_string())?,
    );
    if let Some(path) = cluster_out {
        let nodes = server::boot::sim_node_configs(&cluster);
        let yaml = server::config::cluster_file_yaml(&nodes);
        std::fs::write(&path, yaml)
            .map_err(|e| format!("--cluster-out {}: {e}", path.display()))?;
        println!("cluster file: {}", path.display());
    }
    let listener = tokio::net::TcpListener::bind(control_addr)
        .await
        .map_err(|e| format!("cannot listen on {control_addr}: {e}"))?;
    let control = listener.local_addr().map_err(|e| e.to_string())?;
    println!("control API: http://{control}");
    for node in cluster.describe() {
        println!(
            "{}: ssh {}:{} services {:?}",
            node.name, node.ip, node.ssh_port, node.services
        );
    }
    axum::serve(listener, spark_sim::control::router(cluster))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or(());
}
