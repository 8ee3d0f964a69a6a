//! The demo application: a first-party public client (`demo-app`) that Vestibule registers
//! for itself, so that someone who has just started it can try a real sign-in — the whole
//! authorization-code flow with PKCE, through the hosted pages, back to a page that shows
//! who signed in — before registering an application of their own. Logto ships the same
//! (its "live preview"). Operators turn it off with `demo_app = false`.

use crate::first_party::FirstPartyClient;
use crate::oidc::{OidcError, Provider};

pub const CLIENT_ID: &str = "demo-app";

pub const DEMO_APP: FirstPartyClient = FirstPartyClient {
    id: CLIENT_ID,
    name: "Vestibule demo app",
    description: "Try a sign-in: open /demo-app. Turn it off with demo_app = false.",
    path: "/demo-app",
    scopes: "openid profile email phone",
    // Every visit shows the sign-in pages, even with a live session: that is the point.
    always_prompt: true,
};

/// Exchanges the code as any public client would and returns the ID token's claims.
pub async fn finish(provider: &Provider, code: &str, verifier: &str) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
    let tokens = DEMO_APP.finish(provider, code, verifier).await?;
    // The token was signed by this very process a moment ago; reading its claims is enough.
    let payload = tokens.id_token.as_deref().and_then(|jwt| jwt.split('.').nth(1)).ok_or_else(|| OidcError::invalid_request("no ID token"))?;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).map_err(|_| OidcError::invalid_request("unreadable ID token"))?;
    serde_json::from_slice(&bytes).map_err(|_| OidcError::invalid_request("unreadable ID token"))
}
