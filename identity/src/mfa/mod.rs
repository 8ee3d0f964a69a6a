//! Multi-factor authentication (spec §6): the factors a user binds — an authenticator app
//! (TOTP), WebAuthn credentials (passkeys, security keys) and backup codes — and the policy
//! that says when they are asked for. Factors live in `mfa_verifications`; TOTP secrets are
//! sealed with the master secret.

pub mod backup_codes;
mod store;
pub mod totp;
pub mod webauthn;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::{Clock, Millis};
use crate::crypto::AtRest;
use crate::error::ErrorCode;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MfaFactor {
    Totp,
    WebAuthn,
    BackupCode,
}

impl MfaFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaFactor::Totp => "Totp",
            MfaFactor::WebAuthn => "WebAuthn",
            MfaFactor::BackupCode => "BackupCode",
        }
    }
}

/// When MFA is asked for (spec §6 "Policy").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum MfaPolicy {
    /// Deprecated name of `PromptAtSignInAndSignUp`.
    #[default]
    UserControlled,
    Mandatory,
    PromptAtSignInAndSignUp,
    PromptOnlyAtSignIn,
    NoPrompt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MfaSettings {
    #[serde(default)]
    pub factors: Vec<MfaFactor>,
    #[serde(default)]
    pub policy: MfaPolicy,
}

impl MfaSettings {
    pub fn enables(&self, factor: MfaFactor) -> bool {
        self.factors.contains(&factor)
    }

    /// Unique factors; backup codes only beside another factor.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = Vec::new();
        for factor in &self.factors {
            if seen.contains(factor) {
                return Err(format!("mfa.factors lists {factor:?} twice"));
            }
            seen.push(*factor);
        }
        if self.factors == [MfaFactor::BackupCode] {
            return Err("backup codes cannot be the only MFA factor".into());
        }
        Ok(())
    }
}

/// A bound factor as the APIs list it (no secrets).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundFactor {
    pub id: String,
    #[serde(rename = "type")]
    pub factor: MfaFactor,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
    /// Backup codes: how many are still unused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remain_codes: Option<usize>,
    /// WebAuthn: the browser that registered it, and a name the user gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("the code is not valid")]
    InvalidTotpCode,
    #[error("the backup code is not valid")]
    InvalidBackupCode,
    #[error("an authenticator app is already bound")]
    TotpAlreadyInUse,
    #[error("no such MFA factor")]
    NotFound,
    #[error("the secret is not a valid base32 TOTP key")]
    InvalidSecret,
    #[error("backup codes need another MFA factor")]
    BackupCodesAlone,
    #[error("this MFA factor is not enabled in the sign-in experience")]
    FactorNotEnabled,
    #[error("passkeys need the public endpoint to be a domain name (not an IP address)")]
    WebAuthnUnavailable,
    #[error("the passkey answer could not be verified")]
    InvalidWebAuthn,
    #[error("no passkey or security key is registered for this account")]
    NoWebAuthnCredentials,
    #[error("this passkey request was not found or has expired; start again")]
    WebAuthnCeremonyNotFound,
    #[error("this passkey is already registered")]
    WebAuthnAlreadyInUse,
    #[error("the stored secret cannot be read")]
    Corrupt,
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for MfaError {
    fn code(&self) -> &'static str {
        match self {
            MfaError::InvalidTotpCode => "session.mfa.invalid_totp_code",
            MfaError::InvalidBackupCode => "session.mfa.invalid_backup_code",
            MfaError::TotpAlreadyInUse => "user.totp_already_in_use",
            MfaError::NotFound => "entity.not_found",
            MfaError::InvalidSecret => "user.totp_secret_invalid",
            MfaError::BackupCodesAlone => "session.mfa.backup_code_can_not_be_alone",
            MfaError::FactorNotEnabled => "session.mfa.mfa_factor_not_enabled",
            MfaError::WebAuthnUnavailable => "session.mfa.webauthn_unavailable",
            MfaError::InvalidWebAuthn => "session.mfa.webauthn_verification_failed",
            MfaError::NoWebAuthnCredentials => "session.mfa.webauthn_credentials_not_found",
            MfaError::WebAuthnCeremonyNotFound => "session.mfa.webauthn_verification_not_found",
            MfaError::WebAuthnAlreadyInUse => "user.webauthn_already_in_use",
            MfaError::Corrupt | MfaError::Storage(_) => "unexpected",
        }
    }
}

/// The user's factors.
pub async fn factors(store: &Store, user_id: &str) -> Result<Vec<BoundFactor>, MfaError> {
    store::list(store, user_id).await
}

