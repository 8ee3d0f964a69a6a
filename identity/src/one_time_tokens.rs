//! One-time tokens (spec §8): the secret behind a magic link — an organization invitation,
//! invite-only sign-up, a sign-in or password-reset link. Issued by operators for one email
//! address, valid for a while (10 minutes by default), used once. Stored hashed: the token is
//! in the create answer only. A token whose time is up counts as `expired` from then on, and
//! says so the next time it is read.

use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock::{Clock, Millis};
use crate::crypto;
use crate::error::ErrorCode;
use crate::store::Store;

pub const DEFAULT_LIFETIME_S: i64 = 600;
/// Logto's tokens are 32 characters; these are 32 base62 characters (190 bits).
const TOKEN_LENGTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Consumed,
    Revoked,
    Expired,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Consumed => "consumed",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }

    fn parse(value: &str) -> Self {
        match value {
            "consumed" => Status::Consumed,
            "revoked" => Status::Revoked,
            "expired" => Status::Expired,
            _ => Status::Active,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeToken {
    pub id: String,
    pub email: String,
    /// Only when it was just created (or just verified, by whoever sent it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub context: Map<String, Value>,
    pub status: Status,
    pub created_at: Millis,
    pub expires_at: Millis,
}

#[derive(Debug, thiserror::Error)]
pub enum OneTimeTokenError {
    #[error("no such one-time token")]
    NotExistsWithId,
    #[error("no such one-time token to delete")]
    NotFound,
    #[error("the one-time token does not exist")]
    TokenNotFound,
    #[error("the one-time token is for another email address")]
    EmailMismatch,
    #[error("the one-time token has expired")]
    Expired,
    #[error("the one-time token was already used")]
    Consumed,
    #[error("the one-time token was revoked")]
    Revoked,
    #[error("a one-time token cannot be made active again")]
    CannotReactivate,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for OneTimeTokenError {
    fn code(&self) -> &'static str {
        use OneTimeTokenError::*;
        match self {
            NotExistsWithId => "entity.not_exists_with_id",
            NotFound => "entity.not_found",
            TokenNotFound => "one_time_token.token_not_found",
            EmailMismatch => "one_time_token.email_mismatch",
            Expired => "one_time_token.token_expired",
            Consumed => "one_time_token.token_consumed",
            Revoked => "one_time_token.token_revoked",
            CannotReactivate => "one_time_token.cannot_reactivate_token",
            InvalidInput(_) => "guard.invalid_input",
            Storage(_) => "unexpected",
        }
    }
}

fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..TOKEN_LENGTH).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

type Row = (String, String, String, String, i64, i64);
const COLUMNS: &str = "id, email, context, status, created_at, expires_at";

/// A row as it reads now: an active token past its time is expired.
fn from_row((id, email, context, status, created_at, expires_at): Row, now: Millis) -> OneTimeToken {
    let mut status = Status::parse(&status);
    if status == Status::Active && expires_at <= now {
        status = Status::Expired;
    }
    OneTimeToken { id, email, token: None, context: serde_json::from_str(&context).unwrap_or_default(), status, created_at, expires_at }
}

/// What a token may carry: organizations to join (`jitOrganizationIds`) and the interaction
/// event it is for (`SignIn`, `Register`, `ForgotPassword`).
fn check_context(context: &Map<String, Value>) -> Result<(), OneTimeTokenError> {
    for (key, value) in context {
        let valid = match key.as_str() {
            "jitOrganizationIds" => value.as_array().is_some_and(|ids| ids.iter().all(Value::is_string)),
            "interactionEvent" => matches!(value.as_str(), Some("SignIn" | "Register" | "ForgotPassword")),
            _ => false,
        };
        if !valid {
            return Err(OneTimeTokenError::InvalidInput(format!("context holds jitOrganizationIds (strings) and interactionEvent, not {key}")));
        }
    }
    Ok(())
}

/// A new token for `email`, valid `expires_in_s` seconds; this email's tokens whose time is
/// up are marked expired on the way.
pub async fn create(store: &Store, clock: &dyn Clock, email: &str, context: Map<String, Value>, expires_in_s: Option<i64>) -> Result<OneTimeToken, OneTimeTokenError> {
    let email = crate::identifiers::normalize(crate::sign_in_experience::IdentifierKind::Email, email).map_err(|_| OneTimeTokenError::InvalidInput("email must be an email address".into()))?.to_lowercase();
    check_context(&context)?;
    let lifetime = expires_in_s.unwrap_or(DEFAULT_LIFETIME_S);
    if !(1..=30 * 24 * 3600).contains(&lifetime) {
        return Err(OneTimeTokenError::InvalidInput("expiresIn is 1 second to 30 days".into()));
    }
    let (now, id, token) = (clock.now_ms(), crate::ids::entity_id(), new_token());
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE one_time_tokens SET status = 'expired' WHERE email = $1 AND status = 'active' AND expires_at <= $2").bind(&email).bind(now).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO one_time_tokens (id, email, token_hash, context, status, created_at, expires_at) VALUES ($1, $2, $3, $4, 'active', $5, $6)")
        .bind(&id)
        .bind(&email)
        .bind(crypto::token_hash(&token))
        .bind(Value::Object(context.clone()).to_string())
        .bind(now)
        .bind(now + lifetime * 1000)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(OneTimeToken { id, email, token: Some(token), context, status: Status::Active, created_at: now, expires_at: now + lifetime * 1000 })
}

