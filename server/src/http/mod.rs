//! The HTTP surface: the Leptos app (pages and typed server functions) plus the raw REST
//! routes for scripts and LAN apps, one router per concern, merged here; and [`serve`], which
//! serves it, with the OpenAI routes (`/v1/…`) answered beside the router rather than in it.

pub mod error;
pub mod health;
pub mod openai;
pub mod redaction;
mod serve;
pub mod swap;

pub use serve::serve;

use std::sync::Arc;

use app::backend::SharedBackend;
use axum::extract::Request;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// The application router: everything but the OpenAI routes, which [`serve`] answers.
pub fn app(state: Arc<AppState>, leptos_options: LeptosOptions) -> Router {
    let backend: SharedBackend = state.clone();
    // `/health` is both the JSON health route and the Health page: `health::routes` serves it
    // and hands browsers to the page, so the page's own route is left out here.
    let routes = generate_route_list(app::App)
        .into_iter()
        .filter(|route| route.path() != health::PATH)
        .collect();
    let health_page = health::page(backend.clone(), leptos_options.clone());
    let pages = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || provide_context(backend.clone()),
            {
                let options = leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(leptos_options);
    Router::new()
        .merge(health::routes(state.clone(), health_page))
        .merge(swap::routes(state.clone()))
        .merge(redaction::routes(state.clone()))
        .merge(crate::metrics::routes(state.clone()))
        .merge(pages)
        // Outside every route and the fallback, so each answered request is counted once.
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track_requests,
        ))
        // The span names the path only: a query string may carry a redaction session id, and
        // no body or header is ever recorded (see `privacy`).
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    version = ?request.version(),
                )
            }),
        )
}
