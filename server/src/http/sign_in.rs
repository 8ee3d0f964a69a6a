//! `POST /sign-in`, the hosted sign-in form without JavaScript: one request runs the
//! Experience API's password sign-in and continues the authorization request.

use axum::extract::State;
use axum::response::Redirect;
use axum::Form;
use axum_extra::extract::CookieJar;
use identity::ErrorCode;
use serde::Deserialize;

use super::cookies;
use crate::AppState;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    locale: Option<String>,
}

/// Success continues at `/oidc/auth/<uid>`; a failure comes back to the page with the error
/// code (explained there in the user's language). The password is never echoed or logged.
pub async fn submit(State(state): State<AppState>, jar: CookieJar, Form(form): Form<SignInForm>) -> Redirect {
    let cookie = cookies::value(&jar, cookies::INTERACTION);
    match identity::experience::sign_in_with_password(&state.provider, cookie, &form.username, &form.password).await {
        Ok(redirect_to) => Redirect::to(&redirect_to),
        Err(err) => {
            if err.code() == "unexpected" {
                tracing::error!(error = %err, "sign-in form failed");
            }
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("error", err.code());
            if let Some(locale) = form.locale.filter(|l| l.len() <= 16 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
                query.append_pair("ui_locales", &locale);
            }
            Redirect::to(&format!("/sign-in?{}", query.finish()))
        }
    }
}
