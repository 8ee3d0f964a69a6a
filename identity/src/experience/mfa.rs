//! MFA inside the Experience API (spec §6): verifying a bound factor at sign-in, creating and
//! binding new ones (authenticator app, backup codes; WebAuthn ceremonies are in `passkey`),
//! and the policy gates submit applies.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{save, started, ExperienceError, ExperienceState, InteractionEvent};
use crate::mfa::{self, backup_codes, totp, BoundFactor, MfaError, MfaFactor, MfaPolicy};
use crate::oidc::Provider;
use crate::sentinel::{self, Counter};
use crate::sign_in_experience::SignInExperience;
use crate::users;

/// MFA progress of one interaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaState {
    /// A bound factor was verified in this interaction.
    #[serde(default)]
    pub verified: bool,
    /// The user chose to skip binding (skippable policies only).
    #[serde(default)]
    pub skipped: bool,
    /// A new authenticator secret (sealed) and whether its first code was verified.
    #[serde(default)]
    pub new_totp: Option<NewTotp>,
    /// New backup codes (hashes), once generated.
    #[serde(default)]
    pub new_backup_codes: Option<Vec<String>>,
    /// What `POST /profile/mfa` staged for submit.
    #[serde(default)]
    pub bind_totp: bool,
    #[serde(default)]
    pub bind_backup_codes: bool,
    /// A WebAuthn credential registered in this interaction, and whether it is to be kept.
    #[serde(default)]
    pub new_web_authn: Option<super::passkey::NewWebAuthn>,
    #[serde(default)]
    pub bind_web_authn: bool,
    /// The user answered "turn on two-step verification" (`mfa-enabled`).
    #[serde(default)]
    pub enabled_chosen: bool,
    /// "Not now" to creating a passkey for sign-in.
    #[serde(default)]
    pub passkey_skipped: bool,
    /// "Not now" to adding a factor beside a passkey that also signs in.
    #[serde(default)]
    pub suggestion_skipped: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTotp {
    pub verification_id: String,
    pub sealed_secret: String,
    pub verified_step: Option<u64>,
}

impl From<MfaError> for ExperienceError {
    fn from(err: MfaError) -> Self {
        match err {
            MfaError::Storage(e) => ExperienceError::Provider(crate::oidc::OidcError::Storage(e)),
            other => ExperienceError::Mfa(other),
        }
    }
}

pub(super) fn identified(state: &ExperienceState) -> Result<String, ExperienceError> {
    state.user_id.clone().ok_or(ExperienceError::IdentifierNotFound)
}

/// `POST /verification/totp/secret`: a new secret for the identified user's authenticator app.
pub async fn create_totp_secret(provider: &Provider, cookie: Option<&str>) -> Result<Value, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let secret = totp::new_secret();
    let verification_id = crate::ids::entity_id();
    state.mfa.new_totp = Some(NewTotp { verification_id: verification_id.clone(), sealed_secret: provider.at_rest.encrypt(secret.as_bytes()), verified_step: None });
    save(provider, &interaction, &state).await?;
    enrolment(provider, &user_id, &verification_id, &secret).await
}

/// What an authenticator app needs: the secret, its `otpauth://` URI and QR code.
async fn enrolment(provider: &Provider, user_id: &str, verification_id: &str, secret: &str) -> Result<Value, ExperienceError> {
    let user = users::find_by_id(&provider.store, user_id).await?.ok_or(ExperienceError::IdentifierNotFound)?;
    let (uri, qr) = totp::enrolment(&provider.endpoint, &user, secret);
    Ok(json!({ "verificationId": verification_id, "secret": secret, "secretQrCode": qr, "otpauthUri": uri }))
}

