//! `/oidc/session/end`: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), as
//! Logto's engine does it: the request is validated and answered with a page whose form
//! (auto-submitted where scripts run) posts to `/oidc/session/end/confirm`; only that post,
//! with the page's single-use xsrf token, ends the session. A GET alone — an image on another
//! site — signs nobody out.

use super::authorize::append_query;
use super::{session, tokens, OidcError, Provider};

#[derive(Debug, Default, Clone)]
pub struct EndSessionRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// How long the confirmation page's form stays valid.
const CONFIRM_WITHIN_MS: i64 = 10 * 60 * 1000;

/// Validates the request and keeps where to go afterwards; answers the xsrf token the
/// confirmation form carries.
pub async fn request(provider: &Provider, request: EndSessionRequest) -> Result<String, OidcError> {
    let location = destination(provider, request).await?;
    let xsrf = crate::crypto::random_token();
    let now = provider.clock.now_ms();
    let mut tx = provider.store.begin_write().await?;
    sqlx::query("DELETE FROM end_session_requests WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO end_session_requests (xsrf_hash, location, expires_at) VALUES ($1, $2, $3)")
        .bind(crate::crypto::token_hash(&xsrf))
        .bind(location)
        .bind(now + CONFIRM_WITHIN_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(xsrf)
}

/// `POST /oidc/session/end/confirm`: ends the browser's session and answers where it goes:
/// the client's registered post-logout URI (with `state`), or `None` for the success page.
/// A token that was never issued, was used, or expired is `invalid_request`.
pub async fn confirm(provider: &Provider, xsrf: &str, session_cookie: Option<&str>) -> Result<Option<String>, OidcError> {
    let taken: Option<(Option<String>, i64)> = sqlx::query_as("DELETE FROM end_session_requests WHERE xsrf_hash = $1 RETURNING location, expires_at")
        .bind(crate::crypto::token_hash(xsrf))
        .fetch_optional(provider.store.pool())
        .await?;
    let Some((location, _)) = taken.filter(|(_, expires_at)| *expires_at > provider.clock.now_ms()) else {
        return Err(OidcError::invalid_request("xsrf token invalid"));
    };
    if let Some(cookie) = session_cookie {
        session::end(provider, cookie).await?;
    }
    Ok(location)
}

/// Where the browser goes afterwards, once the request is found valid.
async fn destination(provider: &Provider, request: EndSessionRequest) -> Result<Option<String>, OidcError> {
    let hinted_client = match &request.id_token_hint {
        Some(hint) => {
            let claims = tokens::verify_own(provider, hint, false).await?;
            claims.get("aud").and_then(|a| a.as_str()).map(str::to_owned)
        }
        None => None,
    };
    if let (Some(hinted), Some(given)) = (&hinted_client, &request.client_id) {
        if hinted != given {
            return Err(OidcError::invalid_request("client_id does not match the id_token_hint's audience"));
        }
    }
    let location = match &request.post_logout_redirect_uri {
        Some(uri) => {
            let client_id = hinted_client
                .or(request.client_id.clone())
                .ok_or_else(|| OidcError::invalid_request("post_logout_redirect_uri requires id_token_hint or client_id"))?;
            let app = crate::applications::find(&provider.store, &client_id)
                .await?
                .ok_or_else(|| OidcError::invalid_client("client is invalid"))?;
            if !app.has_post_logout_redirect_uri(uri) {
                return Err(OidcError::invalid_request("post_logout_redirect_uri not registered"));
            }
            Some(match &request.state {
                Some(state) => append_query(uri, &[("state", state.clone())]),
                None => uri.clone(),
            })
        }
        None => None,
    };
    Ok(location)
}
