//! Security verification (spec §12): before a sensitive change, the caller proves again that
//! they are who the token says, with their password (or, later, a code sent to their email
//! or phone). The proof is a verification record: it lives 10 minutes, in the database so any
//! node honours it, and is named by an unguessable id (stored hashed) that the Account API
//! reads from the `logto-verification-id` header.

use serde::Serialize;

use super::{AccountError, Caller};
use crate::crypto;
use crate::oidc::Provider;
use crate::connectors::templates::Usage;
use crate::sentinel::{self, Counter};
use crate::sign_in_experience::IdentifierKind;
use crate::verification_codes::{self, CodeError, CodeRequest, Recipient};

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
    caller.require_first_party()?;
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
    insert_record(provider, user_id, kind, None, true).await
}

/// Milliseconds as Logto writes instants: ISO 8601.
pub(super) fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// A code record before its code is checked: the address, the code, what it may prove.
struct PendingCode<'a> {
    address: &'a str,
    code_id: &'a str,
    template: Template,
}

async fn insert_record(provider: &Provider, user_id: &str, kind: &str, code: Option<PendingCode<'_>>, verified: bool) -> Result<CreatedRecord, AccountError> {
    insert_with(provider, &crypto::random_token(), user_id, kind, code, verified, None).await
}

/// A verified record that carries what it proved (a new WebAuthn credential), under the id
/// the client already holds (the ceremony's); bound later with [`take_payload`].
pub(super) async fn insert_verified_payload(provider: &Provider, id: &str, user_id: &str, kind: &str, payload: &str) -> Result<CreatedRecord, AccountError> {
    insert_with(provider, id, user_id, kind, None, true, Some(payload)).await
}

/// A record that is not verified yet but carries what its verification must match (a
/// social sign-in's state, nonce and PKCE verifier).
pub(super) async fn insert_unverified_payload(provider: &Provider, user_id: &str, kind: &str, payload: &str) -> Result<CreatedRecord, AccountError> {
    insert_with(provider, &crypto::random_token(), user_id, kind, None, false, Some(payload)).await
}

/// The payload of the caller's unverified, unexpired record `id` of `kind`.
pub(super) async fn pending_payload(provider: &Provider, caller: &Caller, id: &str, kind: &str) -> Result<String, AccountError> {
    let sql = "SELECT payload FROM verification_records WHERE id_hash = $1 AND user_id = $2 AND kind = $3 AND verified_at IS NULL AND expires_at > $4";
    payload_of(provider, caller, id, kind, sql).await
}

/// Runs `sql` (binding the record's id hash, the caller, `kind` and now) for one record's payload.
async fn payload_of(provider: &Provider, caller: &Caller, id: &str, kind: &str, sql: &str) -> Result<String, AccountError> {
    let row: Option<(Option<String>,)> = sqlx::query_as(sql)
        .bind(crypto::token_hash(id))
        .bind(&caller.user.id)
        .bind(kind)
        .bind(provider.now_ms())
        .fetch_optional(provider.store.pool())
        .await?;
    row.and_then(|(payload,)| payload).ok_or(AccountError::RecordNotFound)
}

/// Marks record `id` verified, with what it proved as its payload — only if it was still
/// unverified (an answer is used once, also when two arrive together).
pub(super) async fn mark_verified(provider: &Provider, id: &str, payload: &str) -> Result<(), AccountError> {
    let updated = sqlx::query("UPDATE verification_records SET verified_at = $1, payload = $2 WHERE id_hash = $3 AND verified_at IS NULL")
        .bind(provider.now_ms())
        .bind(payload)
        .bind(crypto::token_hash(id))
        .execute(provider.store.pool())
        .await?;
    if updated.rows_affected() == 0 { Err(AccountError::RecordNotFound) } else { Ok(()) }
}