/// `POST /verification/totp/verify`: with `verificationId`, the first code of a new secret;
/// without, a code from the user's bound authenticator (this satisfies MFA at sign-in).
pub async fn verify_totp(provider: &Provider, cookie: Option<&str>, code: &str, verification_id: Option<&str>) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let sie = provider.sign_in_experience().await?;
    let target = format!("user:{user_id}");
    if sentinel::is_blocked(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Totp).await? {
        return Err(ExperienceError::Blocked);
    }
    let outcome = match verification_id {
        Some(id) => {
            let new = state.mfa.new_totp.as_mut().filter(|n| n.verification_id == id).ok_or(ExperienceError::VerificationNotFound)?;
            let secret = provider.at_rest.decrypt(&new.sealed_secret).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(ExperienceError::VerificationNotFound)?;
            match totp::matching_step(&secret, code, provider.now_ms()) {
                Some(step) => {
                    new.verified_step = Some(step);
                    Ok(id.to_owned())
                }
                None => Err(ExperienceError::Mfa(MfaError::InvalidTotpCode)),
            }
        }
        None => mfa::verify_user_totp(&provider.store, provider.clock.as_ref(), &provider.at_rest, &user_id, code).await.map(|()| {
            state.mfa.verified = true;
            crate::ids::entity_id()
        }).map_err(ExperienceError::from),
    };
    if matches!(outcome, Err(ExperienceError::Mfa(_))) {
        if sentinel::record_failure(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Totp).await? {
            return Err(ExperienceError::Blocked);
        }
        return outcome;
    }
    let id = outcome?;
    save(provider, &interaction, &state).await?;
    Ok(id)
}

/// The hosted binding page: the pending authenticator secret (created on first view, then
/// the same one on reload, so a scanned QR code stays valid).
pub async fn totp_enrolment(provider: &Provider, cookie: Option<&str>) -> Result<Value, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let Some(existing) = &state.mfa.new_totp else {
        return create_totp_secret(provider, cookie).await;
    };
    let secret = provider.at_rest.decrypt(&existing.sealed_secret).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(ExperienceError::VerificationNotFound)?;
    enrolment(provider, &user_id, &existing.verification_id, &secret).await
}

/// The verification id of the pending authenticator secret, for the hosted binding form.
pub async fn pending_totp_id(provider: &Provider, cookie: Option<&str>) -> Result<String, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    state.mfa.new_totp.map(|n| n.verification_id).ok_or(ExperienceError::VerificationNotFound)
}

/// `POST /verification/backup-code/generate`: ten new codes, shown once.
pub async fn generate_backup_codes(provider: &Provider, cookie: Option<&str>) -> Result<Value, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    identified(&state)?;
    let codes = backup_codes::generate();
    state.mfa.new_backup_codes = Some(codes.iter().map(|c| backup_codes::hash(c)).collect());
    save(provider, &interaction, &state).await?;
    Ok(json!({ "verificationId": "backup-codes", "codes": codes }))
}

/// `POST /verification/backup-code/verify`: spends one of the user's codes (satisfies MFA).
pub async fn verify_backup_code(provider: &Provider, cookie: Option<&str>, code: &str) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let sie = provider.sign_in_experience().await?;
    let target = format!("user:{user_id}");
    if sentinel::is_blocked(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::BackupCode).await? {
        return Err(ExperienceError::Blocked);
    }
    if let Err(err) = mfa::use_backup_code(&provider.store, provider.clock.as_ref(), &user_id, code).await {
        if matches!(err, MfaError::InvalidBackupCode) {
            if sentinel::record_failure(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::BackupCode).await? {
                return Err(ExperienceError::Blocked);
            }
        }
        return Err(err.into());
    }
    state.mfa.verified = true;
    save(provider, &interaction, &state).await?;
    Ok(crate::ids::entity_id())
}

/// `POST /profile/mfa {type, verificationId}`: stage a new factor for submit.
pub async fn bind(provider: &Provider, cookie: Option<&str>, factor: MfaFactor, verification_id: &str) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let sie = provider.sign_in_experience().await?;
    if !sie.mfa.enables(factor) {
        return Err(ExperienceError::MfaFactorNotEnabled);
    }
    let bound = bound_factors(provider, &sie, &user_id).await?;
    if !bound.is_empty() && !verification_waived(provider, &sie, &user_id).await? {
        require_verified(&state, &user_id, &bound)?;
    }
    match factor {
        MfaFactor::Totp => {
            if bound.contains(&MfaFactor::Totp) {
                return Err(MfaError::TotpAlreadyInUse.into());
            }
            let new = state.mfa.new_totp.as_ref().filter(|n| n.verification_id == verification_id).ok_or(ExperienceError::VerificationNotFound)?;
            if new.verified_step.is_none() {
                return Err(ExperienceError::VerificationFailed);
            }
            state.mfa.bind_totp = true;
        }
        MfaFactor::BackupCode => {
            if state.mfa.new_backup_codes.is_none() || verification_id != "backup-codes" {
                return Err(ExperienceError::VerificationNotFound);
            }
            let other = bound.iter().any(|f| *f != MfaFactor::BackupCode) || state.mfa.bind_totp || (state.mfa.bind_web_authn && sie.mfa.enables(MfaFactor::WebAuthn));
            if !other {
                return Err(ExperienceError::BackupCodeCannotBeAlone);
            }
            state.mfa.bind_backup_codes = true;
        }
        MfaFactor::WebAuthn => {
            if state.mfa.new_web_authn.as_ref().is_none_or(|n| n.verification_id != verification_id) {
                return Err(ExperienceError::VerificationNotFound);
            }
            state.mfa.bind_web_authn = true;
        }
    }
    save(provider, &interaction, &state).await
}

