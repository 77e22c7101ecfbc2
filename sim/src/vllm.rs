//! A simulated vLLM OpenAI-compatible server, speaking vLLM's wire format.
//!
//! What the controller depends on is modelled faithfully: the port refuses connections until the
//! model has "loaded" (vLLM binds its HTTP server only after loading), loading prints vLLM's log
//! lines with shard progress, GPU memory grows as weights load, `/health` is 200 with an empty
//! body, errors are `{"error": {"message", "type", "param", "code"}}`, and streams are SSE chunks
//! ending in `data: [DONE]`. Generated text is a deterministic echo, paced per token.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::endpoint::{http_handler, Endpoint};
use crate::faults::FaultTable;
use crate::logbuf::{vllm_prefix, LogBuffer};

/// The service name faults are keyed by.
pub const SERVICE: &str = "vllm";

/// How a container asked vLLM to run (parsed from `vllm serve …` arguments).
#[derive(Clone, Debug, PartialEq)]
pub struct VllmArgs {
    pub model: String,
    pub served_model_name: String,
    pub port: u16,
    pub max_model_len: u32,
    pub gpu_memory_utilization: f64,
    pub tensor_parallel_size: u32,
}

impl VllmArgs {
    /// Parses the arguments after the image: either `vllm serve MODEL …` (spark-vllm-docker) or
    /// `--model MODEL …` (the official image's entrypoint). `None` when this is not vLLM.
    pub fn parse(cmd: &[String]) -> Result<Option<Self>, String> {
        let mut rest: &[String] = cmd;
        let mut model = None;
        if let Some(pos) = cmd
            .windows(2)
            .position(|w| w[0] == "vllm" && w[1] == "serve")
        {
            rest = &cmd[pos + 2..];
            if let Some(first) = rest.first().filter(|a| !a.starts_with('-')) {
                model = Some(first.clone());
                rest = &rest[1..];
            }
        } else if !cmd
            .iter()
            .any(|a| a == "--model" || a.starts_with("--model="))
        {
            return Ok(None);
        }
        let mut args = VllmArgs {
            model: String::new(),
            served_model_name: String::new(),
            port: 8000,
            max_model_len: 32_768,
            gpu_memory_utilization: 0.9,
            tensor_parallel_size: 1,
        };
        let mut i = 0;
        while i < rest.len() {
            let (flag, inline) = match rest[i].split_once('=') {
                Some((f, v)) if rest[i].starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (rest[i].clone(), None),
            };
            let takes_value = flag.starts_with("--") && !is_boolean_flag(&flag);
            let value = if takes_value && inline.is_none() {
                i += 1;
                rest.get(i).cloned()
            } else {
                inline
            };
            let need = |v: Option<String>| {
                v.ok_or_else(|| format!("argument {flag}: expected one argument"))
            };
            let bad = |v: &str| format!("argument {flag}: invalid value: '{v}'");
            match flag.as_str() {
                "--model" => model = Some(need(value)?),
                "--served-model-name" => args.served_model_name = need(value)?,
                "--port" => {
                    let v = need(value)?;
                    args.port = v.parse().map_err(|_| bad(&v))?;
                }
                "--max-model-len" => {
                    let v = need(value)?;
                    args.max_model_len = v.parse().map_err(|_| bad(&v))?;
                }
                "--gpu-memory-utilization" => {
                    let v = need(value)?;
                    args.gpu_memory_utilization = v
                        .parse::<f64>()
                        .ok()
                        .filter(|u| *u > 0.0 && *u <= 1.0)
                        .ok_or_else(|| bad(&v))?;
                }
                "--tensor-parallel-size" | "-tp" => {
                    let v = need(value)?;
                    args.tensor_parallel_size = v.parse().map_err(|_| bad(&v))?;
                }
                _ => {}
            }
            i += 1;
        }
        args.model = model.ok_or("the following arguments are required: model_tag")?;
        if args.served_model_name.is_empty() {
            args.served_model_name = args.model.clone();
        }
        Ok(Some(args))
    }
}

fn is_boolean_flag(flag: &str) -> bool {
    matches!(
        flag,
        "--trust-remote-code"
            | "--enforce-eager"
            | "--enable-prefix-caching"
            | "--enable-auto-tool-choice"
            | "--disable-log-requests"
            | "--disable-log-stats"
            | "--enable-chunked-prefill"
    )
}

