//! WebAuthn inside the Experience API (spec §3 and §6): registering a passkey or security key
//! (as an MFA factor or for passkey sign-in), proving one as a second factor, and signing in
//! with a passkey as the first factor — by the authenticator naming the user (button and
//! autofill) or after an identifier. Ceremonies are started here and kept in the database
//! (`mfa::webauthn::ceremony`), owned by the interaction that started them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use webauthn_rs::prelude::{DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration};

use super::mfa::identified;
use super::{live_interaction, save, started, ExperienceError, Identifier, InteractionEvent, RecordKind, VerificationRecord};
use crate::mfa::webauthn::{self, ceremony, ceremony::Purpose, NewCredential, RelyingParty};
use crate::mfa::{MfaError, MfaFactor};
use crate::oidc::interaction::Interaction;
use crate::oidc::Provider;
use crate::sentinel::{self, Counter};
use crate::sign_in_experience::SentinelPolicy;
use crate::users;

/// A credential registered in this interaction, waiting for `POST /profile/mfa` or
/// `/profile/mfa/passkey` and then submit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewWebAuthn {
    pub verification_id: String,
    pub credential: NewCredential,
    pub agent: String,
}

// webauthn-rs keys have no equality; one registration is one verification id.
impl PartialEq for NewWebAuthn {
    fn eq(&self, other: &Self) -> bool {
        self.verification_id == other.verification_id
    }
}

fn owner(interaction: &Interaction) -> String {
    format!("interaction:{}", interaction.uid)
}

fn relying_party(provider: &Provider) -> Result<RelyingParty, ExperienceError> {
    Ok(RelyingParty::for_endpoint(&provider.endpoint)?)
}

/// `POST /verification/web-authn/registration`: options for a new credential of the
/// identified user. Allowed when WebAuthn is an MFA factor or passkey sign-in is on.
pub async fn start_registration(provider: &Provider, cookie: Option<&str>) -> Result<Value, ExperienceError> {
    let (interaction, state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let sie = provider.sign_in_experience().await?;
    if !sie.mfa.enables(MfaFactor::WebAuthn) && !sie.passkey_sign_in.enabled {
        return Err(ExperienceError::MfaFactorNotEnabled);
    }
    let rp = relying_party(provider)?;
    let user = users::find_by_id(&provider.store, &user_id).await?.ok_or(ExperienceError::IdentifierNotFound)?;
    let existing: Vec<_> = webauthn::credentials(&provider.store, &user_id).await?.into_iter().map(|c| c.passkey).collect();
    let (options, ceremony_state) = rp.start_registration(&user, &existing)?;
    let id = ceremony::begin(&provider.store, provider.clock.as_ref(), &owner(&interaction), Purpose::Registration, Some(&user_id), &ceremony_state).await?;
    Ok(json!({ "verificationId": id, "registrationOptions": options }))
}

/// `POST /verification/web-authn/registration/verify`: the authenticator's answer; the
/// credential is staged for binding (nothing is stored before submit).
pub async fn verify_registration(provider: &Provider, cookie: Option<&str>, verification_id: &str, payload: &Value, agent: &str) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let taken = ceremony::take::<PasskeyRegistration>(&provider.store, provider.clock.as_ref(), &owner(&interaction), Some(verification_id), &[Purpose::Registration]).await?;
    if taken.user_id.as_deref() != Some(user_id.as_str()) {
        return Err(MfaError::WebAuthnCeremonyNotFound.into());
    }
    let credential = relying_party(provider)?.finish_registration(payload, &taken.state)?;
    if webauthn::is_registered(&provider.store, &credential).await? {
        return Err(MfaError::WebAuthnAlreadyInUse.into());
    }
    // A new registration replaces the staged one, and any choice made about it.
    state.mfa.bind_web_authn = false;
    state.mfa.new_web_authn = Some(NewWebAuthn { verification_id: verification_id.to_owned(), credential, agent: agent.chars().take(512).collect() });
    save(provider, &interaction, &state).await?;
    Ok(verification_id.to_owned())
}

