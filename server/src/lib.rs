//! # spark-control — the server
//!
//! One axum process that hosts the dashboard (the `app` crate, server-rendered and hydrated)
//! and the REST gateway for LAN apps, and drives the cluster over SSH and HTTP.
//!
//! How the parts fit, in the order a request or a start-up meets them:
//! - [`config`] — environment variables and the cluster file, checked once at start.
//! - [`instance`] — one controller per data directory (an OS lock held while it runs).
//! - [`boot`] — from settings to running state; starts the simulated cluster when nothing is
//!   configured (the only place that knows it is simulated).
//! - [`ssh`] — the controller's key, host-key pinning, one reused connection per node, and
//!   [`ssh::command_line`], the only way a remote command line is built.
//! - [`cluster`] — nodes and their probes (SSH for node state, HTTP for service health).
//! - [`monitor`] — background probe loops that keep the latest picture in memory, each node's
//!   recent load and the outage log.
//! - [`http`] — routers per concern, merged with the Leptos routes.
//! - [`metrics`] — `GET /metrics` (Prometheus): requests, upstream calls, probes, swaps.
//! - [`gateway`] — the OpenAI-compatible chat proxy to the loaded vLLM model, swap-aware.
//! - [`catalog`] and [`swap`] — the model catalog and the one-at-a-time swap orchestrator.
//! - [`privacy`] — the redaction gateway (`/scrub`, `/rehydrate`): the `redact` engine, its
//!   session vault and sealed tokens.
//! - [`store`] — the state file (SQLite in the data dir): swap history, outages and the
//!   redaction vault, which survive restarts.
//! - [`state`] — the shared `AppState`, which also backs the dashboard's server functions.

pub mod boot;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod gateway;
pub mod http;
pub mod instance;
pub mod metrics;
pub mod monitor;
pub mod privacy;
pub mod ssh;
pub mod state;
pub mod store;
pub mod swap;
