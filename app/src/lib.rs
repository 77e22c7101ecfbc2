//! # app — the dashboard, shared by server and browser
//!
//! This crate compiles twice: with `ssr` into the server, where it renders pages and runs the
//! typed server functions, and with `hydrate` into WASM, where the same components come alive
//! in the browser. It owns the UI and the typed API the UI calls; it does not own the cluster.
//! Server functions reach the cluster through [`backend::Backend`], which the server crate
//! implements and provides as context — so nothing here knows about SSH, probes or simulators.
//!
//! - [`status`] — the data shown (also served as JSON by `GET /health`).
//! - [`health`] — health over time: outages, load samples, queues (the Health page).
//! - [`swap`] — a model swap's phases and progress, the catalog view and the confirmation.
//! - [`chat`] — the chat playground's request body and streamed-answer decoder.
//! - [`pages`] — one module per page, each with its server functions beside its components.

pub mod chat;
pub mod health;
pub mod pages;
pub mod status;
pub mod swap;

#[cfg(feature = "ssr")]
pub mod backend;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::StaticSegment;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.ico" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Flips once the WASM has taken over the server-rendered page: until then buttons are inert.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/spark-control.css" />
        <Title text="Spark Control" />
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().to_string()>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <header class="topbar">
                    <span class="brand">"Spark Control"</span>
                    <nav aria-label="Main">
                        <A href="/">"Overview"</A>
                        <A href="/models">"Models"</A>
                        <A href="/health">"Health"</A>
                        <A href="/chat">"Chat"</A>
                        <A href="/privacy">"Privacy"</A>
                    </nav>
                </header>
                <main id="main" tabindex="-1">
                    <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                        <Route path=StaticSegment("") view=pages::overview::OverviewPage />
                        <Route path=StaticSegment("models") view=pages::models::ModelsPage />
                        <Route path=StaticSegment("health") view=pages::health::HealthPage />
                        <Route path=StaticSegment("chat") view=pages::chat::ChatPage />
                        <Route path=StaticSegment("privacy") view=pages::privacy::PrivacyPage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
