//! `POST /api/experience/verification/one-time-token/verify` (spec §8): a magic link's token
//! proves its email address. Signing in with it needs no sign-in method; registering with it
//! works even when registration is closed (invite-only sign-up); either way the person joins
//! the organizations the token names (`context.jitOrganizationIds`).
//!
//! Also Vestibule's "Email me a sign-in link" (`magicLinkSignIn`): the hosted sign-in page
//! sends a one-time token for this interaction instead of a code.

use super::{save, started, ExperienceError, Identifier, IdentifierType, RecordKind, VerificationRecord};
use crate::identifiers;
use crate::oidc::Provider;
use crate::one_time_tokens;
use crate::verification_codes::{email_key, recent_sends, record_send, CodeError, SENDS_PER_WINDOW};

/// How long an emailed sign-in link works.
pub const SIGN_IN_LINK_LIFETIME_S: i64 = 600;

/// Emails a sign-in link for this interaction to `email` — when an account has that address,
/// or registration is open (the link then creates it). Otherwise nothing is sent and the
/// answer is the same, so the page tells nobody which addresses have accounts.
pub async fn send_sign_in_link(provider: &Provider, cookie: Option<&str>, email: &str, locale: &str) -> Result<String, ExperienceError> {
    started(provider, cookie).await?;
    let sie = provider.sign_in_experience().await?;
    if !sie.offers_sign_in_link() {
        return Err(ExperienceError::SignInMethodNotEnabled);
    }
    let email = identifiers::normalize(IdentifierType::Email, email)?.to_lowercase();
    let (store, clock) = (&provider.store, provider.clock.as_ref());
    let now = clock.now_ms();
    if recent_sends(store, &email_key(&email), now).await? >= SENDS_PER_WINDOW {
        return Err(CodeError::RateLimited.into());
    }
    let known = super::find_by_identifier(provider, IdentifierType::Email, &email).await?.is_some();
    if !known && !sie.sign_in_mode.allows_registration() {
        record_send(store, &email_key(&email), now).await?;
        return Ok(email);
    }
    let token = one_time_tokens::create(store, clock, &email, serde_json::Map::new(), Some(SIGN_IN_LINK_LIFETIME_S)).await?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("one_time_token", token.token.as_deref().unwrap_or_default())
        .append_pair("login_hint", &email)
        .finish();
    let template = crate::connectors::templates::sign_in_link(locale, &format!("{}/one-time-token?{query}", provider.endpoint), (SIGN_IN_LINK_LIFETIME_S / 60) as u32);
    let message = crate::connectors::Message { to: email.clone(), subject: template.subject, text: template.text };
    if let Err(err) = crate::connectors::deliver(store, crate::connectors::ConnectorKind::Email, &message, provider.dev_outbox).await {
        one_time_tokens::delete(store, &token.id).await.ok();
        return Err(CodeError::from(err).into());
    }
    record_send(store, &email_key(&email), now).await?;
    Ok(email)
}

pub async fn verify(provider: &Provider, cookie: Option<&str>, identifier: Identifier, token: &str) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if identifier.kind != IdentifierType::Email {
        return Err(ExperienceError::InvalidInput("one-time tokens are for email addresses".into()));
    }
    let email = identifiers::normalize(identifier.kind, &identifier.value)?;
    let clock = provider.clock.as_ref();
    // A token for another kind of interaction is refused before it is used.
    let found = one_time_tokens::check(&provider.store, clock, token, &email).await?;
    if let Some(event) = found.context.get("interactionEvent").and_then(|e| e.as_str()) {
        let current = match state.interaction_event {
            super::InteractionEvent::SignIn => "SignIn",
            super::InteractionEvent::Register => "Register",
            super::InteractionEvent::ForgotPassword => "ForgotPassword",
        };
        if event != current {
            return Err(ExperienceError::InteractionEventMismatch);
        }
    }
    let used = one_time_tokens::verify(&provider.store, clock, token, &email).await?;
    let jit_organization_ids = used.context.get("jitOrganizationIds").and_then(|ids| ids.as_array()).map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    let record = VerificationRecord {
        id: crate::ids::entity_id(),
        kind: RecordKind::OneTimeToken,
        identifier: Identifier { kind: IdentifierType::Email, value: email },
        verified: true,
        user_id: None,
        code_id: None,
        password: None,
        jit_organization_ids,
        social: None,
        sso: None,
    };
    let id = record.id.clone();
    state.put_record(record);
    save(provider, &interaction, &state).await?;
    Ok(id)
}
