//! The hosted pages' forms work without JavaScript: each form post runs the Experience API
//! steps a script would run, and says where the browser goes next. These functions only
//! sequence the public steps; every rule lives in those steps.

use super::{
    add_profile, identify, new_password_identity, reset_password, send_code, set_event, start, started, submit, verify_code, verify_password,
    ExperienceError, Identifier, IdentifierType, InteractionEvent, ProfileInput, RecordKind,
};
use crate::identifiers;
use crate::oidc::Provider;
use crate::sign_in_experience::RequiredProfile;
use crate::users::UserError;

/// Where the browser goes after a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Signed in: continue the authorization request.
    Continue(String),
    /// A code was sent to this address.
    EnterCode { to: String },
    /// The profile lacks these before the account can be used.
    CompleteProfile(Vec<RequiredProfile>),
    /// Identified for a password reset: choose the new password.
    ChooseNewPassword,
    /// The password was changed; sign in with it.
    PasswordReset,
    /// Verify with one of these bound factors.
    VerifyMfa(Vec<crate::mfa::MfaFactor>),
    /// Bind one of these factors (or skip, when allowed); `suggestion`: beside a passkey that
    /// also signs in.
    BindMfa { factors: Vec<crate::mfa::MfaFactor>, skippable: bool, suggestion: bool },
    /// Save the backup codes to finish.
    SaveBackupCodes,
    /// Offer to create a passkey for signing in (or skip).
    CreatePasskey,
    /// A sign-in link went to this address (if it may sign in or register there).
    SignInLinkSent { to: String },
    /// The upstream identity is new here, but its verified address has an account: link the
    /// identity to it, or (registration allowing) create another account.
    LinkSocialIdentity { connector_id: String, related: String },
    /// To an upstream identity provider (its authorization URL).
    Upstream(String),
    /// The address's organization has several identity providers: choose one.
    ChooseSsoConnector { email: String, connectors: Vec<String> },
}

/// Which flow a code form belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFlow {
    SignIn,
    Register,
    ResetPassword,
}

impl CodeFlow {
    fn event(self) -> InteractionEvent {
        match self {
            CodeFlow::SignIn => InteractionEvent::SignIn,
            CodeFlow::Register => InteractionEvent::Register,
            CodeFlow::ResetPassword => InteractionEvent::ForgotPassword,
        }
    }
}

/// The sign-in form: one identifier field (username, email or phone) and a password. Under
/// the `Manual` terms policy the page's checkbox must be ticked.
pub async fn sign_in_with_password(provider: &Provider, cookie: Option<&str>, identifier: &str, password: &str, agreed: bool) -> Result<Next, ExperienceError> {
    let identifier = identifier.trim();
    if identifier.is_empty() || password.is_empty() {
        return Err(ExperienceError::InvalidInput("identifier and password are required".into()));
    }
    if !agreed && provider.sign_in_experience().await?.sign_in_needs_agreement() {
        return Err(ExperienceError::TermsNotAgreed);
    }
    if let Some(next) = single_sign_on_for(provider, cookie, identifier, agreed).await? {
        return Ok(next);
    }
    let kind = identifiers::guess_kind(identifier);
    start(provider, cookie, InteractionEvent::SignIn, false).await?;
    let verification_id = verify_password(provider, cookie, Identifier { kind, value: identifier.to_owned() }, password).await?;
    identify(provider, cookie, Some(&verification_id)).await?;
    finish(provider, cookie).await
}

/// The registration form with a username and a password.
pub async fn register_with_username(provider: &Provider, cookie: Option<&str>, username: &str, password: &str, agreed: bool) -> Result<Next, ExperienceError> {
    start(provider, cookie, InteractionEvent::Register, agreed).await?;
    let verification_id =
        new_password_identity(provider, cookie, Identifier { kind: IdentifierType::Username, value: username.trim().to_owned() }, password).await?;
    proceed(identify(provider, cookie, Some(&verification_id)).await, provider, cookie).await
}

/// A form that sends a code to an email or phone: sign-in, registration or password reset.
pub async fn send_code_for(provider: &Provider, cookie: Option<&str>, flow: CodeFlow, to: &str, agreed: bool, locale: Option<&str>) -> Result<Next, ExperienceError> {
    let identifier = code_identifier(to)?;
    if flow != CodeFlow::ResetPassword {
        if let Some(next) = single_sign_on_for(provider, cookie, &identifier.value, agreed).await? {
            return Ok(next);
        }
    }
    start(provider, cookie, flow.event(), agreed).await?;
    send_code(provider, cookie, identifier.clone(), flow.event(), locale).await?;
    Ok(Next::EnterCode { to: identifier.value })
}

