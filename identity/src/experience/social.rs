//! `POST /api/experience/verification/social/:connectorId/authorization-uri` and `/verify`
//! (spec §5): the page asks where to send the person (our `state` and the page's callback
//! address ride along, with a nonce and a PKCE verifier kept in the record), then hands back
//! what the upstream answered; the record is verified with who the upstream says it is.
//! Identification then signs that identity's account in, or registers a new one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{save, started, ExperienceError, Identifier, IdentifierType, RecordKind, VerificationRecord};
use crate::oidc::Provider;
use crate::social::{self, SocialError, SocialUser};

/// The social part of a verification record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialVerification {
    pub connector_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Once verified: who the upstream says signed in.
    #[serde(default)]
    pub user: Option<SocialUser>,
}

/// Answers `(authorizationUri, verificationId)`.
pub async fn authorization_uri(provider: &Provider, cookie: Option<&str>, connector_id: &str, state: &str, redirect_uri: &str) -> Result<(String, String), ExperienceError> {
    let (interaction, mut session) = started(provider, cookie).await?;
    if state.trim().is_empty() || url::Url::parse(redirect_uri).is_err() {
        return Err(ExperienceError::InvalidInput("state and redirectUri (a URL) are required".into()));
    }
    let connector = social::get(provider, connector_id).await?;
    let started = social::oidc::start(&connector, redirect_uri, state).await?;
    let record = VerificationRecord {
        id: crate::ids::entity_id(),
        kind: RecordKind::Social,
        identifier: Identifier { kind: IdentifierType::Username, value: String::new() },
        verified: false,
        user_id: None,
        code_id: None,
        password: None,
        jit_organization_ids: Vec::new(),
        social: Some(SocialVerification {
            connector_id: connector.id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            state: state.to_owned(),
            nonce: started.nonce,
            pkce_verifier: started.pkce_verifier,
            user: None,
        }),
    };
    let id = record.id.clone();
    session.put_record(record);
    save(provider, &interaction, &session).await?;
    Ok((started.authorization_uri, id))
}

/// `connectorData`: everything the upstream sent back to the callback (`code`, `state`, or
/// `error`). A callback for another sign-in, or an upstream refusal, verifies nothing.
pub async fn verify(provider: &Provider, cookie: Option<&str>, connector_id: &str, verification_id: &str, connector_data: &Map<String, Value>) -> Result<String, ExperienceError> {
    let (interaction, mut session) = started(provider, cookie).await?;
    let mut record = session.record(verification_id)?.clone();
    let pending = match (&record.kind, &record.social) {
        (RecordKind::Social, Some(pending)) if pending.connector_id == connector_id => pending.clone(),
        _ => return Err(ExperienceError::VerificationNotFound),
    };
    let field = |key: &str| connector_data.get(key).and_then(Value::as_str);
    if let Some(error) = field("error") {
        return Err(SocialError::Upstream(format!("the identity provider answered {error}")).into());
    }
    if !field("state").is_some_and(|s| crate::crypto::constant_time_eq(s, &pending.state)) {
        return Err(SocialError::StateMismatch.into());
    }
    let code = field("code").ok_or_else(|| ExperienceError::InvalidInput("connectorData.code is required".into()))?;
    let connector = social::get(provider, connector_id).await?;
    let user = social::oidc::finish(&connector, &pending.redirect_uri, code, &pending.nonce, &pending.pkce_verifier).await?;
    if let Some(email) = &user.email {
        record.identifier = Identifier { kind: IdentifierType::Email, value: email.to_lowercase() };
    }
    record.verified = true;
    record.social = Some(SocialVerification { user: Some(user), ..pending });
    let id = record.id.clone();
    session.put_record(record);
    save(provider, &interaction, &session).await?;
    Ok(id)
}
