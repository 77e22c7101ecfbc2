//! The redaction "try it" page: paste text, see what `/scrub` would send out of the LAN with
//! the placeholders highlighted, then paste a model's answer and see `/rehydrate` restore it.
//!
//! It calls the same REST routes a LAN app uses (`POST /scrub`, `POST /rehydrate`), from the
//! browser, so what the owner sees here is exactly what an app gets. One vault session is
//! kept per visit, so placeholders stay the same across tries, as in a conversation.

use leptos::prelude::*;
use serde::Deserialize;

/// The part of `/scrub`'s answer the page shows.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ScrubAnswer {
    pub text: String,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub placeholders: Vec<PlaceholderInfo>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PlaceholderInfo {
    pub placeholder: String,
    pub kind: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RehydrateAnswer {
    pub text: String,
    #[serde(default)]
    pub unknown: Vec<serde_json::Value>,
}

/// `text` cut into plain runs and placeholders (`[KIND_n]`), for highlighting.
pub fn split_placeholders(text: &str) -> Vec<(bool, String)> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']');
        let is_placeholder = close.is_some_and(|c| {
            let inner = &after[..c];
            inner.rsplit_once('_').is_some_and(|(kind, n)| {
                !kind.is_empty()
                    && kind.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_')
                    && !n.is_empty()
                    && n.chars().all(|ch| ch.is_ascii_digit())
            })
        });
        match (is_placeholder, close) {
            (true, Some(c)) => {
                if open > 0 {
                    parts.push((false, rest[..open].to_string()));
                }
                parts.push((true, rest[open..open + c + 2].to_string()));
                rest = &rest[open + c + 2..];
            }
            _ => {
                parts.push((false, rest[..open + 1].to_string()));
                rest = &rest[open + 1..];
            }
        }
    }
    if !rest.is_empty() {
        parts.push((false, rest.to_string()));
    }
    // Adjacent plain runs read better as one.
    let mut merged: Vec<(bool, String)> = Vec::new();
    for (placeholder, part) in parts {
        match merged.last_mut() {
            Some((false, last)) if !placeholder => last.push_str(&part),
            _ => merged.push((placeholder, part)),
        }
    }
    merged
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let input = RwSignal::new(String::from(
        "Hi, this is Maria Keller (maria.keller@example.org, +49 30 1234567). Please refund card 4111 1111 1111 1111.",
    ));
    let session = RwSignal::new(None::<String>);
    let scrubbed = RwSignal::new(None::<ScrubAnswer>);
    let answer = RwSignal::new(String::new());
    let restored = RwSignal::new(None::<RehydrateAnswer>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let scrub = move |_| {
        let body =
            serde_json::json!({"text": input.get_untracked(), "session": session.get_untracked()});
        busy.set(true);
        error.set(None);
        restored.set(None);
        post_json(
            "/scrub",
            body,
            move |result: Result<ScrubAnswer, String>| {
                busy.set(false);
                match result {
                    Ok(out) => {
                        if out.session.is_some() {
                            session.set(out.session.clone());
                        }
                        // A stand-in for the model's answer: the scrubbed text, to edit at will.
                        answer.set(out.text.clone());
                        scrubbed.set(Some(out));
                    }
                    Err(e) => error.set(Some(e)),
                }
            },
        );
    };
    let rehydrate = move |_| {
        let body =
            serde_json::json!({"text": answer.get_untracked(), "session": session.get_untracked()});
        busy.set(true);
        error.set(None);
        post_json(
            "/rehydrate",
            body,
            move |result: Result<RehydrateAnswer, String>| {
                busy.set(false);
                match result {
                    Ok(out) => restored.set(Some(out)),
                    Err(e) => error.set(Some(e)),
                }
            },
        );
    };

    view! {
        <h1>"Privacy"</h1>
        <p class="muted">"Before text goes to a model outside your network, apps send it to " <code>"/scrub"</code>
            ": personal data is replaced by placeholders. The answer comes back through " <code>"/rehydrate"</code>
            ", which puts the real values back. Try it here; nothing leaves this controller."</p>
        <section class="redact">
            <label for="redact-input">"1. Text with personal data"</label>
            <textarea id="redact-input" rows="4" prop:value=move || input.get()
                on:input=move |ev| input.set(event_target_value(&ev))></textarea>
            <div class="actions">
                <button class="primary" on:click=scrub disabled=move || busy.get() || input.get().trim().is_empty()>"Scrub"</button>
                {move || session.get().map(|_| view! {
                    <button on:click=move |_| { session.set(None); scrubbed.set(None); restored.set(None); answer.set(String::new()); }>"Start over"</button>
                })}
            </div>
            {move || scrubbed.get().map(|out| view! {
                <h2>"2. What leaves your network"</h2>
                <p class="redacted" data-testid="scrubbed">
                    {split_placeholders(&out.text).into_iter().map(|(placeholder, part)| {
                        if placeholder {
                            view! { <mark class="placeholder">{part}</mark> }.into_any()
                        } else {
                            view! { <span>{part}</span> }.into_any()
                        }
                    }).collect_view()}
                </p>
                <p class="muted">{summary(&out.placeholders)}</p>
                <label for="redact-answer">"3. A model's answer (edit it: placeholders in any case or brackets still come back)"</label>
                <textarea id="redact-answer" rows="3" prop:value=move || answer.get()
                    on:input=move |ev| answer.set(event_target_value(&ev))></textarea>
                <div class="actions">
                    <button class="primary" on:click=rehydrate disabled=move || busy.get()>"Rehydrate"</button>
                </div>
            })}
            {move || restored.get().map(|out| view! {
                <h2>"4. What your app shows"</h2>
                <p class="restored" data-testid="restored">{out.text}</p>
                {(!out.unknown.is_empty()).then(|| view! {
                    <p class="muted">{format!("{} placeholder(s) were not from this session and were left as they are.", out.unknown.len())}</p>
                })}
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

fn summary(placeholders: &[PlaceholderInfo]) -> String {
    if placeholders.is_empty() {
        return "Nothing personal was found.".into();
    }
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for p in placeholders {
        match kinds.iter_mut().find(|(k, _)| *k == p.kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((p.kind.clone(), 1)),
        }
    }
    let listed: Vec<String> = kinds
        .into_iter()
        .map(|(kind, n)| format!("{n} {}", kind.to_lowercase()))
        .collect();
    format!("Replaced: {}.", listed.join(", "))
}

/// `POST`s `body` as JSON to `url` and hands the decoded answer (or the error's message) to
/// `done` (browser only).
#[cfg(feature = "hydrate")]
fn post_json<T: serde::de::DeserializeOwned + 'static>(
    url: &'static str,
    body: serde_json::Value,
    done: impl FnOnce(Result<T, String>) + 'static,
) {
    leptos::task::spawn_local(async move {
        let result = async {
            let response = gloo_net::http::Request::post(url)
                .json(&body)
                .map_err(|e| e.to_string())?
                .send()
                .await
                .map_err(|e| format!("the controller did not answer: {e}"))?;
            let status = response.status();
            let text = response.text().await.map_err(|e| e.to_string())?;
            if !(200..300).contains(&status) {
                return Err(crate::chat::error_message(status, &text));
            }
            serde_json::from_str::<T>(&text).map_err(|e| e.to_string())
        }
        .await;
        done(result);
    });
}

#[cfg(not(feature = "hydrate"))]
fn post_json<T: 'static>(
    _url: &'static str,
    _body: serde_json::Value,
    done: impl FnOnce(Result<T, String>) + 'static,
) {
    done(Err("the page is not running in a browser".into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_cut_out_for_highlighting() {
        let parts = split_placeholders("Ask [PERSON_1] at [EMAIL_12] [not one] [X_] a[b");
        assert_eq!(
            parts,
            vec![
                (false, "Ask ".to_string()),
                (true, "[PERSON_1]".to_string()),
                (false, " at ".to_string()),
                (true, "[EMAIL_12]".to_string()),
                (false, " [not one] [X_] a[b".to_string()),
            ]
        );
        assert!(split_placeholders("").is_empty());
    }

    #[test]
    fn the_summary_counts_by_kind() {
        let p = |kind: &str| PlaceholderInfo {
            placeholder: String::new(),
            kind: kind.into(),
        };
        assert_eq!(
            summary(&[p("PERSON"), p("EMAIL"), p("PERSON")]),
            "Replaced: 2 person, 1 email."
        );
        assert_eq!(summary(&[]), "Nothing personal was found.");
    }
}