/// Where a simulated vLLM is in its life.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// Loading weights; the fraction done.
    Loading(f64),
    Ready,
    Stopped,
    /// The port was taken by someone else; the process exited.
    Crashed,
}

/// Pacing of the simulated engine.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// From `docker run` until the port accepts connections.
    pub load: Duration,
    /// Between streamed tokens.
    pub token_interval: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            load: Duration::from_secs(12),
            token_interval: Duration::from_millis(25),
        }
    }
}

/// Size of the simulated GB10's unified memory, as `nvidia-smi` would count it.
pub const GPU_MEMORY_BYTES: u64 = 128 * 1024 * 1024 * 1024;

/// Tells whether the other nodes a model spans are still with it (`Err` says who is not).
pub type PeerCheck = Box<dyn Fn() -> Result<(), String> + Send + Sync>;

/// One simulated vLLM process inside one container.
pub struct VllmServer {
    pub args: VllmArgs,
    /// For a model that spans nodes: its Ray workers, checked while loading.
    peers: Option<PeerCheck>,
    phase: Mutex<Phase>,
    endpoint: Endpoint,
    logs: Arc<LogBuffer>,
    faults: Arc<FaultTable>,
    timing: Timing,
    running: AtomicUsize,
    prompt_tokens: AtomicU64,
    generation_tokens: AtomicU64,
    finished: AtomicU64,
    aborted: AtomicU64,
    loader: Mutex<Option<JoinHandle<()>>>,
}

impl VllmServer {
    /// Starts loading in the background; the port opens when loading is done.
    pub fn launch(
        ip: std::net::Ipv4Addr,
        args: VllmArgs,
        logs: Arc<LogBuffer>,
        faults: Arc<FaultTable>,
        timing: Timing,
    ) -> Arc<Self> {
        Self::launch_with_peers(ip, args, logs, faults, timing, None)
    }

    /// As [`Self::launch`], for the head of a model that spans nodes: loading fails (the
    /// process exits, as vLLM does when its Ray placement group loses a node) as soon as
    /// `peers` reports a worker gone.
    pub fn launch_with_peers(
        ip: std::net::Ipv4Addr,
        args: VllmArgs,
        logs: Arc<LogBuffer>,
        faults: Arc<FaultTable>,
        timing: Timing,
        peers: Option<PeerCheck>,
    ) -> Arc<Self> {
        let addr = SocketAddr::from((ip, args.port));
        let server = Arc::new_cyclic(|weak: &std::sync::Weak<VllmServer>| {
            let router = router(weak.clone());
            VllmServer {
                args,
                peers,
                phase: Mutex::new(Phase::Loading(0.0)),
                endpoint: Endpoint::new(addr, http_handler(router)),
                logs,
                faults,
                timing,
                running: AtomicUsize::new(0),
                prompt_tokens: AtomicU64::new(0),
                generation_tokens: AtomicU64::new(0),
                finished: AtomicU64::new(0),
                aborted: AtomicU64::new(0),
                loader: Mutex::new(None),
            }
        });
        let loader = tokio::spawn(load(server.clone()));
        *server.loader.lock().unwrap_or_else(|e| e.into_inner()) = Some(loader);
        server
    }

    pub fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_phase(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    }

    /// Unified memory this process holds: it grows with loading, then the KV cache takes the
    /// rest of the share `--gpu-memory-utilization` grants.
    pub fn memory_bytes(&self) -> u64 {
        let share = (GPU_MEMORY_BYTES as f64 * self.args.gpu_memory_utilization) as u64;
        match self.phase() {
            Phase::Loading(done) => (share as f64 * 0.6 * done) as u64,
            Phase::Ready => share,
            Phase::Stopped | Phase::Crashed => 0,
        }
    }

