//! End users: their identifiers, profile and custom data (spec §1 `users`).

pub mod search;
mod store;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::{Clock, Millis};
use crate::error::ErrorCode;
use crate::sign_in_experience::IdentifierKind;
use crate::store::Store;

/// The OIDC standard profile claims Logto keeps beside the top-level `name` and `avatar`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A stored password hash and the algorithm that produced it, as Logto records them
/// (`password_encrypted`, `password_encryption_method`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub hash: String,
    pub method: String,
}

impl PasswordHash {
    /// Imported with another algorithm: replace it with Argon2id once the password is known.
    pub fn needs_rehash(&self) -> bool {
        self.method != crate::passwords::ARGON2ID
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordHash({}, <redacted>)", self.method)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub password: Option<PasswordHash>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub profile: Profile,
    pub custom_data: Map<String, Value>,
    pub is_suspended: bool,
    pub last_sign_in_at: Option<Millis>,
    pub password_updated_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl User {
    /// How to name the person to others: their name, else username, email, phone or id.
    pub fn display_name(&self) -> String {
        [&self.name, &self.username, &self.primary_email, &self.primary_phone].into_iter().flatten().find(|v| !v.trim().is_empty()).cloned().unwrap_or_else(|| self.id.clone())
    }

    /// Whether the account would still have an identifier to sign in with (username, email
    /// or phone; social and enterprise identities will count too) without the one of `kind`.
    pub fn keeps_identifier_without(&self, kind: IdentifierKind) -> bool {
        (kind != IdentifierKind::Username && self.username.is_some())
            || (kind != IdentifierKind::Email && self.primary_email.is_some())
            || (kind != IdentifierKind::Phone && self.primary_phone.is_some())
    }
}

/// What a new user starts with; everything else has a default.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Chosen by an operator script, or generated.
    pub id: Option<String>,
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub password: Option<PasswordHash>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub profile: Profile,
    pub custom_data: Map<String, Value>,
}

/// A partial update of the user's display details: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DetailsUpdate {
    pub name: Option<Option<String>>,
    pub avatar: Option<Option<String>>,
    pub profile: Option<Profile>,
    pub custom_data: Option<Map<String, Value>>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("this username is already in use")]
    UsernameAlreadyInUse,
    #[error("this email is already in use")]
    EmailAlreadyInUse,
    #[error("another account has this social identity")]
    IdentityAlreadyInUse,
    #[error("this phone number is already in use")]
    PhoneAlreadyInUse,
    #[error("no user has this id")]
    NotFound,
    #[error("the user has no such identity")]
    IdentityNotFound,
    #[error("the user has no identity at this enterprise SSO connector")]
    SsoIdentityNotFound,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error(transparent)]
    Search(#[from] search::SearchError),
    #[error("this is not a valid phone number")]
    InvalidPhone,
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for UserError {
    fn code(&self) -> &'static str {
        match self {
            UserError::UsernameAlreadyInUse => "user.username_already_in_use",
            UserError::EmailAlreadyInUse => "user.email_already_in_use",
            UserError::IdentityAlreadyInUse => "user.identity_already_in_use",
            UserError::PhoneAlreadyInUse => "user.phone_already_in_use",
            // Logto's code for an unknown user (admin-user.test.ts).
            UserError::NotFound => "entity.not_found",
            UserError::IdentityNotFound => "user.identity_not_exist",
            UserError::SsoIdentityNotFound => "user.enterprise_sso_identity_not_exists",
            UserError::InvalidInput(_) => "guard.invalid_input",
            UserError::Search(_) => "request.invalid_input",
            UserError::InvalidPhone => "user.invalid_phone",
            UserError::Storage(_) => "unexpected",
        }
    }
}

/// Creates a user with the default user roles (`isDefault`), as every way Logto creates users
/// does (the Management API and the CLI as much as registration), in one transaction.
pub async fn create(store: &Store, clock: &dyn Clock, new: NewUser) -> Result<User, UserError> {
    let mut tx = store.begin_write().await?;
    let user = register(&mut tx, clock, new).await?;
    tx.commit().await?;
    Ok(user)
}

/// Registers a user in the caller's transaction, with the default user roles.
pub async fn register(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, new: NewUser) -> Result<User, UserError> {
    let user = new_user(clock, new);
    store::insert_in(conn, &user).await?;
    store::assign_default_roles(conn, &user.id).await?;
    Ok(user)
}

