//! The headers every response carries so browsers hold the pages to what they are: a sign-in
//! page that no other site may frame, that runs no script the server did not send with this
//! response's nonce, and that is reached only over HTTPS once it has been.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of a page Leptos rendered: its own scripts (the hydration loader and the
/// serialised data carry this response's nonce), WebAssembly, styles from the bundle and the
/// branding `<style>` (operators' custom CSS), logos from anywhere over HTTPS. Forms are not
/// restricted (`form-action`): the last sign-in step redirects to the application.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// For HTML that Leptos did not render (error pages written by handlers): no script at all.
const STATIC_PAGE_POLICY: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; base-uri 'none'; frame-ancestors 'none'";

/// Sets a Leptos page's CSP from inside its render (the nonce exists only there).
pub fn apply_page_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), leptos::prelude::use_context::<leptos_axum::ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Whether the public endpoint is HTTPS (then HSTS is sent).
#[derive(Clone, Copy)]
pub struct Https(pub bool);

pub async fn security_headers(State(Https(https)): State<Https>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if is_html(headers) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // The sign-in pages' URLs name interactions; other sites learn at most our origin.
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(STATIC_PAGE_POLICY));
        }
    }
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// A server-function call that another site made the browser send. The session cookie is
/// SameSite=Lax, so such a post arrives signed out anyway; refusing it outright (by the
/// Fetch Metadata every current browser sends) also spares the pages' public functions.
pub fn is_cross_site(request: &Request) -> bool {
    request.headers().get("sec-fetch-site").is_some_and(|site| site == "cross-site")
}

pub fn cross_site_refusal() -> Response {
    use axum::response::IntoResponse;
    super::error::ApiError::unprocessable("auth.forbidden", "cross-site requests are refused")
        .with_status(axum::http::StatusCode::FORBIDDEN)
        .into_response()
}
