//! One-time codes sent by email or SMS (spec §3 "Protection"): six digits, stored hashed,
//! valid for the policy's duration, a limited number of wrong guesses, and at most
//! [`SENDS_PER_WINDOW`] messages per recipient per ten minutes. Codes for recipients that
//! must not learn anything (unknown accounts during password reset) are recorded, so they
//! count against the limit and answer identically, but never delivered.

use rand::Rng;
use sqlx::Row;

use crate::clock::Clock;
use crate::connectors::{self, ConnectorError, ConnectorKind, Message, Usage};
use crate::crypto;
use crate::error::ErrorCode;
use crate::sign_in_experience::{IdentifierKind, VerificationCodePolicy};
use crate::store::{get_flag, Store};

pub const SENDS_PER_WINDOW: i64 = 10;
pub const SEND_WINDOW_MS: i64 = 600_000;

/// Where a code goes: a normalised email address or phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub kind: IdentifierKind,
    pub address: String,
}

impl Recipient {
    /// The key codes and limits are counted by: emails ignore case.
    fn key(&self) -> String {
        match self.kind {
            IdentifierKind::Email => email_key(&self.address),
            _ => format!("phone:{}", self.address),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("too many messages were sent to this address; try again in a few minutes")]
    RateLimited,
    #[error("no code was sent for this verification")]
    NotFound,
    #[error("the code is wrong")]
    Mismatch,
    #[error("the code has expired")]
    Expired,
    #[error("too many wrong codes; ask for a new one")]
    ExceededMaxTries,
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for CodeError {
    fn code(&self) -> &'static str {
        match self {
            CodeError::RateLimited => "request.message_rate_limited",
            CodeError::NotFound => "verification_code.not_found",
            CodeError::Mismatch => "verification_code.code_mismatch",
            CodeError::Expired => "verification_code.expired",
            CodeError::ExceededMaxTries => "verification_code.exceed_max_try",
            CodeError::Connector(e) => e.code(),
            CodeError::Storage(_) => "unexpected",
        }
    }
}

/// How many messages `recipient_key` was sent in the window before `now`: codes (delivered
/// or suppressed) and other messages (invitation emails) alike.
pub(crate) async fn recent_sends(store: &Store, recipient_key: &str, now: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM verification_codes WHERE recipient = $1 AND created_at > $2) \
              + (SELECT COUNT(*) FROM message_sends WHERE recipient = $1 AND created_at > $2)",
    )
    .bind(recipient_key)
    .bind(now - SEND_WINDOW_MS)
    .fetch_one(store.pool())
    .await
}

/// Counts a message other than a code (an invitation, a sign-in link) against the limit.
pub(crate) async fn record_send(store: &Store, recipient_key: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO message_sends (recipient, created_at) VALUES ($1, $2)").bind(recipient_key).bind(now).execute(store.pool()).await?;
    Ok(())
}

/// The key an email address's sends are counted by.
pub(crate) fn email_key(address: &str) -> String {
    format!("email:{}", address.to_lowercase())
}

/// What to send: the usage picks the template, the locale its language.
pub struct CodeRequest<'a> {
    pub recipient: &'a Recipient,
    pub usage: Usage,
    pub locale: &'a str,
    pub interaction_uid: Option<&'a str>,
    /// False: record the code but send nothing (no enumeration).
    pub deliver: bool,
    /// With no connector for the recipient's kind: log the message (true) or refuse.
    pub dev_outbox: bool,
}

/// Creates a code and sends it; returns the code's id. Nothing is kept if delivery fails.
pub async fn send(store: &Store, clock: &dyn Clock, policy: VerificationCodePolicy, request: CodeRequest<'_>) -> Result<String, CodeError> {
    let now = clock.now_ms();
    let key = request.recipient.key();
    if recent_sends(store, &key, now).await? >= SENDS_PER_WINDOW {
        return Err(CodeError::RateLimited);
    }
    let id = crate::ids::entity_id();
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    sqlx::query(
        "INSERT INTO verification_codes (id, interaction_uid, recipient, template, code_hash, try_count, delivered, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)",
    )
    .bind(&id)
    .bind(request.interaction_uid)
    .bind(&key)
    .bind(format!("{:?}", request.usage))
    .bind(code_hash(&id, &code))
    .bind(request.deliver)
    .bind(now)
    .bind(now + i64::from(policy.expiration_duration) * 1000)
    .execute(store.pool())
    .await?;
    if request.deliver {
        let template = connectors::templates::verification_code(request.usage, request.locale, &code, policy.expiration_duration / 60);
        let message = Message { to: request.recipient.address.clone(), subject: template.subject, text: template.text };
        let kind = if request.recipient.kind == IdentifierKind::Email { ConnectorKind::Email } else { ConnectorKind::Sms };
        if let Err(err) = connectors::deliver(store, kind, &message, request.dev_outbox).await {
            sqlx::query("DELETE FROM verification_codes WHERE id = $1").bind(&id).execute(store.pool()).await?;
            return Err(err.into());
        }
    }
    Ok(id)
}

/// Checks `code` against the code `id` sent to `recipient`; a correct code is consumed.
pub async fn verify(store: &Store, clock: &dyn Clock, policy: VerificationCodePolicy, id: &str, recipient: &Recipient, code: &str) -> Result<(), CodeError> {
    let now = clock.now_ms();
    let row = sqlx::query("SELECT recipient, code_hash, try_count, consumed_at, delivered, expires_at FROM verification_codes WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(CodeError::NotFound)?;
    let stored_recipient: String = row.try_get("recipient")?;
    let consumed_at: Option<i64> = row.try_get("consumed_at")?;
    if stored_recipient != recipient.key() || consumed_at.is_some() {
        return Err(CodeError::NotFound);
    }
    if row.try_get::<i64, _>("expires_at")? <= now {
        return Err(CodeError::Expired);
    }
    if row.try_get::<i64, _>("try_count")? >= i64::from(policy.max_retry_attempts) {
        return Err(CodeError::ExceededMaxTries);
    }
    // An undelivered code cannot be known, so nothing matches it.
    let matches = get_flag(&row, "delivered")? && crypto::constant_time_eq(&code_hash(id, code.trim()), &row.try_get::<String, _>("code_hash")?);
    if !matches {
        sqlx::query("UPDATE verification_codes SET try_count = try_count + 1 WHERE id = $1").bind(id).execute(store.pool()).await?;
        return Err(CodeError::Mismatch);
    }
    // Consume exactly once, even when two requests race.
    let consumed = sqlx::query("UPDATE verification_codes SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(store.pool())
        .await?;
    if consumed.rows_affected() == 0 {
        return Err(CodeError::NotFound);
    }
    Ok(())
}

fn code_hash(id: &str, code: &str) -> String {
    crypto::token_hash(&format!("{id}:{code}"))
}
