//! The models page: the catalog with the loaded model marked, a confirmation that says in plain
//! English what a swap will do, and the running swap followed live.
//!
//! The catalog and the confirmation come from the typed server functions below. Progress
//! arrives as Server-Sent Events from `/api/swap/events` (a gloo-net `EventSource`, browser
//! only); the page also refreshes every few seconds, so it stays right if the stream drops. All
//! state that must survive a refresh of the catalog (the live swap, the open dialog) lives at
//! page level, outside the `<Transition>` that re-renders the list.

use std::time::Duration;

use leptos::prelude::*;

use crate::swap::{spoken_duration, CatalogModel, ModelsOverview, SwapPreview, SwapStatus};

/// How often the catalog (and which model is loaded) is re-read.
const REFRESH: Duration = Duration::from_secs(5);

#[server]
pub async fn get_models() -> Result<ModelsOverview, ServerFnError> {
    Ok(crate::backend::backend()?.models())
}

/// What a swap to `model` would stop, for how long and what keeps running — or why not.
#[server]
pub async fn preview_swap(model: String) -> Result<SwapPreview, ServerFnError> {
    crate::backend::backend()?
        .preview_swap(model)
        .await
        .map_err(ServerFnError::new)
}

/// Starts the swap the owner confirmed.
#[server]
pub async fn start_swap(model: String) -> Result<SwapStatus, ServerFnError> {
    use axum::extract::ConnectInfo;
    use axum::Extension;
    // who confirmed it, for the swap history
    let peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>> = leptos_axum::extract().await?;
    crate::backend::backend()?
        .start_swap(model, peer.map(|Extension(ConnectInfo(addr))| addr.ip()))
        .await
        .map_err(ServerFnError::new)
}

/// A server function's error as the sentence the server wrote.
fn message(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(text) => text.clone(),
        other => other.to_string(),
    }
}

