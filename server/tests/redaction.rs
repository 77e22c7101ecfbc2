//! The redaction gateway over real HTTP: scrub → rehydrate round trips, multi-turn sessions,
//! JSON tool-call arguments, streaming (split anywhere, and not buffered), sealed tokens,
//! expiry, a restart of the controller, errors — and that no personal data reaches the logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use common::Api;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const CATALOG: &str = r#"
models:
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
"#;

/// Everything any test here logs, at every level: the log test reads it.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber once for this test binary; returns the buffer.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = LogBuffer(buffer.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    })
    .clone()
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

async fn start(vars: &[(&str, &str)]) -> (Api, tempfile::TempDir) {
    logs();
    let (api, _state, dir) = common::boot_simulated(CATALOG, vars).await;
    (api, dir)
}

impl Api {
    async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path} answered {status} with non-JSON: {text}"));
        (status, value)
    }

    async fn scrub(&self, body: Value) -> Value {
        let (status, reply) = self.post_json("/scrub", &body).await;
        assert_eq!(status, 200, "{reply:#}");
        reply
    }

    async fn rehydrate(&self, body: Value) -> Value {
        let (status, reply) = self.post_json("/rehydrate", &body).await;
        assert_eq!(status, 200, "{reply:#}");
        reply
    }

    /// `POST /rehydrate/stream` with `chunks` as separate body frames; the whole answer.
    async fn stream(&self, session: &str, chunks: Vec<Vec<u8>>) -> String {
        let frames = futures::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from(c))),
        );
        let response = self
            .http
            .post(format!("{}/rehydrate/stream", self.base))
            .header("x-redact-session", session)
            .body(reqwest::Body::wrap_stream(frames))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }
}

