//! The interaction a browser is in while it signs in: created by `/oidc/auth`, found again
//! through the `_interaction` cookie, and completed by the Experience API.

use serde_json::Value;

use super::authorize::AuthorizationParams;
use super::{store, OidcError, Provider};
use crate::crypto;

#[derive(Debug, Clone)]
pub struct Interaction {
    pub uid: String,
    pub params: AuthorizationParams,
    /// The Experience API's state (spec §3 "State"), once `PUT /api/experience` ran.
    pub experience: Option<Value>,
}

/// The live interaction behind an `_interaction` cookie.
pub async fn find_by_cookie(provider: &Provider, cookie: &str) -> Result<Option<Interaction>, OidcError> {
    let row = store::find_interaction_by_cookie(&provider.store, &crypto::token_hash(cookie)).await?;
    live(provider, row)
}

/// The live interaction `uid`, for a SAML identity provider's answer, which a cross-site POST
/// brings without the browser's (SameSite) interaction cookie; its `RelayState` names it.
pub async fn find_by_uid(provider: &Provider, uid: &str) -> Result<Option<Interaction>, OidcError> {
    let row = store::find_interaction(&provider.store, uid).await?;
    live(provider, row)
}

fn live(provider: &Provider, row: Option<store::InteractionRow>) -> Result<Option<Interaction>, OidcError> {
    let Some(row) = row else {
        return Ok(None);
    };
    if row.expires_at <= provider.now_ms() {
        return Ok(None);
    }
    let Ok(params) = serde_json::from_str(&row.params) else {
        return Ok(None);
    };
    let experience = row.experience.as_deref().and_then(|e| serde_json::from_str(e).ok());
    Ok(Some(Interaction { uid: row.uid, params, experience }))
}

pub async fn save_experience(provider: &Provider, uid: &str, experience: &Value) -> Result<(), OidcError> {
    let mut conn = provider.store.pool().acquire().await?;
    Ok(store::save_experience(&mut conn, uid, &experience.to_string()).await?)
}

/// As [`save_experience`], in the caller's transaction.
pub async fn save_experience_in(conn: &mut sqlx::AnyConnection, uid: &str, experience: &Value) -> Result<(), OidcError> {
    Ok(store::save_experience(conn, uid, &experience.to_string()).await?)
}

/// Records who signed in and the interaction's final state, inside the caller's
/// transaction; `/oidc/auth/<uid>` then finishes the authorization request.
pub async fn complete_login(provider: &Provider, conn: &mut sqlx::AnyConnection, uid: &str, account_id: &str, experience: &Value) -> Result<(), OidcError> {
    Ok(store::complete_login(conn, uid, account_id, provider.now_ms(), &experience.to_string()).await?)
}
