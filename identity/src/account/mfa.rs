//! MFA in the account center (spec §11 `mfa-verifications`): people list, add and remove
//! their own factors. Reading needs the `identities` scope and the `mfa` switch; every change
//! also a fresh proof. Generating a secret or codes stores nothing: they are bound only when
//! sent back (a TOTP secret with a code from the app, which proves it was scanned).

use super::{verification, AccountError, Caller};
use crate::mfa::{self, backup_codes, totp, BoundFactor, MfaError, MfaFactor};
use crate::oidc::Provider;

/// A token without `identities` is 401 here, as in Logto (not 400 as for other scopes).
fn identities_scope(caller: &Caller) -> Result<(), AccountError> {
    if caller.has_scope("identities") { Ok(()) } else { Err(AccountError::InvalidToken) }
}

fn readable(caller: &Caller) -> Result<(), AccountError> {
    identities_scope(caller)?;
    if caller.settings.fields.mfa.readable() { Ok(()) } else { Err(AccountError::FieldNotEnabled) }
}

async fn editable(provider: &Provider, caller: &Caller, factor: MfaFactor) -> Result<(), AccountError> {
    identities_scope(caller)?;
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
    save_backup_codes(provider, caller, proof, codes, false).await
}

/// The account center's "new backup codes": replaces the set, unused codes included (the
/// person has just seen and saved the new ones).
pub async fn regenerate_backup_codes(provider: &Provider, caller: &Caller, proof: Option<&str>, codes: &[String]) -> Result<(), AccountError> {
    save_backup_codes(provider, caller, proof, codes, true).await
}

async fn save_backup_codes(provider: &Provider, caller: &Caller, proof: Option<&str>, codes: &[String], replace_unused: bool) -> Result<(), AccountError> {
    editable(provider, caller, MfaFactor::BackupCode).await?;
    verification::require_proof(provider, caller, proof).await?;
    if codes.len() != backup_codes::COUNT || codes.iter().any(|c| c.len() != 10 || !c.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(AccountError::WrongBackupCodeFormat);
    }
    let bound = mfa::factors(&provider.store, &caller.user.id).await?;
    if !bound.iter().any(|f| f.factor != MfaFactor::BackupCode) {
        return Err(MfaError::BackupCodesAlone.into());
    }
    if !replace_unused && bound.iter().any(|f| f.factor == MfaFactor::BackupCode && f.remain_codes.unwrap_or(0) > 0) {
        return Err(AccountError::BackupCodesInUse);
    }
    let hashes: Vec<String> = codes.iter().map(|c| backup_codes::hash(c)).collect();
    let mut tx = provider.store.begin_write().await?;
    mfa::bind_backup_codes(&mut tx, provider.clock.as_ref(), &caller.user.id, &hashes).await?;
    tx.commit().await?;
    Ok(())
}

/// An unknown factor id is `verification_record.not_found` (400) here, as in Logto.
pub async fn remove(provider: &Provider, caller: &Caller, proof: Option<&str>, id: &str) -> Result<(), AccountError> {
    identities_scope(caller)?;
    caller.require_editable(caller.settings.fields.mfa)?;
    verification::require_proof(provider, caller, proof).await?;
    match mfa::delete_factor(&provider.store, &caller.user.id, id).await {
        Err(MfaError::NotFound) => Err(AccountError::RecordNotFound),
        other => Ok(other?),
    }
}

/// `GET /api/my-account/mfa-settings`: whether the caller skips MFA verification at sign-in.
pub async fn skips_verification(provider: &Provider, caller: &Caller) -> Result<bool, AccountError> {
    readable(caller)?;
    Ok(crate::users::logto_config(&provider.store, &caller.user.id).await?["mfa"]["skipMfaOnSignIn"].as_bool().unwrap_or(false))
}

/// `PATCH /api/my-account/mfa-settings {skipMfaOnSignIn}`: with a proof. A mandatory MFA
/// policy overrides it at sign-in.
pub async fn set_skip_verification(provider: &Provider, caller: &Caller, proof: Option<&str>, skip: bool) -> Result<bool, AccountError> {
    identities_scope(caller)?;
    caller.require_editable(caller.settings.fields.mfa)?;
    verification::require_proof(provider, caller, proof).await?;
    let mut tx = provider.store.begin_write().await?;
    crate::users::set_config_flag(&mut tx, &caller.user.id, "mfa", "skipMfaOnSignIn", skip).await?;
    tx.commit().await?;
    Ok(skip)
}

/// `GET /api/my-account/logto-configs`: the account's own sign-in choices, as Logto answers
/// them: `{mfa: {enabled, skipped, skipMfaOnSignIn}, passkeySignIn: {skipped}}`.
pub async fn logto_configs(provider: &Provider, caller: &Caller) -> Result<serde_json::Value, AccountError> {
    readable(caller)?;
    Ok(configs_view(&crate::users::logto_config(&provider.store, &caller.user.id).await?))
}

/// `PATCH /api/my-account/logto-configs {mfa?: {skipped}, passkeySignIn?: {skipped}}`: no
/// proof (these only decide what sign-in suggests), but the `mfa` switch must allow edits.
pub async fn update_logto_configs(provider: &Provider, caller: &Caller, mfa_skipped: Option<bool>, passkey_skipped: Option<bool>) -> Result<serde_json::Value, AccountError> {
    identities_scope(caller)?;
    caller.require_editable(caller.settings.fields.mfa)?;
    let mut tx = provider.store.begin_write().await?;
    for (value, section) in [(mfa_skipped, "mfa"), (passkey_skipped, "passkeySignIn")] {
        if let Some(value) = value {
            crate::users::set_config_flag(&mut tx, &caller.user.id, section, "skipped", value).await?;
        }
    }
    tx.commit().await?;
    logto_configs(provider, caller).await
}

fn configs_view(config: &serde_json::Value) -> serde_json::Value {
    let flag = |section: &str, key: &str| config[section][key].as_bool().unwrap_or(false);
    let mut mfa = serde_json::json!({ "skipped": flag("mfa", "skipped"), "skipMfaOnSignIn": flag("mfa", "skipMfaOnSignIn") });
    if let Some(enabled) = config["mfa"]["enabled"].as_bool() {
        mfa["enabled"] = enabled.into();
    }
    serde_json::json!({ "mfa": mfa, "passkeySignIn": { "skipped": flag("passkeySignIn", "skipped") } })
}

/// `GET /api/my-account/mfa-verifications/backup-codes`: Logto shows the codes again; here
/// they are stored hashed (like passwords), so none can be shown after they were generated —
/// answered as Logto answers an account without codes. Regenerating shows a new set once.
pub async fn backup_codes(provider: &Provider, caller: &Caller, proof: Option<&str>) -> Result<Vec<String>, AccountError> {
    readable(caller)?;
    verification::require_proof(provider, caller, proof).await?;
    Err(AccountError::RecordNotFound)
}
