//! `POST /api/experience/verification/social/:connectorId/authorization-uri` and `/verify`
//! (spec §5): the page asks where to send the person (our `state` and the page's callback
//! address ride along, with a nonce and a PKCE verifier kept in the record), then hands back
//! what the upstream answered; the record is verified with who the upstream says it is.
//! Identification then signs that identity's account in, or registers a new one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ensure_callback_info, keep_record, started, ExperienceError, Identifier, IdentifierType, RecordKind, VerificationRecord};
use crate::oidc::Provider;
use crate::social::{self, Pending, SocialUser};

/// The social part of a verification record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialVerification {
    #[serde(flatten)]
    pub pending: Pending,
    /// Once verified: who the upstream says signed in.
    #[serde(default)]
    pub user: Option<SocialUser>,
}

/// Answers `(authorizationUri, verificationId)`.
pub async fn authorization_uri(provider: &Provider, cookie: Option<&str>, connector_id: &str, state: &str, redirect_uri: &str) -> Result<(String, String), ExperienceError> {
    let (interaction, session) = started(provider, cookie).await?;
    ensure_callback_info(state, redirect_uri)?;
    let connector = social::get(provider, connector_id).await?;
    let (uri, pending) = social::start(&connector, redirect_uri, state).await?;
    let record = VerificationRecord { social: Some(SocialVerification { pending, user: None }), ..VerificationRecord::upstream(RecordKind::Social) };
    let id = keep_record(provider, &interaction, session, record).await?;
    Ok((uri, id))
}

/// `connectorData`: everything the upstream sent back to the callback (`code`, `state`, or
/// `error`). A callback for another sign-in, or an upstream refusal, verifies nothing.
pub async fn verify(provider: &Provider, cookie: Option<&str>, connector_id: &str, verification_id: &str, connector_data: &Map<String, Value>) -> Result<String, ExperienceError> {
    let (interaction, session) = started(provider, cookie).await?;
    let mut record = session.record(verification_id)?.clone();
    let pending = match (&record.kind, &record.social) {
        (RecordKind::Social, Some(social)) if social.pending.connector_id == connector_id => social.pending.clone(),
        _ => return Err(ExperienceError::VerificationNotFound),
    };
    let connector = social::get(provider, connector_id).await?;
    let user = social::finish(provider, &connector, &pending, connector_data).await?;
    if let Some(email) = &user.email {
        record.identifier = Identifier { kind: IdentifierType::Email, value: email.to_lowercase() };
    }
    record.verified = true;
    record.social = Some(SocialVerification { pending, user: Some(user) });
    keep_record(provider, &interaction, session, record).await
}