#[component]
pub fn ModelsPage() -> impl IntoView {
    let refresh = RwSignal::new(0u64);
    let overview = Resource::new(move || refresh.get(), |_| get_models());
    // The swap as the event stream last reported it; `None` until the stream's first event.
    let live = RwSignal::new(None::<SwapStatus>);
    // The browser's clock, for the elapsed time of a running swap; `None` on the server.
    let now_ms = RwSignal::new(None::<u64>);
    let confirming = RwSignal::new(None::<CatalogModel>);
    let preview = Action::new(|id: &String| preview_swap(id.clone()));
    let start = Action::new(|id: &String| start_swap(id.clone()));

    Effect::new(move |_| {
        now_ms.set(browser_now_ms());
        let tick =
            set_interval_with_handle(move || now_ms.set(browser_now_ms()), Duration::from_secs(1))
                .ok();
        let poll = set_interval_with_handle(move || refresh.update(|n| *n += 1), REFRESH).ok();
        on_cleanup(move || {
            tick.into_iter().chain(poll).for_each(|h| h.clear());
        });
    });
    Effect::new(move |_| follow_swap_events(live));
    // A swap that has just finished changed the loaded model: re-read the catalog now.
    Effect::new(move |was_running: Option<bool>| {
        let running = live.with(|s| s.as_ref().is_some_and(SwapStatus::is_running));
        if was_running == Some(true) && !running {
            refresh.update(|n| *n += 1);
        }
        running
    });
    Effect::new(move |_| {
        if let Some(Ok(status)) = start.value().get() {
            // The event stream may have moved on before this answer arrived.
            live.update(|shown| {
                if shown.as_ref().is_none_or(|s| status.supersedes(s)) {
                    *shown = Some(status);
                }
            });
            confirming.set(None);
        }
    });

    let ask = move |model: CatalogModel| {
        preview.dispatch(model.id.clone());
        confirming.set(Some(model));
    };

    view! {
        <h1>"Models"</h1>
        <p class="muted">"Choose the model that answers chat. Switching stops the current model first; nothing changes until you confirm."</p>
        <Transition fallback=|| view! { <p class="empty">"Loading the catalog…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(data) => {
                        let initial = data.swap.clone();
                        let current = Signal::derive(move || live.get().or_else(|| initial.clone()));
                        let names = data.models.iter().map(|m| (m.id.clone(), m.name.clone())).collect();
                        view! {
                            <SwapPanel swap=current now_ms names />
                            <ModelList data current on_choose=ask />
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">"Could not load the catalog: " {message(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        {move || confirming.get().map(|model| view! { <ConfirmDialog model confirming preview start /> })}
    }
}

#[component]
fn ModelList(
    data: ModelsOverview,
    current: Signal<Option<SwapStatus>>,
    on_choose: impl Fn(CatalogModel) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let swapping = move || current.with(|s| s.as_ref().is_some_and(SwapStatus::is_running));
    if data.models.is_empty() {
        return view! { <p class="empty">"The catalog is empty: point MODELS_YAML at a models.yaml (see docs/MODELS.md)."</p> }.into_any();
    }
    view! {
        <ul class="models">
            {data.models.into_iter().map(|m| {
                let loaded = m.loaded;
                let chosen = m.clone();
                let size = if m.nodes > 1 { "Both Sparks".to_string() } else { "One Spark".to_string() };
                view! {
                    <li class="model-card" class:loaded=loaded data-testid=format!("model-{}", m.id)>
                        <div class="model-head">
                            <h3>{m.name.clone()}</h3>
                            {loaded.then(|| view! { <span class="badge up">"Loaded"</span> })}
                        </div>
                        <p>{m.purpose.clone()}</p>
                        <p class="muted">{size} " · about " {format!("{:.0}", m.memory_gib)} " GiB · serves as " <code>{m.served_model_name.clone()}</code></p>
                        <button
                            class="primary"
                            disabled=move || loaded || swapping()
                            on:click=move |_| on_choose(chosen.clone())
                        >
                            {if loaded { "In use".to_string() } else { format!("Switch to {}", m.name) }}
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ConfirmDialog(
    model: CatalogModel,
    confirming: RwSignal<Option<CatalogModel>>,
    preview: Action<String, Result<SwapPreview, ServerFnError>>,
    start: Action<String, Result<SwapStatus, ServerFnError>>,
) -> impl IntoView {
    let id = model.id.clone();
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = dialog.get() {
            let _ = el.focus();
        }
    });
    let close = move || confirming.set(None);
    let ready = {
        let id = id.clone();
        move || {
            !preview.pending().get()
                && preview
                    .value()
                    .with(|v| matches!(v, Some(Ok(p)) if p.model == id))
        }
    };
    let body = {
        let id = id.clone();
        move || {
            match preview.value().get() {
            _ if preview.pending().get() => view! { <p class="muted">"Checking the node…"</p> }.into_any(),
            Some(Ok(p)) if p.model == id => view! {
                <ul class="plain">{p.sentences.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
            }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">"This swap is not possible now: " {message(&e)}</p> }.into_any(),
            _ => view! { <p class="muted">"Checking the node…"</p> }.into_any(),
        }
        }
    };
    let start_error = move || match start.value().get() {
        Some(Err(e)) if !start.pending().get() => {
            Some(view! { <p class="error" role="alert">{message(&e)}</p> })
        }
        _ => None,
    };
    view! {
        <div class="backdrop" on:click=move |_| close()>
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="confirm-title"
                tabindex="-1"
                data-testid="confirm-dialog"
                node_ref=dialog
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| if ev.key() == "Escape" { close() }
            >
                <h2 id="confirm-title">"Switch to " {model.name.clone()} "?"</h2>
                {body}
                {start_error}
                <div class="actions">
                    <button on:click=move |_| close()>"Cancel"</button>
                    <button
                        class="primary"
                        disabled=move || !ready() || start.pending().get()
                        on:click=move |_| { start.dispatch(id.clone()); }
                    >
                        {move || if start.pending().get() { "Starting…" } else { "Stop and switch" }}
                    </button>
                </div>
            </div>
        </div>
    }
}

/// The running swap (or the last one): phase, progress bar, times, and the log tail.
#[component]
fn SwapPanel(
    swap: Signal<Option<SwapStatus>>,
    now_ms: RwSignal<Option<u64>>,
    /// Catalog id → display name.
    names: Vec<(String, String)>,
) -> impl IntoView {
    let name_of = move |id: &str| {
        names
            .iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_string(), |(_, name)| name.clone())
    };
    move || {
        swap.get().map(|s| {
            let pct = s.overall_percent().round();
            let running = s.is_running();
            let elapsed_ms = match (s.finished_at_ms, now_ms.get()) {
                (Some(end), _) => Some(end.saturating_sub(s.started_at_ms)),
                (None, Some(now)) => Some(now.saturating_sub(s.started_at_ms)),
                (None, None) => None,
            };
            let times = [
                elapsed_ms.map(|ms| format!("{} {}", if running { "Elapsed" } else { "Took" }, spoken_duration(ms / 1000))),
                s.eta_secs.filter(|_| running).map(|eta| format!("about {} left", spoken_duration(eta.round() as u64))),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            let start = s.started_at_ms;
            view! {
                <section class="swap" class:running=running data-testid="swap-panel" aria-labelledby="swap-h">
                    <h2 id="swap-h">
                        {if running { "Swapping to " } else { "Last swap: " }} {name_of(&s.to_model)} " on " {s.node.clone()}
                    </h2>
                    <p class=format!("phase {}", if s.error.is_some() { "error" } else { "" }) data-testid="swap-phase" aria-live="polite">{s.phase.label()}</p>
                    <div class="meter-track" role="progressbar" aria-label="Swap progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct data-testid="swap-progress">
                        <div class="meter-fill" style=format!("width: {pct}%")></div>
                    </div>
                    <p>{s.message.clone()}</p>
                    {(!times.is_empty()).then(|| view! { <p class="muted" data-testid="swap-times">{times}</p> })}
                    {s.error.clone().map(|e| view! { <p class="error">{e}</p> })}
                    <ol class="phases">
                        {s.phases.iter().map(|m| view! {
                            <li><span class="muted">{format!("+{} s", m.at_ms.saturating_sub(start) / 1000)}</span> " " {m.phase.label()}</li>
                        }).collect_view()}
                    </ol>
                    {(!s.log_tail.is_empty()).then(|| {
                        let log = view! { <pre class="log" aria-label="Container log">{s.log_tail.join("\n")}</pre> };
                        // While it runs the log is the news; afterwards it is detail, one click away.
                        if running {
                            log.into_any()
                        } else {
                            view! { <details><summary>"Container log"</summary>{log}</details> }.into_any()
                        }
                    })}
                </section>
            }
        })
    }
}

fn browser_now_ms() -> Option<u64> {
    #[cfg(feature = "hydrate")]
    {
        Some(js_sys::Date::now() as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Follows `/api/swap/events` until the page goes away, putting each status into `live`.
#[cfg(feature = "hydrate")]
fn follow_swap_events(live: RwSignal<Option<SwapStatus>>) {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;

    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    leptos::task::spawn_local(async move {
        let Ok(mut source) = EventSource::new("/api/swap/events") else {
            return;
        };
        let Ok(events) = source.subscribe("status") else {
            return;
        };
        let mut events = events.take_until(stopped);
        while let Some(event) = events.next().await {
            // A dropped connection: the browser reconnects by itself and the periodic refresh
            // covers the gap.
            let Ok((_, message)) = event else { continue };
            let Some(text) = message.data().as_string() else {
                continue;
            };
            if let Ok(status) = serde_json::from_str::<Option<SwapStatus>>(&text) {
                if live.try_set(status).is_some() {
                    break; // the page is gone
                }
            }
        }
        source.close();
    });
    on_cleanup(move || drop(stop));
}

#[cfg(not(feature = "hydrate"))]
fn follow_swap_events(_live: RwSignal<Option<SwapStatus>>) {}