/// The profile step's "verify this email/phone" form.
pub async fn send_profile_code(provider: &Provider, cookie: Option<&str>, to: &str, locale: Option<&str>) -> Result<Next, ExperienceError> {
    let identifier = code_identifier(to)?;
    let (_, state) = started(provider, cookie).await?;
    send_code(provider, cookie, identifier.clone(), state.interaction_event, locale).await?;
    mark_profile_code(provider, cookie).await?;
    Ok(Next::EnterCode { to: identifier.value })
}

/// "Send a new code" on the code page: the same address, the same purpose.
pub async fn resend_code(provider: &Provider, cookie: Option<&str>, locale: Option<&str>) -> Result<Next, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    let record = pending_code_record(&state).ok_or(ExperienceError::VerificationNotFound)?;
    let for_profile = state.profile_code_pending;
    send_code(provider, cookie, record.identifier.clone(), state.interaction_event, locale).await?;
    if for_profile {
        mark_profile_code(provider, cookie).await?;
    }
    Ok(Next::EnterCode { to: record.identifier.value })
}

/// The code page: verify, then identify (signing in, registering or resetting), or add the
/// verified address to the profile.
pub async fn submit_code(provider: &Provider, cookie: Option<&str>, code: &str) -> Result<Next, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    let record = pending_code_record(&state).ok_or(ExperienceError::VerificationNotFound)?;
    verify_code(provider, cookie, record.identifier.clone(), &record.id, code).await?;
    if state.profile_code_pending {
        let input = match record.kind {
            RecordKind::EmailVerificationCode => ProfileInput::Email { verification_id: record.id.clone() },
            _ => ProfileInput::Phone { verification_id: record.id.clone() },
        };
        add_profile(provider, cookie, input).await?;
        return continue_after_profile(provider, cookie).await;
    }
    match state.interaction_event {
        InteractionEvent::ForgotPassword => {
            identify(provider, cookie, Some(&record.id)).await?;
            Ok(Next::ChooseNewPassword)
        }
        InteractionEvent::SignIn => match identify(provider, cookie, Some(&record.id)).await {
            // A new address signs up instead, when registration is open.
            Err(ExperienceError::UserNotExist(_)) => {
                set_event(provider, cookie, InteractionEvent::Register, false).await?;
                proceed(identify(provider, cookie, Some(&record.id)).await, provider, cookie).await
            }
            other => proceed(other, provider, cookie).await,
        },
        InteractionEvent::Register => match identify(provider, cookie, Some(&record.id)).await {
            // An address that already has an account signs in to it.
            Err(ExperienceError::User(UserError::EmailAlreadyInUse | UserError::PhoneAlreadyInUse)) => {
                set_event(provider, cookie, InteractionEvent::SignIn, false).await?;
                proceed(identify(provider, cookie, Some(&record.id)).await, provider, cookie).await
            }
            other => proceed(other, provider, cookie).await,
        },
    }
}

/// "Continue with <upstream>" on the sign-in page: where to send the browser. The upstream
/// comes back to `/callback/<connectorId>` with our `state`.
pub async fn start_social(provider: &Provider, cookie: Option<&str>, connector_id: &str, agreed: bool) -> Result<String, ExperienceError> {
    if !agreed && provider.sign_in_experience().await?.sign_in_needs_agreement() {
        return Err(ExperienceError::TermsNotAgreed);
    }
    start(provider, cookie, InteractionEvent::SignIn, agreed).await?;
    let state = crate::crypto::random_token();
    let callback = format!("{}/callback/{connector_id}", provider.endpoint);
    let (uri, _) = super::social::authorization_uri(provider, cookie, connector_id, &state, &callback).await?;
    Ok(uri)
}

/// `direct_sign_in=social:<target>`: the connector whose target this is, straight away (terms
/// are not asked here: under `Manual` terms the direct sign-in falls back to the page).
pub async fn start_direct_social(provider: &Provider, cookie: Option<&str>, target: &str) -> Result<String, ExperienceError> {
    let connector = crate::social::find_by_target(provider, target).await?.ok_or(crate::social::SocialError::NotFound)?;
    start_social(provider, cookie, &connector.id, false).await
}

