//! The account center (spec §11): what signed-in people may see and change of their own
//! account, through the Account API (`/api/my-account`) and the `/account` pages. Every call
//! names its caller with an opaque access token that holds `openid`; the account center must
//! be on, each field's switch allows reading or editing it, scopes limit what the token may
//! touch, and sensitive changes need a fresh proof (a verification record, §12).

pub mod identities;
pub mod mfa;
pub mod overview;
pub mod passkeys;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod verification;

use serde_json::{json, Map, Value};

use crate::crypto;
use crate::error::ErrorCode;
use crate::oidc::Provider;
use crate::passwords::policy::Issue;
use crate::sign_in_experience::IdentifierKind;
use crate::users::{self, User, UserError, UserUpdate};
use settings::{AccountCenter, Control};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no access token was given")]
    MissingToken,
    /// The account center pages: no live IdP session in this browser.
    #[error("nobody is signed in")]
    NotSignedIn,
    #[error("the access token is not valid")]
    InvalidToken,
    #[error("the access token lacks the openid scope")]
    Forbidden,
    #[error("the account center is not enabled")]
    NotEnabled,
    #[error("third-party applications cannot change accounts")]
    ThirdParty,
    #[error("this field cannot be edited in the account center")]
    FieldNotEditable,
    #[error("this field is not enabled in the account center")]
    FieldNotEnabled,
    /// Answered 400, as Logto does for a write the token's scopes do not cover.
    #[error("the access token lacks the {0} scope")]
    ScopeMissing(&'static str),
    #[error("a verification record is required for this change")]
    PermissionDenied,
    #[error("the account must keep a way to sign in")]
    LastSignInMethod,
    #[error("the password breaks the password policy")]
    PasswordRejected(Vec<Issue>),
    #[error("the new password is the current one")]
    SamePassword,
    #[error("the password is wrong")]
    InvalidCredentials,
    #[error("too many failed attempts; try again later")]
    Blocked,
    #[error("no such verification record")]
    RecordNotFound,
    #[error(transparent)]
    Social(#[from] crate::social::SocialError),
    /// Answered 400 (an identity owned by another account is 422).
    #[error("the account already has an identity at this target")]
    IdentityTargetLinked,
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Vault(#[from] crate::token_vault::VaultError),
    #[error(transparent)]
    Code(#[from] crate::verification_codes::CodeError),
    #[error(transparent)]
    Mfa(#[from] crate::mfa::MfaError),
    #[error("backup codes are ten codes of ten hexadecimal characters")]
    WrongBackupCodeFormat,
    #[error("unused backup codes remain; remove them first")]
    BackupCodesInUse,
    #[error("no such session, grant or token")]
    SessionNotFound,
    #[error("a personal access token with this name already exists")]
    TokenNameExists,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

impl ErrorCode for AccountError {
    fn code(&self) -> &'static str {
        use AccountError::*;
        match self {
            MissingToken => "auth.authorization_header_missing",
            InvalidToken | ScopeMissing(_) | NotSignedIn => "auth.unauthorized",
            Forbidden => "auth.forbidden",
            NotEnabled => "account_center.not_enabled",
            ThirdParty => "auth.third_party_application_forbidden",
            FieldNotEditable => "account_center.field_not_editable",
            FieldNotEnabled => "account_center.field_not_enabled",
            PermissionDenied => "verification_record.permission_denied",
            LastSignInMethod => "user.last_sign_in_method_required",
            PasswordRejected(_) => "password.rejected",
            SamePassword => "user.same_password",
            InvalidCredentials => "session.invalid_credentials",
            Blocked => "session.verification_blocked_too_many_attempts",
            RecordNotFound => "verification_record.not_found",
            Social(err) => err.code(),
            IdentityTargetLinked => "user.identity_already_in_use",
            User(err) => err.code(),
            Vault(err) => err.code(),
            Code(err) => err.code(),
            Mfa(err) => err.code(),
            WrongBackupCodeFormat => "user.wrong_backup_code_format",
            BackupCodesInUse => "user.backup_code_already_in_use",
            SessionNotFound => "entity.not_found",
            TokenNameExists => "user.personal_access_token_name_exists",
            InvalidInput(_) => "guard.invalid_input",
            Storage(_) | Internal(_) => "unexpected",
        }
    }
}

impl From<settings::SettingsError> for AccountError {
    fn from(err: settings::SettingsError) -> Self {
        match err {
            settings::SettingsError::Storage(e) => AccountError::Storage(e),
            settings::SettingsError::InvalidInput(m) => AccountError::InvalidInput(m),
        }
    }
}

impl From<crate::oidc::OidcError> for AccountError {
    fn from(err: crate::oidc::OidcError) -> Self {
        match err {
            crate::oidc::OidcError::Storage(e) => AccountError::Storage(e),
            other => AccountError::Internal(other.to_string()),
        }
    }
}

/// Who is calling, with what the token allows.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub scopes: Vec<String>,
    pub client_id: String,
    pub third_party: bool,
    pub settings: AccountCenter,
    /// The IdP session the token was issued in (none for tokens from token exchange).
    pub session_uid: Option<String>,
}

impl Caller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    fn require_scope(&self, scope: &'static str) -> Result<(), AccountError> {
        if self.has_scope(scope) { Ok(()) } else { Err(AccountError::ScopeMissing(scope)) }
    }

    /// Third-party applications may read what their scopes allow, never change anything.
    pub(crate) fn require_first_party(&self) -> Result<(), AccountError> {
        if self.third_party { Err(AccountError::ThirdParty) } else { Ok(()) }
    }

    /// Writes need the field's `Edit` switch and a first-party application.
    fn require_editable(&self, control: Control) -> Result<(), AccountError> {
        self.require_first_party()?;
        if control.editable() { Ok(()) } else { Err(AccountError::FieldNotEditable) }
    }
}

/// Names the caller from `Authorization: Bearer <opaque access token>`.
pub async fn authenticate(provider: &Provider, authorization: Option<&str>) -> Result<Caller, AccountError> {
    let token = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).filter(|t| !t.is_empty()).ok_or(AccountError::MissingToken)?;
    let row = crate::oidc::find_access_token(provider, &crypto::token_hash(token)).await?.ok_or(AccountError::InvalidToken)?;
    let scopes = crate::oidc::split_scope(&row.scope);
    if !scopes.iter().any(|s| s == "openid") {
        return Err(AccountError::Forbidden);
    }
    let user_id = row.account_id.ok_or(AccountError::InvalidToken)?;
    let user = match users::find_by_id(&provider.store, &user_id).await? {
        Some(user) if !user.is_suspended => user,
        _ => return Err(AccountError::InvalidToken),
    };
    let settings = settings::load(&provider.store).await?;
    if !settings.enabled {
        return Err(AccountError::NotEnabled);
    }
    let third_party = provider.application(&row.client_id).await?.is_some_and(|app| app.is_third_party);
    let session_uid = match &row.grant_id {
        Some(grant) => crate::oidc::grant_session(provider, grant).await?,
        None => None,
    };
    Ok(Caller { user, scopes, client_id: row.client_id, third_party, settings, session_uid })
}

/// The account center's own client: `/account` signs people in through it when its pages find
/// no session.
pub const ACCOUNT_CENTER: crate::first_party::FirstPartyClient = crate::first_party::FirstPartyClient {
    id: "account-center",
    name: "Vestibule account center",
    description: "The account center at /account, where people manage their own account.",
    path: "/account",
    scopes: "openid profile email phone",
    always_prompt: false,
};

/// What the account center pages may touch: everything of the account's own that a token
/// could be granted (they are first-party, and the person is signed in at Vestibule itself).
const ACCOUNT_CENTER_SCOPES: &[&str] = &["openid", "profile", "email", "phone", "address", "custom_data", "identities", crate::oidc::SESSIONS_SCOPE];

/// Names the caller of the `/account` pages from the IdP session cookie (`_session`): the
/// same rules as a token from a first-party application that holds every account scope.
pub async fn authenticate_session(provider: &Provider, session_cookie: Option<&str>) -> Result<Caller, AccountError> {
    let cookie = session_cookie.filter(|c| !c.is_empty()).ok_or(AccountError::NotSignedIn)?;
    let session = crate::oidc::session::find(provider, cookie).await?.ok_or(AccountError::NotSignedIn)?;
    let user = users::find_by_id(&provider.store, &session.account_id).await?.ok_or(AccountError::NotSignedIn)?;
    let settings = settings::load(&provider.store).await?;
    if !settings.enabled {
        return Err(AccountError::NotEnabled);
    }
    let scopes = ACCOUNT_CENTER_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    Ok(Caller { user, scopes, client_id: ACCOUNT_CENTER.id.to_owned(), third_party: false, settings, session_uid: Some(session.uid) })
}

/// Beyond Logto (which only links to `deleteAccountUrl`): people delete their own account in
/// the account center when the operator allows it (`selfServiceDeletion`), after a fresh proof.
/// Everything the account owns goes with it, in one transaction (see `users::delete`).
pub async fn delete_account(provider: &Provider, caller: &Caller, proof: Option<&str>) -> Result<(), AccountError> {
    caller.require_first_party()?;
    if !caller.settings.self_service_deletion {
        return Err(AccountError::FieldNotEditable);
    }
    verification::require_proof(provider, caller, proof).await?;
    Ok(users::delete(&provider.store, provider.clock.as_ref(), &caller.user.id, Some(&caller.client_id)).await?)
}

/// `GET /api/my-account`: what the token's scopes and the field switches let the caller see.
pub fn view(caller: &Caller, identities: Option<(Value, Value)>) -> Value {
    let (user, fields) = (&caller.user, &caller.settings.fields);
    let mut account = Map::new();
    account.insert("id".into(), json!(user.id));
    let mut show = |visible: bool, key: &str, value: Value| {
        if visible {
            account.insert(key.into(), value);
        }
    };
    let profile_scope = caller.has_scope("profile");
    show(profile_scope && fields.username.readable(), "username", json!(user.username));
    show(profile_scope && fields.name.readable(), "name", json!(user.name));
    show(profile_scope && fields.avatar.readable(), "avatar", json!(user.avatar));
    if profile_scope && fields.profile.readable() {
        let mut profile = user.profile.clone();
        if !caller.has_scope("address") {
            profile.address = None;
        }
        show(true, "profile", json!(profile));
    }
    show(profile_scope, "createdAt", json!(user.created_at));
    show(profile_scope, "updatedAt", json!(user.updated_at));
    show(profile_scope, "lastSignInAt", json!(user.last_sign_in_at));
    show(profile_scope && fields.password.readable(), "hasPassword", json!(user.password.is_some()));
    show(caller.has_scope("email") && fields.email.readable(), "primaryEmail", json!(user.primary_email));
    show(caller.has_scope("phone") && fields.phone.readable(), "primaryPhone", json!(user.primary_phone));
    show(caller.has_scope("custom_data") && fields.custom_data.readable(), "customData", json!(user.custom_data));
    if shows_identities(caller) {
        let (social, sso) = identities.unwrap_or_else(|| (json!({}), json!([])));
        show(true, "identities", social);
        show(true, "ssoIdentities", sso);
    }
    Value::Object(account)
}

/// Whether `GET /api/my-account` shows the caller's identities.
pub fn shows_identities(caller: &Caller) -> bool {
    caller.has_scope("identities") && caller.settings.fields.social.readable()
}

/// `PATCH /api/my-account`: name, avatar and username need `profile`, custom data
/// `custom_data`; each its field's `Edit` switch. `null` clears; custom data is replaced.
#[derive(Debug, Default)]
pub struct AccountChanges {
    pub name: Option<Option<String>>,
    pub avatar: Option<Option<String>>,
    pub username: Option<Option<String>>,
    pub custom_data: Option<Map<String, Value>>,
}

pub async fn update(provider: &Provider, caller: &Caller, proof: Option<&str>, changes: AccountChanges) -> Result<User, AccountError> {
    let fields = &caller.settings.fields;
    for (given, control) in [(changes.name.is_some(), fields.name), (changes.avatar.is_some(), fields.avatar), (changes.username.is_some(), fields.username)] {
        if given {
            caller.require_scope("profile")?;
            caller.require_editable(control)?;
        }
    }
    if changes.custom_data.is_some() {
        caller.require_scope("custom_data")?;
        caller.require_editable(fields.custom_data)?;
    }
    if let Some(Some(avatar)) = &changes.avatar {
        if !url::Url::parse(avatar).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
            return Err(AccountError::InvalidInput("avatar must be an http(s) URL".into()));
        }
    }
    let mut update = UserUpdate { name: changes.name, avatar: changes.avatar, username: changes.username, custom_data: changes.custom_data, ..UserUpdate::default() }.normalized()?;
    if let Some(Some(username)) = &update.username {
        let case_sensitive = provider.sign_in_experience().await?.usernames_case_sensitive();
        let holder = if case_sensitive {
            users::find_by_username(&provider.store, username).await?
        } else {
            users::find_by_username_ignoring_case(&provider.store, username).await?
        };
        if holder.is_some_and(|other| other.id != caller.user.id) {
            return Err(UserError::UsernameAlreadyInUse.into());
        }
    }
    if update.username.is_some() {
        // A username signs people in: changing it is as sensitive as changing an address.
        verification::require_proof(provider, caller, proof).await?;
    }
    if matches!(update.username, Some(None)) && !caller.user.keeps_identifier_without(IdentifierKind::Username) {
        return Err(AccountError::LastSignInMethod);
    }
    update.primary_email = None;
    update.primary_phone = None;
    Ok(users::update(&provider.store, provider.clock.as_ref(), &caller.user.id, update).await?)
}