/// Asserts the error shape of the REST routes; returns the message.
fn error_message(status: u16, reply: &Value, want: u16) -> String {
    assert_eq!(status, want, "{reply:#}");
    assert_eq!(reply["error"]["code"], want, "{reply:#}");
    assert!(reply["error"]["type"].is_string(), "{reply:#}");
    reply["error"]["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn round_trips_restore_the_original_exactly() {
    let (api, _dir) = start(&[]).await;
    let cases: &[(&str, &[&str], Value)] = &[
        (
            "Hi team, please contact Dr. Maria Gonzalez at maria.gonzalez@clinic-example.org \
             or +1 (555) 123-4567 about the results.",
            &[
                "maria.gonzalez@clinic-example.org",
                "+1 (555) 123-4567",
                "Gonzalez",
            ],
            json!([]),
        ),
        (
            "Wire the refund to IBAN DE89 3704 0044 0532 0130 00 for Jonas Becker; his card \
             4111 1111 1111 1111 was charged twice. Server 10.20.30.40 logged it.",
            &[
                "DE89 3704 0044 0532 0130 00",
                "4111 1111 1111 1111",
                "10.20.30.40",
            ],
            json!([]),
        ),
        (
            "From: Sarah Connor <sarah.connor@example.com>\nPhone: 020 7946 0958\n\n\
             Can we move the meeting?\n\nBest regards,\nSarah",
            &["sarah.connor@example.com", "020 7946 0958", "Connor"],
            json!([]),
        ),
        (
            "Call Alice Smith (alice@example.com, 0049 30 1234567) and tell alice that \
             Globex Corporation approved the budget. Her SSN is 123-45-6789.",
            &[
                "Alice Smith",
                "alice@example.com",
                "0049 30 1234567",
                "Globex",
                "123-45-6789",
            ],
            json!([{"name": "Alice Smith"}, {"name": "Globex Corporation", "kind": "org", "aliases": ["Globex"]}]),
        ),
    ];
    for (text, secrets, known) in cases {
        let scrubbed = api.scrub(json!({"text": text, "known": known})).await;
        let out = scrubbed["text"].as_str().unwrap();
        for secret in *secrets {
            assert!(!out.contains(secret), "{secret:?} left in {out:?}");
        }
        // The reply lists placeholders and kinds, never values.
        let listed = scrubbed["placeholders"].to_string();
        for secret in *secrets {
            assert!(!listed.contains(secret), "{listed}");
        }
        assert!(scrubbed["placeholders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| out.contains(p["placeholder"].as_str().unwrap())));
        let id = scrubbed["session"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        assert!(scrubbed["expires_at_ms"].as_u64().unwrap() > 0);
        let restored = api.rehydrate(json!({"text": out, "session": id})).await;
        assert_eq!(restored["text"], *text);
        assert_eq!(restored["unknown"], json!([]));
    }
}

#[tokio::test]
async fn later_turns_reuse_placeholders_and_models_may_mangle_them() {
    let (api, _dir) = start(&[]).await;
    let first = api
        .scrub(json!({"text": "Please email bob.jones@example.net about the invoice."}))
        .await;
    assert_eq!(first["text"], "Please email [EMAIL_1] about the invoice.");
    let id = first["session"].as_str().unwrap();
    let second = api
        .scrub(json!({"session": id, "text": "Did bob.jones@example.net answer? Copy carol@example.org."}))
        .await;
    assert_eq!(second["text"], "Did [EMAIL_1] answer? Copy [EMAIL_2].");
    assert_eq!(second["session"], id, "the same session continues");
    assert_eq!(
        second["placeholders"],
        json!([{"placeholder": "[EMAIL_1]", "kind": "EMAIL"}, {"placeholder": "[EMAIL_2]", "kind": "EMAIL"}])
    );
    // The model's answer, with the placeholders as models write them.
    let answer = "I wrote to **[email_1]** and cc'd (EMAIL_2); [EMAIL_9] bounced.";
    let restored = api.rehydrate(json!({"session": id, "text": answer})).await;
    assert_eq!(
        restored["text"],
        "I wrote to **bob.jones@example.net** and cc'd carol@example.org; [EMAIL_9] bounced."
    );
    assert_eq!(restored["unknown"][0]["text"], "[EMAIL_9]");
    assert_eq!(restored["unknown"][0]["kind"], "EMAIL");
}

#[tokio::test]
async fn tool_call_arguments_are_restored_inside_json() {
    let (api, _dir) = start(&[]).await;
    let scrubbed = api
        .scrub(json!({
            "text": "Send the contract to Ana \"Ani\" O'Brien at ana.obrien@example.com.",
            "known": [{"name": "Ana \"Ani\" O'Brien"}],
        }))
        .await;
    assert_eq!(
        scrubbed["text"],
        "Send the contract to [PERSON_1] at [EMAIL_1]."
    );
    let id = scrubbed["session"].as_str().unwrap();
    let completion = json!({
        "choices": [{"message": {"role": "assistant", "content": null, "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": "send_email", "arguments": "{\"to\":\"[EMAIL_1]\",\"greeting\":\"Dear [PERSON_1],\"}"},
        }]}}],
    });
    let restored = api
        .rehydrate(json!({"session": id, "json": completion}))
        .await;
    let call = &restored["json"]["choices"][0]["message"]["tool_calls"][0]["function"];
    assert_eq!(call["name"], "send_email");
    let args: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(
        args,
        json!({"to": "ana.obrien@example.com", "greeting": "Dear Ana \"Ani\" O'Brien,"})
    );
    // Raw argument deltas, streamed: values come out escaped for a JSON string.
    let response = api
        .http
        .post(format!("{}/rehydrate/stream?escape=json", api.base))
        .header("x-redact-session", id)
        .body("{\"to\":\"[PERSON_1]\"}")
        .send()
        .await
        .unwrap();
    let raw = response.text().await.unwrap();
    let parsed: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(parsed["to"], "Ana \"Ani\" O'Brien");
}

/// The engine alone: every way of cutting a short answer in three gives the same text, and
/// never more than the promised hold-back is kept.
#[test]
fn the_stream_engine_gives_the_same_text_however_the_answer_is_cut() {
    let scrubber = redact::Scrubber::builder()
        .known(redact::KnownEntity::person("Zoë Åberg"))
        .build()
        .unwrap();
    let mut session = redact::Session::new();
    scrubber
        .scrub("Zoë Åberg, zoe@example.se, +46 8 123 456 78", &mut session)
        .unwrap();
    let answer = "Hej [PERSON_1]! Mail (EMAIL_1) or **PHONE_1**, not [PERSON_7].";
    let (whole, _) = redact::rehydrate(answer, &session);
    assert_eq!(
        whole,
        "Hej Zoë Åberg! Mail zoe@example.se or **+46 8 123 456 78**, not [PERSON_7]."
    );
    let bytes = answer.as_bytes();
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            if !answer.is_char_boundary(i) || !answer.is_char_boundary(j) {
                continue;
            }
            let mut stream = redact::StreamRehydrator::new(&session);
            let mut out = String::new();
            for piece in [&answer[..i], &answer[i..j], &answer[j..]] {
                out += &stream.push(piece);
                assert!(stream.held_back() <= stream.max_hold_back());
            }
            out += &stream.finish();
            assert_eq!(out, whole, "cut at {i} and {j}");
        }
    }
}