/// `POST /verification/web-authn/authentication`: options naming the identified user's
/// credentials, to verify MFA at sign-in.
pub async fn start_authentication(provider: &Provider, cookie: Option<&str>) -> Result<Value, ExperienceError> {
    let (interaction, state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    webauthn_enabled(&provider.sign_in_experience().await?)?;
    let (options, ceremony_state) = user_challenge(provider, &user_id).await?;
    let id = ceremony::begin(&provider.store, provider.clock.as_ref(), &owner(&interaction), Purpose::Authentication, Some(&user_id), &ceremony_state).await?;
    Ok(json!({ "verificationId": id, "authenticationOptions": options }))
}

/// WebAuthn answers only where it is an MFA factor or passkey sign-in is on.
fn webauthn_enabled(sie: &crate::sign_in_experience::SignInExperience) -> Result<(), ExperienceError> {
    if sie.mfa.enables(MfaFactor::WebAuthn) || sie.passkey_sign_in.enabled { Ok(()) } else { Err(ExperienceError::MfaFactorNotEnabled) }
}

/// Checks an assertion by one of `user_id`'s credentials under the user's WebAuthn lockout
/// (one counter for the second factor and for passkey sign-in after an identifier): a locked
/// user is refused before the answer is looked at, and a failed signature counts.
async fn authenticate_counted(provider: &Provider, policy: SentinelPolicy, user_id: &str, payload: &Value, ceremony_state: &PasskeyAuthentication) -> Result<(), ExperienceError> {
    let clock = provider.clock.as_ref();
    let target = format!("user:{user_id}");
    if sentinel::is_blocked(&provider.store, clock, policy, &target, Counter::WebAuthn).await? {
        return Err(ExperienceError::Blocked);
    }
    let rp = relying_party(provider)?;
    if let Err(err) = webauthn::authenticate_user(&provider.store, clock, &rp, user_id, payload, ceremony_state).await {
        if matches!(err, MfaError::InvalidWebAuthn) {
            if sentinel::record_failure(&provider.store, clock, policy, &target, Counter::WebAuthn).await? {
                return Err(ExperienceError::Blocked);
            }
        }
        return Err(err.into());
    }
    Ok(())
}

async fn user_challenge(provider: &Provider, user_id: &str) -> Result<(Value, PasskeyAuthentication), ExperienceError> {
    let rp = relying_party(provider)?;
    let credentials: Vec<_> = webauthn::credentials(&provider.store, user_id).await?.into_iter().map(|c| c.passkey).collect();
    if credentials.is_empty() {
        return Err(MfaError::NoWebAuthnCredentials.into());
    }
    Ok(rp.start_authentication(&credentials)?)
}

/// `POST /verification/web-authn/authentication/verify`: a bound credential answered, so
/// MFA is satisfied. Failures count against the WebAuthn lockout counter.
pub async fn verify_authentication(provider: &Provider, cookie: Option<&str>, verification_id: &str, payload: &Value) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user_id = identified(&state)?;
    let sie = provider.sign_in_experience().await?;
    webauthn_enabled(&sie)?;
    let taken = ceremony::take::<PasskeyAuthentication>(&provider.store, provider.clock.as_ref(), &owner(&interaction), Some(verification_id), &[Purpose::Authentication]).await?;
    // The interaction may have identified someone else since the challenge was made.
    if taken.user_id.as_deref() != Some(user_id.as_str()) {
        return Err(MfaError::WebAuthnCeremonyNotFound.into());
    }
    authenticate_counted(provider, sie.sentinel_policy, &user_id, payload, &taken.state).await?;
    state.mfa.verified = true;
    save(provider, &interaction, &state).await?;
    Ok(verification_id.to_owned())
}

/// `POST /preflight/sign-in-passkey/authentication`: options for a passkey sign-in where
/// the authenticator names the user. Needs only a live interaction (the sign-in page asks
/// for it as it loads, to offer passkeys in the identifier field's autofill).
pub async fn preflight_sign_in(provider: &Provider, cookie: Option<&str>) -> Result<Value, ExperienceError> {
    let interaction = live_interaction(provider, cookie).await?;
    passkey_sign_in_enabled(provider).await?;
    let (options, ceremony_state) = relying_party(provider)?.start_discoverable()?;
    let id = ceremony::begin(&provider.store, provider.clock.as_ref(), &owner(&interaction), Purpose::DiscoverableSignIn, None, &ceremony_state).await?;
    Ok(json!({ "verificationId": id, "authenticationOptions": options }))
}

