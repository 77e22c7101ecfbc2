//! The HTTP surface: the Leptos app (pages and typed server functions) plus the raw REST
//! routes for scripts and LAN apps, one router per concern, merged here.

pub mod error;
pub mod health;
pub mod swap;

use std::sync::Arc;

use app::backend::SharedBackend;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// The whole application router.
pub fn app(state: Arc<AppState>, leptos_options: LeptosOptions) -> Router {
    let backend: SharedBackend = state.clone();
    let routes = generate_route_list(app::App);
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
        .merge(health::routes(state.clone()))
        .merge(swap::routes(state))
        .merge(pages)
        .layer(TraceLayer::new_for_http())
}