#[tokio::test]
async fn streamed_rehydration_is_the_same_for_every_cut_over_http() {
    let (api, _dir) = start(&[]).await;
    let scrubbed = api
        .scrub(json!({"text": "Grüße an Jürgen Weiß, juergen@example.de", "known": [{"name": "Jürgen Weiß"}]}))
        .await;
    let id = scrubbed["session"].as_str().unwrap();
    let answer = "Lieber [PERSON_1], ich schreibe an <EMAIL_1>. Grüße!";
    let expected = "Lieber Jürgen Weiß, ich schreibe an juergen@example.de. Grüße!";
    let bytes = answer.as_bytes();
    // Every byte position, UTF-8 characters cut in half included.
    for cut in 0..=bytes.len() {
        let out = api
            .stream(id, vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()])
            .await;
        assert_eq!(out, expected, "cut at byte {cut}");
    }
    // One byte per frame.
    let out = api
        .stream(id, bytes.iter().map(|b| vec![*b]).collect())
        .await;
    assert_eq!(out, expected);
}

#[tokio::test]
async fn a_stream_reports_unknown_placeholders_in_its_trailers() {
    use http_body_util::BodyExt;

    let (api, _dir) = start(&[]).await;
    let scrubbed = api
        .scrub(json!({"text": "Call Alice Smith.", "known": [{"name": "Alice Smith"}]}))
        .await;
    let id = scrubbed["session"].as_str().unwrap();
    // The model invented `[PERSON_7]` (twice, once cut across frames) and `[EMAIL_3]`.
    let frames: Vec<&[u8]> = vec![
        b"[PERSON_1] and [PERS",
        b"ON_7] wrote to [EMAIL_3]; ",
        b"[PERSON_7] again.",
    ];
    let body = futures::stream::iter(
        frames
            .into_iter()
            .map(|f| Ok::<_, std::io::Error>(Bytes::from_static(f))),
    );
    let response = api
        .http
        .post(format!("{}/rehydrate/stream", api.base))
        .header("x-redact-session", id)
        .header("te", "trailers")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let announced = response.headers()["trailer"].to_str().unwrap().to_string();
    assert!(announced.contains("x-redact-unknown"), "{announced}");
    let collected = axum::http::Response::from(response)
        .into_body()
        .collect()
        .await
        .unwrap();
    let trailers = collected
        .trailers()
        .cloned()
        .expect("no trailers were sent");
    let text = String::from_utf8(collected.to_bytes().to_vec()).unwrap();
    assert_eq!(
        text,
        "Alice Smith and [PERSON_7] wrote to [EMAIL_3]; [PERSON_7] again."
    );
    assert_eq!(trailers["x-redact-unknown-count"], "3");
    assert_eq!(trailers["x-redact-unknown"], "[PERSON_7], [EMAIL_3]");

    // A clean answer says so: a count of zero and no list.
    let response = api
        .http
        .post(format!("{}/rehydrate/stream", api.base))
        .header("x-redact-session", id)
        .header("te", "trailers")
        .body("Thanks, [PERSON_1].")
        .send()
        .await
        .unwrap();
    let collected = axum::http::Response::from(response)
        .into_body()
        .collect()
        .await
        .unwrap();
    let trailers = collected
        .trailers()
        .cloned()
        .expect("no trailers were sent");
    assert_eq!(trailers["x-redact-unknown-count"], "0");
    assert!(trailers.get("x-redact-unknown").is_none());
    assert_eq!(&collected.to_bytes()[..], b"Thanks, Alice Smith.");
}

