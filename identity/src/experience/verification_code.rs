//! `POST /api/experience/verification/verification-code` (send) and `…/verify`.

use super::{save, started, ExperienceError, Identifier, IdentifierType, InteractionEvent, RecordKind, VerificationRecord};
use crate::audit;
use crate::connectors::Usage;
use crate::identifiers;
use crate::oidc::Provider;
use crate::sentinel::{self, Counter};
use crate::users;
use crate::verification_codes::{self, CodeError, CodeRequest, Recipient};

/// Sends a code to an email address or phone number. The answer is the same whether or not
/// an account uses it; codes that would only confirm an account's existence (password reset
/// or sign-in while registration is closed, for unknown recipients) are recorded, not sent.
pub async fn send_code(provider: &Provider, cookie: Option<&str>, identifier: Identifier, event: InteractionEvent, locale: Option<&str>) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let kind = RecordKind::for_code(identifier.kind).ok_or_else(|| ExperienceError::InvalidInput("codes go to an email or a phone".into()))?;
    let value = identifiers::normalize(identifier.kind, &identifier.value)?;
    let sie = provider.sign_in_experience().await?;
    let exists = || async { users::find_by_identifier(&provider.store, identifier.kind, &value).await.map(|u| u.is_some()) };
    let deliver = match event {
        InteractionEvent::Register => true,
        InteractionEvent::SignIn => sie.sign_in_mode.allows_registration() || exists().await?,
        InteractionEvent::ForgotPassword => exists().await?,
    };
    let usage = match event {
        InteractionEvent::SignIn => Usage::SignIn,
        InteractionEvent::Register => Usage::Register,
        InteractionEvent::ForgotPassword => Usage::ForgotPassword,
    };
    let locale = interaction.params.ui_locales.as_deref().or(locale).unwrap_or(&sie.language_info.fallback_language).to_owned();
    let recipient = Recipient { kind: identifier.kind, address: value.clone() };
    let code_id = verification_codes::send(
        &provider.store,
        provider.clock.as_ref(),
        sie.verification_code_policy,
        CodeRequest { recipient: &recipient, usage, locale: &locale, interaction_uid: Some(&interaction.uid), deliver, dev_outbox: provider.dev_outbox },
    )
    .await?;
    let record = VerificationRecord {
        id: crate::ids::entity_id(),
        kind,
        identifier: Identifier { kind: identifier.kind, value },
        verified: false,
        user_id: None,
        code_id: Some(code_id),
        password: None,
        jit_organization_ids: Vec::new(),
        social: None,
        sso: None,
    };
    let id = record.id.clone();
    state.put_record(record);
    // The hosted pages' profile step sets this again after sending.
    state.profile_code_pending = false;
    save(provider, &interaction, &state).await?;
    Ok(id)
}

/// Checks the code of a record; wrong codes count towards the identifier's lockout.
pub async fn verify_code(provider: &Provider, cookie: Option<&str>, identifier: Identifier, verification_id: &str, code: &str) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let record = state.record(verification_id)?.clone();
    if Some(record.kind) != RecordKind::for_code(identifier.kind) {
        return Err(ExperienceError::VerificationNotFound);
    }
    let value = identifiers::normalize(identifier.kind, &identifier.value).unwrap_or_default();
    let same = match identifier.kind {
        IdentifierType::Email => value.eq_ignore_ascii_case(&record.identifier.value),
        _ => value == record.identifier.value,
    };
    if !same {
        return Err(if identifier.kind == IdentifierType::Email { ExperienceError::EmailMismatch } else { ExperienceError::PhoneMismatch });
    }
    let sie = provider.sign_in_experience().await?;
    let target = record.identifier.sentinel_target();
    if sentinel::is_blocked(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await? {
        return Err(ExperienceError::Blocked);
    }
    let code_id = record.code_id.clone().ok_or(ExperienceError::Code(CodeError::NotFound))?;
    let recipient = Recipient { kind: identifier.kind, address: record.identifier.value.clone() };
    if let Err(err) = verification_codes::verify(&provider.store, provider.clock.as_ref(), sie.verification_code_policy, &code_id, &recipient, code).await {
        if matches!(err, CodeError::Mismatch) {
            let locked = sentinel::record_failure(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await?;
            let record_type = if identifier.kind == IdentifierType::Email { "EmailVerificationCode" } else { "PhoneVerificationCode" };
            let key = format!("Interaction.{:?}.Verification.{record_type}.Submit", state.interaction_event);
            let entry = audit::Entry {
                key: &key,
                outcome: audit::Outcome::Error,
                user_id: None,
                application_id: Some(&interaction.params.client_id),
                payload: serde_json::json!({ "identifierType": identifier.kind, "error": "verification_code.code_mismatch" }),
            };
            audit::record(&provider.store, provider.clock.as_ref(), entry).await;
            if locked {
                return Err(ExperienceError::Blocked);
            }
        }
        return Err(err.into());
    }
    let user = users::find_by_identifier(&provider.store, identifier.kind, &record.identifier.value).await?;
    if let Some(r) = state.verification_records.iter_mut().find(|r| r.id == verification_id) {
        r.verified = true;
        r.user_id = user.map(|u| u.id);
    }
    save(provider, &interaction, &state).await?;
    Ok(verification_id.to_owned())
}
