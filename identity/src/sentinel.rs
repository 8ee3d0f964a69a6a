//! The sentinel (spec §3 "Protection"): failed verifications are recorded per identifier and
//! counter; an identifier that reaches the policy's `maxAttempts` failures within an hour is
//! locked for `lockoutDuration` minutes. Passwords, verification codes and one-time tokens
//! share one counter; each MFA factor has its own. Rows live in the database, so every node
//! sees the same count.

use crate::clock::Clock;
use crate::crypto;
use crate::identifiers;
use crate::sign_in_experience::{IdentifierKind, SentinelPolicy};
use crate::store::Store;

const WINDOW_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Passwords, email/SMS codes and one-time tokens.
    Credentials,
    Totp,
    WebAuthn,
    BackupCode,
}

impl Counter {
    fn as_str(self) -> &'static str {
        match self {
            Counter::Credentials => "credentials",
            Counter::Totp => "totp",
            Counter::WebAuthn => "webauthn",
            Counter::BackupCode => "backup_code",
        }
    }
}

/// Whether `target` (e.g. `email:ada@example.com`) is locked out for `counter` now.
pub async fn is_blocked(store: &Store, clock: &dyn Clock, policy: SentinelPolicy, target: &str, counter: Counter) -> Result<bool, sqlx::Error> {
    let now = clock.now_ms();
    let since = now - WINDOW_MS.max(i64::from(policy.lockout_duration) * 60_000);
    let failures: Vec<i64> = sqlx::query_scalar(
        "SELECT created_at FROM sentinel_activities WHERE target_hash = $1 AND action_group = $2 AND created_at > $3 \
         ORDER BY created_at DESC",
    )
    .bind(crypto::token_hash(&target.to_lowercase()))
    .bind(counter.as_str())
    .bind(since)
    .fetch_all(store.pool())
    .await?;
    let max = policy.max_attempts as usize;
    // Locked from the failure that reached the limit within one hour, for the lockout time.
    let locked = failures.windows(max).any(|w| w[0] - w[max - 1] <= WINDOW_MS && w[0] + i64::from(policy.lockout_duration) * 60_000 > now)
        || (max == 1 && failures.first().is_some_and(|f| f + i64::from(policy.lockout_duration) * 60_000 > now));
    Ok(locked)
}

/// Records a failed verification and says whether it locked `target`: the attempt that
/// reaches `maxAttempts` is itself answered as blocked (Logto counts the failing attempt:
/// with 5 allowed, the 5th wrong password already says "too many attempts").
pub async fn record_failure(store: &Store, clock: &dyn Clock, policy: SentinelPolicy, target: &str, counter: Counter) -> Result<bool, sqlx::Error> {
    insert_failure(store, clock, target, counter).await?;
    is_blocked(store, clock, policy, target, counter).await
}

async fn insert_failure(store: &Store, clock: &dyn Clock, target: &str, counter: Counter) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO sentinel_activities (id, target_hash, action_group, created_at) VALUES ($1, $2, $3, $4)")
        .bind(crate::ids::entity_id())
        .bind(crypto::token_hash(&target.to_lowercase()))
        .bind(counter.as_str())
        .bind(clock.now_ms())
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The sentinel's key for an identifier (`Email:ada@example.com`), which is stored hashed
/// and compared in lower case.
pub fn identifier_target(kind: IdentifierKind, value: &str) -> String {
    format!("{kind:?}:{value}")
}

/// Lifts the lockout of identifiers an operator names (Logto's `POST
/// /api/sentinel-activities/delete`): their recorded failures are forgotten. A target is
/// taken as whatever the operator typed, so it is matched as a username, an email and a
/// phone number, each also in its normal form (`ADA@Example.com` unblocks `ada@example.com`).
pub async fn unblock(store: &Store, targets: &[String]) -> Result<(), UnblockError> {
    if targets.is_empty() || targets.len() > 100 || targets.iter().any(|t| t.is_empty() || t.len() > 256) {
        return Err(UnblockError::InvalidTargets);
    }
    let mut hashes = Vec::new();
    for target in targets {
        for kind in [IdentifierKind::Username, IdentifierKind::Email, IdentifierKind::Phone] {
            let normalized = identifiers::normalize(kind, target).unwrap_or_else(|_| target.clone());
            for value in [target.as_str(), normalized.as_str()] {
                hashes.push(crypto::token_hash(&identifier_target(kind, value).to_lowercase()));
            }
        }
    }
    hashes.sort();
    hashes.dedup();
    let mut tx = store.begin_write().await?;
    for hash in &hashes {
        sqlx::query("DELETE FROM sentinel_activities WHERE target_hash = $1").bind(hash).execute(&mut *tx).await?;
    }
    Ok(tx.commit().await?)
}

#[derive(Debug, thiserror::Error)]
pub enum UnblockError {
    #[error("targets holds 1 to 100 identifiers of 1 to 256 characters")]
    InvalidTargets,
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl crate::error::ErrorCode for UnblockError {
    fn code(&self) -> &'static str {
        match self {
            UnblockError::InvalidTargets => "guard.invalid_input",
            UnblockError::Storage(_) => "unexpected",
        }
    }
}
