//! `POST /api/experience/verification/password`.

use super::{save, started, ExperienceError, Identifier, IdentifierType, RecordKind, VerificationRecord};
use crate::audit;
use crate::identifiers;
use crate::oidc::Provider;
use crate::sentinel::{self, Counter};
use crate::users;

/// Checks the password of the account the identifier names. Unknown accounts and wrong
/// passwords fail the same way, in the same time (a dummy hash is verified), so the answer
/// does not reveal whether an account exists. Failures count towards the identifier's lockout.
pub async fn verify_password(provider: &Provider, cookie: Option<&str>, identifier: Identifier, password: &str) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let sie = provider.sign_in_experience().await?;
    // A value that cannot be an identifier of its type names nobody.
    let value = identifiers::normalize(identifier.kind, &identifier.value).unwrap_or(identifier.value);
    let identifier = Identifier { kind: identifier.kind, value };
    let target = identifier.sentinel_target();
    if sentinel::is_blocked(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await? {
        return Err(ExperienceError::Blocked);
    }
    let user = match identifier.kind {
        IdentifierType::Username => super::find_by_username_under(provider, &sie, &identifier.value).await?,
        IdentifierType::Email => users::find_by_email(&provider.store, &identifier.value).await?,
        IdentifierType::Phone => users::find_by_phone(&provider.store, &identifier.value).await?,
    };
    let verified = provider.passwords.verify(password, user.as_ref().and_then(|u| u.password.as_ref())).await;
    let user = match user {
        Some(user) if verified => user,
        other => {
            let locked = sentinel::record_failure(&provider.store, provider.clock.as_ref(), sie.sentinel_policy, &target, Counter::Credentials).await?;
            let entry = audit::Entry {
                key: "Interaction.SignIn.Verification.Password.Submit",
                outcome: audit::Outcome::Error,
                user_id: other.as_ref().map(|u| u.id.as_str()),
                application_id: Some(&interaction.params.client_id),
                payload: serde_json::json!({ "identifierType": identifier.kind, "error": "session.invalid_credentials" }),
            };
            audit::record(&provider.store, provider.clock.as_ref(), entry).await;
            return Err(if locked { ExperienceError::Blocked } else { ExperienceError::InvalidCredentials });
        }
    };
    if user.is_suspended {
        return Err(ExperienceError::Suspended);
    }
    // An imported digest (MD5, bcrypt, …) becomes Argon2id now that the password is known.
    if user.password.as_ref().is_some_and(|p| p.needs_rehash()) {
        let rehashed = provider.passwords.hash(password).await;
        crate::users::set_password(&provider.store, provider.clock.as_ref(), &user.id, rehashed).await?;
    }
    let record = VerificationRecord {
        id: crate::ids::entity_id(),
        kind: RecordKind::Password,
        identifier,
        verified: true,
        user_id: Some(user.id.clone()),
        code_id: None,
        password: None,
        jit_organization_ids: Vec::new(),
        social: None,
        sso: None,
    };
    let id = record.id.clone();
    state.put_record(record);
    save(provider, &interaction, &state).await?;
    Ok(id)
}