    pub fn requests_running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// `docker stop`: the process exits and its port closes.
    pub fn stop(&self) {
        if let Some(loader) = self.loader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            loader.abort();
        }
        self.endpoint.down();
        if matches!(self.phase(), Phase::Loading(_) | Phase::Ready) {
            self.log(
                "INFO",
                "launcher.py:80",
                "Shutting down FastAPI HTTP server.",
            );
            self.set_phase(Phase::Stopped);
        }
    }

    /// Re-reads the fault table: `down` closes the port, clearing it reopens a ready server.
    pub async fn apply_faults(&self) {
        let fault = self.faults.get(SERVICE);
        if fault.down {
            self.endpoint.down();
        } else if self.phase() == Phase::Ready {
            if let Err(e) = self.endpoint.up().await {
                tracing::warn!(error = %e, "could not reopen simulated vLLM port");
            }
        }
    }

    fn log(&self, level: &str, source: &str, message: &str) {
        self.logs
            .push(format!("{}{message}", vllm_prefix(level, source)));
    }
}

/// The load sequence, as vLLM prints it, spread over `timing.load`.
async fn load(server: Arc<VllmServer>) {
    let a = &server.args;
    server.log(
        "INFO",
        "__init__.py:216",
        "Automatically detected platform cuda.",
    );
    server.log(
        "INFO",
        "api_server.py:1896",
        "vLLM API server version 0.11.0",
    );
    server.log(
        "INFO",
        "utils.py:328",
        &format!(
            "non-default args: {{'model': '{}', 'served_model_name': ['{}'], 'port': {}, 'max_model_len': {}, 'gpu_memory_utilization': {}}}",
            a.model, a.served_model_name, a.port, a.max_model_len, a.gpu_memory_utilization
        ),
    );
    server.log(
        "INFO",
        "gpu_model_runner.py:2602",
        &format!("Starting to load model {}...", a.model),
    );
    let shards = 8u32;
    let step = server.timing.load / (shards + 2);
    server.logs.push(format!(
        "Loading safetensors checkpoint shards:   0% Completed | 0/{shards} [00:00<?, ?it/s]"
    ));
    for done in 1..=shards {
        tokio::time::sleep(step).await;
        if let Some(Err(lost)) = server.peers.as_ref().map(|check| check()) {
            server.log(
                "ERROR",
                "ray_distributed_executor.py:512",
                &format!(
                    "{lost}: the placement group for tensor parallel size {} cannot be satisfied",
                    a.tensor_parallel_size
                ),
            );
            server.log("ERROR", "core.py:708", "EngineCore failed to start.");
            server
                .logs
                .push("RuntimeError: Engine core initialization failed. See root cause above.");
            server.set_phase(Phase::Crashed);
            return;
        }
        let pct = done * 100 / shards;
        server.set_phase(Phase::Loading(f64::from(done) / f64::from(shards)));
        server.logs.push(format!(
            "Loading safetensors checkpoint shards: {pct:>3}% Completed | {done}/{shards} [00:{:02}<00:00, 1.00s/it]",
            done
        ));
    }
    let secs = server.timing.load.as_secs_f64();
    server.log(
        "INFO",
        "default_loader.py:267",
        &format!("Loading weights took {:.2} seconds", secs * 0.8),
    );
    server.log(
        "INFO",
        "gpu_model_runner.py:2653",
        &format!(
            "Model loading took {:.4} GiB and {:.6} seconds",
            server.memory_bytes() as f64 / 1073741824.0,
            secs * 0.85
        ),
    );
    tokio::time::sleep(step).await;
    server.log(
        "INFO",
        "kv_cache_utils.py:1087",
        "GPU KV cache size: 1,048,576 tokens",
    );
    server.log(
        "INFO",
        "core.py:210",
        &format!(
            "init engine (profile, create kv cache, warmup model) took {:.2} seconds",
            secs * 0.15
        ),
    );
    tokio::time::sleep(step).await;
    server.set_phase(Phase::Ready);
    if !server.faults.get(SERVICE).down {
        if let Err(e) = server.endpoint.up().await {
            server.log("ERROR", "api_server.py:1917", &format!("[Errno 98] error while attempting to bind on address ('0.0.0.0', {}): address already in use ({e})", a.port));
            server.set_phase(Phase::Crashed);
            return;
        }
    }
    server.log(
        "INFO",
        "api_server.py:1971",
        &format!("Starting vLLM API server 0 on http://0.0.0.0:{}", a.port),
    );
    server.logs.push("INFO:     Started server process [1]");
    server
        .logs
        .push("INFO:     Waiting for application startup.");
    server.logs.push("INFO:     Application startup complete.");
}

type Sim = std::sync::Weak<VllmServer>;

