//! `POST /api/experience/profile` and `PUT /api/experience/profile/password`: fill in what
//! the profile lacks, or choose a new password during a reset. Nothing is written to the
//! user before submit.

use super::{check_password_policy, save, started, user_info, ExperienceError, InteractionEvent, RecordKind, StagedProfile};
use crate::oidc::Provider;
use crate::users::{self, User, UserError};

#[derive(Debug, Clone)]
pub enum ProfileInput {
    Username(String),
    Password(String),
    Email { verification_id: String },
    Phone { verification_id: String },
    /// An upstream identity for the identified account (spec §5).
    Social { verification_id: String },
}

pub async fn add_profile(provider: &Provider, cookie: Option<&str>, input: ProfileInput) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if state.interaction_event == InteractionEvent::ForgotPassword {
        return Err(ExperienceError::NotSupportedForForgotPassword { unprocessable: false });
    }
    if let ProfileInput::Social { verification_id } = &input {
        return stage_social_identity(provider, &interaction, state, verification_id).await;
    }
    // Signing in, the profile belongs to someone: identified first, and past their MFA.
    // (Registration fills the profile before the account exists.)
    if state.interaction_event == InteractionEvent::SignIn {
        let user_id = state.user_id.clone().ok_or(ExperienceError::IdentifierNotFound)?;
        super::mfa::require_verified_for(provider, &state, &user_id).await?;
    }
    let user: Option<User> = match &state.user_id {
        Some(id) => users::find_by_id(&provider.store, id).await?,
        None => None,
    };
    let has = |field: fn(&User) -> bool| user.as_ref().is_some_and(field);
    match input {
        ProfileInput::Username(value) => {
            let username = crate::identifiers::username(&value)?;
            if has(|u| u.username.is_some()) {
                return Err(ExperienceError::ExistsInProfile("username"));
            }
            if super::find_by_username(provider, &username).await?.is_some() {
                return Err(UserError::UsernameAlreadyInUse.into());
            }
            state.profile.username = Some(username);
        }
        ProfileInput::Password(password) => {
            if has(|u| u.password.is_some()) {
                return Err(ExperienceError::ExistsInProfile("password"));
            }
            let sie = provider.sign_in_experience().await?;
            check_password_policy(provider, &sie, &password, &user_info(user.as_ref(), &state.profile)).await?;
            state.profile.password = Some(provider.passwords.hash(&password).await.into());
        }
        ProfileInput::Social { .. } => unreachable!("staged above"),
        ProfileInput::Email { verification_id } | ProfileInput::Phone { verification_id } => {
            let record = state.record(&verification_id)?.clone();
            if !record.verified || !record.kind.is_code() {
                return Err(ExperienceError::VerificationNotFound);
            }
            let value = record.identifier.value;
            if record.kind == RecordKind::EmailVerificationCode {
                if has(|u| u.primary_email.is_some()) {
                    return Err(ExperienceError::ExistsInProfile("email"));
                }
                if users::find_by_email(&provider.store, &value).await?.is_some() {
                    return Err(UserError::EmailAlreadyInUse.into());
                }
                state.profile.primary_email = Some(value);
            } else {
                if has(|u| u.primary_phone.is_some()) {
                    return Err(ExperienceError::ExistsInProfile("phone"));
                }
                if users::find_by_phone(&provider.store, &value).await?.is_some() {
                    return Err(UserError::PhoneAlreadyInUse.into());
                }
                state.profile.primary_phone = Some(value);
            }
        }
    }
    state.profile_code_pending = false;
    save(provider, &interaction, &state).await
}

/// The new password of a password reset, checked against the policy and the old password.
/// `{type: "social", verificationId}`: links at submit the upstream identity a verified social
/// record proves to the identified account (which needs no MFA for this: the link is only
/// written once the sign-in, MFA included, completes).
async fn stage_social_identity(provider: &Provider, interaction: &crate::oidc::interaction::Interaction, mut state: super::ExperienceState, verification_id: &str) -> Result<(), ExperienceError> {
    state.user_id.as_ref().ok_or(ExperienceError::IdentifierNotFound)?;
    let record = state.record(verification_id)?;
    let social = match (&record.kind, record.verified, record.social.as_ref().and_then(|s| s.user.clone())) {
        (RecordKind::Social, true, Some(social)) => social,
        _ => return Err(ExperienceError::VerificationNotFound),
    };
    if crate::social::user_with_identity(provider, &social.target, &social.id).await?.is_some_and(|owner| Some(&owner) != state.user_id.as_ref()) {
        return Err(UserError::IdentityAlreadyInUse.into());
    }
    state.profile.social_identity = Some(social);
    save(provider, interaction, &state).await
}

pub async fn reset_password(provider: &Provider, cookie: Option<&str>, password: &str) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if state.interaction_event != InteractionEvent::ForgotPassword {
        return Err(ExperienceError::InvalidInteractionType);
    }
    let user_id = state.user_id.clone().ok_or(ExperienceError::IdentifierNotFound)?;
    let user = users::find_by_id(&provider.store, &user_id).await?.ok_or(ExperienceError::IdentifierNotFound)?;
    let sie = provider.sign_in_experience().await?;
    check_password_policy(provider, &sie, password, &user_info(Some(&user), &StagedProfile::default())).await?;
    if user.password.is_some() && provider.passwords.verify(password, user.password.as_ref()).await {
        return Err(ExperienceError::SamePassword);
    }
    state.profile.password = Some(provider.passwords.hash(password).await.into());
    save(provider, &interaction, &state).await
}