/// `POST /profile/mfa/mfa-skipped`: decline binding where the policy allows it (a password
/// reset binds nothing, so there is nothing to skip).
pub async fn skip(provider: &Provider, cookie: Option<&str>) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if state.interaction_event == InteractionEvent::ForgotPassword {
        return Err(ExperienceError::NotSupportedForForgotPassword { unprocessable: false });
    }
    let sie = provider.sign_in_experience().await?;
    if sie.mfa.policy == MfaPolicy::Mandatory {
        return Err(ExperienceError::MfaPolicyNotUserControlled);
    }
    state.mfa.skipped = true;
    save(provider, &interaction, &state).await
}

/// `POST /profile/mfa/mfa-enabled`: the user wants two-step verification; binding becomes
/// required for this sign-in (no longer a suggestion) and the choice is remembered.
pub async fn choose_mfa(provider: &Provider, cookie: Option<&str>) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if provider.sign_in_experience().await?.mfa.policy == MfaPolicy::Mandatory {
        return Err(ExperienceError::MfaPolicyNotUserControlled);
    }
    state.mfa.enabled_chosen = true;
    state.mfa.skipped = false;
    save(provider, &interaction, &state).await
}

/// `POST /profile/mfa/mfa-suggestion-skipped`: no second factor beside the passkey, for now
/// (remembered).
pub async fn skip_suggestion(provider: &Provider, cookie: Option<&str>) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    state.mfa.suggestion_skipped = true;
    save(provider, &interaction, &state).await
}

/// A signing-in user with bound factors must have verified one before changing anything in
/// the interaction (binding another factor, adding to the profile).
fn require_verified(state: &ExperienceState, user_id: &str, bound: &[MfaFactor]) -> Result<(), ExperienceError> {
    if state.interaction_event == InteractionEvent::SignIn && !bound.is_empty() && !mfa_satisfied(state, user_id) {
        return Err(ExperienceError::RequireMfaVerification(available(bound)));
    }
    Ok(())
}

/// [`require_verified`] for `user_id`'s bound factors.
pub(super) async fn require_verified_for(provider: &Provider, state: &ExperienceState, user_id: &str) -> Result<(), ExperienceError> {
    let sie = provider.sign_in_experience().await?;
    let bound = bound_factors(provider, &sie, user_id).await?;
    if bound.is_empty() || verification_waived(provider, &sie, user_id).await? {
        return Ok(());
    }
    require_verified(state, user_id, &bound)
}

/// People may turn off verification at sign-in for themselves (`logto_config.mfa.
/// skipMfaOnSignIn`, set in the account center) unless the policy is mandatory, as Logto's
/// MFA validator has it. Read only for users with factors: no cost on the common path.
async fn verification_waived(provider: &Provider, sie: &SignInExperience, user_id: &str) -> Result<bool, ExperienceError> {
    if sie.mfa.policy == MfaPolicy::Mandatory {
        return Ok(false);
    }
    Ok(users::logto_config(&provider.store, user_id).await?["mfa"]["skipMfaOnSignIn"].as_bool().unwrap_or(false))
}

/// The user's bound factors that the configuration enables.
async fn bound_factors(provider: &Provider, sie: &SignInExperience, user_id: &str) -> Result<Vec<MfaFactor>, ExperienceError> {
    Ok(enabled(sie, &mfa::factors(&provider.store, user_id).await?))
}