/// `PATCH /api/my-account/profile`: merges OIDC profile fields (`address` needs its scope).
pub async fn update_profile(provider: &Provider, caller: &Caller, fields: Map<String, Value>) -> Result<users::Profile, AccountError> {
    caller.require_scope("profile")?;
    if fields.contains_key("address") {
        caller.require_scope("address")?;
    }
    caller.require_editable(caller.settings.fields.profile)?;
    Ok(users::merge_profile(&provider.store, provider.clock.as_ref(), &caller.user.id, fields).await?)
}

/// `POST /api/my-account/password`: a new password, checked against the policy. Proof of a
/// fresh verification is needed unless the account has no password, email or phone yet
/// (its first password).
pub async fn set_password(provider: &Provider, caller: &Caller, proof: Option<&str>, password: &str) -> Result<(), AccountError> {
    caller.require_editable(caller.settings.fields.password)?;
    let user = &caller.user;
    if user.password.is_some() || user.primary_email.is_some() || user.primary_phone.is_some() {
        verification::require_proof(provider, caller, proof).await?;
    }
    let sie = provider.sign_in_experience().await?;
    let info = crate::passwords::policy::UserInfo { name: user.name.clone(), username: user.username.clone(), email: user.primary_email.clone(), phone: user.primary_phone.clone() };
    let issues = sie.password_policy.check_everywhere(password, &info, &provider.breached).await;
    if !issues.is_empty() {
        return Err(AccountError::PasswordRejected(issues));
    }
    if user.password.is_some() && provider.passwords.verify(password, user.password.as_ref()).await {
        return Err(AccountError::SamePassword);
    }
    let hash = provider.passwords.hash(password).await;
    users::set_password(&provider.store, provider.clock.as_ref(), &user.id, hash).await?;
    Ok(())
}