fn new_user(clock: &dyn Clock, new: NewUser) -> User {
    let now = clock.now_ms();
    User {
        id: new.id.unwrap_or_else(crate::ids::user_id),
        username: new.username,
        primary_email: new.primary_email,
        primary_phone: new.primary_phone,
        password_updated_at: new.password.as_ref().map(|_| now),
        password: new.password,
        name: new.name,
        avatar: new.avatar,
        profile: new.profile,
        custom_data: new.custom_data,
        is_suspended: false,
        last_sign_in_at: None,
        created_at: now,
        updated_at: now,
    }
}

pub async fn find_by_id(store: &Store, id: &str) -> Result<Option<User>, UserError> {
    store::find_by_id(store, id).await
}

/// The accounts with these ids (in no particular order; unknown ids are skipped).
pub async fn find_many(store: &Store, ids: &[String]) -> Result<Vec<User>, UserError> {
    store::find_many(store, ids).await
}

pub async fn find_by_username(store: &Store, username: &str) -> Result<Option<User>, UserError> {
    store::find_by_username(store, username).await
}

/// Emails match case-insensitively (spec §0).
pub async fn find_by_email(store: &Store, email: &str) -> Result<Option<User>, UserError> {
    store::find_by_email(store, email).await
}

/// Phone numbers match with or without the trunk 0 after the country code (spec §0).
pub async fn find_by_phone(store: &Store, phone: &str) -> Result<Option<User>, UserError> {
    store::find_by_phone(store, &crate::identifiers::phone_variants(phone)).await
}

/// The user an identifier names (usernames are case-sensitive, emails are not).
/// [`find_by_username`] that ignores case (`usernamePolicy.caseSensitive: false`).
pub async fn find_by_username_ignoring_case(store: &Store, username: &str) -> Result<Option<User>, UserError> {
    store::find_by_username_ignoring_case(store, username).await
}

pub async fn find_by_identifier(store: &Store, kind: IdentifierKind, value: &str) -> Result<Option<User>, UserError> {
    match kind {
        IdentifierKind::Username => find_by_username(store, value).await,
        IdentifierKind::Email => find_by_email(store, value).await,
        IdentifierKind::Phone => find_by_phone(store, value).await,
    }
}

/// What an interaction changes on an existing user when it completes.
#[derive(Debug, Clone, Default)]
pub struct StagedChanges {
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub password: Option<PasswordHash>,
    /// From an upstream whose connector syncs the profile.
    pub name: Option<String>,
    pub avatar: Option<String>,
    /// Stamp `last_sign_in_at`.
    pub sign_in: bool,
}

/// Applies `changes` in the caller's transaction.
pub async fn apply_staged(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, id: &str, changes: &StagedChanges) -> Result<(), UserError> {
    store::apply_staged(conn, id, changes, clock.now_ms()).await
}

pub async fn update_details(
    store: &Store,
    clock: &dyn Clock,
    id: &str,
    update: DetailsUpdate,
) -> Result<User, UserError> {
    let mut user = find_by_id(store, id).await?.ok_or(UserError::NotFound)?;
    if let Some(name) = update.name {
        user.name = name;
    }
    if let Some(avatar) = update.avatar {
        user.avatar = avatar;
    }
    if let Some(profile) = update.profile {
        user.profile = profile;
    }
    if let Some(custom_data) = update.custom_data {
        user.custom_data = custom_data;
    }
    user.updated_at = clock.now_ms();
    store::update_details(store, &user).await?;
    Ok(user)
}

/// A page of users, newest first, optionally filtered by a case-insensitive substring of the
/// id, username, email, phone or name; with the number of matches (exact up to
/// [`EXACT_COUNT_LIMIT`]).
#[derive(Debug, Clone)]
pub struct UserQuery {
    pub search: search::UserSearch,
    /// 1-based; ignored with `cursor`.
    pub page: i64,
    pub page_size: i64,
    /// Keyset pagination instead of `page`: `Some("")` for the first page, then the previous
    /// page's [`UserPage::next_cursor`]. Any depth costs the same (a page number makes the
    /// database walk past every user before it).
    pub cursor: Option<String>,
}

/// One page of [`list`].
#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<User>,
    /// How many users match: exact up to [`EXACT_COUNT_LIMIT`].
    pub total: i64,
    /// With a cursor, where the next page starts; `None` once a page comes back short.
    pub next_cursor: Option<String>,
}