#[tokio::test]
async fn streamed_output_arrives_before_the_upload_ends() {
    let (api, _dir) = start(&[]).await;
    let scrubbed = api
        .scrub(json!({"text": "Dear Alice Smith,", "known": [{"name": "Alice Smith"}]}))
        .await;
    let id = scrubbed["session"].as_str().unwrap().to_string();
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let request = api
        .http
        .post(format!("{}/rehydrate/stream", api.base))
        .header("x-redact-session", &id)
        .body(reqwest::Body::wrap_stream(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        ));
    let pending = tokio::spawn(request.send());
    // The first piece ends inside a placeholder: only what precedes it may come out…
    tx.send(Ok(Bytes::from_static(
        b"Dear [PERSON_1], thanks for the [PERS",
    )))
    .await
    .unwrap();
    let mut response = tokio::time::timeout(Duration::from_secs(10), pending)
        .await
        .expect("the response starts while the upload is still open")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let mut seen = String::new();
    while !seen.contains("thanks for the ") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("restored text arrives before the upload ends")
            .unwrap()
            .expect("the response is still open");
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    // …and the undecided tail is held back, not sent.
    assert_eq!(seen, "Dear Alice Smith, thanks for the ");
    assert!(!tx.is_closed(), "the upload is still going");
    tx.send(Ok(Bytes::from_static(b"ON_1] letter.")))
        .await
        .unwrap();
    drop(tx);
    while let Some(chunk) = response.chunk().await.unwrap() {
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert_eq!(seen, "Dear Alice Smith, thanks for the Alice Smith letter.");
}

#[tokio::test]
async fn sealed_mode_keeps_nothing_and_refuses_tampered_tokens() {
    let (api, dir) = start(&[]).await;
    let first = api
        .scrub(json!({"mode": "sealed", "text": "Ring Liam Murphy on +353 1 234 5678.", "known": [{"name": "Liam Murphy"}]}))
        .await;
    assert!(first.get("session").is_none(), "{first:#}");
    let token = first["sealed"].as_str().unwrap().to_string();
    assert!(!token.contains("Liam") && !token.contains("5678"));
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // The next turn sends the token and gets a new one; numbering continues.
    let second = api
        .scrub(json!({"sealed": token, "text": "Liam says hi; also ping +353 1 234 5678 and eve@example.ie"}))
        .await;
    assert_eq!(
        second["text"],
        "[PERSON_1.2] says hi; also ping [PHONE_1] and [EMAIL_1]"
    );
    let token2 = second["sealed"].as_str().unwrap();
    let restored = api
        .rehydrate(json!({"sealed": token2, "text": "[PERSON_1] at [PHONE_1] / [EMAIL_1]"}))
        .await;
    assert_eq!(
        restored["text"],
        "Liam Murphy at +353 1 234 5678 / eve@example.ie"
    );
    // Nothing was stored for sealed sessions.
    let state = server::store::Store::open(dir.path().join("state.sqlite3"))
        .await
        .unwrap();
    assert_eq!(state.vault_len().await.unwrap(), 0);
    // Streaming takes the token in a header.
    let response = api
        .http
        .post(format!("{}/rehydrate/stream", api.base))
        .header("x-redact-sealed", token2)
        .body("Hi [PERSON_1]")
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "Hi Liam Murphy");
    // Any change to the token is refused, with a clear message.
    let mut bytes = token2.as_bytes().to_vec();
    for i in [0, bytes.len() / 2, bytes.len() - 2] {
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    }
    let forged = String::from_utf8(bytes).unwrap();
    for bad in [
        forged.as_str(),
        &token2[..token2.len() - 4],
        "not a token!",
        "",
    ] {
        let (status, reply) = api
            .post_json("/rehydrate", &json!({"sealed": bad, "text": "[PERSON_1]"}))
            .await;
        let message = error_message(status, &reply, 400);
        assert!(message.contains("not a valid sealed token"), "{message}");
        assert_eq!(reply["error"]["param"], "sealed");
    }
    // A sealed token is not a vault id, and a mode must agree with the handle.
    let (status, reply) = api
        .post_json("/rehydrate", &json!({"session": token2, "text": "x"}))
        .await;
    error_message(status, &reply, 400);
    let (status, reply) = api
        .post_json(
            "/scrub",
            &json!({"sealed": token2, "mode": "vault", "text": "x"}),
        )
        .await;
    error_message(status, &reply, 400);
}

