//! The chat playground: talk to the loaded model through the gateway, as any LAN app would.
//!
//! It sends `POST /v1/chat/completions` with `stream: true` — the same route and bytes a
//! consumer uses — and appends tokens as they arrive (a `fetch` body read chunk by chunk, since
//! `EventSource` cannot `POST`). Stop aborts the request at once, whatever it is waiting for
//! (the answer's first byte during a long prompt, or the next token), which closes the
//! connection; the gateway passes that on and vLLM stops generating. Leaving the page does the
//! same. Which model is loaded comes from the same server function as the Models page.

use futures::channel::oneshot;
use leptos::prelude::*;

use super::models::get_models;
use crate::chat::{Message, Role, StreamEvent};

/// Longest answer asked for.
const MAX_TOKENS: u32 = 512;

/// What the last answer cost: shown under the conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Stats {
    first_token_ms: Option<f64>,
    completion_tokens: Option<u64>,
    elapsed_ms: f64,
}

#[component]
pub fn ChatPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_models());
    let messages = RwSignal::new(Vec::<Message>::new());
    let reasoning = RwSignal::new(String::new());
    let draft = RwSignal::new(String::new());
    let streaming = RwSignal::new(false);
    // Stop's end of the running answer's channel; sending (or dropping it, when the page
    // goes away) aborts the request.
    let stop = StoredValue::new(None::<oneshot::Sender<()>>);
    let error = RwSignal::new(None::<String>);
    let stats = RwSignal::new(None::<Stats>);

    let send = move |model: String| {
        let text = draft.get_untracked().trim().to_string();
        if text.is_empty() || streaming.get_untracked() {
            return;
        }
        draft.set(String::new());
        error.set(None);
        stats.set(None);
        reasoning.set(String::new());
        messages.update(|m| {
            m.push(Message {
                role: Role::User,
                content: text,
            })
        });
        let history = messages.get_untracked();
        messages.update(|m| {
            m.push(Message {
                role: Role::Assistant,
                content: String::new(),
            })
        });
        streaming.set(true);
        let (stop_sender, stopped) = oneshot::channel();
        stop.set_value(Some(stop_sender));
        run_chat(
            crate::chat::request_body(&model, &history, MAX_TOKENS).to_string(),
            Answer {
                messages,
                reasoning,
                streaming,
                error,
                stats,
            },
            stopped,
        );
    };

    view! {
        <h1>"Chat"</h1>
        <p class="muted">"Try the loaded model. Messages go through this controller's OpenAI-compatible API (" <code>"/v1/chat/completions"</code> ") and stay on your network."</p>
        <Transition fallback=|| view! { <p class="empty">"Finding the loaded model…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(data) => match data.loaded {
                        Some(model) => view! {
                            <ChatBox model messages reasoning draft streaming stop error stats send />
                        }.into_any(),
                        None => view! {
                            <p class="empty" role="status">"No model is answering right now. " <a href="/models">"Load one on the Models page"</a> "."</p>
                        }.into_any(),
                    },
                    Err(e) => view! { <p class="error" role="alert">"Could not read which model is loaded: " {e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The signals a streamed answer writes into. Only the browser streams; the server's render
/// never sends.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Answer {
    messages: RwSignal<Vec<Message>>,
    reasoning: RwSignal<String>,
    streaming: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    stats: RwSignal<Option<Stats>>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Answer {
    /// Applies one event; `false` when the answer is over.
    fn apply(&self, event: StreamEvent) -> bool {
        match event {
            StreamEvent::Content(text) => self.messages.update(|m| {
                if let Some(last) = m.last_mut() {
                    last.content.push_str(&text);
                }
            }),
            StreamEvent::Reasoning(text) => self.reasoning.update(|r| r.push_str(&text)),
            StreamEvent::Usage { completion, .. } => self.stats.update(|s| {
                s.get_or_insert_with(Stats::default).completion_tokens = Some(completion)
            }),
            StreamEvent::Error(message) => {
                self.error.set(Some(message));
                return false;
            }
            StreamEvent::Done => return false,
        }
        true
    }

    fn finish(&self, result: Result<(), String>) {
        if let Err(message) = result {
            self.error.set(Some(message));
        }
        // An answer that never started is taken back out, so the conversation stays valid.
        self.messages.update(|m| {
            if m.last()
                .is_some_and(|l| l.role == Role::Assistant && l.content.is_empty())
            {
                m.pop();
            }
        });
        self.streaming.set(false);
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn ChatBox(
    model: String,
    messages: RwSignal<Vec<Message>>,
    reasoning: RwSignal<String>,
    draft: RwSignal<String>,
    streaming: RwSignal<bool>,
    stop: StoredValue<Option<oneshot::Sender<()>>>,
    error: RwSignal<Option<String>>,
    stats: RwSignal<Option<Stats>>,
    send: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let chosen = model.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(chosen.clone());
    };
    view! {
        <section class="chat" aria-label="Conversation">
            <label class="chat-model">"Model " <select name="model"><option value=model.clone() selected>{model.clone()}</option></select></label>
            <ol class="chat-log" aria-live="polite" data-testid="chat-log">
                {move || messages.get().into_iter().map(|m| {
                    let (class, who) = match m.role {
                        Role::User => ("chat-message user", "You"),
                        Role::Assistant => ("chat-message assistant", "Model"),
                    };
                    view! { <li class=class><span class="chat-who">{who}</span><p>{m.content}</p></li> }
                }).collect_view()}
            </ol>
            {move || (!reasoning.get().is_empty()).then(|| view! {
                <details class="chat-reasoning"><summary>"How the model reasoned"</summary><p>{reasoning.get()}</p></details>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">"The answer failed: " {e}</p> })}
            {move || stats.get().map(|s| view! { <p class="muted" data-testid="chat-stats">{describe(&s)}</p> })}
            <form class="chat-form" on:submit=submit>
                <label for="chat-input" class="visually-hidden">"Message"</label>
                <textarea id="chat-input" rows="3" placeholder="Write a message…"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        // Enter sends, Shift+Enter starts a new line.
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            send(model.clone());
                        }
                    }></textarea>
                <div class="actions">
                    {move || if streaming.get() {
                        view! { <button type="button" on:click=move |_| {
                            if let Some(stop) = stop.try_update_value(Option::take).flatten() {
                                let _ = stop.send(());
                            }
                        }>"Stop"</button> }.into_any()
                    } else {
                        view! { <button type="submit" class="primary" disabled=move || draft.get().trim().is_empty()>"Send"</button> }.into_any()
                    }}
                    <button type="button" disabled=move || streaming.get() || messages.with(Vec::is_empty)
                        on:click=move |_| { messages.set(Vec::new()); stats.set(None); error.set(None); reasoning.set(String::new()); }>
                        "New conversation"
                    </button>
                </div>
            </form>
        </section>
    }
}

fn describe(stats: &Stats) -> String {
    let mut parts = Vec::new();
    if let Some(first) = stats.first_token_ms {
        parts.push(format!("first token after {first:.0} ms"));
    }
    if let Some(tokens) = stats.completion_tokens {
        parts.push(format!("{tokens} tokens"));
        let generating = stats.elapsed_ms - stats.first_token_ms.unwrap_or(0.0);
        if tokens > 1 && generating > 0.0 {
            parts.push(format!(
                "{:.1} tokens/s",
                (tokens - 1) as f64 / (generating / 1000.0)
            ));
        }
    }
    parts.join(" · ")
}

/// Sends the request and streams the answer into `answer` until it ends or `stopped` fires
/// (browser only).
#[cfg(feature = "hydrate")]
fn run_chat(body: String, answer: Answer, stopped: oneshot::Receiver<()>) {
    use futures::future::{select, Either};

    leptos::task::spawn_local(async move {
        let Ok(abort) = web_sys::AbortController::new() else {
            answer.finish(Err("this browser cannot cancel a request".into()));
            return;
        };
        let streamed = std::pin::pin!(stream_chat(body, answer, abort.signal()));
        let result = match select(streamed, stopped).await {
            Either::Left((result, _)) => result,
            // Stop was pressed or the page went away: aborting the fetch closes the
            // connection, and the gateway cancels the generation upstream.
            Either::Right(_) => {
                abort.abort();
                Ok(())
            }
        };
        answer.finish(result);
    });
}

#[cfg(not(feature = "hydrate"))]
fn run_chat(_body: String, answer: Answer, _stopped: oneshot::Receiver<()>) {
    answer.finish(Err("the page is not running in a browser".into()));
}

#[cfg(feature = "hydrate")]
async fn stream_chat(
    body: String,
    answer: Answer,
    abort: web_sys::AbortSignal,
) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let started = js_sys::Date::now();
    let response = gloo_net::http::Request::post("/v1/chat/completions")
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .abort_signal(Some(&abort))
        .body(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("the controller did not answer: {e}"))?;
    if !response.ok() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(crate::chat::error_message(status, &text));
    }
    let stream = response.body().ok_or("the answer had no body")?;
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut decoder = crate::chat::SseDecoder::default();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| "the connection broke off mid-answer".to_string())?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(());
        }
        let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) else {
            continue;
        };
        let bytes = js_sys::Uint8Array::new(&value).to_vec();
        let now = js_sys::Date::now();
        for event in decoder.push(&bytes) {
            let first = matches!(event, StreamEvent::Content(_) | StreamEvent::Reasoning(_));
            answer.stats.update(|s| {
                let s = s.get_or_insert_with(Stats::default);
                if first && s.first_token_ms.is_none() {
                    s.first_token_ms = Some(now - started);
                }
                s.elapsed_ms = now - started;
            });
            if !answer.apply(event) {
                let _ = JsFuture::from(reader.cancel()).await;
                return Ok(());
            }
        }
    }
}
