//! `POST /api/experience/verification/password`.

use super::{started, save, ExperienceError, Identifier, IdentifierType, VerificationRecord};
use crate::oidc::Provider;
use crate::users;

/// Checks the password of the account the identifier names. Unknown accounts and wrong
/// passwords fail the same way, in the same time (a dummy hash is verified), so the answer
/// does not reveal whether an account exists.
pub async fn verify_password(provider: &Provider, cookie: Option<&str>, identifier: Identifier, password: &str) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let user = match identifier.kind {
        IdentifierType::Username => users::find_by_username(&provider.store, &identifier.value).await?,
        IdentifierType::Email => users::find_by_email(&provider.store, &identifier.value).await?,
        IdentifierType::Phone => None,
    };
    let verified = provider.passwords.verify(password, user.as_ref().and_then(|u| u.password.as_ref())).await;
    let user = match user {
        Some(user) if verified => user,
        _ => return Err(ExperienceError::InvalidCredentials),
    };
    if user.is_suspended {
        return Err(ExperienceError::Suspended);
    }
    let record = VerificationRecord {
        id: crate::ids::entity_id(),
        kind: "Password".to_owned(),
        identifier,
        verified: true,
        user_id: Some(user.id.clone()),
    };
    let id = record.id.clone();
    state.put_record(record);
    save(provider, &interaction, &state).await?;
    Ok(id)
}
