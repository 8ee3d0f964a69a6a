//! `POST /api/experience/identification`: who is signing in, or the new account.

use super::{
    ensure_staged_identifiers_free, missing_profile, started, state_json, ExperienceError, ExperienceState, Identifier, IdentifierType, InteractionEvent, RecordKind,
    StagedProfile, VerificationRecord,
};
use crate::oidc::{interaction, Provider};
use crate::sign_in_experience::SignInExperience;
use crate::users::{self, NewUser, UserError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identified {
    /// An existing user (204).
    Existing,
    /// A new user was registered (201).
    Registered,
}

pub async fn identify(provider: &Provider, cookie: Option<&str>, verification_id: Option<&str>) -> Result<Identified, ExperienceError> {
    identify_linking(provider, cookie, verification_id, false).await
}

/// `linkSocialIdentity: true`: a social identity nobody has identifies the account that has
/// its verified phone or email, and is linked to it at submit.
pub async fn identify_linking(provider: &Provider, cookie: Option<&str>, verification_id: Option<&str>, link_social_identity: bool) -> Result<Identified, ExperienceError> {
    let (interaction, state) = started(provider, cookie).await?;
    let sie = provider.sign_in_experience().await?;
    match state.interaction_event {
        InteractionEvent::Register => register(provider, &sie, &interaction, state, verification_id).await,
        event => {
            let verification_id = verification_id.ok_or_else(|| ExperienceError::InvalidInput("verificationId is required".into()))?;
            let record = state.record(verification_id)?.clone();
            identify_existing(provider, &sie, &interaction, state, event, &record, link_social_identity).await
        }
    }
}

/// The account that has the upstream's verified phone (checked first) or email.
async fn related_user(provider: &Provider, social: &crate::social::SocialUser) -> Result<Option<(Identifier, users::User)>, ExperienceError> {
    if let Some(phone) = &social.phone {
        if let Some(user) = users::find_by_phone(&provider.store, phone).await? {
            let value = user.primary_phone.clone().unwrap_or_default();
            return Ok(Some((Identifier { kind: IdentifierType::Phone, value }, user)));
        }
    }
    if let Some(email) = &social.email {
        if let Some(user) = users::find_by_email(&provider.store, email).await? {
            let value = user.primary_email.clone().unwrap_or_default();
            return Ok(Some((Identifier { kind: IdentifierType::Email, value }, user)));
        }
    }
    Ok(None)
}

/// Who a verified social record signs in: the identity's account (its details refreshed at
/// submit, name and picture too when the connector syncs them), or with
/// `link_social_identity` the related account, which gets the identity at submit.
async fn social_sign_in(provider: &Provider, state: &mut ExperienceState, social: &crate::social::SocialUser, link_social_identity: bool) -> Result<Option<users::User>, ExperienceError> {
    let user = match crate::social::user_with_identity(provider, &social.target, &social.id).await? {
        Some(id) => users::find_by_id(&provider.store, &id).await?,
        None => match related_user(provider, social).await? {
            Some((_, user)) if link_social_identity => Some(user),
            related => return Err(ExperienceError::SocialIdentityNotExist { related: related.map(|(identifier, _)| identifier) }),
        },
    };
    if crate::social::find_by_target(provider, &social.target).await?.is_some_and(|c| c.sync_profile) {
        state.profile.name = social.name.clone();
        state.profile.avatar = social.avatar.clone();
    }
    state.profile.social_identity = Some(social.clone());
    Ok(user)
}

/// Who a verified SSO record signs in: the identity's account, else the account with the
/// provider's verified email (the identity is linked at submit); name and picture follow
/// the provider when the connector syncs the profile.
async fn sso_sign_in(provider: &Provider, state: &mut ExperienceState, sso: &crate::sso::SsoUser) -> Result<Option<users::User>, ExperienceError> {
    let user = match crate::sso::sign_in::user_with_identity(provider, &sso.issuer, &sso.id).await? {
        Some(id) => users::find_by_id(&provider.store, &id).await?,
        None => match &sso.email {
            Some(email) => users::find_by_email(&provider.store, email).await?,
            None => None,
        },
    };
    let user = user.ok_or(ExperienceError::SsoIdentityNotExist)?;
    if crate::sso::get(provider, &sso.connector_id).await?.sync_profile {
        state.profile.name = sso.name.clone();
        state.profile.avatar = sso.avatar.clone();
    }
    state.profile.sso_identity = Some(sso.clone());
    state.by_enterprise_sso = true;
    Ok(Some(user))
}

/// The email address a record proves or names (a social upstream's too).
fn email_of(record: &VerificationRecord) -> Option<String> {
    match record.kind {
        RecordKind::Password | RecordKind::EmailVerificationCode if record.identifier.kind == IdentifierType::Email => Some(record.identifier.value.clone()),
        RecordKind::Social => record.social.as_ref().and_then(|s| s.user.as_ref()).and_then(|u| u.email.clone()),
        _ => None,
    }
}

/// Sign-in and password reset: the record must prove an existing, active account.
async fn identify_existing(
    provider: &Provider,
    sie: &SignInExperience,
    interaction: &interaction::Interaction,
    mut state: ExperienceState,
    event: InteractionEvent,
    record: &VerificationRecord,
    link_social_identity: bool,
) -> Result<Identified, ExperienceError> {
    if !record.verified || record.kind == RecordKind::NewPasswordIdentity {
        return Err(ExperienceError::VerificationFailed);
    }
    let kind = record.identifier.kind;
    match event {
        InteractionEvent::SignIn => {
            if !sie.sign_in_mode.allows_sign_in() {
                return Err(ExperienceError::Forbidden);
            }
            let enabled = match record.kind {
                RecordKind::SignInPasskey => sie.passkey_sign_in.enabled,
                // A magic link signs in whatever the sign-in methods.
                RecordKind::OneTimeToken => true,
                // So does a social connector the operator configured.
                RecordKind::Social => true,
                RecordKind::EnterpriseSso => sie.single_sign_on_enabled,
                code if code.is_code() => sie.allows_code_sign_in(kind),
                _ => sie.allows_password_sign_in(kind),
            };
            if !enabled {
                return Err(ExperienceError::SignInMethodNotEnabled);
            }
            super::sso::ensure_not_sso_domain(provider, email_of(record).as_deref()).await?;
        }
        _ => {
            // A password-reset link (a one-time token) proves the address as a code would.
            let proven = record.kind == RecordKind::OneTimeToken || (record.kind.is_code() && sie.allows_password_reset_by(kind));
            if !proven {
                return Err(ExperienceError::NotSupportedForForgotPassword { unprocessable: true });
            }
        }
    }
    let sso_user = record.sso.as_ref().and_then(|s| s.user.as_ref());
    let user = match (&record.user_id, record.social.as_ref().and_then(|s| s.user.as_ref()), sso_user) {
        (Some(id), _, _) => users::find_by_id(&provider.store, id).await?,
        (None, Some(social), _) => social_sign_in(provider, &mut state, social, link_social_identity).await?,
        (None, None, Some(sso)) => sso_sign_in(provider, &mut state, sso).await?,
        (None, None, None) => super::find_by_identifier(provider, kind, &record.identifier.value).await?,
    };
    let user = user.ok_or_else(|| ExperienceError::UserNotExist(record.identifier.clone()))?;
    if user.is_suspended {
        return Err(ExperienceError::Suspended);
    }
    if state.user_id.as_ref().is_some_and(|id| *id != user.id) {
        return Err(ExperienceError::IdentityConflict);
    }
    if !record.jit_organization_ids.is_empty() {
        let mut tx = provider.store.begin_write().await?;
        crate::organizations::jit::join(&mut tx, provider.clock.as_ref(), &user.id, &record.jit_organization_ids).await?;
        tx.commit().await?;
    }
    state.user_id = Some(user.id);
    super::save(provider, interaction, &state).await?;
    Ok(Identified::Existing)
}

/// Registration (spec §3 "Identification (Register)"): stage what the record proves, then
/// the gates, then create the user and identify the interaction in one transaction.
async fn register(
    provider: &Provider,
    sie: &SignInExperience,
    interaction: &interaction::Interaction,
    mut state: ExperienceState,
    verification_id: Option<&str>,
) -> Result<Identified, ExperienceError> {
    if state.user_id.is_some() {
        return Ok(Identified::Existing);
    }
    if let Some(id) = verification_id {
        let record = state.record(id)?.clone();
        if !record.verified || matches!(record.kind, RecordKind::Password | RecordKind::SignInPasskey) {
            return Err(ExperienceError::VerificationFailed);
        }
        if record.kind != RecordKind::EnterpriseSso {
            super::sso::ensure_not_sso_domain(provider, email_of(&record).as_deref()).await?;
        }
        stage(provider, &mut state.profile, &record).await?;
        // Staged data stays even when a later gate fails (the client fixes and retries).
        super::save(provider, interaction, &state).await?;
    }
    // A magic link is an invitation: it registers the address it was sent to even when
    // registration is closed, into its organizations — also when the profile step came
    // between the link and this call.
    let magic_link = state
        .verification_records
        .iter()
        .find(|r| r.kind == RecordKind::OneTimeToken && r.verified && state.profile.primary_email.as_deref() == Some(r.identifier.value.as_str()));
    let invited = magic_link.is_some();
    let invited_to = magic_link.map(|r| r.jit_organization_ids.clone()).unwrap_or_default();
    if !sie.sign_in_mode.allows_registration() && !invited {
        return Err(ExperienceError::Forbidden);
    }
    if sie.registration_needs_agreement() && !state.terms_agreed {
        return Err(ExperienceError::TermsNotAgreed);
    }
    // The organization's identity provider vouches for the person: no mandatory profile.
    state.by_enterprise_sso = state.profile.sso_identity.is_some();
    let missing = if state.by_enterprise_sso { Vec::new() } else { missing_profile(sie, None, &state.profile) };
    if !missing.is_empty() {
        return Err(ExperienceError::MissingProfile(missing));
    }
    ensure_staged_identifiers_free(provider, &state.profile, None).await?;
    let staged = std::mem::take(&mut state.profile);
    let mut tx = provider.store.begin_write().await?;
    let user = users::register(
        &mut tx,
        provider.clock.as_ref(),
        NewUser {
            username: staged.username,
            primary_email: staged.primary_email,
            primary_phone: staged.primary_phone,
            password: staged.password.map(Into::into),
            name: staged.social_identity.as_ref().and_then(|s| s.name.clone()).or_else(|| staged.sso_identity.as_ref().and_then(|s| s.name.clone())),
            avatar: staged.social_identity.as_ref().and_then(|s| s.avatar.clone()).or_else(|| staged.sso_identity.as_ref().and_then(|s| s.avatar.clone())),
            ..NewUser::default()
        },
    )
    .await?;
    if let Some(social) = &staged.social_identity {
        crate::social::link(&mut tx, provider.clock.as_ref(), &user.id, social).await?;
    }
    if let Some(sso) = &staged.sso_identity {
        crate::sso::sign_in::link(&mut tx, provider.clock.as_ref(), &user.id, sso).await?;
    }
    // Registered with a verified address: join the organizations that provision its domain.
    if let Some(email) = &user.primary_email {
        crate::organizations::jit::provision(&mut tx, provider.clock.as_ref(), &user.id, email).await?;
    }
    crate::organizations::jit::join(&mut tx, provider.clock.as_ref(), &user.id, &invited_to).await?;
    state.user_id = Some(user.id);
    interaction::save_experience_in(&mut tx, &interaction.uid, &state_json(&state)).await?;
    tx.commit().await?;
    Ok(Identified::Registered)
}

/// Copies what a verified record proves into the staged profile, if no account has it.
async fn stage(provider: &Provider, profile: &mut StagedProfile, record: &VerificationRecord) -> Result<(), ExperienceError> {
    let value = record.identifier.value.clone();
    match record.kind {
        RecordKind::Social => {
            let social = record.social.as_ref().and_then(|s| s.user.clone()).ok_or(ExperienceError::VerificationFailed)?;
            if crate::social::user_with_identity(provider, &social.target, &social.id).await?.is_some() {
                return Err(UserError::IdentityAlreadyInUse.into());
            }
            // The upstream's verified address and phone come along only if nobody has them.
            if let Some(email) = &social.email {
                if users::find_by_email(&provider.store, email).await?.is_none() {
                    profile.primary_email = Some(email.to_lowercase());
                }
            }
            if let Some(phone) = &social.phone {
                if users::find_by_phone(&provider.store, phone).await?.is_none() {
                    profile.primary_phone = Some(phone.clone());
                }
            }
            profile.social_identity = Some(social);
        }
        RecordKind::EnterpriseSso => {
            let sso = record.sso.as_ref().and_then(|s| s.user.clone()).ok_or(ExperienceError::VerificationFailed)?;
            if crate::sso::sign_in::user_with_identity(provider, &sso.issuer, &sso.id).await?.is_some() {
                return Err(UserError::IdentityAlreadyInUse.into());
            }
            if let Some(email) = &sso.email {
                if users::find_by_email(&provider.store, email).await?.is_none() {
                    profile.primary_email = Some(email.clone());
                }
            }
            profile.sso_identity = Some(sso);
        }
        RecordKind::EmailVerificationCode | RecordKind::OneTimeToken => {
            if users::find_by_email(&provider.store, &value).await?.is_some() {
                return Err(UserError::EmailAlreadyInUse.into());
            }
            profile.primary_email = Some(value);
        }
        RecordKind::PhoneVerificationCode => {
            if users::find_by_phone(&provider.store, &value).await?.is_some() {
                return Err(UserError::PhoneAlreadyInUse.into());
            }
            profile.primary_phone = Some(value);
        }
        RecordKind::NewPasswordIdentity => {
            if super::find_by_username(provider, &value).await?.is_some() {
                return Err(UserError::UsernameAlreadyInUse.into());
            }
            profile.username = Some(value);
            profile.password = record.password.clone();
        }
        RecordKind::Password | RecordKind::SignInPasskey => return Err(ExperienceError::VerificationFailed),
    }
    Ok(())
}