/// Binds a verified TOTP secret (base32) to the user; one per user.
pub async fn bind_totp(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, at_rest: &AtRest, user_id: &str, secret: &str, used_step: u64) -> Result<(), MfaError> {
    if store::has(conn, user_id, MfaFactor::Totp).await? {
        return Err(MfaError::TotpAlreadyInUse);
    }
    let data = json!({ "key": at_rest.encrypt(secret.as_bytes()), "lastUsedTimeStep": used_step });
    store::insert(conn, user_id, MfaFactor::Totp, &data, clock.now_ms()).await
}

/// Replaces the user's backup codes with these (hashes).
pub async fn bind_backup_codes(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, hashes: &[String]) -> Result<(), MfaError> {
    store::delete_type(conn, user_id, MfaFactor::BackupCode).await?;
    let data = json!({ "codes": hashes.iter().map(|h| json!({ "hash": h, "usedAt": Value::Null })).collect::<Vec<_>>() });
    store::insert(conn, user_id, MfaFactor::BackupCode, &data, clock.now_ms()).await
}

/// Checks a code against the user's authenticator app; a code (time step) is accepted once.
pub async fn verify_user_totp(store: &Store, clock: &dyn Clock, at_rest: &AtRest, user_id: &str, code: &str) -> Result<(), MfaError> {
    let (id, data) = store::find_type(store, user_id, MfaFactor::Totp).await?.ok_or(MfaError::InvalidTotpCode)?;
    let sealed = data["key"].as_str().ok_or(MfaError::Corrupt)?;
    let secret = String::from_utf8(at_rest.decrypt(sealed).map_err(|_| MfaError::Corrupt)?).map_err(|_| MfaError::Corrupt)?;
    let last = data["lastUsedTimeStep"].as_u64().unwrap_or(0);
    let step = totp::matching_step(&secret, code, clock.now_ms()).ok_or(MfaError::InvalidTotpCode)?;
    if step <= last {
        return Err(MfaError::InvalidTotpCode);
    }
    // Only one request may spend this step (compare-and-set on the stored JSON).
    let next = json!({ "key": sealed, "lastUsedTimeStep": step });
    if !store::replace_data(store, &id, &data, &next, clock.now_ms()).await? {
        return Err(MfaError::InvalidTotpCode);
    }
    Ok(())
}

/// Spends one of the user's backup codes.
pub async fn use_backup_code(store: &Store, clock: &dyn Clock, user_id: &str, code: &str) -> Result<(), MfaError> {
    let (id, data) = store::find_type(store, user_id, MfaFactor::BackupCode).await?.ok_or(MfaError::InvalidBackupCode)?;
    let hash = backup_codes::hash(code);
    let mut next = data.clone();
    let codes = next["codes"].as_array_mut().ok_or(MfaError::Corrupt)?;
    let slot = codes
        .iter_mut()
        .find(|c| c["usedAt"].is_null() && c["hash"].as_str().is_some_and(|h| crate::crypto::constant_time_eq(h, &hash)))
        .ok_or(MfaError::InvalidBackupCode)?;
    slot["usedAt"] = json!(clock.now_ms());
    if !store::replace_data(store, &id, &data, &next, clock.now_ms()).await? {
        return Err(MfaError::InvalidBackupCode);
    }
    Ok(())
}

pub async fn delete_factor(store: &Store, user_id: &str, id: &str) -> Result<(), MfaError> {
    if store::delete(store, user_id, id).await? { Ok(()) } else { Err(MfaError::NotFound) }
}

/// Management API: gives the user an authenticator secret (given or generated); returns it.
pub async fn add_totp(store: &Store, clock: &dyn Clock, at_rest: &AtRest, user_id: &str, secret: Option<String>) -> Result<String, MfaError> {
    let secret = secret.unwrap_or_else(totp::new_secret);
    if totp::code_at(&secret, 0).is_none() {
        return Err(MfaError::InvalidSecret);
    }
    let mut tx = store.begin_write().await?;
    bind_totp(&mut tx, clock, at_rest, user_id, &secret, 0).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Management API: a new set of backup codes (the user needs another factor first).
pub async fn add_backup_codes(store: &Store, clock: &dyn Clock, user_id: &str) -> Result<Vec<String>, MfaError> {
    if !factors(store, user_id).await?.iter().any(|f| f.factor != MfaFactor::BackupCode) {
        return Err(MfaError::BackupCodesAlone);
    }
    let codes = backup_codes::generate();
    let hashes: Vec<String> = codes.iter().map(|c| backup_codes::hash(c)).collect();
    let mut tx = store.begin_write().await?;
    bind_backup_codes(&mut tx, clock, user_id, &hashes).await?;
    tx.commit().await?;
    Ok(codes)
}
