//! # Helper of `scripts/bench-gateway.sh`: what the chat gateway adds (issue #5, item 7)
//!
//! The script drives the processes (`spark-control`, nginx, `wrk`); this program does the parts
//! a shell cannot do precisely. It uses only the standard library and blocking sockets, so its
//! own timing is a read returning on a thread that waits for nothing else.
//!
//! - `free-port`: prints a loopback port that is free now.
//! - `sse --upstream ADDR --relay ADDR --model NAME TARGET=ADDR…`: the time from an upstream
//!   SSE chunk to its arrival at the client. A timestamping TCP relay is put in front of the
//!   simulated vLLM (`--upstream`) on `--relay`; the gateway and nginx are configured to reach
//!   vLLM through it, and the target `direct` is the relay itself. For each streamed chat
//!   request the relay notes when the request reaches it and when each SSE event
//!   (`data: …\n\n`) leaves vLLM; the client notes when it sent the request and when each event
//!   arrives. All on one clock, so per target:
//!   - *request*: client sends → the request reaches the relay (i.e. vLLM);
//!   - *ttft*: client sends → first event arrives;
//!   - *chunk*: an event leaves vLLM → it arrives at the client (token events only, each after
//!     a simulated token interval, so each is written on its own).
//!
//!   The relay's own forwarding cost is in every target, `direct` included, so the difference
//!   to `direct` is what the gateway (or nginx) adds. Prints one `sse …` line per target, with
//!   medians (and `connections`: those the relay accepted during that target's streams; the
//!   gateway's health probes of vLLM pass the relay too).
//! - `summary FILE`: reads the `wrk …` lines the script wrote and the `sse …` lines, and prints
//!   medians, the added latencies and ratios (per repetition, paired: the paths of one
//!   repetition ran back to back), and whether the issue's targets are met.
//!
//! The script compiles this file with `rustc` (seconds; it needs nothing but `std`). It is
//! also a `harness = false` bench of the server package so that it is built, formatted and
//! linted with the rest; `cargo bench` on it only prints where to go.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("free-port") => free_port(),
        Some("sse") => sse(&args[1..]),
        Some("summary") => summary(&args[1..]),
        // `cargo bench` runs every bench with `--bench`: say how this one is meant to be run.
        None | Some("--bench") => {
            println!("gateway: the helper of scripts/bench-gateway.sh; run that script");
            Ok(())
        }
        Some(other) => Err(format!(
            "unknown command {other:?}: free-port, sse or summary (see scripts/bench-gateway.sh)"
        )),
    };
    if let Err(message) = result {
        eprintln!("gateway bench: {message}");
        std::process::exit(2);
    }
}

fn free_port() -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    println!(
        "{}",
        listener.local_addr().map_err(|e| e.to_string())?.port()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SSE: the relay and the client

/// What the relay saw of the one request being measured.
#[derive(Default)]
struct Seen {
    /// When a chat request reached the relay.
    request: Option<Instant>,
    /// When each SSE event's end left vLLM (was read by the relay).
    events: Vec<Instant>,
    /// Connections the relay accepted (a proxy that reuses its connections opens few).
    connections: usize,
}

/// A TCP relay in front of vLLM that notes when requests and SSE events pass.
fn start_relay(
    listen: SocketAddr,
    upstream: SocketAddr,
    seen: Arc<Mutex<Seen>>,
) -> Result<(), String> {
    let listener = TcpListener::bind(listen).map_err(|e| format!("relay on {listen}: {e}"))?;
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            lock(&seen).connections += 1;
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
                continue;
            };
            let seen_up = seen.clone();
            std::thread::spawn(move || pump(client, server, &seen_up, Direction::Request));
            let seen_down = seen.clone();
            std::thread::spawn(move || pump(server2, client2, &seen_down, Direction::Response));
        }
    });
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Request,
    Response,
}

