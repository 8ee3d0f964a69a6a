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
    Ok(sessions_of(provider, &caller.user.id, caller.session_uid.as_deref()).await?)
}

/// A person's live sessions in that shape (`current`: the one marked `isCurrent`); the
/// Account API and the Management API (`GET /api/users/:id/sessions`) answer it alike.
pub async fn sessions_of(provider: &Provider, user_id: &str, current: Option<&str>) -> Result<Value, AccountError> {
    let (sessions, grants) = crate::oidc::sessions_of(provider, user_id).await?;
    let sessions: Vec<Value> = sessions
        .into_iter()
        .map(|(uid, auth_time, created_at, expires_at)| {
            let authorizations: serde_json::Map<String, Value> =
                grants.iter().filter(|(_, _, session)| *session == uid).map(|(grant, client, _)| (client.clone(), json!({ "grantId": grant }))).collect();
            json!({
                "payload": { "uid": uid, "accountId": user_id, "loginTs": auth_time / 1000, "exp": expires_at / 1000, "authorizations": authorizations },
                "createdAt": created_at,
                "expiresAt": expires_at,
                "isCurrent": current == Some(uid.as_str()),
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

impl RevokeGrants {
    /// `revokeGrantsTarget`: absent, `all` or `firstParty` (anything else is no answer).
    pub fn from_query(value: Option<&str>) -> Option<Self> {
        match value {
            None => Some(RevokeGrants::None),
            Some("all") => Some(RevokeGrants::All),
            Some("firstParty") => Some(RevokeGrants::FirstParty),
            Some(_) => None,
        }
    }
}

/// `DELETE /api/my-account/sessions/:uid`.
pub async fn end(provider: &Provider, caller: &Caller, proof: Option<&str>, uid: &str, revoke: RevokeGrants) -> Result<(), AccountError> {
    allowed(provider, caller, proof, true).await?;
    if end_session(provider, &caller.user.id, uid, revoke).await? { Ok(()) } else { Err(AccountError::SessionNotFound) }
}

/// Signs a person's session out (and revokes what `revoke` says); false when they have no
/// such session.
pub async fn end_session(provider: &Provider, user_id: &str, uid: &str, revoke: RevokeGrants) -> Result<bool, AccountError> {
    let first_party_only = match revoke {
        RevokeGrants::None => None,
        RevokeGrants::All => Some(false),
        RevokeGrants::FirstParty => Some(true),
    };
    Ok(crate::oidc::end_session_of(provider, user_id, uid, first_party_only).await?)
}

/// Which applications' grants to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    Any,
    FirstParty,
    ThirdParty,
}

impl AppType {
    /// `appType`: absent, `firstParty` or `thirdParty` (anything else is no answer).
    pub fn from_query(value: Option<&str>) -> Option<Self> {
        match value {
            None => Some(AppType::Any),
            Some("firstParty") => Some(AppType::FirstParty),
            Some("thirdParty") => Some(AppType::ThirdParty),
            Some(_) => None,
        }
    }
}

/// `GET /api/my-account/grants?appType=`: `{grants: [{id, payload: {accountId, clientId, iat,
/// exp}, expiresAt}]}` (oidc-provider's grant shape, times in seconds inside `payload`).
pub async fn grants(provider: &Provider, caller: &Caller, proof: Option<&str>, app_type: AppType) -> Result<Value, AccountError> {
    allowed(provider, caller, proof, false).await?;
    Ok(grants_of(provider, &caller.user.id, app_type).await?)
}

/// A person's live grants in that shape, for both APIs.
pub async fn grants_of(provider: &Provider, user_id: &str, app_type: AppType) -> Result<Value, AccountError> {
    let third_party = match app_type {
        AppType::Any => None,
        AppType::FirstParty => Some(false),
        AppType::ThirdParty => Some(true),
    };
    let grants: Vec<Value> = crate::oidc::grants_of(provider, user_id, third_party)
        .await?
        .into_iter()
        .map(|(id, client_id, created_at, expires_at)| json!({ "id": id, "payload": { "accountId": user_id, "clientId": client_id, "iat": created_at / 1000, "exp": expires_at / 1000 }, "expiresAt": expires_at }))
        .collect();
    Ok(json!({ "grants": grants }))
}

/// `DELETE /api/my-account/grants/:id`: the application's tokens stop working.
pub async fn revoke_grant(provider: &Provider, caller: &Caller, proof: Option<&str>, grant_id: &str) -> Result<(), AccountError> {
    allowed(provider, caller, proof, true).await?;
    if revoke_grant_of(provider, &caller.user.id, grant_id).await? { Ok(()) } else { Err(AccountError::SessionNotFound) }
}

/// Revokes one of a person's grants (its tokens stop working); false when they have no such grant.
pub async fn revoke_grant_of(provider: &Provider, user_id: &str, grant_id: &str) -> Result<bool, AccountError> {
    Ok(crate::oidc::revoke_grant_of(provider, user_id, grant_id).await?)
}
