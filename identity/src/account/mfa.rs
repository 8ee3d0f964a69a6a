//! MFA in the account center (spec §11 `mfa-verifications`): people list, add and remove
//! their own factors. Reading needs the `identities` scope and the `mfa` switch; every change
//! also a fresh proof. Generating a secret or codes stores nothing: they are bound only when
//! sent back (a TOTP secret with a code from the app, which proves it was scanned).

use super::{verification, AccountError, Caller};
use crate::mfa::{self, backup_codes, totp, BoundFactor, MfaError, MfaFactor};
use crate::oidc::Provider;

fn readable(caller: &Caller) -> Result<(), AccountError> {
    caller.require_scope("identities")?;
    if caller.settings.fields.mfa.readable() { Ok(()) } else { Err(AccountError::FieldNotEnabled) }
}

async fn editable(provider: &Provider, caller: &Caller, factor: MfaFactor) -> Result<(), AccountError> {
    caller.require_scope("identities")?;
    caller.require_editable(caller.settings.fields.mfa)?;
    if !provider.sign_in_experience().await?.mfa.enables(factor) {
        return Err(MfaError::FactorNotEnabled.into());
    }
    Ok(())
}

pub async fn factors(provider: &Provider, caller: &Caller) -> Result<Vec<BoundFactor>, AccountError> {
    readable(caller)?;
    Ok(mfa::factors(&provider.store, &caller.user.id).await?)
}

/// A new authenticator secret and its QR code, not stored.
pub async fn generate_totp_secret(provider: &Provider, caller: &Caller) -> Result<(String, String), AccountError> {
    editable(provider, caller, MfaFactor::Totp).await?;
    let secret = totp::new_secret();
    let (_, qr) = totp::enrolment(&provider.endpoint, &caller.user, &secret);
    Ok((secret, qr))
}

/// Ten new backup codes, not stored.
pub async fn generate_backup_codes(provider: &Provider, caller: &Caller) -> Result<Vec<String>, AccountError> {
    editable(provider, caller, MfaFactor::BackupCode).await?;
    Ok(backup_codes::generate())
}

/// Binds an authenticator app: the secret (16 to 32 base32 characters), and a current code
/// from the app when given.
pub async fn bind_totp(provider: &Provider, caller: &Caller, proof: Option<&str>, secret: &str, code: Option<&str>) -> Result<(), AccountError> {
    editable(provider, caller, MfaFactor::Totp).await?;
    verification::require_proof(provider, caller, proof).await?;
    let valid = (16..=32).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)) && totp::code_at(secret, 0).is_some();
    if !valid {
        return Err(MfaError::InvalidSecret.into());
    }
    let step = match code {
        Some(code) => totp::matching_step(secret, code, provider.now_ms()).ok_or(MfaError::InvalidTotpCode)?,
        None => 0,
    };
    let mut tx = provider.store.begin_write().await?;
    mfa::bind_totp(&mut tx, provider.clock.as_ref(), &provider.at_rest, &caller.user.id, secret, step).await?;
    crate::users::set_config_flag(&mut tx, &caller.user.id, "mfa", "enabled", true).await?;
    tx.commit().await?;
    Ok(())
}

/// Binds backup codes the caller generated: ten codes of ten hex characters, beside another
/// factor, replacing no unused ones.
pub async fn bind_backup_codes(provider: &Provider, caller: &Caller, proof: Option<&str>, codes: &[String]) -> Result<(), AccountError> {
    editable(provider, caller, MfaFactor::BackupCode).await?;
    verification::require_proof(provider, caller, proof).await?;
    if codes.len() != backup_codes::COUNT || codes.iter().any(|c| c.len() != 10 || !c.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(AccountError::WrongBackupCodeFormat);
    }
    let bound = mfa::factors(&provider.store, &caller.user.id).await?;
    if !bound.iter().any(|f| f.factor != MfaFactor::BackupCode) {
        return Err(MfaError::BackupCodesAlone.into());
    }
    if bound.iter().any(|f| f.factor == MfaFactor::BackupCode && f.remain_codes.unwrap_or(0) > 0) {
        return Err(AccountError::BackupCodesInUse);
    }
    let hashes: Vec<String> = codes.iter().map(|c| backup_codes::hash(c)).collect();
    let mut tx = provider.store.begin_write().await?;
    mfa::bind_backup_codes(&mut tx, provider.clock.as_ref(), &caller.user.id, &hashes).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove(provider: &Provider, caller: &Caller, proof: Option<&str>, id: &str) -> Result<(), AccountError> {
    caller.require_scope("identities")?;
    caller.require_editable(caller.settings.fields.mfa)?;
    verification::require_proof(provider, caller, proof).await?;
    Ok(mfa::delete_factor(&provider.store, &caller.user.id, id).await?)
}

/// `GET /api/my-account/mfa-settings`: whether the caller skips MFA verification at sign-in.
pub async fn skips_verification(provider: &Provider, caller: &Caller) -> Result<bool, AccountError> {
    readable(caller)?;
    Ok(crate::users::logto_config(&provider.store, &caller.user.id).await?["mfa"]["skipMfaOnSignIn"].as_bool().unwrap_or(false))
}

/// `PATCH /api/my-account/mfa-settings {skipMfaOnSignIn}`: with a proof. A mandatory MFA
/// policy overrides it at sign-in.
pub async fn set_skip_verification(provider: &Provider, caller: &Caller, proof: Option<&str>, skip: bool) -> Result<bool, AccountError> {
    caller.require_scope("identities")?;
    caller.require_editable(caller.settings.fields.mfa)?;
    verification::require_proof(provider, caller, proof).await?;
    let mut tx = provider.store.begin_write().await?;
    crate::users::set_config_flag(&mut tx, &caller.user.id, "mfa", "skipMfaOnSignIn", skip).await?;
    tx.commit().await?;
    Ok(skip)
}