/// Consumes the caller's verified record `id` of `kind` and answers its payload: a record
/// binds one thing, once.
pub(super) async fn take_payload(provider: &Provider, caller: &Caller, id: &str, kind: &str) -> Result<String, AccountError> {
    let sql = "DELETE FROM verification_records WHERE id_hash = $1 AND user_id = $2 AND kind = $3 AND verified_at IS NOT NULL AND expires_at > $4 RETURNING payload";
    payload_of(provider, caller, id, kind, sql).await
}

async fn insert_with(provider: &Provider, id: &str, user_id: &str, kind: &str, code: Option<PendingCode<'_>>, verified: bool, payload: Option<&str>) -> Result<CreatedRecord, AccountError> {
    let now = provider.now_ms();
    let expires_at = now + LIFETIME_MS;
    sqlx::query("INSERT INTO verification_records (id_hash, user_id, kind, identifier, code_id, template, verified_at, created_at, expires_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(crypto::token_hash(&id))
        .bind(user_id)
        .bind(kind)
        .bind(code.as_ref().map(|c| c.address))
        .bind(code.as_ref().map(|c| c.code_id))
        .bind(code.as_ref().map(|c| c.template.as_str()))
        .bind(verified.then_some(now))
        .bind(now)
        .bind(expires_at)
        .bind(payload)
        .execute(provider.store.pool())
        .await?;
    Ok(CreatedRecord { verification_record_id: id.to_owned(), expires_at: rfc3339(expires_at) })
}

/// What a code record may prove: the account's own address is a proof of identity; a new
/// address only that it can be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Template {
    UserPermissionValidation,
    BindNewIdentifier,
}

impl Template {
    fn as_str(self) -> &'static str {
        match self {
            Template::UserPermissionValidation => "UserPermissionValidation",
            Template::BindNewIdentifier => "BindNewIdentifier",
        }
    }
}

/// Email addresses compare without case, as everywhere.
fn same_address(kind: IdentifierKind, a: &str, b: &str) -> bool {
    if kind == IdentifierKind::Email { a.eq_ignore_ascii_case(b) } else { a == b }
}

fn code_kind(kind: IdentifierKind) -> &'static str {
    if kind == IdentifierKind::Email { "EmailVerificationCode" } else { "PhoneVerificationCode" }
}

/// The address in its stored form, or `guard.invalid_input`.
fn normalized(kind: IdentifierKind, value: &str) -> Result<String, AccountError> {
    let value = match kind {
        IdentifierKind::Email => crate::identifiers::normalize(kind, value).ok(),
        IdentifierKind::Phone => crate::identifiers::valid_phone(value),
        IdentifierKind::Username => None,
    };
    value.ok_or_else(|| AccountError::InvalidInput("identifier must be a valid email address or phone number".into()))
}

/// `POST /api/verifications/verification-code`: sends a code to an email address or phone.
/// To the account's own address, the verified record is a proof; to another, it lets that
/// address be bound (`newIdentifierVerificationRecordId`).
pub async fn send_code(provider: &Provider, caller: &Caller, kind: IdentifierKind, value: &str, locale: Option<&str>) -> Result<CreatedRecord, AccountError> {
    caller.require_first_party()?;
    let address = normalized(kind, value)?;
    let current = if kind == IdentifierKind::Email { caller.user.primary_email.as_deref() } else { caller.user.primary_phone.as_deref() };
    let own = current.is_some_and(|current| same_address(kind, current, &address));
    let template = if own { Template::UserPermissionValidation } else { Template::BindNewIdentifier };
    let sie = provider.sign_in_experience().await?;
    let recipient = Recipient { kind, address: address.clone() };
    let locale = locale.unwrap_or(&sie.language_info.fallback_language).to_owned();
    let request = CodeRequest { recipient: &recipient, usage: Usage::Generic, locale: &locale, interaction_uid: None, deliver: true, dev_outbox: provider.dev_outbox };
    let code_id = verification_codes::send(&provider.store, provider.clock.as_ref(), sie.verification_code_policy, request).await?;
    insert_record(provider, &caller.user.id, code_kind(kind), Some(PendingCode { address: &address, code_id: &code_id, template }), false).await
}