/// `/callback/<connectorId>`: the upstream's answer. A known identity signs in; a new one
/// registers when registration is open (asking for what the profile still lacks); one whose
/// verified address has an account links to it when the operator chose automatic linking,
/// and otherwise asks.
pub async fn finish_social(provider: &Provider, cookie: Option<&str>, connector_id: &str, answer: &serde_json::Map<String, serde_json::Value>) -> Result<Next, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    let record = state.verification_records.iter().rev().find(|r| r.kind == RecordKind::Social).ok_or(ExperienceError::VerificationNotFound)?;
    let verification_id = super::social::verify(provider, cookie, connector_id, &record.id.clone(), answer).await?;
    let sie = provider.sign_in_experience().await?;
    match identify(provider, cookie, Some(&verification_id)).await {
        Err(ExperienceError::SocialIdentityNotExist { related: None }) if sie.sign_in_mode.allows_registration() => register_social(provider, cookie, &verification_id).await,
        Err(ExperienceError::SocialIdentityNotExist { related: Some(_) }) if sie.automatic_account_linking() => link_social(provider, cookie).await,
        Err(ExperienceError::SocialIdentityNotExist { related: Some(related) }) => Ok(Next::LinkSocialIdentity { connector_id: connector_id.to_owned(), related: related.value }),
        other => proceed(other, provider, cookie).await,
    }
}

/// The verified social record of this interaction (the latest upstream answer).
async fn verified_social_record(provider: &Provider, cookie: Option<&str>) -> Result<String, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    let record = state.verification_records.iter().rev().find(|r| r.kind == RecordKind::Social && r.verified).ok_or(ExperienceError::VerificationNotFound)?;
    Ok(record.id.clone())
}

async fn register_social(provider: &Provider, cookie: Option<&str>, verification_id: &str) -> Result<Next, ExperienceError> {
    set_event(provider, cookie, InteractionEvent::Register, false).await?;
    proceed(identify(provider, cookie, Some(verification_id)).await, provider, cookie).await
}

/// "Link to that account": the upstream identity joins the account with its address (after
/// that account's MFA, when it has some).
pub async fn link_social(provider: &Provider, cookie: Option<&str>) -> Result<Next, ExperienceError> {
    let verification_id = verified_social_record(provider, cookie).await?;
    set_event(provider, cookie, InteractionEvent::SignIn, false).await?;
    proceed(super::identify_linking(provider, cookie, Some(&verification_id), true).await, provider, cookie).await
}

/// "Create a new account" instead: the address stays with the other account, so the new one
/// is asked for what its profile lacks.
pub async fn register_social_instead(provider: &Provider, cookie: Option<&str>) -> Result<Next, ExperienceError> {
    let verification_id = verified_social_record(provider, cookie).await?;
    register_social(provider, cookie, &verification_id).await
}

/// An email address whose organization signs in with enterprise SSO goes to its identity
/// provider instead of a password or code here (`session.sso_enabled` is what the API says).
async fn single_sign_on_for(provider: &Provider, cookie: Option<&str>, identifier: &str, agreed: bool) -> Result<Option<Next>, ExperienceError> {
    if identifiers::guess_kind(identifier) != IdentifierType::Email {
        return Ok(None);
    }
    let sie = provider.sign_in_experience().await?;
    let connectors = crate::sso::for_email(provider, &sie, identifier).await.unwrap_or_default();
    if connectors.is_empty() {
        return Ok(None);
    }
    Ok(Some(route_to_sso(provider, cookie, identifier, connectors, agreed).await?))
}

/// The `/single-sign-on` page's work-email form.
pub async fn sign_in_with_sso_email(provider: &Provider, cookie: Option<&str>, email: &str, agreed: bool) -> Result<Next, ExperienceError> {
    let email = email.trim();
    if identifiers::guess_kind(email) != IdentifierType::Email {
        return Err(ExperienceError::InvalidInput("enter an email address".into()));
    }
    let sie = provider.sign_in_experience().await?;
    let connectors = crate::sso::for_email(provider, &sie, email).await?;
    if connectors.is_empty() {
        return Err(ExperienceError::SsoNotEnabledForEmail);
    }
    route_to_sso(provider, cookie, email, connectors, agreed).await
}