pub async fn get(store: &Store, clock: &dyn Clock, id: &str) -> Result<OneTimeToken, OneTimeTokenError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM one_time_tokens WHERE id = $1")).bind(id).fetch_optional(store.pool()).await?;
    row.map(|r| from_row(r, clock.now_ms())).ok_or(OneTimeTokenError::NotExistsWithId)
}

/// Newest first, optionally for one email address and of one status.
pub async fn list(store: &Store, clock: &dyn Clock, email: Option<&str>, status: Option<Status>) -> Result<Vec<OneTimeToken>, OneTimeTokenError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM one_time_tokens ORDER BY created_at DESC, id")).fetch_all(store.pool()).await?;
    let now = clock.now_ms();
    Ok(rows
        .into_iter()
        .map(|r| from_row(r, now))
        .filter(|t| email.is_none_or(|e| t.email.eq_ignore_ascii_case(e)) && status.is_none_or(|s| t.status == s))
        .collect())
}

pub async fn delete(store: &Store, id: &str) -> Result<(), OneTimeTokenError> {
    let result = sqlx::query("DELETE FROM one_time_tokens WHERE id = $1").bind(id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OneTimeTokenError::NotFound) } else { Ok(()) }
}

/// `PUT /:id/status`: revoke (or mark consumed or expired); never back to active.
pub async fn set_status(store: &Store, clock: &dyn Clock, id: &str, status: Status) -> Result<OneTimeToken, OneTimeTokenError> {
    if status == Status::Active {
        return Err(OneTimeTokenError::CannotReactivate);
    }
    get(store, clock, id).await?;
    sqlx::query("UPDATE one_time_tokens SET status = $2 WHERE id = $1").bind(id).bind(status.as_str()).execute(store.pool()).await?;
    get(store, clock, id).await
}

/// Checks `token` for `email` without using it (the hosted pages' first look). Errors in
/// Logto's order: unknown, other address, expired (recorded), used, revoked.
pub async fn check(store: &Store, clock: &dyn Clock, token: &str, email: &str) -> Result<OneTimeToken, OneTimeTokenError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM one_time_tokens WHERE token_hash = $1")).bind(crypto::token_hash(token)).fetch_optional(store.pool()).await?;
    let found = from_row(row.ok_or(OneTimeTokenError::TokenNotFound)?, clock.now_ms());
    if !found.email.eq_ignore_ascii_case(email.trim()) {
        return Err(OneTimeTokenError::EmailMismatch);
    }
    match found.status {
        Status::Expired => {
            sqlx::query("UPDATE one_time_tokens SET status = 'expired' WHERE id = $1 AND status = 'active'").bind(&found.id).execute(store.pool()).await?;
            Err(OneTimeTokenError::Expired)
        }
        Status::Consumed => Err(OneTimeTokenError::Consumed),
        Status::Revoked => Err(OneTimeTokenError::Revoked),
        Status::Active => Ok(found),
    }
}

/// Checks and uses the token, once: of two concurrent uses only one succeeds.
pub async fn verify(store: &Store, clock: &dyn Clock, token: &str, email: &str) -> Result<OneTimeToken, OneTimeTokenError> {
    let found = check(store, clock, token, email).await?;
    let used = sqlx::query("UPDATE one_time_tokens SET status = 'consumed' WHERE id = $1 AND status = 'active'").bind(&found.id).execute(store.pool()).await?;
    if used.rows_affected() == 0 {
        return Err(OneTimeTokenError::Consumed);
    }
    Ok(OneTimeToken { status: Status::Consumed, token: Some(token.to_owned()), ..found })
}
