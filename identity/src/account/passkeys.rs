//! Passkeys in the account center (spec §11–§12): register one — a WebAuthn registration
//! record (`/api/verifications/web-authn/registration[/verify]`), then bound with a fresh proof
//! (`POST /mfa-verifications {type: "WebAuthn", newIdentifierVerificationRecordId, name?}`) —
//! and name it (`PATCH /mfa-verifications/:id/name`). The ceremony waits in the database like
//! every WebAuthn ceremony; its answer, once checked, waits as a verification record. The
//! `passkey` switch governs these (Logto falls back to `mfa`: either allowing edits will do).

use serde_json::{json, Value};
use webauthn_rs::prelude::PasskeyRegistration;

use super::settings::Control;
use super::verification::{self, CreatedRecord};
use super::{AccountError, Caller};
use crate::mfa::webauthn::{self, ceremony, ceremony::Purpose, NewCredential, RelyingParty};
use crate::mfa::{MfaError, MfaFactor};
use crate::oidc::Provider;

const RECORD_KIND: &str = "WebAuthn";

fn owner(caller: &Caller) -> String {
    format!("account:{}", caller.user.id)
}

fn relying_party(provider: &Provider, caller: &Caller) -> Result<RelyingParty, AccountError> {
    Ok(RelyingParty::with_related_origins(&provider.endpoint, &caller.settings.webauthn_related_origins)?)
}

/// Changes need `identities`, a first-party application, an editable `passkey` (or `mfa`)
/// switch, and WebAuthn offered by the sign-in experience (as a factor or for passkey sign-in).
async fn editable(provider: &Provider, caller: &Caller) -> Result<(), AccountError> {
    if !caller.has_scope("identities") {
        return Err(AccountError::InvalidToken);
    }
    let fields = &caller.settings.fields;
    let control = if fields.passkey.editable() { Control::Edit } else { fields.mfa };
    caller.require_editable(control)?;
    let sie = provider.sign_in_experience().await?;
    if !sie.mfa.enables(MfaFactor::WebAuthn) && !sie.passkey_sign_in.enabled {
        return Err(MfaError::FactorNotEnabled.into());
    }
    Ok(())
}

/// `POST /api/verifications/web-authn/registration`: options for a new credential.
pub async fn start_registration(provider: &Provider, caller: &Caller) -> Result<Value, AccountError> {
    editable(provider, caller).await?;
    let rp = relying_party(provider, caller)?;
    let existing: Vec<_> = webauthn::credentials(&provider.store, &caller.user.id).await?.into_iter().map(|c| c.passkey).collect();
    let (options, state) = rp.start_registration(&caller.user, &existing)?;
    let id = ceremony::begin(&provider.store, provider.clock.as_ref(), &owner(caller), Purpose::Registration, Some(&caller.user.id), &state).await?;
    let expires_at = verification::rfc3339(provider.now_ms() + ceremony::LIFETIME_MS);
    Ok(json!({ "verificationRecordId": id, "registrationOptions": options, "expiresAt": expires_at }))
}

/// `POST /api/verifications/web-authn/registration/verify`: the authenticator's answer; the
/// credential waits in a verification record (nothing is bound yet).
pub async fn verify_registration(provider: &Provider, caller: &Caller, record_id: &str, payload: &Value, agent: &str) -> Result<CreatedRecord, AccountError> {
    caller.require_first_party()?;
    let taken = match ceremony::take::<PasskeyRegistration>(&provider.store, provider.clock.as_ref(), &owner(caller), Some(record_id), &[Purpose::Registration]).await {
        Err(MfaError::WebAuthnCeremonyNotFound) => return Err(AccountError::RecordNotFound),
        other => other?,
    };
    let credential = relying_party(provider, caller)?.finish_registration(payload, &taken.state)?;
    if webauthn::is_registered(&provider.store, &credential).await? {
        return Err(MfaError::WebAuthnAlreadyInUse.into());
    }
    let waiting = json!({ "credential": credential, "agent": agent.chars().take(512).collect::<String>() });
    verification::insert_verified_payload(provider, record_id, &caller.user.id, RECORD_KIND, &waiting.to_string()).await
}

/// Binds the registered credential (`newIdentifierVerificationRecordId`) with a fresh proof;
/// the record is used up. Turns MFA on when WebAuthn is an MFA factor.
pub async fn bind(provider: &Provider, caller: &Caller, proof: Option<&str>, record_id: &str, name: Option<&str>) -> Result<(), AccountError> {
    editable(provider, caller).await?;
    verification::require_proof(provider, caller, proof).await?;
    let name = checked_name(name)?;
    let waiting: Value = serde_json::from_str(&verification::take_payload(provider, caller, record_id, RECORD_KIND).await?).map_err(|_| AccountError::RecordNotFound)?;
    let credential: NewCredential = serde_json::from_value(waiting["credential"].clone()).map_err(|_| AccountError::RecordNotFound)?;
    let rp = relying_party(provider, caller)?;
    let mut tx = provider.store.begin_write().await?;
    webauthn::bind(&mut tx, provider.clock.as_ref(), &caller.user.id, rp.rp_id(), &credential, waiting["agent"].as_str().unwrap_or_default(), name).await?;
    if provider.sign_in_experience().await?.mfa.enables(MfaFactor::WebAuthn) {
        crate::users::set_config_flag(&mut tx, &caller.user.id, "mfa", "enabled", true).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `PATCH /api/my-account/mfa-verifications/:id/name {name}`, with a fresh proof.
pub async fn rename(provider: &Provider, caller: &Caller, proof: Option<&str>, id: &str, name: &str) -> Result<(), AccountError> {
    editable(provider, caller).await?;
    verification::require_proof(provider, caller, proof).await?;
    match webauthn::rename(&provider.store, &caller.user.id, id, checked_name(Some(name))?).await {
        Err(MfaError::NotFound) => Err(AccountError::RecordNotFound),
        other => Ok(other?),
    }
}

/// A passkey's name: trimmed, 1 to 64 characters; empty means none.
fn checked_name(name: Option<&str>) -> Result<Option<&str>, AccountError> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if n.chars().count() > 64 => Err(AccountError::InvalidInput("a passkey name has at most 64 characters".into())),
        other => Ok(other),
    }
}
