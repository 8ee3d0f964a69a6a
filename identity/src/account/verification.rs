//! Security verification (spec §12): before a sensitive change, the caller proves again that
//! they are who the token says, with their password (or, later, a code sent to their email
//! or phone). The proof is a verification record: it lives 10 minutes, in the database so any
//! node honours it, and is named by an unguessable id (stored hashed) that the Account API
//! reads from the `logto-verification-id` header.

use serde::Serialize;

use super::{AccountError, Caller};
use crate::crypto;
use crate::oidc::Provider;
use crate::sentinel::{self, Counter};

pub const LIFETIME_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedRecord {
    pub verification_record_id: String,
    /// ISO 8601, as Logto answers it.
    pub expires_at: String,
}

/// The sentinel's key for password checks of an account by id (not by identifier: the caller
/// is already known, and every way they sign in shares this count).
fn sentinel_target(user_id: &str) -> String {
    format!("UserId:{user_id}")
}

/// `POST /api/verifications/password`: the caller's password, checked under the sentinel.
pub async fn verify_password(provider: &Provider, caller: &Caller, password: &str) -> Result<CreatedRecord, AccountError> {
    if password.is_empty() {
        return Err(AccountError::InvalidInput("password must not be empty".into()));
    }
    let sie = provider.sign_in_experience().await?;
    let target = sentinel_target(&caller.user.id);
    if sentinel::is_blocked(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await? {
        return Err(AccountError::Blocked);
    }
    if !provider.passwords.verify(password, caller.user.password.as_ref()).await {
        let locked = sentinel::record_failure(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await?;
        return Err(if locked { AccountError::Blocked } else { AccountError::InvalidCredentials });
    }
    insert(provider, &caller.user.id, "Password").await
}

async fn insert(provider: &Provider, user_id: &str, kind: &str) -> Result<CreatedRecord, AccountError> {
    let id = crypto::random_token();
    let now = provider.now_ms();
    let expires_at = now + LIFETIME_MS;
    sqlx::query("INSERT INTO verification_records (id_hash, user_id, kind, verified_at, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(crypto::token_hash(&id))
        .bind(user_id)
        .bind(kind)
        .bind(now)
        .bind(now)
        .bind(expires_at)
        .execute(provider.store.pool())
        .await?;
    let expires_at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    Ok(CreatedRecord { verification_record_id: id, expires_at })
}

/// The `logto-verification-id` proof: a verified, unexpired record of the caller's own, of a
/// kind that proves identity (a password; codes to the account's own address come next).
pub async fn require_proof(provider: &Provider, caller: &Caller, proof: Option<&str>) -> Result<(), AccountError> {
    let id = proof.filter(|p| !p.is_empty() && p.len() <= 128).ok_or(AccountError::PermissionDenied)?;
    let row: Option<(String, String, Option<i64>, i64)> = sqlx::query_as("SELECT user_id, kind, verified_at, expires_at FROM verification_records WHERE id_hash = $1")
        .bind(crypto::token_hash(id))
        .fetch_optional(provider.store.pool())
        .await?;
    match row {
        Some((user_id, kind, Some(_), expires_at)) if user_id == caller.user.id && kind == "Password" && expires_at > provider.now_ms() => Ok(()),
        _ => Err(AccountError::PermissionDenied),
    }
}