/// Copies `from` to `to`, noting chat requests (towards vLLM) or SSE event ends (from it).
fn pump(mut from: TcpStream, mut to: TcpStream, seen: &Mutex<Seen>, direction: Direction) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut last = 0u8;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let now = Instant::now();
        let data = &buf[..n];
        match direction {
            Direction::Request => {
                if find(data, b"POST /v1/chat/completions").is_some() {
                    lock(seen).request = Some(now);
                }
            }
            Direction::Response => {
                let ends = event_ends(last, data);
                if ends > 0 {
                    lock(seen).events.extend(std::iter::repeat_n(now, ends));
                }
                last = data[n - 1];
            }
        }
        if to.write_all(data).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many `\n\n` (an SSE event's end) `data` holds, counting one that straddles the previous
/// read (which ended with `last`). HTTP framing uses `\r\n`, so only event ends match.
fn event_ends(last: u8, data: &[u8]) -> usize {
    let mut count = 0;
    let mut prev = last;
    for &b in data {
        if b == b'\n' && prev == b'\n' {
            count += 1;
            prev = 0;
        } else {
            prev = b;
        }
    }
    count
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One streamed request as the client saw it, and the relay.
struct Stream {
    /// Connections opened to vLLM for it.
    connections: usize,
    /// Client sent → request at the relay.
    request: Duration,
    /// Client sent → first event at the client.
    ttft: Duration,
    /// Per token event: left vLLM → arrived at the client.
    chunks: Vec<Duration>,
}

/// A keep-alive HTTP/1.1 client that times each SSE event of a streamed answer.
struct Client {
    addr: SocketAddr,
    conn: Option<TcpStream>,
}

impl Client {
    fn new(addr: SocketAddr) -> Self {
        Self { addr, conn: None }
    }

    /// Sends `body` and reads the streamed answer; returns when it was sent and each event's
    /// arrival.
    fn stream(&mut self, body: &str) -> Result<(Instant, Vec<Instant>), String> {
        if self.conn.is_none() {
            let conn = TcpStream::connect(self.addr).map_err(|e| format!("{}: {e}", self.addr))?;
            conn.set_nodelay(true).map_err(|e| e.to_string())?;
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .map_err(|e| e.to_string())?;
            self.conn = Some(conn);
        }
        let result = self.exchange(body);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn exchange(&mut self, body: &str) -> Result<(Instant, Vec<Instant>), String> {
        let conn = self.conn.as_mut().ok_or("no connection")?;
        let request = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let sent = Instant::now();
        conn.write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut raw: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut events = Vec::new();
        let mut decoder: Option<Chunked> = None;
        loop {
            let n = conn.read(&mut buf).map_err(|e| format!("read: {e}"))?;
            let now = Instant::now();
            if n == 0 {
                return Err("the connection closed mid-answer".into());
            }
            raw.extend_from_slice(&buf[..n]);
            if decoder.is_none() {
                let Some(end) = find(&raw, b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                if !head.starts_with("http/1.1 200") {
                    return Err(format!("answer: {}", head.lines().next().unwrap_or("")));
                }
                if !head.contains("transfer-encoding: chunked") {
                    return Err("the streamed answer is not chunked".into());
                }
                raw.drain(..end + 4);
                decoder = Some(Chunked::default());
            }
            let decoder = decoder.as_mut().ok_or("no decoder")?;
            let (ends, done) = decoder.feed(&mut raw)?;
            events.extend(std::iter::repeat_n(now, ends));
            if done {
                return Ok((sent, events));
            }
        }
    }
}

/// Decodes a chunked body as it arrives and counts SSE event ends in it.
#[derive(Default)]
struct Chunked {
    /// Bytes left in the current chunk (then its CRLF).
    left: usize,
    in_chunk: bool,
    last: u8,
}

impl Chunked {
    /// Consumes what it can of `raw`; returns the event ends seen and whether the body ended.
    fn feed(&mut self, raw: &mut Vec<u8>) -> Result<(usize, bool), String> {
        let mut ends = 0;
        let mut at = 0;
        loop {
            if self.in_chunk {
                let take = self.left.min(raw.len() - at);
                ends += event_ends(self.last, &raw[at..at + take]);
                if take > 0 {
                    self.last = raw[at + take - 1];
                }
                self.left -= take;
                at += take;
                if self.left > 0 {
                    break;
                }
                if raw.len() - at < 2 {
                    break;
                }
                at += 2; // the chunk's CRLF
                self.in_chunk = false;
            }
            let Some(eol) = find(&raw[at..], b"\r\n") else {
                break;
            };
            let line = std::str::from_utf8(&raw[at..at + eol]).map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("bad chunk size {line:?}"))?;
            if size == 0 {
                // The last chunk; no trailers are expected, just the final CRLF.
                if raw.len() - at < eol + 4 {
                    break;
                }
                raw.clear();
                return Ok((ends, true));
            }
            at += eol + 2;
            self.left = size;
            self.in_chunk = true;
        }
        raw.drain(..at);
        Ok((ends, false))
    }
}

struct SseOptions {
    upstream: SocketAddr,
    relay: SocketAddr,
    model: String,
    targets: Vec<(String, SocketAddr)>,
    streams: usize,
    tokens: usize,
    warmup: usize,
}

fn parse_sse(args: &[String]) -> Result<SseOptions, String> {
    let mut options = SseOptions {
        upstream: "127.0.0.1:1".parse().unwrap_or_else(|_| unreachable!()),
        relay: "127.0.0.1:1".parse().unwrap_or_else(|_| unreachable!()),
        model: String::new(),
        targets: Vec::new(),
        streams: 300,
        tokens: 8,
        warmup: 20,
    };
    let addr = |v: Option<&String>, flag: &str| -> Result<SocketAddr, String> {
        v.ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))
    };
    let number = |v: Option<&String>, flag: &str| -> Result<usize, String> {
        v.ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--upstream" => options.upstream = addr(it.next(), arg)?,
            "--relay" => options.relay = addr(it.next(), arg)?,
            "--model" => options.model = it.next().ok_or("--model needs a value")?.clone(),
            "--streams" => options.streams = number(it.next(), arg)?,
            "--tokens" => options.tokens = number(it.next(), arg)?,
            "--warmup" => options.warmup = number(it.next(), arg)?,
            target => {
                let (name, at) = target
                    .split_once('=')
                    .ok_or(format!("unexpected argument {target:?}"))?;
                let at = if at == "relay" {
                    options.relay
                } else {
                    at.parse().map_err(|e| format!("{name}: {e}"))?
                };
                options.targets.push((name.to_string(), at));
            }
        }
    }
    if options.model.is_empty() || options.targets.is_empty() {
        return Err("usage: sse --upstream ADDR --relay ADDR --model NAME [--streams N] [--tokens N] direct=relay gateway=ADDR …".into());
    }
    Ok(options)
}

