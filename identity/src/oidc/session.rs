//! IdP sessions: what lets a second application sign in without asking again (SSO). The
//! browser holds a random cookie; the database holds its hash.

use super::store::{self, SessionRow};
use super::{ttl, OidcError, Provider};
use crate::crypto;

#[derive(Debug, Clone)]
pub struct Session {
    pub uid: String,
    pub account_id: String,
    /// When the user last authenticated (ms).
    pub auth_time: i64,
}

/// The live session behind a `_session` cookie, if its user can still sign in.
pub async fn find(provider: &Provider, cookie: &str) -> Result<Option<Session>, OidcError> {
    live(provider, store::find_session_by_cookie(&provider.store, &crypto::token_hash(cookie)).await?).await
}

/// The live session `uid` (an interaction that only asks consent names it).
pub(crate) async fn find_by_uid(provider: &Provider, uid: &str) -> Result<Option<Session>, OidcError> {
    live(provider, store::find_session(&provider.store, uid).await?).await
}

async fn live(provider: &Provider, row: Option<SessionRow>) -> Result<Option<Session>, OidcError> {
    let Some(row) = row else {
        return Ok(None);
    };
    if row.expires_at <= provider.now_ms() {
        return Ok(None);
    }
    match crate::users::find_by_id(&provider.store, &row.account_id).await? {
        Some(user) if !user.is_suspended => Ok(Some(Session { uid: row.uid, account_id: row.account_id, auth_time: row.auth_time })),
        _ => Ok(None),
    }
}

/// Starts a session for a user who just signed in, inside the caller's transaction; returns
/// it and the cookie value.
pub(crate) async fn start(provider: &Provider, conn: &mut sqlx::AnyConnection, account_id: &str, auth_time: i64) -> Result<(Session, String), OidcError> {
    let now = provider.now_ms();
    let cookie = crypto::random_token();
    let row = SessionRow { uid: crate::ids::entity_id(), account_id: account_id.to_owned(), auth_time, expires_at: now + ttl::SESSION };
    store::insert_session(conn, &row, &crypto::token_hash(&cookie), now).await?;
    Ok((Session { uid: row.uid, account_id: row.account_id, auth_time }, cookie))
}

/// Ends the session behind a cookie (sign-out); unknown cookies are ignored.
pub async fn end(provider: &Provider, cookie: &str) -> Result<Option<Session>, OidcError> {
    let Some(row) = store::find_session_by_cookie(&provider.store, &crypto::token_hash(cookie)).await? else {
        return Ok(None);
    };
    store::delete_session(&provider.store, &row.uid, provider.now_ms()).await?;
    provider.backchannel_due.notify_one();
    Ok(Some(Session { uid: row.uid, account_id: row.account_id, auth_time: row.auth_time }))
}