/// `POST /api/my-account/primary-email` / `primary-phone`: a new address, proven twice — the
/// caller is who they say (`proof`), and the address is theirs (a verified code record for
/// exactly it).
pub async fn set_primary_identifier(provider: &Provider, caller: &Caller, proof: Option<&str>, kind: IdentifierKind, value: &str, new_identifier_record: &str) -> Result<User, AccountError> {
    let (scope, control) = identifier_field(caller, kind);
    caller.require_scope(scope)?;
    caller.require_editable(control)?;
    verification::require_proof(provider, caller, proof).await?;
    let address = verification::verified_new_identifier(provider, caller, new_identifier_record, kind, value).await?;
    let holder = match kind {
        IdentifierKind::Email => users::find_by_email(&provider.store, &address).await?,
        _ => users::find_by_phone(&provider.store, &address).await?,
    };
    if holder.is_some_and(|other| other.id != caller.user.id) {
        return Err(if kind == IdentifierKind::Email { UserError::EmailAlreadyInUse } else { UserError::PhoneAlreadyInUse }.into());
    }
    let update = match kind {
        IdentifierKind::Email => UserUpdate { primary_email: Some(Some(address)), ..UserUpdate::default() },
        _ => UserUpdate { primary_phone: Some(Some(address)), ..UserUpdate::default() },
    };
    Ok(users::update(&provider.store, provider.clock.as_ref(), &caller.user.id, update).await?)
}

/// `DELETE /api/my-account/primary-email` / `primary-phone`: not the account's last
/// identifier (Logto's rule: what sign-up asks for is not kept beyond that).
pub async fn remove_primary_identifier(provider: &Provider, caller: &Caller, proof: Option<&str>, kind: IdentifierKind) -> Result<User, AccountError> {
    let (scope, control) = identifier_field(caller, kind);
    caller.require_scope(scope)?;
    caller.require_editable(control)?;
    verification::require_proof(provider, caller, proof).await?;
    let user = &caller.user;
    if !user.keeps_identifier_without(kind) {
        return Err(AccountError::LastSignInMethod);
    }
    let update = match kind {
        IdentifierKind::Email => UserUpdate { primary_email: Some(None), ..UserUpdate::default() },
        _ => UserUpdate { primary_phone: Some(None), ..UserUpdate::default() },
    };
    Ok(users::update(&provider.store, provider.clock.as_ref(), &user.id, update).await?)
}

fn identifier_field(caller: &Caller, kind: IdentifierKind) -> (&'static str, Control) {
    match kind {
        IdentifierKind::Email => ("email", caller.settings.fields.email),
        _ => ("phone", caller.settings.fields.phone),
    }
}
