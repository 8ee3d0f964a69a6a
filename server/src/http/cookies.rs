//! The provider's browser cookies (spec §2 step 1): random values whose hashes the database
//! holds, HttpOnly and SameSite=Lax; `Secure` whenever the public endpoint is HTTPS.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

pub const INTERACTION: &str = "_interaction";
pub const SESSION: &str = "_session";
/// JS-readable hints for the sign-in pages (`{appId, uiLocales}`), as Logto sets them.
pub const LOGTO: &str = "_logto";

pub fn secret_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value)).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).build()
}

pub fn hint_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((LOGTO, value)).path("/").http_only(false).same_site(SameSite::Lax).secure(secure).build()
}

pub fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

pub fn value<'a>(jar: &'a CookieJar, name: &str) -> Option<&'a str> {
    jar.get(name).map(|c| c.value()).filter(|v| !v.is_empty())
}