/// `POST /verification/sign-in-passkey/authentication {identifier}`: options naming the
/// credentials of the account with this identifier. An unknown account, an account without
/// passkeys, and any account while passkey sign-in is off get one answer, Logto's 400
/// `session.mfa.webauthn_verification_not_found` (its `web-authn-verification.test.ts`):
/// telling them apart would say who has a passkey.
pub async fn start_sign_in(provider: &Provider, cookie: Option<&str>, identifier: &Identifier) -> Result<Value, ExperienceError> {
    let (interaction, _) = started(provider, cookie).await?;
    let cannot_answer = || ExperienceError::from(MfaError::WebAuthnCeremonyNotFound);
    if passkey_sign_in_enabled(provider).await.is_err() {
        return Err(cannot_answer());
    }
    let value = crate::identifiers::normalize(identifier.kind, &identifier.value)?;
    let user = super::find_by_identifier(provider, identifier.kind, &value).await?.ok_or_else(cannot_answer)?;
    let (options, ceremony_state) = match user_challenge(provider, &user.id).await {
        Err(ExperienceError::Mfa(MfaError::NoWebAuthnCredentials)) => return Err(cannot_answer()),
        challenge => challenge?,
    };
    let id = ceremony::begin(&provider.store, provider.clock.as_ref(), &owner(&interaction), Purpose::SignIn, Some(&user.id), &ceremony_state).await?;
    Ok(json!({ "verificationId": id, "authenticationOptions": options }))
}

/// `POST /verification/sign-in-passkey/authentication/verify {verificationId?, payload}`:
/// the passkey answered; a verified `SignInPasskey` record identifies its owner.
pub async fn verify_sign_in(provider: &Provider, cookie: Option<&str>, verification_id: Option<&str>, payload: &Value) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if state.interaction_event != InteractionEvent::SignIn {
        return Err(ExperienceError::InvalidInteractionType);
    }
    let purposes = [Purpose::DiscoverableSignIn, Purpose::SignIn];
    // Spec §3: answering with no live challenge is a 404, as for other verifications.
    let taken = match ceremony::take::<Value>(&provider.store, provider.clock.as_ref(), &owner(&interaction), verification_id, &purposes).await {
        Err(MfaError::WebAuthnCeremonyNotFound) => return Err(ExperienceError::VerificationNotFound),
        taken => taken?,
    };
    let user_id = match (taken.purpose, taken.user_id) {
        // After an identifier: the named account's credentials only, which an attacker who
        // knows the identifier could try repeatedly, hence the lockout counter.
        (Purpose::SignIn, Some(user_id)) => {
            let ceremony_state: PasskeyAuthentication = serde_json::from_value(taken.state).map_err(|_| MfaError::Corrupt)?;
            let policy = provider.sign_in_experience().await?.sentinel_policy;
            authenticate_counted(provider, policy, &user_id, payload, &ceremony_state).await?;
            user_id
        }
        _ => {
            let ceremony_state: DiscoverableAuthentication = serde_json::from_value(taken.state).map_err(|_| MfaError::Corrupt)?;
            webauthn::authenticate_discoverable(&provider.store, provider.clock.as_ref(), &relying_party(provider)?, payload, ceremony_state).await?
        }
    };
    let id = crate::ids::entity_id();
    state.put_record(VerificationRecord {
        id: id.clone(),
        kind: RecordKind::SignInPasskey,
        // A passkey names no identifier; the record carries its owner instead.
        identifier: Identifier { kind: super::IdentifierType::Username, value: String::new() },
        verified: true,
        user_id: Some(user_id),
        code_id: None,
        password: None,
        jit_organization_ids: Vec::new(),
        social: None,
        sso: None,
    });
    save(provider, &interaction, &state).await?;
    Ok(id)
}

async fn passkey_sign_in_enabled(provider: &Provider) -> Result<(), ExperienceError> {
    if provider.sign_in_experience().await?.passkey_sign_in.enabled { Ok(()) } else { Err(ExperienceError::SignInMethodNotEnabled) }
}

/// `POST /profile/mfa/passkey {verificationId}`: keep the credential registered in this
/// interaction as a passkey for signing in (stored at submit).
pub async fn bind_for_sign_in(provider: &Provider, cookie: Option<&str>, verification_id: &str) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    identified(&state)?;
    if !provider.sign_in_experience().await?.passkey_sign_in.enabled {
        return Err(ExperienceError::SignInMethodNotEnabled);
    }
    if state.mfa.new_web_authn.as_ref().is_none_or(|n| n.verification_id != verification_id) {
        return Err(ExperienceError::VerificationNotFound);
    }
    state.mfa.bind_web_authn = true;
    save(provider, &interaction, &state).await
}

/// `POST /profile/mfa/passkey-skipped`: not now (remembered at sign-in).
pub async fn skip_for_sign_in(provider: &Provider, cookie: Option<&str>) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    state.mfa.passkey_skipped = true;
    save(provider, &interaction, &state).await
}
