//! `POST /api/experience/verification/one-time-token/verify` (spec §8): a magic link's token
//! proves its email address. Signing in with it needs no sign-in method; registering with it
//! works even when registration is closed (invite-only sign-up); either way the person joins
//! the organizations the token names (`context.jitOrganizationIds`).

use super::{save, started, ExperienceError, Identifier, IdentifierType, RecordKind, VerificationRecord};
use crate::identifiers;
use crate::oidc::Provider;
use crate::one_time_tokens;

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
    };
    let id = record.id.clone();
    state.put_record(record);
    save(provider, &interaction, &state).await?;
    Ok(id)
}