async fn route_to_sso(provider: &Provider, cookie: Option<&str>, email: &str, connectors: Vec<crate::sso::SsoConnector>, agreed: bool) -> Result<Next, ExperienceError> {
    match connectors.as_slice() {
        [only] => Ok(Next::Upstream(start_sso(provider, cookie, &only.id, agreed, None).await?)),
        _ => Ok(Next::ChooseSsoConnector { email: email.to_owned(), connectors: connectors.into_iter().map(|c| c.id).collect() }),
    }
}

/// To the enterprise connector's identity provider; it comes back to
/// `/callback/sso/<connectorId>` with our `state`.
pub async fn start_sso(provider: &Provider, cookie: Option<&str>, connector_id: &str, agreed: bool, idp_session: Option<&str>) -> Result<String, ExperienceError> {
    if !agreed && provider.sign_in_experience().await?.sign_in_needs_agreement() {
        return Err(ExperienceError::TermsNotAgreed);
    }
    start(provider, cookie, InteractionEvent::SignIn, agreed).await?;
    let state = crate::crypto::random_token();
    let callback = format!("{}/callback/sso/{connector_id}", provider.endpoint);
    let (uri, _) = super::sso::authorization_uri(provider, cookie, connector_id, &state, &callback, idp_session).await?;
    Ok(uri)
}

/// `/callback/sso/<connectorId>`: the identity provider's answer. The SSO identity's account
/// signs in (or the account with its email, which gets the identity); a new person is
/// registered when registration is open.
pub async fn finish_sso(provider: &Provider, cookie: Option<&str>, connector_id: &str, answer: &serde_json::Map<String, serde_json::Value>) -> Result<Next, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    let record = state.verification_records.iter().rev().find(|r| r.kind == RecordKind::EnterpriseSso).ok_or(ExperienceError::VerificationNotFound)?;
    let verification_id = super::sso::verify(provider, cookie, connector_id, &record.id.clone(), answer).await?;
    match identify(provider, cookie, Some(&verification_id)).await {
        Err(ExperienceError::SsoIdentityNotExist) if provider.sign_in_experience().await?.sign_in_mode.allows_registration() => {
            set_event(provider, cookie, InteractionEvent::Register, false).await?;
            proceed(identify(provider, cookie, Some(&verification_id)).await, provider, cookie).await
        }
        other => proceed(other, provider, cookie).await,
    }
}

/// "Email me a sign-in link" on the sign-in page (the operator's `magicLinkSignIn`): the
/// link comes back to this interaction's magic-link page.
pub async fn send_sign_in_link(provider: &Provider, cookie: Option<&str>, to: &str, agreed: bool, locale: Option<&str>) -> Result<Next, ExperienceError> {
    if identifiers::guess_kind(to) != IdentifierType::Email {
        return Err(ExperienceError::InvalidInput("enter an email address".into()));
    }
    if !agreed && provider.sign_in_experience().await?.sign_in_needs_agreement() {
        return Err(ExperienceError::TermsNotAgreed);
    }
    start(provider, cookie, InteractionEvent::SignIn, agreed).await?;
    let to = super::one_time_token::send_sign_in_link(provider, cookie, to.trim(), locale.unwrap_or("en")).await?;
    Ok(Next::SignInLinkSent { to })
}

