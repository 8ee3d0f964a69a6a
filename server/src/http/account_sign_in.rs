//! `/account/sign-in` and `/account/callback`: when the account center finds nobody signed in,
//! it signs the person in as its own first-party client would (authorization code with PKCE,
//! through the hosted pages) and comes back to `/account`, where the IdP session now names
//! them. State and verifier wait in a cookie scoped to these paths.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use identity::account::ACCOUNT_CENTER;
use serde::Deserialize;

use super::error::ApiError;
use crate::AppState;

const COOKIE: &str = "_account_sign_in";

pub fn routes() -> Router<AppState> {
    Router::new().route("/account/sign-in", get(start)).route("/account/callback", get(callback))
}

async fn start(State(state): State<AppState>, jar: CookieJar) -> Result<Response, ApiError> {
    ACCOUNT_CENTER.ensure_registered(&state.provider).await.map_err(|e| ApiError::from_code(&e))?;
    let started = ACCOUNT_CENTER.start(&state.provider.endpoint);
    let cookie = Cookie::build((COOKIE, format!("{}.{}", started.state, started.verifier)))
        .path("/account")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.provider.endpoint.starts_with("https://"))
        .build();
    Ok((jar.add(cookie), Redirect::to(&started.authorization_url)).into_response())
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
}

/// The code is redeemed (so it cannot be replayed) and the tokens dropped: the pages go by
/// the IdP session. Whatever came back, the browser returns to `/account`, which shows the
/// account if the sign-in happened and the sign-in pages otherwise (never a redirect loop).
async fn callback(State(state): State<AppState>, jar: CookieJar, Query(back): Query<Callback>) -> Response {
    let kept = jar.get(COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let jar = jar.remove(Cookie::build(COOKIE).path("/account"));
    let (expected_state, verifier) = kept.split_once('.').unwrap_or_default();
    if let (Some(code), Some(returned)) = (back.code, back.state) {
        // A callback this browser did not start proves nothing: its code is left unredeemed.
        if !expected_state.is_empty() && identity::crypto::constant_time_eq(&returned, expected_state) {
            if let Err(err) = ACCOUNT_CENTER.finish(&state.provider, &code, verifier).await {
                tracing::info!(error = %err, "the account center's sign-in did not finish");
            }
        }
    }
    (jar, Redirect::to("/account")).into_response()
}
