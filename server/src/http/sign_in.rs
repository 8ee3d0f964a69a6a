//! `POST /sign-in`, the no-JavaScript form submission of the hosted sign-in page.

use axum::response::Redirect;
use axum::Form;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    locale: Option<String>,
}

/// A sign-in can only proceed inside an OIDC interaction started by an application at
/// `/oidc/auth`; a form posted without one is sent back with `session.not_found`, as Logto
/// answers. The password is never echoed back or logged.
pub async fn submit(Form(form): Form<SignInForm>) -> Redirect {
    let locale = form.locale.filter(|l| l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    match locale {
        Some(locale) => Redirect::to(&format!("/sign-in?error=session.not_found&ui_locales={locale}")),
        None => Redirect::to("/sign-in?error=session.not_found"),
    }
}