/// The magic-link page (`/one-time-token`): the token says what it is for (its
/// `interactionEvent`; sign-in when it says nothing). Signing in with a link for an address
/// that has no account registers it — even when registration is closed: the link is the
/// invitation. A password-reset link goes on to the new-password form.
pub async fn use_one_time_token(provider: &Provider, cookie: Option<&str>, email: &str, token: &str, agreed: bool) -> Result<Next, ExperienceError> {
    let found = crate::one_time_tokens::check(&provider.store, provider.clock.as_ref(), token, email).await?;
    let event = match found.context.get("interactionEvent").and_then(serde_json::Value::as_str) {
        Some("Register") => InteractionEvent::Register,
        Some("ForgotPassword") => InteractionEvent::ForgotPassword,
        _ => InteractionEvent::SignIn,
    };
    if event == InteractionEvent::SignIn && !agreed && provider.sign_in_experience().await?.sign_in_needs_agreement() {
        return Err(ExperienceError::TermsNotAgreed);
    }
    start(provider, cookie, event, agreed).await?;
    let identifier = Identifier { kind: IdentifierType::Email, value: email.trim().to_owned() };
    let verification_id = super::one_time_token::verify(provider, cookie, identifier, token).await?;
    match event {
        InteractionEvent::ForgotPassword => {
            identify(provider, cookie, Some(&verification_id)).await?;
            Ok(Next::ChooseNewPassword)
        }
        InteractionEvent::SignIn => match identify(provider, cookie, Some(&verification_id)).await {
            Err(ExperienceError::UserNotExist(_)) => {
                set_event(provider, cookie, InteractionEvent::Register, agreed).await?;
                proceed(identify(provider, cookie, Some(&verification_id)).await, provider, cookie).await
            }
            other => proceed(other, provider, cookie).await,
        },
        InteractionEvent::Register => match identify(provider, cookie, Some(&verification_id)).await {
            Err(ExperienceError::User(UserError::EmailAlreadyInUse)) => {
                set_event(provider, cookie, InteractionEvent::SignIn, false).await?;
                proceed(identify(provider, cookie, Some(&verification_id)).await, provider, cookie).await
            }
            other => proceed(other, provider, cookie).await,
        },
    }
}

/// The profile form: a username and/or a password the account still needs.
pub async fn complete_profile(provider: &Provider, cookie: Option<&str>, username: Option<&str>, password: Option<&str>) -> Result<Next, ExperienceError> {
    if let Some(username) = username.map(str::trim).filter(|u| !u.is_empty()) {
        add_profile(provider, cookie, ProfileInput::Username(username.to_owned())).await?;
    }
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        add_profile(provider, cookie, ProfileInput::Password(password.to_owned())).await?;
    }
    continue_after_profile(provider, cookie).await
}

/// The new-password form of a reset.
pub async fn set_new_password(provider: &Provider, cookie: Option<&str>, password: &str) -> Result<Next, ExperienceError> {
    reset_password(provider, cookie, password).await?;
    submit(provider, cookie).await?;
    Ok(Next::PasswordReset)
}

async fn continue_after_profile(provider: &Provider, cookie: Option<&str>) -> Result<Next, ExperienceError> {
    let (_, state) = started(provider, cookie).await?;
    if state.user_id.is_none() {
        return proceed(identify(provider, cookie, None).await, provider, cookie).await;
    }
    finish(provider, cookie).await
}

/// After identification: submit, or ask for what the profile lacks.
async fn proceed(identified: Result<super::Identified, ExperienceError>, provider: &Provider, cookie: Option<&str>) -> Result<Next, ExperienceError> {
    match identified {
        Ok(_) => finish(provider, cookie).await,
        Err(ExperienceError::MissingProfile(missing)) => Ok(Next::CompleteProfile(missing)),
        Err(other) => Err(other),
    }
}

async fn finish(provider: &Provider, cookie: Option<&str>) -> Result<Next, ExperienceError> {
    match submit(provider, cookie).await {
        Ok(Some(redirect_to)) => Ok(Next::Continue(redirect_to)),
        Ok(None) => Ok(Next::PasswordReset),
        Err(ExperienceError::MissingProfile(missing)) => Ok(Next::CompleteProfile(missing)),
        Err(ExperienceError::RequireMfaVerification(factors)) => Ok(Next::VerifyMfa(factors)),
        Err(ExperienceError::MissingMfa { available, skippable }) => Ok(Next::BindMfa { factors: available, skippable, suggestion: false }),
        Err(ExperienceError::SuggestMfa(available)) => Ok(Next::BindMfa { factors: available, skippable: true, suggestion: false }),
        Err(ExperienceError::SuggestAdditionalMfa(available)) => Ok(Next::BindMfa { factors: available, skippable: true, suggestion: true }),
        Err(ExperienceError::PasskeyPreferred) => Ok(Next::CreatePasskey),
        Err(ExperienceError::BackupCodeRequired) => Ok(Next::SaveBackupCodes),
        Err(other) => Err(other),
    }
}

/// The MFA verification form: a code from the authenticator app or a backup code.
pub async fn verify_mfa(provider: &Provider, cookie: Option<&str>, factor: crate::mfa::MfaFactor, code: &str) -> Result<Next, ExperienceError> {
    match factor {
        crate::mfa::MfaFactor::BackupCode => super::mfa::verify_backup_code(provider, cookie, code).await?,
        _ => super::mfa::verify_totp(provider, cookie, code, None).await?,
    };
    finish(provider, cookie).await
}

