//! `/demo-app`: the demo application's two steps — start a sign-in (state and PKCE verifier in
//! a cookie scoped to these paths), and take the code back to show who signed in.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use identity::demo_app;
use serde::Deserialize;

use crate::AppState;

const COOKIE: &str = "_demo_app";

pub fn routes() -> Router<AppState> {
    Router::new().route("/demo-app", get(start)).route("/demo-app/callback", get(callback))
}

async fn start(State(state): State<AppState>, jar: CookieJar) -> Response {
    if !state.config.demo_app {
        return StatusCode::NOT_FOUND.into_response();
    }
    let started = demo_app::DEMO_APP.start(&state.provider.endpoint);
    let cookie = Cookie::build((COOKIE, format!("{}.{}", started.state, started.verifier)))
        .path("/demo-app")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.provider.endpoint.starts_with("https://"))
        .build();
    (jar.add(cookie), Redirect::to(&started.authorization_url)).into_response()
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(State(state): State<AppState>, jar: CookieJar, headers: axum::http::HeaderMap, Query(back): Query<Callback>) -> Response {
    let locale = super::preferred_language(&headers).and_then(|tag| app::i18n::Locale::from_tag(&tag)).unwrap_or_default();
    let stylesheet = format!("/{}/vestibule.css", state.leptos.site_pkg_dir);
    let kept = jar.get(COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let jar = jar.remove(Cookie::build(COOKIE).path("/demo-app"));
    let (expected_state, verifier) = kept.split_once('.').unwrap_or_default();
    let outcome = match (back.code, back.state, back.error) {
        (_, _, Some(error)) => Err(error),
        (Some(code), Some(returned), None) if !expected_state.is_empty() && identity::crypto::constant_time_eq(&returned, expected_state) => {
            demo_app::finish(&state.provider, &code, verifier).await.map_err(|err| err.error().to_owned())
        }
        // A callback this browser did not start (or a second use of one) proves nothing.
        _ => Err("invalid_state".to_owned()),
    };
    let page = match outcome {
        Ok(claims) => app::demo_page::signed_in(&claims, locale, &stylesheet),
        Err(code) => app::demo_page::failed(&code, locale, &stylesheet),
    };
    (jar, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}
