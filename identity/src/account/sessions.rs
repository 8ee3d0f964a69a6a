//! The caller's sign-in sessions and grants (spec §11 `sessions`, `grants`): where they are
//! signed in, which one is this one, which applications hold their consent, and signing out
//! elsewhere or revoking an application. Needs `urn:logto:scope:sessions`, the `session`
//! switch and a fresh proof; a missing scope is 401 here, as in Logto.

use serde_json::{json, Value};

use super::{verification, AccountError, Caller};
use crate::oidc::{Provider, SESSIONS_SCOPE};

async fn allowed(provider: &Provider, caller: &Caller, proof: Option<&str>, write: bool) -> Result<(), AccountError> {
    if !caller.has_scope(SESSIONS_SCOPE) {
        return Err(AccountError::InvalidToken);
    }
    let control = caller.settings.fields.session;
    if write {
        caller.require_editable(control)?;
    } else if !control.readable() {
        return Err(AccountError::FieldNotEnabled);
    }
    verification::require_proof(provider, caller, proof).await
}

/// `GET /api/my-account/sessions`: `{sessions: [{payload: {uid, accountId, loginTs, exp,
/// authorizations: {<clientId>: {grantId}}}, expiresAt, isCurrent}]}`, oidc-provider's session
/// shape as Logto answers it (times in seconds inside `payload`, milliseconds outside).
pub async fn list(provider: &Provider, caller: &Caller, proof: Option<&str>) -> Result<Value, AccountError> {
    allowed(provider, caller, proof, false).await?;
    let (sessions, grants) = crate::oidc::sessions_of(provider, &caller.user.id).await?;
    let sessions: Vec<Value> = sessions
        .into_iter()
        .map(|(uid, auth_time, created_at, expires_at)| {
            let authorizations: serde_json::Map<String, Value> =
                grants.iter().filter(|(_, _, session)| *session == uid).map(|(grant, client, _)| (client.clone(), json!({ "grantId": grant }))).collect();
            json!({
                "payload": { "uid": uid, "accountId": caller.user.id, "loginTs": auth_time / 1000, "exp": expires_at / 1000, "authorizations": authorizations },
                "createdAt": created_at,
                "expiresAt": expires_at,
                "isCurrent": caller.session_uid.as_deref() == Some(uid.as_str()),
            })
        })
        .collect();
    Ok(json!({ "sessions": sessions }))
}

/// What signing a session out also revokes: nothing more (tokens with `offline_access` live
/// on), every grant it started, or only first-party applications' grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeGrants {
    None,
    All,
    FirstParty,
}

/// `DELETE /api/my-account/sessions/:uid`.
pub async fn end(provider: &Provider, caller: &Caller, proof: Option<&str>, uid: &str, revoke: RevokeGrants) -> Result<(), AccountError> {
    allowed(provider, caller, proof, true).await?;
    let first_party_only = match revoke {
        RevokeGrants::None => None,
        RevokeGrants::All => Some(false),
        RevokeGrants::FirstParty => Some(true),
    };
    if crate::oidc::end_session_of(provider, &caller.user.id, uid, first_party_only).await? { Ok(()) } else { Err(AccountError::SessionNotFound) }
}

/// Which applications' grants to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    Any,
    FirstParty,
    ThirdParty,
}

/// `GET /api/my-account/grants?appType=`: `{grants: [{id, payload: {accountId, clientId, iat,
/// exp}, expiresAt}]}` (oidc-provider's grant shape, times in seconds inside `payload`).
pub async fn grants(provider: &Provider, caller: &Caller, proof: Option<&str>, app_type: AppType) -> Result<Value, AccountError> {
    allowed(provider, caller, proof, false).await?;
    let third_party = match app_type {
        AppType::Any => None,
        AppType::FirstParty => Some(false),
        AppType::ThirdParty => Some(true),
    };
    let grants: Vec<Value> = crate::oidc::grants_of(provider, &caller.user.id, third_party)
        .await?
        .into_iter()
        .map(|(id, client_id, created_at, expires_at)| {
            json!({ "id": id, "payload": { "accountId": caller.user.id, "clientId": client_id, "iat": created_at / 1000, "exp": expires_at / 1000 }, "expiresAt": expires_at })
        })
        .collect();
    Ok(json!({ "grants": grants }))
}

/// `DELETE /api/my-account/grants/:id`: the application's tokens stop working.
pub async fn revoke_grant(provider: &Provider, caller: &Caller, proof: Option<&str>, grant_id: &str) -> Result<(), AccountError> {
    allowed(provider, caller, proof, true).await?;
    if crate::oidc::revoke_grant_of(provider, &caller.user.id, grant_id).await? { Ok(()) } else { Err(AccountError::SessionNotFound) }
}