/// The authenticator binding form: the first code proves the app has the secret.
pub async fn bind_totp(provider: &Provider, cookie: Option<&str>, code: &str) -> Result<Next, ExperienceError> {
    let id = super::mfa::pending_totp_id(provider, cookie).await?;
    super::mfa::verify_totp(provider, cookie, code, Some(&id)).await?;
    super::mfa::bind(provider, cookie, crate::mfa::MfaFactor::Totp, &id).await?;
    finish(provider, cookie).await
}

/// "I have saved my backup codes".
pub async fn confirm_backup_codes(provider: &Provider, cookie: Option<&str>) -> Result<Next, ExperienceError> {
    super::mfa::bind(provider, cookie, crate::mfa::MfaFactor::BackupCode, "backup-codes").await?;
    finish(provider, cookie).await
}

/// "Not now" on the binding page (skippable policies only, or the suggestion of a factor
/// beside a passkey).
pub async fn skip_mfa(provider: &Provider, cookie: Option<&str>, suggestion: bool) -> Result<Next, ExperienceError> {
    if suggestion {
        super::mfa::skip_suggestion(provider, cookie).await?;
    } else {
        super::mfa::skip(provider, cookie).await?;
    }
    finish(provider, cookie).await
}

/// "Sign in with a passkey" (button or autofill): the page's script asked the browser with
/// the options the page carried and posts the answer here.
pub async fn sign_in_with_passkey(provider: &Provider, cookie: Option<&str>, verification_id: &str, credential: &serde_json::Value, agreed: bool) -> Result<Next, ExperienceError> {
    if !agreed && provider.sign_in_experience().await?.sign_in_needs_agreement() {
        return Err(ExperienceError::TermsNotAgreed);
    }
    // The ceremony lives beside the interaction, so restarting the experience keeps it.
    start(provider, cookie, InteractionEvent::SignIn, agreed).await?;
    let record = super::passkey::verify_sign_in(provider, cookie, Some(verification_id), credential).await?;
    identify(provider, cookie, Some(&record)).await?;
    finish(provider, cookie).await
}

/// The MFA page's passkey answer.
pub async fn verify_mfa_with_passkey(provider: &Provider, cookie: Option<&str>, verification_id: &str, credential: &serde_json::Value) -> Result<Next, ExperienceError> {
    super::passkey::verify_authentication(provider, cookie, verification_id, credential).await?;
    finish(provider, cookie).await
}

/// A passkey created on the binding page, as an MFA factor or (`for_sign_in`) to sign in with.
pub async fn create_passkey(provider: &Provider, cookie: Option<&str>, verification_id: &str, credential: &serde_json::Value, agent: &str, for_sign_in: bool) -> Result<Next, ExperienceError> {
    super::passkey::verify_registration(provider, cookie, verification_id, credential, agent).await?;
    if for_sign_in {
        super::passkey::bind_for_sign_in(provider, cookie, verification_id).await?;
    } else {
        super::mfa::bind(provider, cookie, crate::mfa::MfaFactor::WebAuthn, verification_id).await?;
    }
    finish(provider, cookie).await
}

/// "Not now" to a passkey for signing in.
pub async fn skip_passkey(provider: &Provider, cookie: Option<&str>) -> Result<Next, ExperienceError> {
    super::passkey::skip_for_sign_in(provider, cookie).await?;
    finish(provider, cookie).await
}

async fn mark_profile_code(provider: &Provider, cookie: Option<&str>) -> Result<(), ExperienceError> {
    let (interaction, mut state) = started(provider, cookie).await?;
    state.profile_code_pending = true;
    super::save(provider, &interaction, &state).await
}

fn pending_code_record(state: &super::ExperienceState) -> Option<super::VerificationRecord> {
    state.verification_records.iter().rev().find(|r| r.kind.is_code()).cloned()
}

fn code_identifier(to: &str) -> Result<Identifier, ExperienceError> {
    let kind = match identifiers::guess_kind(to) {
        IdentifierType::Username => return Err(ExperienceError::InvalidInput("enter an email address or a phone number".into())),
        kind => kind,
    };
    Ok(Identifier { kind, value: identifiers::normalize(kind, to)? })
}
