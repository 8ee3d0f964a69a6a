//! `/oidc/me` (OIDC Core §5.3): claims for an opaque access token that includes `openid`.

use serde_json::{json, Map, Value};

use super::store;
use super::{OidcError, Provider};
use crate::crypto;

pub async fn userinfo(provider: &Provider, access_token: Option<&str>) -> Result<Map<String, Value>, OidcError> {
    let invalid = || OidcError::new("invalid_token", "invalid token provided");
    let token = access_token.ok_or_else(|| OidcError::new("invalid_token", "no access token provided"))?;
    let row = store::find_token(&provider.store, &crypto::token_hash(token)).await?.ok_or_else(invalid)?;
    if row.kind != "access_token" || row.expires_at <= provider.now_ms() {
        return Err(invalid());
    }
    let scope = super::split_scope(&row.scope);
    if !scope.iter().any(|s| s == "openid") {
        return Err(OidcError::new("insufficient_scope", "access token missing 'openid' scope"));
    }
    let user_id = row.account_id.ok_or_else(invalid)?;
    let user = match crate::users::find_by_id(&provider.store, &user_id).await? {
        Some(user) if !user.is_suspended => user,
        _ => return Err(invalid()),
    };
    let mut claims = super::claims::for_scopes(&provider.store, &user, &scope, None).await?;
    claims.insert("sub".into(), json!(user.id));
    Ok(claims)
}