fn router(server: Sim) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(server.clone(), faults))
        .with_state(server)
}

fn alive(server: &Sim) -> Result<Arc<VllmServer>, VllmError> {
    server.upgrade().ok_or_else(|| {
        VllmError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The engine has shut down",
            "ServiceUnavailableError",
        )
    })
}

/// Applies the service's injected fault before the real handler runs.
async fn faults(
    State(server): State<Sim>,
    request: Request,
    next: Next,
) -> Result<Response, VllmError> {
    let server = alive(&server)?;
    let fault = server.faults.get(SERVICE);
    if fault.hang {
        std::future::pending::<()>().await;
    }
    if fault.delay_ms > 0 {
        tokio::time::sleep(fault.delay()).await;
    }
    if let Some(status) = fault.error_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        if request.uri().path() == "/health" {
            return Ok(status.into_response());
        }
        return Err(VllmError::new(
            status,
            "Simulated upstream fault",
            "InternalServerError",
        ));
    }
    Ok(next.run(request).await)
}

/// An error as vLLM reports it: `{"error": {"message", "type", "param", "code"}}`, with the
/// HTTP status repeated as `code`.
#[derive(Debug)]
pub struct VllmError {
    status: StatusCode,
    message: String,
    kind: &'static str,
}

impl VllmError {
    pub fn new(status: StatusCode, message: impl Into<String>, kind: &'static str) -> Self {
        Self {
            status,
            message: message.into(),
            kind,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, "BadRequestError")
    }
}

impl IntoResponse for VllmError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"message": self.message, "type": self.kind, "param": null, "code": self.status.as_u16()}});
        (self.status, Json(body)).into_response()
    }
}

async fn health() -> StatusCode {
    StatusCode::OK
}

async fn models(State(server): State<Sim>) -> Result<Response, VllmError> {
    let server = alive(&server)?;
    let a = &server.args;
    Ok(Json(json!({
        "object": "list",
        "data": [{
            "id": a.served_model_name,
            "object": "model",
            "created": crate::clock::unix_secs(SystemTime::now()),
            "owned_by": "vllm",
            "root": a.model,
            "parent": null,
            "max_model_len": a.max_model_len,
            "permission": [],
        }]
    }))
    .into_response())
}

/// What a generation request asked for, common to chat and completions.
struct Generation {
    id: String,
    prompt_tokens: u64,
    tokens: Vec<String>,
    finish_reason: &'static str,
    stream: bool,
    include_usage: bool,
}

