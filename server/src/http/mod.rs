//! The HTTP surface: one router, cross-cutting layers, and the Leptos pages.

mod assets;
mod cookies;
pub mod error;
mod experience;
mod hosted;
mod json_body;
mod oidc;
mod status;

use axum::routing::get;
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    let leptos = state.leptos.clone();
    let routes = generate_route_list(app::App);
    Router::new()
        .route("/api/status", get(status::status))
        .merge(oidc::routes(&state))
        .merge(experience::routes())
        .merge(hosted::routes())
        .leptos_routes(&state, routes, {
            let leptos = leptos.clone();
            move || app::shell(leptos.clone())
        })
        .nest_service("/pkg", assets::bundle(&leptos))
        .fallback(assets::public_or_not_found)
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