#[tokio::test]
async fn expired_sessions_are_not_found() {
    let (api, dir) = start(&[("REDACT_SESSION_TTL_SECS", "1")]).await;
    let vault = api
        .scrub(json!({"text": "Write to dana@example.com"}))
        .await;
    let id = vault["session"].as_str().unwrap();
    let sealed = api
        .scrub(json!({"text": "Write to dana@example.com", "mode": "sealed"}))
        .await;
    let token = sealed["sealed"].as_str().unwrap();
    // Use slides the expiry: three uses 0.5 s apart outlive one TTL.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        api.rehydrate(json!({"session": id, "text": "[EMAIL_1]"}))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(1300)).await;
    for body in [
        json!({"session": id, "text": "[EMAIL_1]"}),
        json!({"sealed": token, "text": "[EMAIL_1]"}),
    ] {
        let (status, reply) = api.post_json("/rehydrate", &body).await;
        let message = error_message(status, &reply, 404);
        assert!(message.contains("expired"), "{message}");
    }
    let (status, reply) = api
        .post_json("/scrub", &json!({"session": id, "text": "more"}))
        .await;
    error_message(status, &reply, 404);
    let response = api
        .http
        .post(format!("{}/rehydrate/stream?session={id}", api.base))
        .body("[EMAIL_1]")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    // The expired row is purged.
    let store = server::store::Store::open(dir.path().join("state.sqlite3"))
        .await
        .unwrap();
    assert_eq!(
        store.purge_vault(server::monitor::now_ms()).await.unwrap(),
        1
    );
}

/// A controller in its own runtime, on a given data dir, killed as a crash would.
struct Controller {
    runtime: Option<tokio::runtime::Runtime>,
    api: Api,
}