struct StoredRecord {
    kind: String,
    identifier: Option<String>,
    code_id: Option<String>,
    template: Option<String>,
    verified: bool,
}

/// The caller's own unexpired record named by `id`.
async fn own_record(provider: &Provider, caller: &Caller, id: &str) -> Result<Option<StoredRecord>, AccountError> {
    if id.is_empty() || id.len() > 128 {
        return Ok(None);
    }
    let row: Option<(String, String, Option<String>, Option<String>, Option<String>, Option<i64>, i64)> = sqlx::query_as(
        "SELECT user_id, kind, identifier, code_id, template, verified_at, expires_at FROM verification_records WHERE id_hash = $1",
    )
    .bind(crypto::token_hash(id))
    .fetch_optional(provider.store.pool())
    .await?;
    Ok(row.filter(|r| r.0 == caller.user.id && r.6 > provider.now_ms()).map(|(_, kind, identifier, code_id, template, verified_at, _)| StoredRecord {
        kind,
        identifier,
        code_id,
        template,
        verified: verified_at.is_some(),
    }))
}

/// `POST /api/verifications/verification-code/verify`: checks the code; wrong codes count
/// towards the address's lockout, as at sign-in.
pub async fn verify_code(provider: &Provider, caller: &Caller, kind: IdentifierKind, value: &str, record_id: &str, code: &str) -> Result<String, AccountError> {
    caller.require_first_party()?;
    let address = normalized(kind, value)?;
    let record = own_record(provider, caller, record_id).await?.filter(|r| r.kind == code_kind(kind)).ok_or(AccountError::RecordNotFound)?;
    if !record.identifier.as_deref().is_some_and(|stored| same_address(kind, stored, &address)) {
        return Err(AccountError::RecordNotFound);
    }
    let sie = provider.sign_in_experience().await?;
    let target = sentinel::identifier_target(kind, &address);
    if sentinel::is_blocked(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await? {
        return Err(AccountError::Blocked);
    }
    let code_id = record.code_id.ok_or(AccountError::RecordNotFound)?;
    let recipient = Recipient { kind, address };
    if let Err(err) = verification_codes::verify(&provider.store, provider.clock.as_ref(), sie.verification_code_policy, &code_id, &recipient, code).await {
        if matches!(err, CodeError::Mismatch) && sentinel::record_failure(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await? {
            return Err(AccountError::Blocked);
        }
        return Err(err.into());
    }
    sqlx::query("UPDATE verification_records SET verified_at = $1 WHERE id_hash = $2").bind(provider.now_ms()).bind(crypto::token_hash(record_id)).execute(provider.store.pool()).await?;
    Ok(record_id.to_owned())
}

/// The `logto-verification-id` proof: a verified, unexpired record of the caller's own that
/// proves identity: a password, or a code to the account's own address.
pub async fn require_proof(provider: &Provider, caller: &Caller, proof: Option<&str>) -> Result<(), AccountError> {
    let record = own_record(provider, caller, proof.unwrap_or_default()).await?;
    match record {
        Some(r) if r.verified && (r.kind == "Password" || r.template.as_deref() == Some(Template::UserPermissionValidation.as_str())) => Ok(()),
        _ => Err(AccountError::PermissionDenied),
    }
}

/// A new address's record (`newIdentifierVerificationRecordId`): verified, the caller's, for
/// exactly this address. Answers the address in its stored form.
pub async fn verified_new_identifier(provider: &Provider, caller: &Caller, record_id: &str, kind: IdentifierKind, value: &str) -> Result<String, AccountError> {
    let address = normalized(kind, value)?;
    match own_record(provider, caller, record_id).await? {
        Some(r) if r.verified && r.kind == code_kind(kind) && r.identifier.as_deref().is_some_and(|stored| same_address(kind, stored, &address)) => Ok(address),
        _ => Err(AccountError::RecordNotFound),
    }
}
