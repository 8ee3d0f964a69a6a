//! What every account-center server function does around its one engine call: name the
//! person from the IdP session cookie, read and remember the security proof, and turn engine
//! errors into their stable codes (the page explains each in the user's language).

use identity::account::{self, AccountError, Caller};
use identity::oidc::Provider;
use identity::ErrorCode;
use leptos::prelude::*;

/// The verification record that proves "it's really you" (spec §12), for its 10 minutes.
pub const PROOF_COOKIE: &str = "_account_proof";
/// A social sign-in started from the account center: its verification record, until the
/// page binds it. SameSite=Lax: it must come back with the upstream's redirect.
pub const SOCIAL_RECORD_COOKIE: &str = identity::account::identities::ACCOUNT_CENTER_RECORD_COOKIE;
pub const SOCIAL_CALLBACK_PATH: &str = identity::account::identities::ACCOUNT_CENTER_CALLBACK;
/// A personal access token just created: shown once, on the next page.
pub const NEW_TOKEN_COOKIE: &str = "_account_new_token";

pub fn provider() -> Result<Provider, ServerFnError> {
    use_context::<Provider>().ok_or_else(|| ServerFnError::new("unexpected"))
}

/// The person signed in at Vestibule in this browser.
pub async fn signed_in() -> Result<(Provider, Caller), ServerFnError> {
    let provider = provider()?;
    let caller = account::authenticate_session(&provider, crate::context::request_cookie("_session").as_deref()).await.map_err(refused)?;
    Ok((provider, caller))
}

pub fn proof() -> Option<String> {
    crate::context::request_cookie(PROOF_COOKIE)
}

/// A rejected password carries its reasons: `password.rejected|<issue>|<issue>`.
pub fn refused(err: AccountError) -> ServerFnError {
    let mut code = err.code().to_owned();
    if let AccountError::PasswordRejected(issues) = &err {
        for issue in issues {
            code.push('|');
            code.push_str(&issue.code);
            if let Some((_, value)) = &issue.interpolation {
                code.push_str(&format!(":{value}"));
            }
        }
    }
    ServerFnError::new(code)
}

/// An HttpOnly, SameSite=Strict cookie for the account pages (`max_age` 0 removes it).
pub fn set_cookie(provider: &Provider, name: &str, value: &str, max_age_seconds: i64) {
    set_cookie_with(provider, name, value, max_age_seconds, "Strict");
}

pub fn remember_social_record(provider: &Provider, record_id: &str) {
    set_cookie_with(provider, SOCIAL_RECORD_COOKIE, record_id, identity::account::verification::LIFETIME_MS / 1000, "Lax");
}

fn set_cookie_with(provider: &Provider, name: &str, value: &str, max_age_seconds: i64, same_site: &str) {
    let secure = if provider.endpoint.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; SameSite={same_site}{secure}");
    if let (Some(response), Ok(value)) = (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(&cookie)) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

pub fn remember_proof(provider: &Provider, record_id: &str) {
    set_cookie(provider, PROOF_COOKIE, record_id, identity::account::verification::LIFETIME_MS / 1000);
}

/// Back to the page, at the section that changed, with its success message.
pub fn done(section: &str) {
    leptos_axum::redirect(&format!("/account?done={section}#{section}"));
}

/// Back to the page in a step of a section (e.g. the code form after a code was sent).
pub fn step(query: &[(&str, &str)], section: &str) {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
    leptos_axum::redirect(&format!("/account?{query}#{section}"));
}

pub fn date(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).ok())
        .unwrap_or_default()
}