fn enabled(sie: &SignInExperience, factors: &[BoundFactor]) -> Vec<MfaFactor> {
    factors.iter().map(|f| f.factor).filter(|f| sie.mfa.enables(*f)).collect()
}

/// Factors to offer: WebAuthn first, backup codes last.
fn available(factors: &[MfaFactor]) -> Vec<MfaFactor> {
    let mut list: Vec<MfaFactor> = factors.to_vec();
    list.sort_by_key(|f| match f {
        MfaFactor::WebAuthn => 0,
        MfaFactor::Totp => 1,
        MfaFactor::BackupCode => 2,
    });
    list.dedup();
    list
}

/// A bound factor was verified in this interaction, or it signed in with a passkey, which
/// already proved possession and user verification (spec §6: passkey sign-ins are exempt).
fn mfa_satisfied(state: &ExperienceState, user_id: &str) -> bool {
    state.mfa.verified || state.verification_records.iter().any(|r| r.kind == super::RecordKind::SignInPasskey && r.verified && r.user_id.as_deref() == Some(user_id))
}

/// The first submit gate (spec §3 "Submit"): at sign-in, a user with factors verifies one
/// before anything else is checked or revealed. `factors`: all the user's bound factors, read
/// once per submit for every gate.
pub(super) async fn require_verification(provider: &Provider, sie: &SignInExperience, state: &ExperienceState, user_id: &str, factors: &[BoundFactor]) -> Result<(), ExperienceError> {
    let bound = enabled(sie, factors);
    if bound.is_empty() || verification_waived(provider, sie, user_id).await? {
        return Ok(());
    }
    require_verified(state, user_id, &bound)
}

/// The later gates (after the profile checks): the passkey offer, then binding by policy.
pub(super) async fn check_before_submit(provider: &Provider, sie: &SignInExperience, state: &ExperienceState, user_id: &str, factors: &[BoundFactor]) -> Result<(), ExperienceError> {
    let bound = enabled(sie, factors);
    let config = users::logto_config(&provider.store, user_id).await?;
    let has_passkey = factors.iter().any(|f| f.factor == MfaFactor::WebAuthn) || state.mfa.bind_web_authn;
    let passkey_skipped = state.mfa.passkey_skipped || config["passkeySignIn"]["skipped"].as_bool().unwrap_or(false);
    // Only where passkeys can work at all (the public endpoint must be a domain name).
    let passkeys_possible = crate::mfa::webauthn::RelyingParty::for_endpoint(&provider.endpoint).is_ok();
    if sie.passkey_sign_in.enabled && passkeys_possible && !has_passkey && !passkey_skipped {
        return Err(ExperienceError::PasskeyPreferred);
    }
    // A choice to skip made at an earlier sign-in still holds (skippable policies only).
    let skipped = state.mfa.skipped || config["mfa"]["skipped"].as_bool().unwrap_or(false);
    let mut will_have = bound.clone();
    for (staged, factor) in [(state.mfa.bind_totp, MfaFactor::Totp), (state.mfa.bind_web_authn, MfaFactor::WebAuthn), (state.mfa.bind_backup_codes, MfaFactor::BackupCode)] {
        if staged && sie.mfa.enables(factor) {
            will_have.push(factor);
        }
    }
    let primary: Vec<MfaFactor> = sie.mfa.factors.iter().copied().filter(|f| *f != MfaFactor::BackupCode).collect();
    let has_primary = will_have.iter().any(|f| primary.contains(f));
    let prompts = match sie.mfa.policy {
        MfaPolicy::Mandatory => true,
        MfaPolicy::UserControlled | MfaPolicy::PromptAtSignInAndSignUp => !skipped,
        MfaPolicy::PromptOnlyAtSignIn => !skipped && state.interaction_event == InteractionEvent::SignIn,
        MfaPolicy::NoPrompt => false,
    };
    if prompts && !primary.is_empty() && !has_primary {
        let skippable = sie.mfa.policy != MfaPolicy::Mandatory;
        if skippable && !state.mfa.enabled_chosen {
            return Err(ExperienceError::SuggestMfa(available(&primary)));
        }
        return Err(ExperienceError::MissingMfa { available: available(&primary), skippable });
    }
    // A passkey that also signs in is a single factor there: suggest another one (spec §6 (3)).
    let only_passkey = has_primary && will_have.iter().filter(|f| **f != MfaFactor::BackupCode).all(|f| *f == MfaFactor::WebAuthn);
    let suggestion_skipped = state.mfa.suggestion_skipped || config["mfa"]["additionalBindingSuggestionSkipped"].as_bool().unwrap_or(false);
    let others: Vec<MfaFactor> = primary.iter().copied().filter(|f| *f != MfaFactor::WebAuthn).collect();
    if sie.passkey_sign_in.enabled && only_passkey && !suggestion_skipped && sie.mfa.policy != MfaPolicy::NoPrompt && !others.is_empty() {
        return Err(ExperienceError::SuggestAdditionalMfa(available(&others)));
    }
    let binds_new = state.mfa.bind_totp || (state.mfa.bind_web_authn && sie.mfa.enables(MfaFactor::WebAuthn));
    if sie.mfa.enables(MfaFactor::BackupCode) && has_primary && !will_have.contains(&MfaFactor::BackupCode) && (binds_new || prompts) {
        return Err(ExperienceError::BackupCodeRequired);
    }
    Ok(())
}