fn parse_request(server: &VllmServer, body: &Bytes, chat: bool) -> Result<Generation, VllmError> {
    let request: Value = serde_json::from_slice(body)
        .map_err(|e| VllmError::bad_request(format!("JSON decode error: {e}")))?;
    let model = request.get("model").and_then(Value::as_str);
    if let Some(model) = model.filter(|m| *m != server.args.served_model_name) {
        return Err(VllmError::new(
            StatusCode::NOT_FOUND,
            format!("The model `{model}` does not exist."),
            "NotFoundError",
        ));
    }
    let prompt = if chat {
        let messages = request
            .get("messages")
            .and_then(Value::as_array)
            .ok_or_else(|| VllmError::bad_request("Field required: messages"))?;
        messages
            .iter()
            .filter_map(|m| m.get("content").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        match request.get("prompt") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            _ => return Err(VllmError::bad_request("Field required: prompt")),
        }
    };
    let max_tokens = request
        .get("max_tokens")
        .or_else(|| request.get("max_completion_tokens"))
        .and_then(Value::as_u64);
    let (tokens, finish_reason) = reply_tokens(&server.args.served_model_name, &prompt, max_tokens);
    let prefix = if chat { "chatcmpl" } else { "cmpl" };
    Ok(Generation {
        id: format!("{prefix}-{:032x}", rand::random::<u128>()),
        prompt_tokens: prompt.split_whitespace().count() as u64,
        tokens,
        finish_reason,
        stream: request
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        include_usage: request
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// A deterministic reply: a fixed opening, then the last words of the prompt echoed back.
fn reply_tokens(model: &str, prompt: &str, max_tokens: Option<u64>) -> (Vec<String>, &'static str) {
    let echo: Vec<&str> = prompt
        .split_whitespace()
        .rev()
        .take(16)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut words: Vec<String> = format!("This is a simulated reply from {model}. You said:")
        .split(' ')
        .map(str::to_string)
        .collect();
    words.extend(echo.iter().map(|w| w.to_string()));
    let tokens: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| if i == 0 { w.clone() } else { format!(" {w}") })
        .collect();
    match max_tokens {
        Some(limit) if (limit as usize) < tokens.len() => {
            (tokens[..limit as usize].to_vec(), "length")
        }
        _ => (tokens, "stop"),
    }
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({"prompt_tokens": prompt, "total_tokens": prompt + completion, "completion_tokens": completion, "prompt_tokens_details": null})
}

async fn chat_completions(State(server): State<Sim>, body: Bytes) -> Result<Response, VllmError> {
    generate(server, body, true).await
}

async fn completions(State(server): State<Sim>, body: Bytes) -> Result<Response, VllmError> {
    generate(server, body, false).await
}

async fn generate(server: Sim, body: Bytes, chat: bool) -> Result<Response, VllmError> {
    let server = alive(&server)?;
    let gen = parse_request(&server, &body, chat)?;
    server
        .prompt_tokens
        .fetch_add(gen.prompt_tokens, Ordering::Relaxed);
    if gen.stream {
        return Ok(stream(server, gen, chat));
    }
    let guard = RunningGuard::new(server.clone());
    pace(server.timing.token_interval * gen.tokens.len() as u32).await;
    let text: String = gen.tokens.concat();
    let completion_tokens = gen.tokens.len() as u64;
    guard.finish(completion_tokens);
    let created = crate::clock::unix_secs(SystemTime::now());
    let model = &server.args.served_model_name;
    let body = if chat {
        json!({
            "id": gen.id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": null,
                "annotations": null, "audio": null, "function_call": null, "tool_calls": [], "reasoning_content": null},
                "logprobs": null, "finish_reason": gen.finish_reason, "stop_reason": null}],
            "service_tier": null, "system_fingerprint": null,
            "usage": usage(gen.prompt_tokens, completion_tokens), "prompt_logprobs": null, "kv_transfer_params": null
        })
    } else {
        json!({
            "id": gen.id, "object": "text_completion", "created": created, "model": model,
            "choices": [{"index": 0, "text": text, "logprobs": null, "finish_reason": gen.finish_reason,
                "stop_reason": null, "prompt_logprobs": null}],
            "service_tier": null, "system_fingerprint": null,
            "usage": usage(gen.prompt_tokens, completion_tokens), "kv_transfer_params": null
        })
    };
    Ok(Json(body).into_response())
}

/// Counts a request as running for `/metrics`; a request dropped before `finish` was aborted
/// by its client, which vLLM logs as such.
struct RunningGuard {
    server: Arc<VllmServer>,
    done: bool,
}

impl RunningGuard {
    fn new(server: Arc<VllmServer>) -> Self {
        server.running.fetch_add(1, Ordering::Relaxed);
        Self {
            server,
            done: false,
        }
    }

    fn finish(mut self, generated: u64) {
        self.server
            .generation_tokens
            .fetch_add(generated, Ordering::Relaxed);
        self.server.finished.fetch_add(1, Ordering::Relaxed);
        self.done = true;
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.server.running.fetch_sub(1, Ordering::Relaxed);
        if !self.done {
            self.server.aborted.fetch_add(1, Ordering::Relaxed);
            self.server
                .log("INFO", "async_llm.py:406", "Aborted request.");
        }
    }
}

/// Waits out the simulated generation time. A zero interval does not touch the timer: tokio
/// rounds every sleep, even `sleep(0)`, up to its next millisecond tick, which would add up to
/// 1 ms to each answer and quantise latencies (see the gateway benchmark, docs/BENCHMARKS.md).
async fn pace(time: Duration) {
    if !time.is_zero() {
        tokio::time::sleep(time).await;
    }
}

