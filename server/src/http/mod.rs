//! The HTTP surface: one router, cross-cutting layers, and the Leptos pages.

mod account;
mod first_party_sign_in;
pub mod assets;
mod cookies;
mod demo_app;
pub mod error;
mod experience;
mod hosted;
mod json_body;
pub mod limits;
mod management;
mod nul_bytes;
mod oidc;
mod page_context;
pub mod security_headers;
mod status;

use std::time::Duration;

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::AppState;

/// The browser's first preferred language (`Accept-Language`), for messages sent on its
/// behalf; only well-formed tags.
fn preferred_language(headers: &axum::http::HeaderMap) -> Option<String> {
    let header = headers.get(axum::http::header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let first = header.split(',').next()?.split(';').next()?.trim();
    is_language_tag(first).then(|| first.to_owned())
}

fn is_language_tag(value: &str) -> bool {
    !value.is_empty() && value.len() <= 16 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

pub fn router(state: AppState) -> Router {
    let leptos = state.leptos.clone();
    let config = &state.config;
    let rate_limits = limits::RateLimits::new(
        limits::Rate { per_second: config.rate_limit_token_per_second, burst: config.rate_limit_token_burst },
        limits::Rate { per_second: config.rate_limit_interactive_per_second, burst: config.rate_limit_interactive_burst },
        config.trusted_proxies,
    );
    let https = security_headers::Https(state.provider.endpoint.starts_with("https://"));
    let read_timeout = Duration::from_secs(config.read_timeout_seconds.max(1));
    let request_timeout = Duration::from_secs(config.request_timeout_seconds.max(1));
    let routes = generate_route_list(app::App);
    let (management, _) = management::router(&state);
    let loader = page_context::loader(state.provider.clone(), state.config.demo_app);
    let mfa_loader = page_context::mfa_loader(state.provider.clone());
    let (server_fn_loader, server_fn_mfa_loader) = (loader.clone(), mfa_loader.clone());
    // The account center's and console's server functions call the engine directly.
    let (provider, server_fn_provider) = (state.provider.clone(), state.provider.clone());
    Router::new()
        .route("/api/status", get(status::status))
        .merge(oidc::routes(&state))
        .merge(experience::routes())
        .merge(account::routes())
        .merge(hosted::routes())
        .merge(demo_app::routes())
        .merge(first_party_sign_in::routes())
        .merge(management)
        // The pages' server functions (the page context), with the same context as SSR.
        .route(
            "/_vestibule/{*fn_name}",
            post(move |request: axum::extract::Request| {
                let (loader, mfa_loader, provider) = (server_fn_loader.clone(), server_fn_mfa_loader.clone(), server_fn_provider.clone());
                leptos_axum::handle_server_fns_with_context(
                    move || {
                        leptos::prelude::provide_context(loader.clone());
                        leptos::prelude::provide_context(mfa_loader.clone());
                        leptos::prelude::provide_context(provider.clone());
                    },
                    request,
                )
            }),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                leptos::prelude::provide_context(loader.clone());
                leptos::prelude::provide_context(mfa_loader.clone());
                leptos::prelude::provide_context(provider.clone());
                security_headers::apply_page_policy();
            },
            {
            let leptos = leptos.clone();
            move || app::shell(leptos.clone())
        },
        )
        .route("/pkg/{*file}", get(assets::serve_bundle))
        .fallback(assets::public_or_not_found)
        .layer(axum::middleware::from_fn(nul_bytes::refuse_nul_bytes))
        .layer(axum::middleware::from_fn(error::json_rejections))
        .layer(axum::middleware::from_fn(server_functions))
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(from_fn_with_state(rate_limits, limits::rate_limit))
        // A body that has not arrived within the read timeout fails the request (and the
        // connection); a request still unanswered after the request timeout is a 503.
        .layer(RequestBodyTimeoutLayer::new(read_timeout))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, request_timeout))
        .layer(from_fn_with_state(https, security_headers::security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Around the pages' server functions (`/_vestibule/*`): a call another site made the browser
/// send is refused; a failure gets the status its code deserves (`server_fn` answers 500 to
/// everything).
async fn server_functions(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    if !request.uri().path().starts_with("/_vestibule/") {
        return next.run(request).await;
    }
    if security_headers::is_cross_site(&request) {
        return security_headers::cross_site_refusal();
    }
    error::server_fn_status(next.run(request).await).await
}
