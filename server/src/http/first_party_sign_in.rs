//! `/account/sign-in` + `/account/callback` and `/console/sign-in` + `/console/callback`:
//! when the account center or the organization console finds nobody signed in, it signs the
//! person in as its own first-party client would (authorization code with PKCE, through the
//! hosted pages) and comes back, where the IdP session now names them. State and verifier
//! wait in a cookie scoped to the client's path.
//!
//! `/console/join?organization&one_time_token&login_hint` is where an invitation's magic
//! link lands: the same sign-in, carrying the link's token (the hosted pages use it: they
//! sign the invitee in, or register them), after which the invitation is accepted.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use identity::account::ACCOUNT_CENTER;
use identity::console::CONSOLE;
use identity::first_party::FirstPartyClient;
use serde::Deserialize;

use super::cookies;
use super::error::ApiError;
use crate::AppState;

const COOKIE: &str = "_first_party_sign_in";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/sign-in", get(|state, jar| start(state, jar, &ACCOUNT_CENTER, Join::default())))
        .route("/account/callback", get(|state, jar, query| callback(state, jar, query, &ACCOUNT_CENTER)))
        .route("/console/sign-in", get(|state, jar| start(state, jar, &CONSOLE, Join::default())))
        .route("/console/join", get(|state, jar, Query(join): Query<Join>| start(state, jar, &CONSOLE, join)))
        .route("/console/callback", get(|state, jar, query| callback(state, jar, query, &CONSOLE)))
}

/// A magic link's parameters (all empty for a plain sign-in).
#[derive(Deserialize, Default)]
struct Join {
    #[serde(default)]
    organization: String,
    #[serde(default)]
    one_time_token: String,
    #[serde(default)]
    login_hint: String,
}

async fn start(State(state): State<AppState>, jar: CookieJar, client: &'static FirstPartyClient, join: Join) -> Result<Response, ApiError> {
    client.ensure_registered(&state.provider).await.map_err(|e| ApiError::from_code(&e))?;
    let extra: Vec<(&str, &str)> = [("one_time_token", join.one_time_token.as_str()), ("login_hint", join.login_hint.as_str())].into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let started = client.start_with(&state.provider.endpoint, &extra);
    // The organization to join rides along with state and verifier (ids are URL-safe).
    let organization: String = join.organization.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(64).collect();
    let cookie = Cookie::build((COOKIE, format!("{}.{}.{organization}", started.state, started.verifier)))
        .path(client.path)
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
/// the IdP session. Whatever came back, the browser returns to the client's page, which
/// shows the person if the sign-in happened and the sign-in pages otherwise (never a
/// redirect loop).
async fn callback(State(state): State<AppState>, jar: CookieJar, Query(back): Query<Callback>, client: &'static FirstPartyClient) -> Response {
    let kept = jar.get(COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let jar = jar.remove(Cookie::build(COOKIE).path(client.path));
    let mut parts = kept.splitn(3, '.');
    let (expected_state, verifier, organization) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let mut landing = client.path.to_owned();
    if let (Some(code), Some(returned)) = (back.code, back.state) {
        // A callback this browser did not start proves nothing: its code is left unredeemed.
        if !expected_state.is_empty() && identity::crypto::constant_time_eq(&returned, expected_state) {
            match client.finish(&state.provider, &code, verifier).await {
                Ok(_) if !organization.is_empty() => {
                    accept_invitation(&state, &jar, organization).await;
                    landing = format!("{}?organization={organization}", client.path);
                }
                Ok(_) => {}
                Err(err) => tracing::info!(error = %err, client = client.id, "a first-party sign-in did not finish"),
            }
        }
    }
    (jar, Redirect::to(&landing)).into_response()
}

/// The invitation of the person now signed in (the IdP session the sign-in just set).
async fn accept_invitation(state: &AppState, jar: &CookieJar, organization: &str) {
    let provider = &state.provider;
    let accepted = match identity::console::signed_in(provider, cookies::value(jar, cookies::SESSION)).await {
        Ok(user) => identity::console::accept_invitation(&provider.store, provider.clock.as_ref(), &user, organization).await,
        Err(err) => Err(err),
    };
    if let Err(err) = accepted {
        tracing::info!(error = %err, "an invitation was not accepted after its magic link");
    }
}