/// Where a page of users ended: opaque to callers, as `Link: <…&cursor=…>; rel="next"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserCursor {
    pub created_at: i64,
    pub id: String,
}

impl UserCursor {
    fn after(user: &User) -> Self {
        UserCursor { created_at: user.created_at, id: user.id.clone() }
    }

    fn encode(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}.{}", self.created_at, self.id))
    }

    /// `None` for anything this node did not encode.
    fn decode(text: &str) -> Option<Self> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        let (created_at, id) = std::str::from_utf8(&bytes).ok()?.split_once('.')?;
        // A NUL inside the base64 passes the edge's check, and PostgreSQL cannot take it.
        if id.is_empty() || id.contains('\0') {
            return None;
        }
        Some(UserCursor { created_at: created_at.parse().ok()?, id: id.to_owned() })
    }
}

/// `Total-Number` is exact up to this many matches; a search with more answers one more
/// ("more than a thousand", as code search engines do): counting them all would read them all.
pub const EXACT_COUNT_LIMIT: i64 = 1_000;

pub async fn list(store: &Store, query: &UserQuery) -> Result<UserPage, UserError> {
    let after = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => Some(UserCursor::decode(text).ok_or_else(|| UserError::InvalidInput("cursor is not one this API gave".to_owned()))?),
    };
    let (users, total) = store::list(store, query, after.as_ref()).await?;
    // A full page may have more behind it; a short one is the last.
    let next_cursor = match (&query.cursor, users.last()) {
        (Some(_), Some(last)) if users.len() as i64 == query.page_size => Some(UserCursor::after(last).encode()),
        _ => None,
    };
    Ok(UserPage { users, total, next_cursor })
}

/// A partial update of a user (Management API): each `Some` replaces the field, `Some(None)`
/// clears an identifier or detail.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub username: Option<Option<String>>,
    pub primary_email: Option<Option<String>>,
    pub primary_phone: Option<Option<String>>,
    pub name: Option<Option<String>>,
    pub avatar: Option<Option<String>>,
    pub profile: Option<Profile>,
    pub custom_data: Option<Map<String, Value>>,
}

impl UserUpdate {
    /// Checks and normalises the identifiers it sets; an empty string clears one.
    pub fn normalized(mut self) -> Result<Self, UserError> {
        use crate::identifiers as ids;
        let check = |value: Option<Option<String>>, kind: IdentifierKind| -> Result<Option<Option<String>>, UserError> {
            match value {
                Some(Some(v)) if !v.is_empty() => ids::normalize(kind, &v).map(|v| Some(Some(v))).map_err(|e| UserError::InvalidInput(e.to_string())),
                Some(_) => Ok(Some(None)),
                None => Ok(None),
            }
        };
        self.username = check(self.username, IdentifierKind::Username)?;
        self.primary_email = check(self.primary_email, IdentifierKind::Email)?;
        self.primary_phone = match self.primary_phone {
            Some(Some(v)) if !v.is_empty() => Some(Some(ids::valid_phone(&v).ok_or(UserError::InvalidPhone)?)),
            Some(_) => Some(None),
            None => None,
        };
        Ok(self)
    }

    pub fn is_empty(&self) -> bool {
        self.username.is_none() && self.primary_email.is_none() && self.primary_phone.is_none() && self.name.is_none()
            && self.avatar.is_none() && self.profile.is_none() && self.custom_data.is_none()
    }
}