fn sse(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

fn stream(server: Arc<VllmServer>, gen: Generation, chat: bool) -> Response {
    let drop_after = server.faults.get(SERVICE).drop_stream_after;
    let created = crate::clock::unix_secs(SystemTime::now());
    let model = server.args.served_model_name.clone();
    let interval = server.timing.token_interval;
    let body = async_stream::stream! {
        let guard = RunningGuard::new(server.clone());
        let object = if chat { "chat.completion.chunk" } else { "text_completion" };
        let chunk = |choice: Value| json!({"id": gen.id, "object": object, "created": created, "model": model, "choices": [choice]});
        let mut sent = 0u32;
        if chat {
            yield Ok::<Bytes, std::io::Error>(sse(&chunk(json!({"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}))));
            sent += 1;
        }
        let last = gen.tokens.len().saturating_sub(1);
        for (i, token) in gen.tokens.iter().enumerate() {
            if drop_after.is_some_and(|n| sent >= n) {
                yield Err(std::io::Error::other("simulated stream drop"));
                return;
            }
            pace(interval).await;
            let finish = if i == last { Value::from(gen.finish_reason) } else { Value::Null };
            let choice = if chat {
                json!({"index": 0, "delta": {"content": token}, "logprobs": null, "finish_reason": finish})
            } else {
                json!({"index": 0, "text": token, "logprobs": null, "finish_reason": finish, "stop_reason": null})
            };
            yield Ok(sse(&chunk(choice)));
            sent += 1;
        }
        let completion_tokens = gen.tokens.len() as u64;
        guard.finish(completion_tokens);
        if gen.include_usage {
            yield Ok(sse(&json!({"id": gen.id, "object": object, "created": created, "model": model, "choices": [],
                "usage": usage(gen.prompt_tokens, completion_tokens)})));
        }
        yield Ok(Bytes::from_static(b"data: [DONE]\n\n"));
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn metrics(State(server): State<Sim>) -> Result<Response, VllmError> {
    let server = alive(&server)?;
    let labels = format!(
        "engine=\"0\",model_name=\"{}\"",
        server.args.served_model_name
    );
    let running = server.running.load(Ordering::Relaxed);
    let kv = (running as f64 * 0.02).min(1.0);
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: String| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{{labels}}} {value}\n"
        ));
    };
    metric(
        "vllm:num_requests_running",
        "gauge",
        "Number of requests in model execution batches.",
        format!("{running}.0"),
    );
    metric(
        "vllm:num_requests_waiting",
        "gauge",
        "Number of requests waiting to be processed.",
        "0.0".into(),
    );
    metric(
        "vllm:kv_cache_usage_perc",
        "gauge",
        "KV-cache usage. 1 means 100 percent usage.",
        format!("{kv}"),
    );
    metric(
        "vllm:prompt_tokens_total",
        "counter",
        "Number of prefill tokens processed.",
        format!("{}.0", server.prompt_tokens.load(Ordering::Relaxed)),
    );
    metric(
        "vllm:generation_tokens_total",
        "counter",
        "Number of generation tokens processed.",
        format!("{}.0", server.generation_tokens.load(Ordering::Relaxed)),
    );
    metric(
        "vllm:request_success_total",
        "counter",
        "Count of successfully processed requests.",
        format!("{}.0", server.finished.load(Ordering::Relaxed)),
    );
    metric(
        "vllm:request_aborted_total",
        "counter",
        "Count of requests aborted by their client (simulator only).",
        format!("{}.0", server.aborted.load(Ordering::Relaxed)),
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_vllm_serve_arguments() {
        let a = VllmArgs::parse(&argv("vllm serve org/Model-7B --served-model-name m7 --port 8888 --max-model-len=8192 --gpu-memory-utilization 0.5 --enforce-eager"))
            .unwrap()
            .unwrap();
        assert_eq!(a.model, "org/Model-7B");
        assert_eq!(a.served_model_name, "m7");
        assert_eq!((a.port, a.max_model_len), (8888, 8192));
        assert!((a.gpu_memory_utilization - 0.5).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_values_like_vllm_does() {
        let err = VllmArgs::parse(&argv("vllm serve m --port eighty")).unwrap_err();
        assert!(err.contains("--port"), "{err}");
        assert!(VllmArgs::parse(&argv("sleep infinity")).unwrap().is_none());
    }

    #[test]
    fn max_tokens_cuts_with_length() {
        let (tokens, reason) = reply_tokens("m", "hello there", Some(3));
        assert_eq!((tokens.len(), reason), (3, "length"));
        let (tokens, reason) = reply_tokens("m", "hello there", None);
        assert_eq!(reason, "stop");
        assert!(tokens.concat().ends_with("You said: hello there"));
    }
}
