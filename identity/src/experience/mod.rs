//! The Experience API's engine (spec §3): the state of a sign-in, registration or password
//! reset inside an OIDC interaction, its verification records, identification, profile
//! completion and submission. Each step is a function here; `hosted` strings them together
//! for the hosted pages' forms.

pub mod hosted;
mod identification;
pub mod mfa;
mod new_password;
pub mod one_time_token;
pub mod social;
pub mod sso;
pub mod passkey;
mod password;
mod profile;
mod submit;
mod verification_code;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::ErrorCode;
use crate::oidc::interaction::{self, Interaction};
use crate::oidc::{OidcError, Provider};
use crate::passwords::policy::{Issue, UserInfo};
use crate::sign_in_experience::{RequiredProfile, SignInExperience};
use crate::users::{PasswordHash, User, UserError};
use crate::verification_codes::CodeError;

pub use crate::sign_in_experience::IdentifierKind as IdentifierType;
pub use identification::{identify, identify_linking, Identified};
pub use new_password::new_password_identity;
pub use password::verify_password;
pub use profile::{add_profile, reset_password, ProfileInput};
pub use submit::submit;
pub use verification_code::{send_code, verify_code};

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

impl Identifier {
    /// The sentinel's key for this identifier.
    fn sentinel_target(&self) -> String {
        crate::sentinel::identifier_target(self.kind, &self.value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordKind {
    Password,
    EmailVerificationCode,
    PhoneVerificationCode,
    NewPasswordIdentity,
    /// A passkey answered a sign-in challenge; the record names its owner (`user_id`).
    SignInPasskey,
    /// A magic link's one-time token, used for its email address (spec §8).
    OneTimeToken,
    /// A sign-in at a social connector's upstream (spec §5): started, then verified with the
    /// upstream's answer.
    Social,
    /// A sign-in at an enterprise SSO connector's identity provider (spec §5).
    EnterpriseSso,
}

impl RecordKind {
    fn for_code(kind: IdentifierType) -> Option<Self> {
        match kind {
            IdentifierType::Email => Some(RecordKind::EmailVerificationCode),
            IdentifierType::Phone => Some(RecordKind::PhoneVerificationCode),
            IdentifierType::Username => None,
        }
    }

    fn is_code(self) -> bool {
        matches!(self, RecordKind::EmailVerificationCode | RecordKind::PhoneVerificationCode)
    }
}

/// A password hash staged in the interaction (never shown by `GET /interaction`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedPassword {
    pub hash: String,
    pub method: String,
}

impl From<PasswordHash> for StagedPassword {
    fn from(p: PasswordHash) -> Self {
        Self { hash: p.hash, method: p.method }
    }
}

impl From<StagedPassword> for PasswordHash {
    fn from(p: StagedPassword) -> Self {
        Self { hash: p.hash, method: p.method }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: RecordKind,
    pub identifier: Identifier,
    pub verified: bool,
    #[serde(default)]
    pub user_id: Option<String>,
    /// The email/SMS code this record waits for.
    #[serde(default)]
    pub code_id: Option<String>,
    /// The chosen password of a new-password identity.
    #[serde(default)]
    pub password: Option<StagedPassword>,
    /// A one-time token's organizations to join (`context.jitOrganizationIds`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jit_organization_ids: Vec<String>,
    /// A social sign-in: what the callback must match, then who the upstream says it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social: Option<social::SocialVerification>,
    /// An enterprise SSO sign-in: what the callback must match, then who the provider says it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso: Option<sso::SsoVerification>,
}

impl VerificationRecord {
    /// A record for a sign-in sent to an upstream: it names nobody until the upstream answers.
    fn upstream(kind: RecordKind) -> Self {
        Self {
            id: crate::ids::entity_id(),
            kind,
            identifier: Identifier { kind: IdentifierType::Username, value: String::new() },
            verified: false,
            user_id: None,
            code_id: None,
            password: None,
            jit_organization_ids: Vec::new(),
            social: None,
            sso: None,
        }
    }
}

/// Keeps `record` in the interaction (replacing its earlier one of the same kind) and
/// answers the record's id.
async fn keep_record(provider: &Provider, interaction: &Interaction, mut state: ExperienceState, record: VerificationRecord) -> Result<String, ExperienceError> {
    let id = record.id.clone();
    state.put_record(record);
    save(provider, interaction, &state).await?;
    Ok(id)
}

/// An upstream sign-in needs the page's `state` and the address the upstream returns to.
fn ensure_callback_info(state: &str, redirect_uri: &str) -> Result<(), ExperienceError> {
    if state.trim().is_empty() || url::Url::parse(redirect_uri).is_err() {
        return Err(ExperienceError::InsufficientInfo);
    }
    Ok(())
}

/// Profile fields collected before they are written (nothing reaches the users table
/// before identification creates the user or submit completes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StagedProfile {
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub password: Option<StagedPassword>,
    /// A social identity the account will have (and, for a new account, its name and
    /// picture); for an identity the account has, its fresh details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social_identity: Option<crate::social::SocialUser>,
    /// An enterprise SSO identity the account will have, or the fresh details of one it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_identity: Option<crate::sso::SsoUser>,
    /// Name and picture from an upstream whose connector syncs the profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// What `PUT /api/experience` starts and every later call reads and updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceState {
    pub interaction_event: InteractionEvent,
    pub user_id: Option<String>,
    #[serde(default)]
    pub profile: StagedProfile,
    pub verification_records: Vec<VerificationRecord>,
    /// The person agreed to the terms (a Vestibule addition: `agreeToTerms` on `PUT`).
    #[serde(default)]
    pub terms_agreed: bool,
    /// The hosted pages sent a code to complete the profile, not to identify.
    #[serde(default)]
    pub profile_code_pending: bool,
    /// MFA verification and binding progress.
    #[serde(default)]
    pub mfa: mfa::MfaState,
    /// Identified at an organization's identity provider, which did the authentication (its
    /// own MFA included): no mandatory profile, MFA or passkey offer here (spec §5).
    #[serde(default)]
    pub by_enterprise_sso: bool,
}

impl ExperienceState {
    fn new(event: InteractionEvent, terms_agreed: bool) -> Self {
        Self {
            interaction_event: event,
            user_id: None,
            profile: StagedProfile::default(),
            verification_records: Vec::new(),
            terms_agreed,
            profile_code_pending: false,
            mfa: mfa::MfaState::default(),
            by_enterprise_sso: false,
        }
    }

    /// One record per verification type: a new one replaces the old (spec §3).
    fn put_record(&mut self, record: VerificationRecord) {
        self.verification_records.retain(|r| r.kind != record.kind);
        self.verification_records.push(record);
    }

    fn record(&self, id: &str) -> Result<&VerificationRecord, ExperienceError> {
        self.verification_records.iter().find(|r| r.id == id).ok_or(ExperienceError::VerificationNotFound)
    }

    /// The state as `GET /api/experience/interaction` shows it: no hashes or code ids.
    pub fn sanitized(&self) -> Value {
        json!({
            "interactionEvent": self.interaction_event,
            "userId": self.user_id,
            "profile": {
                "username": self.profile.username,
                "primaryEmail": self.profile.primary_email,
                "primaryPhone": self.profile.primary_phone,
                "hasPassword": self.profile.password.is_some(),
            },
            "mfa": {
                "verified": self.mfa.verified, "skipped": self.mfa.skipped, "mfaEnabled": self.mfa.enabled_chosen,
                "totp": self.mfa.bind_totp, "backupCode": self.mfa.bind_backup_codes, "webAuthn": self.mfa.bind_web_authn,
                "passkeySkipped": self.mfa.passkey_skipped, "additionalBindingSuggestionSkipped": self.mfa.suggestion_skipped,
            },
            "verificationRecords": self.verification_records.iter().map(|r| json!({
                "id": r.id, "type": r.kind, "identifier": r.identifier, "verified": r.verified,
            })).collect::<Vec<_>>(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExperienceError {
    #[error("the sign-in session was not found or has expired")]
    SessionNotFound,
    #[error("the interaction was not started with PUT /api/experience")]
    InteractionNotFound,
    #[error("state and redirectUri (a URL) are required")]
    InsufficientInfo,
    #[error("invalid input: {0}")]
    InvalidInput(String),
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
    #[error("this is not available with the current sign-in mode")]
    Forbidden,
    #[error("password reset is a separate interaction")]
    NotSupportedForForgotPassword { unprocessable: bool },
    #[error("this step belongs to password reset")]
    InvalidInteractionType,
    #[error("too many failed attempts; try again later")]
    Blocked,
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error(transparent)]
    OneTimeToken(#[from] crate::one_time_tokens::OneTimeTokenError),
    #[error(transparent)]
    Social(#[from] crate::social::SocialError),
    #[error("no account has this social identity")]
    SocialIdentityNotExist { related: Option<Identifier> },
    #[error(transparent)]
    Sso(#[from] crate::sso::SsoError),
    #[error("no account has this enterprise SSO identity")]
    SsoIdentityNotExist,
    /// An identity provider's answer for a sign-in that was not started here (or already
    /// answered).
    #[error("no sign-in at this identity provider is waiting for an answer")]
    ConnectorSessionNotFound,
    /// The hosted single sign-on page: no organization's identity provider for this address.
    #[error("single sign-on is not enabled for this email address")]
    SsoNotEnabledForEmail,
    /// The address belongs to an organization that signs its people in at its own identity
    /// provider: they sign in there, not with a password or code here.
    #[error("this email address signs in with enterprise SSO")]
    SsoEnabled(Vec<Value>),
    #[error("the one-time token is for another kind of interaction")]
    InteractionEventMismatch,
    #[error("the email does not match the verification")]
    EmailMismatch,
    #[error("the phone number does not match the verification")]
    PhoneMismatch,
    #[error("no account uses this identifier")]
    UserNotExist(Identifier),
    #[error("this sign-in method is not enabled")]
    SignInMethodNotEnabled,
    #[error("the profile is missing required information")]
    MissingProfile(Vec<RequiredProfile>),
    #[error("the profile already has a {0}")]
    ExistsInProfile(&'static str),
    #[error("another account was already identified in this interaction")]
    IdentityConflict,
    #[error("the new password is the same as the current one")]
    SamePassword,
    #[error("set a new password first")]
    NewPasswordRequired,
    #[error("the password does not meet the policy")]
    PasswordRejected(Vec<Issue>),
    #[error("the terms of use and privacy policy must be accepted to register")]
    TermsNotAgreed,
    #[error(transparent)]
    Mfa(crate::mfa::MfaError),
    #[error("verify with one of your MFA factors first")]
    RequireMfaVerification(Vec<crate::mfa::MfaFactor>),
    #[error("bind an MFA factor to continue")]
    MissingMfa { available: Vec<crate::mfa::MfaFactor>, skippable: bool },
    #[error("save your backup codes to continue")]
    BackupCodeRequired,
    #[error("backup codes cannot be your only factor")]
    BackupCodeCannotBeAlone,
    #[error("this MFA factor is not enabled")]
    MfaFactorNotEnabled,
    #[error("MFA is mandatory here")]
    MfaPolicyNotUserControlled,
    #[error("would you like to turn on two-step verification?")]
    SuggestMfa(Vec<crate::mfa::MfaFactor>),
    #[error("create a passkey to sign in faster, or skip")]
    PasskeyPreferred,
    #[error("your passkey also signs you in: add another factor, or skip")]
    SuggestAdditionalMfa(Vec<crate::mfa::MfaFactor>),
    #[error(transparent)]
    User(UserError),
    #[error(transparent)]
    Provider(#[from] OidcError),
}

impl From<UserError> for ExperienceError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::Storage(e) => ExperienceError::Provider(OidcError::Storage(e)),
            other => ExperienceError::User(other),
        }
    }
}

impl From<sqlx::Error> for ExperienceError {
    fn from(err: sqlx::Error) -> Self {
        ExperienceError::Provider(OidcError::Storage(err))
    }
}

impl From<crate::identifiers::IdentifierError> for ExperienceError {
    fn from(err: crate::identifiers::IdentifierError) -> Self {
        ExperienceError::InvalidInput(err.to_string())
    }
}

impl ErrorCode for ExperienceError {
    fn code(&self) -> &'static str {
        use ExperienceError::*;
        match self {
            SessionNotFound => "session.not_found",
            InteractionNotFound => "session.interaction_not_found",
            InsufficientInfo => "session.insufficient_info",
            InvalidInput(_) => "guard.invalid_input",
            InvalidCredentials => "session.invalid_credentials",
            Suspended => "user.suspended",
            VerificationNotFound => "session.verification_session_not_found",
            VerificationFailed => "session.verification_failed",
            IdentifierNotFound => "session.identifier_not_found",
            Forbidden => "auth.forbidden",
            NotSupportedForForgotPassword { .. } => "session.not_supported_for_forgot_password",
            InvalidInteractionType => "session.invalid_interaction_type",
            Blocked => "session.verification_blocked_too_many_attempts",
            Code(e) => e.code(),
            OneTimeToken(e) => e.code(),
            InteractionEventMismatch => "one_time_token.interaction_event_mismatch",
            Social(e) => e.code(),
            Sso(e) => e.code(),
            SsoIdentityNotExist => "user.sso_identity_not_exist",
            ConnectorSessionNotFound => "session.connector_validation_session_not_found",
            SsoNotEnabledForEmail => "session.sso_not_enabled",
            SsoEnabled(_) => "session.sso_enabled",
            SocialIdentityNotExist { .. } => "user.identity_not_exist",
            EmailMismatch => "verification_code.email_mismatch",
            PhoneMismatch => "verification_code.phone_mismatch",
            UserNotExist(_) => "user.user_not_exist",
            SignInMethodNotEnabled => "user.sign_in_method_not_enabled",
            MissingProfile(_) => "user.missing_profile",
            ExistsInProfile("username") => "user.username_exists_in_profile",
            ExistsInProfile("email") => "user.email_exists_in_profile",
            ExistsInProfile("phone") => "user.phone_exists_in_profile",
            ExistsInProfile(_) => "user.password_exists_in_profile",
            IdentityConflict => "session.identity_conflict",
            SamePassword => "user.same_password",
            NewPasswordRequired => "user.new_password_required_in_profile",
            PasswordRejected(_) => "password.rejected",
            TermsNotAgreed => "session.terms_not_agreed",
            Mfa(e) => e.code(),
            RequireMfaVerification(_) => "session.mfa.require_mfa_verification",
            SuggestMfa(_) => "user.suggest_mfa",
            MissingMfa { .. } => "user.missing_mfa",
            PasskeyPreferred => "user.passkey_preferred",
            SuggestAdditionalMfa(_) => "session.mfa.suggest_additional_mfa",
            BackupCodeRequired => "session.mfa.backup_code_required",
            BackupCodeCannotBeAlone => "session.mfa.backup_code_can_not_be_alone",
            MfaFactorNotEnabled => "session.mfa.mfa_factor_not_enabled",
            MfaPolicyNotUserControlled => "session.mfa.mfa_policy_not_user_controlled",
            User(e) => e.code(),
            Provider(e) => e.code(),
        }
    }
}

impl ExperienceError {
    /// The error body's `data` (spec: `data.identifier`, `data.missingProfile`, the
    /// password issues).
    pub fn data(&self) -> Option<Value> {
        match self {
            ExperienceError::UserNotExist(identifier) => Some(json!({ "identifier": identifier })),
            ExperienceError::MissingProfile(missing) => Some(json!({ "missingProfile": missing })),
            ExperienceError::SocialIdentityNotExist { related: Some(related) } => Some(json!({ "relatedUser": related })),
            ExperienceError::SsoEnabled(connectors) => Some(json!({ "ssoConnectors": connectors })),
            ExperienceError::PasswordRejected(issues) => Some(Value::Array(issues.iter().map(Issue::to_json).collect())),
            other => mfa::error_data(other),
        }
    }

    /// The one code whose status depends on where it arises (400 at `interaction-event`,
    /// 422 at identification).
    pub fn status_override(&self) -> Option<u16> {
        match self {
            ExperienceError::NotSupportedForForgotPassword { unprocessable: true } => Some(422),
            _ => None,
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

fn state_json(state: &ExperienceState) -> Value {
    serde_json::to_value(state).expect("state serializes")
}

async fn save(provider: &Provider, interaction: &Interaction, state: &ExperienceState) -> Result<(), ExperienceError> {
    Ok(interaction::save_experience(provider, &interaction.uid, &state_json(state)).await?)
}

/// `PUT /api/experience`: (re)starts the experience, wiping earlier state.
pub async fn start(provider: &Provider, cookie: Option<&str>, event: InteractionEvent, agree_to_terms: bool) -> Result<(), ExperienceError> {
    let interaction = live_interaction(provider, cookie).await?;
    save(provider, &interaction, &ExperienceState::new(event, agree_to_terms)).await
}

/// `PUT /api/experience/interaction-event`: switches between sign-in and registration
/// (staged profile data is dropped when the event changes).
pub async fn set_event(provider: &Provider, cookie: Option<&str>, event: InteractionEvent, agree_to_terms: bool) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    let crosses_reset = (state.interaction_event == InteractionEvent::ForgotPassword) != (event == InteractionEvent::ForgotPassword);
    if crosses_reset {
        return Err(ExperienceError::NotSupportedForForgotPassword { unprocessable: false });
    }
    let sie = provider.sign_in_experience().await?;
    let allowed = match event {
        InteractionEvent::SignIn => sie.sign_in_mode.allows_sign_in(),
        // A magic link is an invitation: with its verified token, registration is open.
        InteractionEvent::Register => sie.sign_in_mode.allows_registration() || state.verification_records.iter().any(|r| r.kind == RecordKind::OneTimeToken),
        InteractionEvent::ForgotPassword => true,
    };
    if !allowed {
        return Err(ExperienceError::Forbidden);
    }
    if state.interaction_event != event {
        state.interaction_event = event;
        state.profile = StagedProfile::default();
    }
    state.terms_agreed |= agree_to_terms;
    save(provider, &interaction, &state).await
}

/// `GET /api/experience/interaction`.
pub async fn current(provider: &Provider, cookie: Option<&str>) -> Result<Value, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    Ok(state.sanitized())
}

/// Rejects `password` if the policy does (breached lists included).
async fn check_password_policy(provider: &Provider, sie: &SignInExperience, password: &str, user: &UserInfo) -> Result<(), ExperienceError> {
    let issues = sie.password_policy.check_everywhere(password, user, &provider.breached).await;
    if issues.is_empty() { Ok(()) } else { Err(ExperienceError::PasswordRejected(issues)) }
}

/// What the user (so far) is called, for the user-info password rule.
fn user_info(user: Option<&User>, staged: &StagedProfile) -> UserInfo {
    UserInfo {
        name: user.and_then(|u| u.name.clone()),
        username: staged.username.clone().or_else(|| user.and_then(|u| u.username.clone())),
        email: staged.primary_email.clone().or_else(|| user.and_then(|u| u.primary_email.clone())),
        phone: staged.primary_phone.clone().or_else(|| user.and_then(|u| u.primary_phone.clone())),
    }
}

/// The mandatory profile fields neither the user nor the staged profile provides.
fn missing_profile(sie: &SignInExperience, user: Option<&User>, staged: &StagedProfile) -> Vec<RequiredProfile> {
    let has_username = staged.username.is_some() || user.is_some_and(|u| u.username.is_some());
    let has_email = staged.primary_email.is_some() || user.is_some_and(|u| u.primary_email.is_some());
    let has_phone = staged.primary_phone.is_some() || user.is_some_and(|u| u.primary_phone.is_some());
    // An upstream identity stands in for a password (spec §3 "Mandatory profile").
    let has_password = staged.password.is_some() || staged.social_identity.is_some() || user.is_some_and(|u| u.password.is_some());
    sie.required_profile()
        .into_iter()
        .filter(|requirement| match requirement {
            RequiredProfile::Username => !has_username,
            RequiredProfile::Email => !has_email,
            RequiredProfile::Phone => !has_phone,
            RequiredProfile::EmailOrPhone => !has_email && !has_phone,
            RequiredProfile::Password => !has_password,
        })
        .collect()
}

/// The account a username names, under the sign-in experience's username policy (case
/// sensitive unless `usernamePolicy.caseSensitive` is false).
async fn find_by_username(provider: &Provider, username: &str) -> Result<Option<User>, ExperienceError> {
    find_by_username_under(provider, &provider.sign_in_experience().await?, username).await
}

/// [`find_by_username`] for a caller that holds the sign-in experience already.
async fn find_by_username_under(provider: &Provider, sie: &crate::sign_in_experience::SignInExperience, username: &str) -> Result<Option<User>, ExperienceError> {
    let found = if sie.usernames_case_sensitive() {
        crate::users::find_by_username(&provider.store, username).await?
    } else {
        crate::users::find_by_username_ignoring_case(&provider.store, username).await?
    };
    Ok(found)
}

/// The account an identifier names (usernames under the username policy).
async fn find_by_identifier(provider: &Provider, kind: crate::sign_in_experience::IdentifierKind, value: &str) -> Result<Option<User>, ExperienceError> {
    match kind {
        crate::sign_in_experience::IdentifierKind::Username => find_by_username(provider, value).await,
        other => Ok(crate::users::find_by_identifier(&provider.store, other, value).await?),
    }
}

/// Staged identifiers must still be free when they are written.
async fn ensure_staged_identifiers_free(provider: &Provider, staged: &StagedProfile, user_id: Option<&str>) -> Result<(), ExperienceError> {
    let other = |user: Option<User>| user.is_some_and(|u| Some(u.id.as_str()) != user_id);
    if let Some(username) = &staged.username {
        if other(find_by_username(provider, username).await?) {
            return Err(UserError::UsernameAlreadyInUse.into());
        }
    }
    if let Some(email) = &staged.primary_email {
        if other(crate::users::find_by_email(&provider.store, email).await?) {
            return Err(UserError::EmailAlreadyInUse.into());
        }
    }
    if let Some(phone) = &staged.primary_phone {
        if other(crate::users::find_by_phone(&provider.store, phone).await?) {
            return Err(UserError::PhoneAlreadyInUse.into());
        }
    }
    Ok(())
}
