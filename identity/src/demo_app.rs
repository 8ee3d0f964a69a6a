//! The demo application: a first-party public client (`demo-app`) that Vestibule registers
//! for itself, so that someone who has just started it can try a real sign-in — the whole
//! authorization-code flow with PKCE, through the hosted pages, back to a page that shows
//! who signed in — before registering an application of their own. Logto ships the same
//! (its "live preview"). Operators turn it off with `demo_app = false`.

use sha2::{Digest, Sha256};

use crate::applications::{self, AppType, ApplicationError, NewApplication};
use crate::crypto;
use crate::oidc::grants::{self, TokenRequest};
use crate::oidc::{ClientAuthentication, OidcError, Provider};

pub const CLIENT_ID: &str = "demo-app";
const SCOPES: &str = "openid profile email phone";

pub fn callback_uri(endpoint: &str) -> String {
    format!("{endpoint}/demo-app/callback")
}

fn start_uri(endpoint: &str) -> String {
    format!("{endpoint}/demo-app")
}

/// Registers the demo application, or points it at the current public endpoint (which an
/// operator may have changed since it was registered).
pub async fn ensure_registered(provider: &Provider) -> Result<(), ApplicationError> {
    let endpoint = &provider.endpoint;
    let wanted = NewApplication {
        id: Some(CLIENT_ID.to_owned()),
        name: "Vestibule demo app".to_owned(),
        app_type: AppType::Spa,
        secret: None,
        redirect_uris: vec![callback_uri(endpoint)],
        post_logout_redirect_uris: vec![start_uri(endpoint)],
        cors_allowed_origins: vec![],
        is_third_party: false,
        id_token_alg: None,
        description: Some("Try a sign-in: open /demo-app. Turn it off with demo_app = false.".to_owned()),
    };
    if let Some(existing) = applications::find(&provider.store, CLIENT_ID).await? {
        if existing.redirect_uris == wanted.redirect_uris && existing.post_logout_redirect_uris == wanted.post_logout_redirect_uris {
            return Ok(());
        }
    }
    applications::create_or_update(&provider.store, provider.clock.as_ref(), wanted).await?;
    Ok(())
}

/// A sign-in the demo app started: where to send the browser, and what it must keep (in a
/// cookie) to finish: the `state` it expects back and its PKCE verifier.
pub struct Started {
    pub authorization_url: String,
    pub state: String,
    pub verifier: String,
}

pub fn start(endpoint: &str) -> Started {
    let state = crypto::random_token();
    let verifier = crypto::random_token();
    let challenge = crypto::base64url(&Sha256::digest(verifier.as_bytes()));
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", &callback_uri(endpoint))
        .append_pair("response_type", "code")
        .append_pair("scope", SCOPES)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        // Every visit shows the sign-in pages, even with a live session: that is the point.
        .append_pair("prompt", "login")
        .finish();
    Started { authorization_url: format!("{endpoint}/oidc/auth?{query}"), state, verifier }
}

/// Exchanges the code as any public client would and returns the ID token's claims.
pub async fn finish(provider: &Provider, code: &str, verifier: &str) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
    let request = TokenRequest {
        grant_type: Some("authorization_code".to_owned()),
        code: Some(code.to_owned()),
        redirect_uri: Some(callback_uri(&provider.endpoint)),
        code_verifier: Some(verifier.to_owned()),
        ..TokenRequest::default()
    };
    let auth = ClientAuthentication { client_id: Some(CLIENT_ID.to_owned()), client_secret: None, basic: false };
    let tokens = grants::exchange(provider, &auth, request).await?;
    // The token was signed by this very process a moment ago; reading its claims is enough.
    let payload = tokens.id_token.as_deref().and_then(|jwt| jwt.split('.').nth(1)).ok_or_else(|| OidcError::invalid_request("no ID token"))?;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).map_err(|_| OidcError::invalid_request("unreadable ID token"))?;
    serde_json::from_slice(&bytes).map_err(|_| OidcError::invalid_request("unreadable ID token"))
}