/// Writes the staged factors and choices in the submit transaction.
pub(super) async fn persist(provider: &Provider, sie: &SignInExperience, conn: &mut sqlx::AnyConnection, state: &ExperienceState, user_id: &str) -> Result<(), ExperienceError> {
    // A passkey kept only for signing in is not two-step verification.
    let binds = state.mfa.bind_totp || (state.mfa.bind_web_authn && sie.mfa.enables(MfaFactor::WebAuthn)) || state.mfa.bind_backup_codes;
    let flags = [
        (state.mfa.skipped, ("mfa", "skipped")),
        (binds || state.mfa.enabled_chosen, ("mfa", "enabled")),
        (state.mfa.suggestion_skipped, ("mfa", "additionalBindingSuggestionSkipped")),
        // "Not now" to a passkey is remembered for later sign-ins, not for a registration.
        (state.mfa.passkey_skipped && state.interaction_event == InteractionEvent::SignIn, ("passkeySignIn", "skipped")),
    ];
    let set: Vec<(&str, &str)> = flags.into_iter().filter(|(on, _)| *on).map(|(_, flag)| flag).collect();
    if !set.is_empty() {
        users::set_config_flags(conn, user_id, &set, true).await?;
    }
    if state.mfa.bind_totp {
        if let Some(new) = &state.mfa.new_totp {
            let secret = provider.at_rest.decrypt(&new.sealed_secret).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(ExperienceError::VerificationNotFound)?;
            mfa::bind_totp(conn, provider.clock.as_ref(), &provider.at_rest, user_id, &secret, new.verified_step.unwrap_or(0)).await?;
        }
    }
    if state.mfa.bind_web_authn {
        if let Some(new) = &state.mfa.new_web_authn {
            let rp = crate::mfa::webauthn::RelyingParty::for_endpoint(&provider.endpoint)?;
            crate::mfa::webauthn::bind(conn, provider.clock.as_ref(), user_id, rp.rp_id(), &new.credential, &new.agent, None).await?;
        }
    }
    if state.mfa.bind_backup_codes {
        if let Some(hashes) = &state.mfa.new_backup_codes {
            mfa::bind_backup_codes(conn, provider.clock.as_ref(), user_id, hashes).await?;
        }
    }
    Ok(())
}

pub(super) fn error_data(err: &ExperienceError) -> Option<Value> {
    match err {
        ExperienceError::RequireMfaVerification(factors) => Some(json!({ "availableFactors": factors })),
        ExperienceError::MissingMfa { available, skippable } => Some(json!({ "availableFactors": available, "skippable": skippable })),
        ExperienceError::SuggestMfa(available) => Some(json!({ "availableFactors": available, "skippable": true })),
        ExperienceError::SuggestAdditionalMfa(available) => Some(json!({
            "availableFactors": available, "maskedIdentifiers": {}, "isWebAuthnUsedAsSignInPasskey": true, "skippable": true, "suggestion": true,
        })),
        _ => None,
    }
}
