//! `POST /api/experience/verification/sso/:connectorId/authorization-uri` and `/verify`
//! (spec §5): as a social sign-in, but at the organization's identity provider; the record
//! is verified with who the provider says it is, and identification signs in the account
//! with that SSO identity, or the account with its email (linked at submit), or registers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ensure_callback_info, keep_record, started, ExperienceError, Identifier, IdentifierType, RecordKind, VerificationRecord};
use crate::oidc::Provider;
use crate::social::Pending;
use crate::sso::{self, SsoUser};

/// The SSO part of a verification record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoVerification {
    #[serde(flatten)]
    pub pending: Pending,
    #[serde(default)]
    pub user: Option<SsoUser>,
}

/// Answers `(authorizationUri, verificationId)`; only an offered connector (SSO switched on,
/// complete, with domains) signs anyone in. With `idp_session` (the cookie an IdP-initiated
/// assertion left), that assertion answers at once: the URI is the page's own callback.
pub async fn authorization_uri(
    provider: &Provider,
    cookie: Option<&str>,
    connector_id: &str,
    state: &str,
    redirect_uri: &str,
    idp_session: Option<&str>,
) -> Result<(String, String), ExperienceError> {
    let (interaction, session) = started(provider, cookie).await?;
    ensure_callback_info(state, redirect_uri)?;
    let connector = offered_connector(provider, connector_id).await?;
    let kept = match idp_session {
        Some(token) => sso::idp_initiated::take(provider, connector_id, token).await?,
        None => None,
    };
    let (uri, pending, user) = match kept {
        Some(user) => {
            let back = callback_with_state(redirect_uri, state)?;
            let pending = Pending { connector_id: connector.id.clone(), redirect_uri: redirect_uri.to_owned(), state: state.to_owned(), nonce: None, pkce_verifier: None };
            (back, pending, Some(user))
        }
        None => {
            let (uri, pending) = sso::sign_in::start(provider, &connector, redirect_uri, state, &interaction.uid).await?;
            (uri, pending, None)
        }
    };
    let record = VerificationRecord { sso: Some(SsoVerification { pending, user }), ..VerificationRecord::upstream(RecordKind::EnterpriseSso) };
    let id = keep_record(provider, &interaction, session, record).await?;
    Ok((uri, id))
}

pub async fn verify(provider: &Provider, cookie: Option<&str>, connector_id: &str, verification_id: &str, connector_data: &Map<String, Value>) -> Result<String, ExperienceError> {
    let (interaction, session) = started(provider, cookie).await?;
    let mut record = session.record(verification_id)?.clone();
    let pending = match (&record.kind, &record.sso) {
        (RecordKind::EnterpriseSso, Some(sso)) if sso.pending.connector_id == connector_id => sso.pending.clone(),
        _ => return Err(ExperienceError::VerificationNotFound),
    };
    let connector = offered_connector(provider, connector_id).await?;
    let user = match connector.provider.kind {
        sso::ProviderType::Oidc => sso::sign_in::finish(provider, &connector, &pending, connector_data).await?,
        // The assertion consumer service checked the IdP's answer and kept who it names.
        sso::ProviderType::Saml => record.sso.as_ref().and_then(|s| s.user.clone()).ok_or(ExperienceError::ConnectorSessionNotFound)?,
    };
    if let Some(email) = &user.email {
        record.identifier = Identifier { kind: IdentifierType::Email, value: email.clone() };
    }
    record.verified = true;
    record.sso = Some(SsoVerification { pending, user: Some(user) });
    keep_record(provider, &interaction, session, record).await
}

/// `POST /api/authn/single-sign-on/saml/:connectorId`. With a `RelayState`: the IdP's answer
/// to a sign-in this service started (the relay state names its interaction). The answer is
/// checked against the request sent, kept in the sign-in's record, and the browser goes on
/// to the page's callback with its `state`, where the page verifies the record. Without one:
/// an IdP-initiated sign-in (see `sso::idp_initiated`).
pub async fn consume_saml_response(provider: &Provider, connector_id: &str, saml_response: &str, relay_state: &str) -> Result<AcsOutcome, ExperienceError> {
    if relay_state.is_empty() {
        let connector = offered_connector(provider, connector_id).await?;
        let (session_token, location) = sso::idp_initiated::receive(provider, &connector, saml_response).await?;
        return Ok(AcsOutcome::IdpInitiated { session_token, location });
    }
    let interaction = crate::oidc::interaction::find_by_uid(provider, relay_state).await?.ok_or(ExperienceError::ConnectorSessionNotFound)?;
    let session: super::ExperienceState =
        interaction.experience.clone().and_then(|v| serde_json::from_value(v).ok()).ok_or(ExperienceError::ConnectorSessionNotFound)?;
    let mut record = session
        .verification_records
        .iter()
        .rev()
        .find(|r| r.kind == RecordKind::EnterpriseSso && !r.verified && r.sso.as_ref().is_some_and(|s| s.pending.connector_id == connector_id))
        .cloned()
        .ok_or(ExperienceError::ConnectorSessionNotFound)?;
    let mut sso = record.sso.clone().ok_or(ExperienceError::ConnectorSessionNotFound)?;
    let connector = offered_connector(provider, connector_id).await?;
    let (user, _) = sso::saml::read_response(provider, &connector, saml_response, sso.pending.nonce.as_deref()).await?;
    let back = callback_with_state(&sso.pending.redirect_uri, &sso.pending.state)?;
    sso.user = Some(user);
    record.sso = Some(sso);
    keep_record(provider, &interaction, session, record).await?;
    Ok(AcsOutcome::Continue(back))
}

/// The page's callback address with its `state`, where an answer already in hand goes.
fn callback_with_state(redirect_uri: &str, state: &str) -> Result<String, ExperienceError> {
    let mut back = url::Url::parse(redirect_uri).map_err(|_| ExperienceError::InsufficientInfo)?;
    back.query_pairs_mut().append_pair("state", state);
    Ok(back.to_string())
}

/// Where the assertion consumer service sends the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcsOutcome {
    /// Back to the sign-in's page, which verifies the record.
    Continue(String),
    /// An IdP-initiated assertion was kept under `session_token` (the browser's cookie): on to
    /// the application's authorization request.
    IdpInitiated { session_token: String, location: String },
}

async fn offered_connector(provider: &Provider, connector_id: &str) -> Result<sso::SsoConnector, ExperienceError> {
    let sie = provider.sign_in_experience().await?;
    let connector = sso::get(provider, connector_id).await?;
    if !sie.single_sign_on_enabled || !connector.is_available() {
        return Err(sso::SsoError::NotAvailable.into());
    }
    Ok(connector)
}

/// `session.sso_enabled`: an address on an offered connector's domain signs in only there.
pub(super) async fn ensure_not_sso_domain(provider: &Provider, email: Option<&str>) -> Result<(), ExperienceError> {
    let Some(email) = email else { return Ok(()) };
    let sie = provider.sign_in_experience().await?;
    let connectors = match sso::for_email(provider, &sie, email).await {
        Ok(connectors) => connectors,
        Err(sso::SsoError::InvalidInput(_)) => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    if connectors.is_empty() { Ok(()) } else { Err(ExperienceError::SsoEnabled(connectors.iter().map(sso::SsoConnector::to_public_json).collect())) }
}
