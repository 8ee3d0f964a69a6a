//! `POST /api/experience/submit`: write what the interaction staged and complete the
//! sign-in (or the password reset), in one transaction.

use super::{ensure_staged_identifiers_free, missing_profile, started, state_json, ExperienceError, ExperienceState, InteractionEvent};
use crate::audit;
use crate::oidc::{interaction, Provider};
use crate::users::{self, StagedChanges};

/// `Some(redirectTo)` after sign-in or registration; `None` after a password reset, which
/// ends the interaction's reset without signing in.
pub async fn submit(provider: &Provider, cookie: Option<&str>) -> Result<Option<String>, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user_id = state.user_id.clone().ok_or(ExperienceError::IdentifierNotFound)?;
    let user = users::find_by_id(&provider.store, &user_id).await?.ok_or(ExperienceError::IdentifierNotFound)?;
    if user.is_suspended {
        return Err(ExperienceError::Suspended);
    }
    if state.interaction_event == InteractionEvent::ForgotPassword {
        let password = state.profile.password.clone().ok_or(ExperienceError::NewPasswordRequired)?;
        let fresh = ExperienceState::new(InteractionEvent::ForgotPassword, false);
        let mut tx = provider.store.begin_write().await?;
        users::apply_staged(&mut tx, provider.clock.as_ref(), &user_id, &StagedChanges { password: Some(password.into()), ..StagedChanges::default() }).await?;
        interaction::save_experience_in(&mut tx, &interaction.uid, &state_json(&fresh)).await?;
        tx.commit().await?;
        let entry = audit::Entry { key: "Interaction.ForgotPassword.Submit", outcome: audit::Outcome::Success, user_id: Some(&user_id), application_id: Some(&interaction.params.client_id), payload: serde_json::json!({}) };
        audit::record(&provider.store, provider.clock.as_ref(), entry).await;
        return Ok(None);
    }
    let sie = provider.sign_in_experience().await?;
    let factors = crate::mfa::factors(&provider.store, &user_id).await?;
    let by_sso = state.by_enterprise_sso;
    if !by_sso {
        super::mfa::require_verification(provider, &sie, &state, &user_id, &factors).await?;
    }
    ensure_staged_identifiers_free(provider, &state.profile, Some(&user_id)).await?;
    let mut missing = if by_sso { Vec::new() } else { missing_profile(&sie, Some(&user), &state.profile) };
    // An account with an upstream identity needs no password (spec §3 "Mandatory profile").
    if missing.contains(&crate::sign_in_experience::RequiredProfile::Password) && crate::social::has_identity(provider, &user_id).await? {
        missing.retain(|m| *m != crate::sign_in_experience::RequiredProfile::Password);
    }
    if !missing.is_empty() {
        return Err(ExperienceError::MissingProfile(missing));
    }
    if !by_sso {
        super::mfa::check_before_submit(provider, &sie, &state, &user_id, &factors).await?;
    }
    let staged = std::mem::take(&mut state.profile);
    let changes = StagedChanges {
        username: staged.username,
        primary_email: staged.primary_email,
        primary_phone: staged.primary_phone,
        password: staged.password.map(Into::into),
        name: staged.name,
        avatar: staged.avatar,
        sign_in: true,
    };
    let mut tx = provider.store.begin_write().await?;
    users::apply_staged(&mut tx, provider.clock.as_ref(), &user_id, &changes).await?;
    if let Some(social) = &staged.social_identity {
        crate::social::link(&mut tx, provider.clock.as_ref(), &user_id, social).await?;
    }
    if let Some(sso) = &staged.sso_identity {
        crate::sso::sign_in::link(&mut tx, provider.clock.as_ref(), &user_id, sso).await?;
    }
    super::mfa::persist(provider, &sie, &mut tx, &state, &user_id).await?;
    interaction::complete_login(provider, &mut tx, &interaction.uid, &user_id, &state_json(&state)).await?;
    tx.commit().await?;
    let key = format!("Interaction.{:?}.Submit", state.interaction_event);
    let entry = audit::Entry { key: &key, outcome: audit::Outcome::Success, user_id: Some(&user_id), application_id: Some(&interaction.params.client_id), payload: serde_json::json!({}) };
    audit::record(&provider.store, provider.clock.as_ref(), entry).await;
    Ok(Some(format!("{}/oidc/auth/{}", provider.endpoint, interaction.uid)))
}
