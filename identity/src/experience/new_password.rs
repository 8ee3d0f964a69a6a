//! `POST /api/experience/verification/new-password-identity`: a username and the password
//! chosen for it, checked against the policy, for registration.

use super::{check_password_policy, save, started, ExperienceError, Identifier, IdentifierType, RecordKind, StagedProfile, VerificationRecord};
use crate::oidc::Provider;
use crate::users::UserError;

pub async fn new_password_identity(provider: &Provider, cookie: Option<&str>, identifier: Identifier, password: &str) -> Result<String, ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if identifier.kind != IdentifierType::Username {
        return Err(ExperienceError::InvalidInput("a new password identity is a username".into()));
    }
    let username = crate::identifiers::username(&identifier.value)?;
    if super::find_by_username(provider, &username).await?.is_some() {
        return Err(UserError::UsernameAlreadyInUse.into());
    }
    let sie = provider.sign_in_experience().await?;
    let staged = StagedProfile { username: Some(username.clone()), ..state.profile.clone() };
    check_password_policy(provider, &sie, password, &super::user_info(None, &staged)).await?;
    let hash = provider.passwords.hash(password).await;
    let record = VerificationRecord {
        id: crate::ids::entity_id(),
        kind: RecordKind::NewPasswordIdentity,
        identifier: Identifier { kind: IdentifierType::Username, value: username },
        verified: true,
        user_id: None,
        code_id: None,
        password: Some(hash.into()),
        jit_organization_ids: Vec::new(),
        social: None,
        sso: None,
    };
    let id = record.id.clone();
    state.put_record(record);
    save(provider, &interaction, &state).await?;
    Ok(id)
}
