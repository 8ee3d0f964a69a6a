//! Token introspection (RFC 7662) and revocation (RFC 7009), both with client
//! authentication. Only our opaque tokens qualify: JWT access tokens are self-contained and
//! refused with `unsupported_token_type` (spec §2).

use serde_json::{json, Value};

use super::store;
use super::{authenticate_client, ClientAuthentication, OidcError, Provider};
use crate::crypto;

pub async fn introspect(provider: &Provider, auth: &ClientAuthentication, token: Option<&str>) -> Result<Value, OidcError> {
    let app = authenticate_client(provider, auth).await?;
    let token = token.ok_or_else(|| OidcError::invalid_request("missing required parameter 'token'"))?;
    if super::tokens::looks_like_jwt(token) {
        return Err(OidcError::new("unsupported_token_type", "structured JWT tokens cannot be introspected"));
    }
    let inactive = json!({ "active": false });
    let Some(row) = store::find_token(&provider.store, &crypto::token_hash(token)).await? else {
        return Ok(inactive);
    };
    let live = row.expires_at > provider.now_ms() && row.consumed_at.is_none();
    if !live || row.client_id != app.id || !matches!(row.kind.as_str(), "access_token" | "refresh_token") {
        return Ok(inactive);
    }
    let mut body = json!({
        "active": true,
        "client_id": row.client_id,
        "exp": row.expires_at / 1000,
        "iat": row.created_at / 1000,
        "iss": provider.issuer(),
        "scope": row.scope,
        "token_type": if row.kind == "access_token" { "Bearer" } else { "refresh_token" },
    });
    if let Some(sub) = row.account_id {
        body["sub"] = json!(sub);
    }
    Ok(body)
}

/// Revoking a token ends its whole grant, so the sibling refresh or access token dies with
/// it. Unknown tokens and other clients' tokens are answered the same way, changing nothing.
/// `POST /oidc/token/revocation`, recorded in the audit log as Logto's `RevokeToken`.
pub async fn revoke(provider: &Provider, auth: &ClientAuthentication, token: Option<&str>) -> Result<(), OidcError> {
    let result = revoke_unlogged(provider, auth, token).await;
    let (outcome, payload) = match &result {
        Ok(()) => (crate::audit::Outcome::Success, serde_json::json!({})),
        Err(err) => (crate::audit::Outcome::Error, serde_json::json!({ "error": err.logged() })),
    };
    let entry = crate::audit::Entry { key: "RevokeToken", outcome, user_id: None, application_id: auth.client_id.as_deref(), payload };
    crate::audit::record(&provider.store, provider.clock.as_ref(), entry).await;
    result
}

async fn revoke_unlogged(provider: &Provider, auth: &ClientAuthentication, token: Option<&str>) -> Result<(), OidcError> {
    let app = authenticate_client(provider, auth).await?;
    let token = token.ok_or_else(|| OidcError::invalid_request("missing required parameter 'token'"))?;
    if super::tokens::looks_like_jwt(token) {
        return Err(OidcError::new("unsupported_token_type", "structured JWT tokens cannot be revoked"));
    }
    if let Some(row) = store::find_token(&provider.store, &crypto::token_hash(token)).await? {
        if row.client_id == app.id {
            if let Some(grant_id) = row.grant_id {
                store::revoke_grant(&provider.store, &grant_id).await?;
            }
        }
    }
    Ok(())
}