fn sse(args: &[String]) -> Result<(), String> {
    let o = parse_sse(args)?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    start_relay(o.relay, o.upstream, seen.clone())?;
    let body = format!(
        r#"{{"model":"{}","max_tokens":{},"stream":true,"messages":[{{"role":"user","content":"Say hello"}}]}}"#,
        o.model, o.tokens
    );
    let mut clients: Vec<Client> = o.targets.iter().map(|(_, a)| Client::new(*a)).collect();
    // Until every target answers through the relay (a gateway's first probes may still be
    // marking vLLM up), then warm connections and pools.
    let deadline = Instant::now() + Duration::from_secs(30);
    for (i, client) in clients.iter_mut().enumerate() {
        loop {
            match measure(client, &body, &seen) {
                Ok(_) => break,
                Err(e) if Instant::now() > deadline => {
                    return Err(format!("{} does not stream: {e}", o.targets[i].0))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }
    for _ in 0..o.warmup {
        for client in clients.iter_mut() {
            measure(client, &body, &seen)?;
        }
    }
    let mut samples: Vec<Vec<Stream>> = o.targets.iter().map(|_| Vec::new()).collect();
    let mut mismatched = vec![0usize; o.targets.len()];
    // Interleaved, so that a noisy moment on the machine falls on every target alike.
    for _ in 0..o.streams {
        for (i, client) in clients.iter_mut().enumerate() {
            match measure(client, &body, &seen)? {
                Some(stream) => samples[i].push(stream),
                None => mismatched[i] += 1,
            }
        }
    }
    for (i, (name, _)) in o.targets.iter().enumerate() {
        let s = &samples[i];
        let request = median(s.iter().map(|x| us(x.request)).collect());
        let ttft = median(s.iter().map(|x| us(x.ttft)).collect());
        let chunks: Vec<f64> = s
            .iter()
            .flat_map(|x| x.chunks.iter().map(|d| us(*d)))
            .collect();
        let chunk_p90 = percentile(chunks.clone(), 0.9);
        let chunk = median(chunks);
        let connections: usize = s.iter().map(|x| x.connections).sum();
        println!(
            "sse {name} streams={} mismatched={} request_us={request:.1} ttft_us={ttft:.1} chunk_us={chunk:.1} chunk_p90_us={chunk_p90:.1} connections={connections}",
            s.len(),
            mismatched[i]
        );
    }
    Ok(())
}

/// One streamed request; `None` when the relay and the client did not see the same events.
fn measure(client: &mut Client, body: &str, seen: &Mutex<Seen>) -> Result<Option<Stream>, String> {
    {
        let mut seen = lock(seen);
        seen.request = None;
        seen.events.clear();
        seen.connections = 0;
    }
    let (sent, arrived) = client.stream(body)?;
    // The relay notes an event before it forwards it, so it has them all by now.
    let relay = std::mem::take(&mut *lock(seen));
    let Some(at_relay) = relay.request else {
        return Err("the request did not pass the relay".into());
    };
    if relay.events.len() != arrived.len() || arrived.len() < 3 {
        return Ok(None);
    }
    // Events: the role chunk, one per token, then `[DONE]` (written right after the last token,
    // so often together with it). The token events are each written alone, after a pause.
    let tokens = arrived.len() - 2;
    let chunks = (1..=tokens)
        .map(|k| arrived[k].saturating_duration_since(relay.events[k]))
        .collect();
    Ok(Some(Stream {
        connections: relay.connections,
        request: at_relay.saturating_duration_since(sent),
        ttft: arrived[0].saturating_duration_since(sent),
        chunks,
    }))
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

// ---------------------------------------------------------------------------------------------
// Summary

fn median(values: Vec<f64>) -> f64 {
    percentile(values, 0.5)
}

/// The `q` quantile, interpolated (the median of an even count is the mean of the middle two).
fn percentile(mut values: Vec<f64>, q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let at = q * (values.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (at - lo as f64)
}

/// `key=value` fields of a result line.
fn fields(line: &str) -> BTreeMap<&str, f64> {
    line.split_whitespace()
        .filter_map(|f| f.split_once('='))
        .filter_map(|(k, v)| v.parse().ok().map(|v| (k, v)))
        .collect()
}

/// Issue #5's targets.
const ADDED_P50_TARGET_MS: f64 = 0.1;
const RPS_VS_NGINX_TARGET: f64 = 0.9;

fn summary(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("usage: summary RESULTS_FILE")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    // (target, mode, repetition) → fields; sse target → fields.
    let mut wrk: BTreeMap<(String, String, u32), BTreeMap<&str, f64>> = BTreeMap::new();
    let mut sse: BTreeMap<String, BTreeMap<&str, f64>> = BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("wrk"), Some(target), Some(mode)) => {
                let f = fields(line);
                let rep = f.get("rep").copied().unwrap_or(0.0) as u32;
                wrk.insert((target.into(), mode.into(), rep), f);
            }
            (Some("sse"), Some(target), _) => {
                sse.insert(target.into(), fields(line));
            }
            _ => {}
        }
    }
    let reps: Vec<u32> = wrk
        .keys()
        .map(|k| k.2)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let get = |target: &str, mode: &str, rep: u32, field: &str| -> Option<f64> {
        wrk.get(&(target.to_string(), mode.to_string(), rep))
            .and_then(|f| f.get(field).copied())
    };
    let med = |target: &str, mode: &str, field: &str| -> f64 {
        median(
            reps.iter()
                .filter_map(|&r| get(target, mode, r, field))
                .collect(),
        )
    };
    // Per repetition, paired: the paths of one repetition ran back to back, so a noisy
    // stretch of the machine moves them together and cancels out of their difference.
    let paired = |pair: &dyn Fn(u32) -> Option<f64>| -> (f64, f64, f64) {
        let values: Vec<f64> = reps.iter().filter_map(|&r| pair(r)).collect();
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
        (median(values), lo, hi)
    };
    let added = |target: &str| {
        paired(&|r| {
            Some(
                (get(target, "latency", r, "p50_us")? - get("direct", "latency", r, "p50_us")?)
                    / 1e3,
            )
        })
    };
    let ratio = |a: &str, b: &str| {
        paired(&|r| Some(get(a, "throughput", r, "rps")? / get(b, "throughput", r, "rps")?))
    };
    let errors: f64 = wrk.values().filter_map(|f| f.get("errors")).sum();

    println!();
    println!(
        "== chat gateway benchmark: medians of {} repetitions ==",
        reps.len()
    );
    println!(
        "{:<8} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "path", "req/s (N)", "p50 (N) ms", "p99 (N) ms", "p50 (1) ms", "p99 (1) ms"
    );
    for target in ["direct", "gateway", "nginx"] {
        println!(
            "{target:<8} {:>12.0} {:>12.3} {:>12.3} {:>12.3} {:>12.3}",
            med(target, "throughput", "rps"),
            med(target, "throughput", "p50_us") / 1e3,
            med(target, "throughput", "p99_us") / 1e3,
            med(target, "latency", "p50_us") / 1e3,
            med(target, "latency", "p99_us") / 1e3,
        );
    }
    if errors > 0.0 {
        println!("(wrk counted {errors} socket errors or non-2xx answers in all)");
    }
    let range = |(m, lo, hi): (f64, f64, f64), digits: usize| {
        format!("{m:+.digits$} ({lo:+.digits$} … {hi:+.digits$})")
    };
    let plain = |(m, lo, hi): (f64, f64, f64)| format!("{m:.2} ({lo:.2} … {hi:.2})");
    let gateway_added = added("gateway");
    let vs_nginx = ratio("gateway", "nginx");
    println!();
    println!("per repetition, paired; median (min … max):");
    println!("added p50 latency, 1 connection (path − direct), ms:");
    println!("  gateway {}", range(gateway_added, 3));
    println!("  nginx   {}", range(added("nginx"), 3));
    println!("req/s ratio, N connections:");
    println!("  gateway/nginx  {}", plain(vs_nginx));
    println!("  gateway/direct {}", plain(ratio("gateway", "direct")));
    println!("  nginx/direct   {}", plain(ratio("nginx", "direct")));
    if let Some(direct) = sse.get("direct") {
        println!("SSE, streamed chat: medians, added = path − direct, ms:");
        for (target, f) in &sse {
            if target == "direct" {
                continue;
            }
            let added = |k: &str| {
                let at = |f: &BTreeMap<&str, f64>| f.get(k).copied().unwrap_or(f64::NAN);
                (at(f) - at(direct)) / 1e3
            };
            println!(
                "  {target:<8} chunk vLLM→client {:+.3}    request client→vLLM {:+.3}    time to first token {:+.3}",
                added("chunk_us"),
                added("request_us"),
                added("ttft_us")
            );
        }
    }
    println!();
    let verdict = |met: bool| if met { "MET" } else { "NOT MET" };
    println!(
        "target: gateway added p50 ≤ {ADDED_P50_TARGET_MS} ms   → {:.3} ms: {}",
        gateway_added.0,
        verdict(gateway_added.0 <= ADDED_P50_TARGET_MS)
    );
    println!(
        "target: gateway req/s ≥ {RPS_VS_NGINX_TARGET}× nginx  → {:.2}×: {}",
        vs_nginx.0,
        verdict(vs_nginx.0 >= RPS_VS_NGINX_TARGET)
    );
    Ok(())
}