/// Merges fields into the user's OIDC profile (`null` clears one; unknown fields are refused).
pub async fn merge_profile(store: &Store, clock: &dyn Clock, id: &str, fields: Map<String, Value>) -> Result<Profile, UserError> {
    let user = find_by_id(store, id).await?.ok_or(UserError::NotFound)?;
    let Value::Object(mut merged) = serde_json::to_value(&user.profile).expect("profile serializes") else { unreachable!() };
    for (key, value) in fields {
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    let profile: Profile = serde_json::from_value(Value::Object(merged)).map_err(|e| UserError::InvalidInput(format!("profile: {e}")))?;
    Ok(update(store, clock, id, UserUpdate { profile: Some(profile), ..UserUpdate::default() }).await?.profile)
}

/// Merges top-level keys into the user's custom data.
pub async fn merge_custom_data(store: &Store, clock: &dyn Clock, id: &str, fields: Map<String, Value>) -> Result<Map<String, Value>, UserError> {
    let mut data = find_by_id(store, id).await?.ok_or(UserError::NotFound)?.custom_data;
    data.extend(fields);
    Ok(update(store, clock, id, UserUpdate { custom_data: Some(data), ..UserUpdate::default() }).await?.custom_data)
}

pub async fn update(store: &Store, clock: &dyn Clock, id: &str, update: UserUpdate) -> Result<User, UserError> {
    let mut user = find_by_id(store, id).await?.ok_or(UserError::NotFound)?;
    if let Some(v) = update.username {
        user.username = v;
    }
    if let Some(v) = update.primary_email {
        user.primary_email = v;
    }
    if let Some(v) = update.primary_phone {
        user.primary_phone = v;
    }
    if let Some(v) = update.name {
        user.name = v;
    }
    if let Some(v) = update.avatar {
        user.avatar = v;
    }
    if let Some(v) = update.profile {
        user.profile = v;
    }
    if let Some(v) = update.custom_data {
        user.custom_data = v;
    }
    user.updated_at = clock.now_ms();
    store::update_all(store, &user).await?;
    Ok(user)
}

pub async fn set_suspended(store: &Store, clock: &dyn Clock, id: &str, suspended: bool) -> Result<User, UserError> {
    store::set_suspended(store, id, suspended, clock.now_ms()).await?;
    find_by_id(store, id).await?.ok_or(UserError::NotFound)
}

/// The user's `logto_config` document (`mfa.skipped`, …); `{}` when unset.
pub async fn logto_config(store: &Store, id: &str) -> Result<Value, UserError> {
    let text: Option<String> = sqlx::query_scalar("SELECT logto_config FROM users WHERE id = $1").bind(id).fetch_optional(store.pool()).await?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_else(|| Value::Object(Map::new())))
}

/// Sets one flag in the user's `logto_config` (e.g. `mfa.skipped`, `passkeySignIn.skipped`),
/// in the caller's transaction; other settings are kept.
pub async fn set_config_flag(conn: &mut sqlx::AnyConnection, id: &str, section: &str, key: &str, value: bool) -> Result<(), UserError> {
    set_config_flags(conn, id, &[(section, key)], value).await
}

/// Sets several `(section, key)` flags to `value` with one read and one write.
pub async fn set_config_flags(conn: &mut sqlx::AnyConnection, id: &str, flags: &[(&str, &str)], value: bool) -> Result<(), UserError> {
    let text: Option<String> = sqlx::query_scalar("SELECT logto_config FROM users WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let mut config: Value = text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_else(|| Value::Object(Map::new()));
    if !config.is_object() {
        config = Value::Object(Map::new());
    }
    for (section, key) in flags {
        if !config[*section].is_object() {
            config[*section] = Value::Object(Map::new());
        }
        config[*section][*key] = Value::Bool(value);
    }
    sqlx::query("UPDATE users SET logto_config = $2 WHERE id = $1").bind(id).bind(config.to_string()).execute(&mut *conn).await?;
    Ok(())
}

/// Deletes an account and everything it owns, in one transaction: its sessions, grants and
/// tokens, pending sign-ins, MFA factors and passkeys (and their unfinished ceremonies),
/// verification records, personal access tokens and role assignments (the schema's cascades,
/// plus what is keyed by the id without a foreign key). Audit-logged as `User.Delete`; `by`
/// names the application that asked (none for the Management API's operator).
pub async fn delete(store: &Store, clock: &dyn Clock, id: &str, by: Option<&str>) -> Result<(), UserError> {
    if !store::delete(store, id, clock.now_ms()).await? {
        return Err(UserError::NotFound);
    }
    let entry = crate::audit::Entry { key: "User.Delete", outcome: crate::audit::Outcome::Success, user_id: Some(id), application_id: by, payload: serde_json::json!({ "userId": id }) };
    crate::audit::record(store, clock, entry).await;
    Ok(())
}

/// Stamps `last_sign_in_at` when a sign-in completes.
pub async fn record_sign_in(store: &Store, id: &str, at: Millis) -> Result<(), UserError> {
    store::record_sign_in(store, id, at).await
}

/// Sets a new password hash (`password_updated_at` = now).
pub async fn set_password(store: &Store, clock: &dyn Clock, id: &str, password: PasswordHash) -> Result<(), UserError> {
    store::set_password(store, id, &password, clock.now_ms()).await
}

pub async fn count(store: &Store) -> Result<i64, UserError> {
    store::count(store).await
}
