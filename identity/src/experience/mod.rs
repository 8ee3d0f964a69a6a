//! The Experience API's engine (spec §3): the state of a sign-in inside an OIDC interaction,
//! its verification records, identification and submission. This first cut covers sign-in
//! with username or email and password; registration, codes and MFA build on it.

mod password;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ErrorCode;
use crate::oidc::interaction::{self, Interaction};
use crate::oidc::{OidcError, Provider};

pub use password::verify_password;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InteractionEvent {
    SignIn,
    Register,
    ForgotPassword,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    #[serde(rename = "type")]
    pub kind: IdentifierType,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifierType {
    Username,
    Email,
    Phone,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub identifier: Identifier,
    pub verified: bool,
    pub user_id: Option<String>,
}

/// What `PUT /api/experience` starts and every later call reads and updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceState {
    pub interaction_event: InteractionEvent,
    pub user_id: Option<String>,
    pub verification_records: Vec<VerificationRecord>,
}

impl ExperienceState {
    /// One record per verification type: a new one replaces the old (spec §3).
    fn put_record(&mut self, record: VerificationRecord) {
        self.verification_records.retain(|r| r.kind != record.kind);
        self.verification_records.push(record);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExperienceError {
    #[error("the sign-in session was not found or has expired")]
    SessionNotFound,
    #[error("the interaction was not started with PUT /api/experience")]
    InteractionNotFound,
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    #[error("wrong identifier or password")]
    InvalidCredentials,
    #[error("this account is suspended")]
    Suspended,
    #[error("verification record not found")]
    VerificationNotFound,
    #[error("verification failed")]
    VerificationFailed,
    #[error("no user has been identified")]
    IdentifierNotFound,
    #[error("this interaction event is not available")]
    Forbidden,
    #[error(transparent)]
    Provider(#[from] OidcError),
}

impl From<crate::users::UserError> for ExperienceError {
    fn from(err: crate::users::UserError) -> Self {
        ExperienceError::Provider(err.into())
    }
}

impl ErrorCode for ExperienceError {
    fn code(&self) -> &'static str {
        match self {
            ExperienceError::SessionNotFound => "session.not_found",
            ExperienceError::InteractionNotFound => "session.interaction_not_found",
            ExperienceError::InvalidInput(_) => "guard.invalid_input",
            ExperienceError::InvalidCredentials => "session.invalid_credentials",
            ExperienceError::Suspended => "user.suspended",
            ExperienceError::VerificationNotFound => "session.verification_session_not_found",
            ExperienceError::VerificationFailed => "session.verification_failed",
            ExperienceError::IdentifierNotFound => "session.identifier_not_found",
            ExperienceError::Forbidden => "auth.forbidden",
            ExperienceError::Provider(_) => "unexpected",
        }
    }
}

async fn live_interaction(provider: &Provider, cookie: Option<&str>) -> Result<Interaction, ExperienceError> {
    let cookie = cookie.ok_or(ExperienceError::SessionNotFound)?;
    interaction::find_by_cookie(provider, cookie).await?.ok_or(ExperienceError::SessionNotFound)
}

/// The interaction and its state, which `PUT /api/experience` must have initialised.
async fn started(provider: &Provider, cookie: Option<&str>) -> Result<(Interaction, ExperienceState), ExperienceError> {
    let interaction = live_interaction(provider, cookie).await?;
    let state = interaction
        .experience
        .clone()
        .and_then(|value| serde_json::from_value::<ExperienceState>(value).ok())
        .ok_or(ExperienceError::InteractionNotFound)?;
    Ok((interaction, state))
}

async fn save(provider: &Provider, interaction: &Interaction, state: &ExperienceState) -> Result<(), ExperienceError> {
    let value: Value = serde_json::to_value(state).expect("state serializes");
    Ok(interaction::save_experience(provider, &interaction.uid, &value).await?)
}

/// `PUT /api/experience`: (re)starts the experience, wiping earlier state.
pub async fn start(provider: &Provider, cookie: Option<&str>, event: InteractionEvent) -> Result<(), ExperienceError> {
    let interaction = live_interaction(provider, cookie).await?;
    let state = ExperienceState { interaction_event: event, user_id: None, verification_records: Vec::new() };
    save(provider, &interaction, &state).await
}

/// `POST /api/experience/identification`: identifies the user a verified record proves.
pub async fn identify(provider: &Provider, cookie: Option<&str>, verification_id: Option<&str>) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    if state.interaction_event != InteractionEvent::SignIn {
        // Registration and password reset arrive with the sign-in experience.
        return Err(ExperienceError::Forbidden);
    }
    let verification_id = verification_id.ok_or(ExperienceError::InvalidInput("verificationId is required"))?;
    let record = state.verification_records.iter().find(|r| r.id == verification_id).ok_or(ExperienceError::VerificationNotFound)?;
    let user_id = record.user_id.clone().filter(|_| record.verified).ok_or(ExperienceError::VerificationFailed)?;
    let user = crate::users::find_by_id(&provider.store, &user_id).await?.ok_or(ExperienceError::VerificationFailed)?;
    if user.is_suspended {
        return Err(ExperienceError::Suspended);
    }
    state.user_id = Some(user_id);
    save(provider, &interaction, &state).await
}

/// `POST /api/experience/submit`: completes the sign-in; the browser continues at the
/// returned `redirectTo`.
pub async fn submit(provider: &Provider, cookie: Option<&str>) -> Result<String, ExperienceError> {
    let (interaction, state) = started(provider, cookie).await?;
    let user_id = state.user_id.ok_or(ExperienceError::IdentifierNotFound)?;
    crate::users::record_sign_in(&provider.store, &user_id, provider.now_ms()).await?;
    interaction::complete_login(provider, &interaction.uid, &user_id).await?;
    Ok(format!("{}/oidc/auth/{}", provider.endpoint, interaction.uid))
}

/// The hosted sign-in form without JavaScript: the same four calls the page would make.
pub async fn sign_in_with_password(provider: &Provider, cookie: Option<&str>, identifier: &str, password: &str) -> Result<String, ExperienceError> {
    let identifier = identifier.trim();
    if identifier.is_empty() || password.is_empty() {
        return Err(ExperienceError::InvalidInput("identifier and password are required"));
    }
    let kind = if identifier.contains('@') { IdentifierType::Email } else { IdentifierType::Username };
    start(provider, cookie, InteractionEvent::SignIn).await?;
    let verification_id = verify_password(provider, cookie, Identifier { kind, value: identifier.to_owned() }, password).await?;
    identify(provider, cookie, Some(&verification_id)).await?;
    submit(provider, cookie).await
}