impl Controller {
    async fn start(data_dir: &std::path::Path) -> Controller {
        logs();
        let data_dir = data_dir.display().to_string();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let api = runtime
            .spawn(async move {
                let (api, _state, _catalog_dir) =
                    common::boot_simulated(CATALOG, &[("DATA_DIR", &data_dir)]).await;
                api
            })
            .await
            .unwrap();
        Controller {
            runtime: Some(runtime),
            api,
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

#[tokio::test]
async fn sessions_survive_a_restart_of_the_controller() {
    let dir = tempfile::tempdir().unwrap();
    let first = Controller::start(dir.path()).await;
    let vault = first
        .api
        .scrub(json!({"text": "Invoice for Priya Patel, priya@example.in", "known": [{"name": "Priya Patel"}]}))
        .await;
    let id = vault["session"].as_str().unwrap().to_string();
    let sealed = first
        .api
        .scrub(json!({"text": "Invoice for priya@example.in", "mode": "sealed"}))
        .await;
    let token = sealed["sealed"].as_str().unwrap().to_string();
    drop(first);

    let second = Controller::start(dir.path()).await;
    let restored = second
        .api
        .rehydrate(json!({"session": id, "text": "[PERSON_1] <[EMAIL_1]>"}))
        .await;
    assert_eq!(restored["text"], "Priya Patel <priya@example.in>");
    let restored = second
        .api
        .rehydrate(json!({"sealed": token, "text": "[EMAIL_1]"}))
        .await;
    assert_eq!(restored["text"], "priya@example.in");
    // The numbering continues where the first controller left it.
    let next = second
        .api
        .scrub(json!({"session": id, "text": "and raj@example.in"}))
        .await;
    assert_eq!(next["text"], "and [EMAIL_2]");
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors_that_do_not_echo_the_input() {
    let (api, _dir) = start(&[("REDACT_MAX_BODY_BYTES", "2048")]).await;
    let secret = "mallory.secret@example.com";
    let post_raw = |path: &'static str, body: String| {
        let api = &api;
        async move {
            let response = api
                .http
                .post(format!("{}{path}", api.base))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("/scrub", "{\"text\": ".into(), 400, "ends too early"),
        (
            "/scrub",
            format!("{{\"text\": \"{secret}\",}}"),
            400,
            "not valid JSON",
        ),
        ("/scrub", "{}".into(), 400, "missing field `text`"),
        (
            "/scrub",
            format!("{{\"text\": 42, \"note\": \"{secret}\"}}"),
            400,
            "expected a string",
        ),
        (
            "/scrub",
            format!("{{\"text\": \"{secret}\"}}").replace("text", secret),
            400,
            "unknown field",
        ),
        (
            "/scrub",
            format!("{{\"text\": \"hi\", \"mode\": \"{secret}\"}}"),
            400,
            "expected `vault` or `sealed`",
        ),
        (
            "/scrub",
            format!("{{\"text\": \"{secret}\", \"known\": [{{\"name\": \"12 34\"}}]}}"),
            400,
            "no letters",
        ),
        (
            "/scrub",
            format!(
                "{{\"text\": \"{secret}\", \"session\": \"{}\"}}",
                "0".repeat(32)
            ),
            404,
            "unknown or expired session",
        ),
        (
            "/scrub",
            format!("{{\"text\": \"{secret}\", \"session\": \"{secret}\"}}"),
            400,
            "not a session id",
        ),
        (
            "/scrub",
            format!(
                "{{\"text\": \"{secret}\", \"session\": \"{}\", \"sealed\": \"x\"}}",
                "0".repeat(32)
            ),
            400,
            "not both",
        ),
        (
            "/scrub",
            format!("{{\"text\": \"{}\"}}", secret.repeat(100)),
            413,
            "larger than 2048 bytes",
        ),
        (
            "/rehydrate",
            format!("{{\"text\": \"{secret}\"}}"),
            400,
            "name the session",
        ),
        (
            "/rehydrate",
            format!(
                "{{\"text\": \"{secret}\", \"json\": 1, \"session\": \"{}\"}}",
                "0".repeat(32)
            ),
            400,
            "exactly one of `text`",
        ),
    ];
    for (path, body, want, says) in cases {
        let (status, reply) = post_raw(path, body.clone()).await;
        let message = error_message(status, &reply, want);
        assert!(message.contains(says), "{body}: {message}");
        assert!(
            !reply.to_string().contains(secret),
            "{body} echoed: {reply}"
        );
        assert!(
            !reply.to_string().contains("12 34"),
            "{body} echoed: {reply}"
        );
    }
    // Other methods, and streaming without a session.
    let response = api
        .http
        .get(format!("{}/scrub", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["error"]["code"], 405);
    let response = api
        .http
        .post(format!("{}/rehydrate/stream", api.base))
        .body(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("X-Redact-Session") && !text.contains(secret),
        "{text}"
    );
}

#[tokio::test]
async fn nothing_of_a_request_reaches_the_logs() {
    let (api, _dir) = start(&[]).await;
    let secrets = [
        "Oskar Lindqvist",
        "oskar.lindqvist@example.se",
        "+46 70 123 45 67",
        "SE45 5000 0000 0583 9825 7466",
        "5555 5555 5555 4444",
    ];
    let text = format!(
        "Customer {} ({}, {}) pays from {} with card {}.",
        secrets[0], secrets[1], secrets[2], secrets[3], secrets[4]
    );
    let vault = api
        .scrub(json!({"text": text, "known": [{"name": secrets[0]}]}))
        .await;
    let id = vault["session"].as_str().unwrap().to_string();
    for secret in secrets {
        assert!(!vault["text"].as_str().unwrap().contains(secret));
    }
    let restored = api
        .rehydrate(json!({"session": id, "text": vault["text"]}))
        .await;
    assert_eq!(restored["text"], text);
    let sealed = api.scrub(json!({"text": text, "mode": "sealed"})).await;
    let token = sealed["sealed"].as_str().unwrap().to_string();
    api.rehydrate(json!({"sealed": token, "json": {"args": "[EMAIL_1]"}}))
        .await;
    let streamed = api
        .stream(&id, vec![b"[PERSON_1] / [EMAIL_1]".to_vec()])
        .await;
    assert_eq!(streamed, format!("{} / {}", secrets[0], secrets[1]));
    let response = api
        .http
        .post(format!("{}/rehydrate/stream?session={id}", api.base))
        .body("[CARD_1]")
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), secrets[4]);
    // Failures too: a body that is not JSON, a bad known name, an unknown session.
    for body in [
        format!("{{\"text\": \"{}\"", secrets[1]),
        format!(
            "{{\"text\": \"{}\", \"known\": [{{\"name\": \"{}\"}}]}}",
            secrets[1], "0 0"
        ),
        format!(
            "{{\"text\": \"{}\", \"session\": \"{}\"}}",
            secrets[1],
            "f".repeat(32)
        ),
    ] {
        let response = api
            .http
            .post(format!("{}/scrub", api.base))
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error());
    }
    let logs = logged();
    // The capture works (the requests were traced), and holds none of it.
    assert!(logs.contains("/rehydrate/stream"), "no request was logged");
    assert!(
        logs.contains("scrubbed"),
        "the gateway's own events were not captured"
    );
    for secret in secrets.iter().chain([&id.as_str(), &token.as_str()]) {
        assert!(!logs.contains(secret), "{secret:?} was logged");
    }
    // Personal data in other forms: lower case, digits only.
    assert!(!logs.to_lowercase().contains("lindqvist"));
    assert!(!logs.contains("5555555555554444"));
}
