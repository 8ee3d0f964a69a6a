//! `/oidc/session/end`: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

use super::authorize::append_query;
use super::{session, tokens, OidcError, Provider};

#[derive(Debug, Default, Clone)]
pub struct EndSessionRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// Where the browser goes afterwards: the client's registered post-logout URI (with
/// `state`), or `None` for Vestibule's own "signed out" page.
pub async fn end_session(provider: &Provider, request: EndSessionRequest, session_cookie: Option<&str>) -> Result<Option<String>, OidcError> {
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
    if let Some(cookie) = session_cookie {
        session::end(provider, cookie).await?;
    }
    Ok(location)
}
