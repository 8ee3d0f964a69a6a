//! Applications (OIDC clients): their type decides how they authenticate and which grants
//! they may use (spec §2 "Clients by app type").

pub mod consent_scopes;
pub mod sign_in_experience;
mod store;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Millis};
use crate::crypto;
use crate::error::ErrorCode;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppType {
    Native,
    #[serde(rename = "SPA")]
    Spa,
    Traditional,
    MachineToMachine,
}

impl AppType {
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Native => "Native",
            AppType::Spa => "SPA",
            AppType::Traditional => "Traditional",
            AppType::MachineToMachine => "MachineToMachine",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Native" | "native" => Some(AppType::Native),
            "SPA" | "spa" => Some(AppType::Spa),
            "Traditional" | "traditional" => Some(AppType::Traditional),
            "MachineToMachine" | "m2m" => Some(AppType::MachineToMachine),
            _ => None,
        }
    }

    /// SPAs and native apps cannot keep a secret: they authenticate with `none` and must
    /// use PKCE.
    pub fn is_public(self) -> bool {
        matches!(self, AppType::Native | AppType::Spa)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub app_type: AppType,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub cors_allowed_origins: Vec<String>,
    pub is_third_party: bool,
    /// `ES256` (default) or `RS256` for ID tokens.
    pub id_token_alg: String,
    pub created_at: Millis,
    pub description: Option<String>,
    /// Named additional secrets (hash, expiry).
    pub extra_secrets: Vec<(String, Option<Millis>)>,
    /// Logto's `customClientMetadata.rotateRefreshToken` (default true): each refresh returns a
    /// new refresh token and spends the old one; false keeps the same one for its lifetime.
    pub rotate_refresh_token: bool,
    /// `customClientMetadata.refreshTokenTtlInDays` (1–90, default 14).
    pub refresh_token_ttl_days: i64,
    /// OpenID Connect Back-Channel Logout: where the application hears that a session it
    /// was in ended, and whether the `logout_token` must name the session (`sid`).
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// When a secret was last deleted or replaced: tokens issued to the application before
    /// that second are void.
    pub credentials_rotated_at: Option<Millis>,
}

/// The bounds Logto puts on `refreshTokenTtlInDays`.
pub const REFRESH_TOKEN_TTL_DAYS: std::ops::RangeInclusive<i64> = 1..=90;

impl Application {
    /// Redirect URIs match exactly, character for character (no normalisation).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| registered == uri)
    }

    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|registered| registered == uri)
    }

    /// The primary secret or any unexpired additional one.
    pub fn secret_matches(&self, secret: &str, now: Millis) -> bool {
        self.check_secret(secret, now) == SecretCheck::Valid
    }

    /// Whether `secret` is one of this application's secrets, and still valid.
    pub fn check_secret(&self, secret: &str, now: Millis) -> SecretCheck {
        let presented = crypto::token_hash(secret);
        if self.secret_hash.as_deref().is_some_and(|hash| crypto::constant_time_eq(hash, &presented)) {
            return SecretCheck::Valid;
        }
        match self.extra_secrets.iter().find(|(hash, _)| crypto::constant_time_eq(hash, &presented)) {
            Some((_, Some(expires_at))) if *expires_at <= now => SecretCheck::Expired,
            Some(_) => SecretCheck::Valid,
            None => SecretCheck::Wrong,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretCheck {
    Valid,
    /// One of the application's named secrets, past its expiry.
    Expired,
    Wrong,
}

#[derive(Debug, Clone)]
pub struct NewApplication {
    /// Chosen by the operator (scripts, `--id`) or generated.
    pub id: Option<String>,
    pub name: String,
    pub app_type: AppType,
    /// For confidential clients: given, or generated and returned once.
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub cors_allowed_origins: Vec<String>,
    pub is_third_party: bool,
    pub id_token_alg: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("an application with this id already exists")]
    AlreadyExists,
    #[error("invalid redirect URI: {0}")]
    InvalidRedirectUri(String),
    #[error("unsupported ID token algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("no application has this id")]
    NotFound,
    #[error("a secret with this name already exists")]
    SecretNameInUse,
    #[error("public clients (SPA, native) have no secrets")]
    PublicClientSecret,
    #[error("machine-to-machine applications cannot be third-party")]
    InvalidThirdPartyType,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("only third-party applications ask for consent")]
    ThirdPartyOnly,
    #[error("some of the scopes do not exist")]
    ConsentScopesNotFound,
    #[error("the application is not allowed this scope")]
    ConsentScopeNotFound,
    #[error("no user has this id")]
    UserNotFound,
    #[error("the user is not a member of the organization")]
    RequireMembership,
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for ApplicationError {
    fn code(&self) -> &'static str {
        match self {
            ApplicationError::AlreadyExists => "application.id_already_exists",
            ApplicationError::InvalidRedirectUri(_) => "application.invalid_redirect_uri",
            ApplicationError::UnsupportedAlgorithm(_) => "guard.invalid_input",
            ApplicationError::NotFound => "entity.not_exists_with_id",
            ApplicationError::SecretNameInUse => "application.secret_name_exists",
            // Logto's code: its database refuses the row (application-secrets.test.ts).
            ApplicationError::PublicClientSecret => "entity.db_constraint_violated",
            ApplicationError::InvalidThirdPartyType => "application.invalid_third_party_application_type",
            ApplicationError::InvalidInput(_) => "guard.invalid_input",
            ApplicationError::ThirdPartyOnly => "application.third_party_application_only",
            ApplicationError::ConsentScopesNotFound => "application.user_consent_scopes_not_found",
            ApplicationError::ConsentScopeNotFound | ApplicationError::UserNotFound => "entity.not_found",
            ApplicationError::RequireMembership => "organization.require_membership",
            ApplicationError::Storage(_) => "unexpected",
        }
    }
}

/// The application and, for confidential clients, its plaintext secret (shown once).
pub struct CreatedApplication {
    pub application: Application,
    pub secret: Option<String>,
}

pub async fn create(store: &Store, clock: &dyn Clock, new: NewApplication) -> Result<CreatedApplication, ApplicationError> {
    for uri in new.redirect_uris.iter().chain(&new.post_logout_redirect_uris) {
        validate_redirect_uri(uri)?;
    }
    let id_token_alg = new.id_token_alg.unwrap_or_else(|| "ES256".to_owned());
    if !matches!(id_token_alg.as_str(), "ES256" | "RS256") {
        return Err(ApplicationError::UnsupportedAlgorithm(id_token_alg));
    }
    let secret = if new.app_type.is_public() { None } else { Some(new.secret.unwrap_or_else(crate::ids::secret)) };
    let application = Application {
        id: new.id.unwrap_or_else(crate::ids::entity_id),
        name: new.name,
        app_type: new.app_type,
        secret_hash: secret.as_deref().map(crypto::token_hash),
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        cors_allowed_origins: new.cors_allowed_origins,
        is_third_party: new.is_third_party,
        id_token_alg,
        created_at: clock.now_ms(),
        description: new.description,
        extra_secrets: vec![],
        rotate_refresh_token: true,
        refresh_token_ttl_days: crate::oidc::ttl::REFRESH_TOKEN_DAYS,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        credentials_rotated_at: None,
    };
    store::insert(store, &application).await?;
    Ok(CreatedApplication { application, secret })
}

/// Creates the application, or brings an existing one with the same id in line with `new`
/// (what an operator's script expects when it runs twice). An existing secret is kept unless
/// a new one is given; the returned secret is `None` then.
pub async fn create_or_update(store: &Store, clock: &dyn Clock, new: NewApplication) -> Result<CreatedApplication, ApplicationError> {
    let existing = match &new.id {
        Some(id) => find(store, id).await?,
        None => None,
    };
    let Some(existing) = existing else {
        return create(store, clock, new).await;
    };
    for uri in new.redirect_uris.iter().chain(&new.post_logout_redirect_uris) {
        validate_redirect_uri(uri)?;
    }
    let secret = if new.app_type.is_public() { None } else { new.secret };
    let secret_hash = match (&secret, new.app_type.is_public()) {
        (_, true) => None,
        (Some(s), false) => Some(crypto::token_hash(s)),
        (None, false) => existing.secret_hash.clone(),
    };
    // A replaced secret voids what was issued with the old one (the same secret again, as
    // `vestibule bootstrap` gives on every run, changes nothing).
    let rotated = secret_hash != existing.secret_hash;
    let application = Application {
        name: new.name,
        app_type: new.app_type,
        secret_hash,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        cors_allowed_origins: new.cors_allowed_origins,
        is_third_party: new.is_third_party,
        id_token_alg: new.id_token_alg.unwrap_or(existing.id_token_alg.clone()),
        description: new.description.or_else(|| existing.description.clone()),
        credentials_rotated_at: if rotated { Some(clock.now_ms()) } else { existing.credentials_rotated_at },
        ..existing
    };
    let mut tx = store.begin_write().await?;
    store::update(&mut tx, &application).await?;
    if rotated {
        store::credentials_rotated(&mut tx, &application.id, clock.now_ms()).await?;
    }
    tx.commit().await?;
    Ok(CreatedApplication { application, secret })
}

/// An application with its secrets' hashes, in one read.
pub async fn find(store: &Store, id: &str) -> Result<Option<Application>, ApplicationError> {
    store::find_with_secrets(store, id).await
}

pub async fn list(store: &Store) -> Result<Vec<Application>, ApplicationError> {
    store::list(store).await
}

/// The application list's filters, as Logto's Console asks for them.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter<'a> {
    /// `Native`, `SPA`, `Traditional`, `MachineToMachine`; empty: all.
    pub types: Vec<&'a str>,
    pub is_third_party: Option<bool>,
    /// Id, name or description, as [`crate::search_pattern::matches`] reads it.
    pub search: Option<&'a str>,
}

pub async fn list_filtered(store: &Store, filter: &ApplicationFilter<'_>) -> Result<Vec<Application>, ApplicationError> {
    if let Some(unknown) = filter.types.iter().find(|t| !matches!(**t, "Native" | "SPA" | "Traditional" | "MachineToMachine")) {
        return Err(ApplicationError::InvalidInput(format!("types: `{unknown}` is not an application type")));
    }
    let mut apps = list(store).await?;
    if !filter.types.is_empty() {
        apps.retain(|app| filter.types.contains(&app.app_type.as_str()));
    }
    if let Some(wanted) = filter.is_third_party {
        apps.retain(|app| app.is_third_party == wanted);
    }
    if let Some(search) = filter.search.filter(|s| !s.is_empty()) {
        let matches = |text: &str| crate::search_pattern::matches(search, text);
        apps.retain(|app| matches(&app.id) || matches(&app.name) || app.description.as_deref().is_some_and(matches));
    }
    Ok(apps)
}

/// A partial update (Management API); each `Some` replaces the field.
#[derive(Debug, Clone, Default)]
pub struct ApplicationUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub cors_allowed_origins: Option<Vec<String>>,
    pub is_third_party: Option<bool>,
    pub rotate_refresh_token: Option<bool>,
    pub refresh_token_ttl_days: Option<i64>,
    /// `Some(None)` removes it.
    pub backchannel_logout_uri: Option<Option<String>>,
    pub backchannel_logout_session_required: Option<bool>,
}

pub async fn update(store: &Store, id: &str, update: ApplicationUpdate) -> Result<Application, ApplicationError> {
    let mut app = find(store, id).await?.ok_or(ApplicationError::NotFound)?;
    for uri in update.redirect_uris.iter().chain(&update.post_logout_redirect_uris).flatten() {
        validate_redirect_uri(uri)?;
    }
    if let Some(v) = update.name {
        app.name = v;
    }
    if let Some(v) = update.description {
        app.description = v;
    }
    if let Some(v) = update.redirect_uris {
        app.redirect_uris = v;
    }
    if let Some(v) = update.post_logout_redirect_uris {
        app.post_logout_redirect_uris = v;
    }
    if let Some(v) = update.cors_allowed_origins {
        app.cors_allowed_origins = v;
    }
    if let Some(v) = update.is_third_party {
        if v && app.app_type == AppType::MachineToMachine {
            return Err(ApplicationError::InvalidThirdPartyType);
        }
        app.is_third_party = v;
    }
    if let Some(v) = update.rotate_refresh_token {
        app.rotate_refresh_token = v;
    }
    if let Some(days) = update.refresh_token_ttl_days {
        if !REFRESH_TOKEN_TTL_DAYS.contains(&days) {
            return Err(ApplicationError::InvalidInput(format!("refreshTokenTtlInDays must be {} to {}", REFRESH_TOKEN_TTL_DAYS.start(), REFRESH_TOKEN_TTL_DAYS.end())));
        }
        app.refresh_token_ttl_days = days;
    }
    if let Some(uri) = update.backchannel_logout_uri {
        let uri = uri.filter(|u| !u.is_empty());
        if let Some(uri) = &uri {
            validate_backchannel_logout_uri(uri)?;
        }
        app.backchannel_logout_uri = uri;
    }
    if let Some(v) = update.backchannel_logout_session_required {
        app.backchannel_logout_session_required = v;
    }
    store::update(&mut *store.pool().acquire().await?, &app).await?;
    Ok(app)
}

/// Back-Channel Logout 1.0 §2.2: an absolute http(s) URL without a fragment.
pub fn validate_backchannel_logout_uri(uri: &str) -> Result<(), ApplicationError> {
    match url::Url::parse(uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => Ok(()),
        _ => Err(ApplicationError::InvalidInput("backchannelLogoutUri must be an http(s) URL without a fragment".into())),
    }
}

pub async fn delete(store: &Store, id: &str) -> Result<(), ApplicationError> {
    if store::delete(store, id).await? { Ok(()) } else { Err(ApplicationError::NotFound) }
}

/// An additional secret as listed: Logto's shape without its `value`, which only the create
/// response carries (we keep a hash, Logto the plaintext).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    pub application_id: String,
    pub name: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
}

/// Adds a named secret; returns its plaintext (shown once).
pub async fn add_secret(store: &Store, clock: &dyn Clock, id: &str, name: &str, expires_at: Option<Millis>) -> Result<(SecretInfo, String), ApplicationError> {
    let app = find(store, id).await?.ok_or(ApplicationError::NotFound)?;
    if app.app_type.is_public() {
        return Err(ApplicationError::PublicClientSecret);
    }
    let now = clock.now_ms();
    if name.trim().is_empty() || name.len() > 256 {
        return Err(ApplicationError::InvalidInput("a secret name has 1 to 256 characters".into()));
    }
    if expires_at.is_some_and(|at| at <= now) {
        return Err(ApplicationError::InvalidInput("expiresAt must be in the future".into()));
    }
    let value = crate::ids::secret();
    store::insert_secret(store, id, name, &crypto::token_hash(&value), now, expires_at).await?;
    Ok((SecretInfo { application_id: id.to_owned(), name: name.to_owned(), created_at: now, expires_at }, value))
}

pub async fn secrets(store: &Store, id: &str) -> Result<Vec<SecretInfo>, ApplicationError> {
    find(store, id).await?.ok_or(ApplicationError::NotFound)?;
    store::secrets(store, id).await
}

/// Deletes a named secret. Whatever was issued to the application until now is void: the
/// secret may have leaked, and a token minted with it must not outlive it.
pub async fn delete_secret(store: &Store, clock: &dyn Clock, id: &str, name: &str) -> Result<(), ApplicationError> {
    let mut tx = store.begin_write().await?;
    if !store::delete_secret(&mut tx, id, name).await? {
        return Err(ApplicationError::NotFound);
    }
    store::credentials_rotated(&mut tx, id, clock.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

impl Application {
    /// Whether a token issued at `issued_at_seconds` (a JWT's `iat`) predates the last change
    /// of credentials. Tokens from the second of the change itself stay valid: `iat` has no
    /// finer grain, and refusing a token just minted with the new secret would be worse.
    pub fn voids_tokens_issued_at(&self, issued_at_seconds: i64) -> bool {
        self.credentials_rotated_at.is_some_and(|rotated| issued_at_seconds < rotated.div_euclid(1000))
    }
}

/// Whether a browser origin (`https://app.example.com`) may call the token endpoints: it
/// must be an origin of some application's redirect URIs or listed in its CORS origins
/// (spec §2 "Token-endpoint CORS").
pub async fn origin_allowed(store: &Store, origin: &str) -> Result<bool, ApplicationError> {
    Ok(store::with_origin_candidates(store, origin)
        .await?
        .iter()
        .any(|app| app.cors_allowed_origins.iter().any(|o| o == origin) || app.redirect_uris.iter().any(|uri| origin_of(uri).as_deref() == Some(origin))))
}

/// `scheme://host[:port]` of a URL, as browsers serialise an `Origin` header.
fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    match url.origin() {
        url::Origin::Tuple(..) => Some(url.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// Absolute URIs without fragments (RFC 6749 §3.1.2); custom schemes are allowed for
/// native apps. Only visible ASCII: the URI is compared character for character and sent
/// back verbatim in a `Location` header, and `Url::parse` would silently drop the tabs and
/// newlines that make such a header invalid (non-ASCII must be percent-encoded).
fn validate_redirect_uri(uri: &str) -> Result<(), ApplicationError> {
    if uri.is_empty() || !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApplicationError::InvalidRedirectUri(uri.escape_debug().to_string()));
    }
    let parsed = url::Url::parse(uri).map_err(|_| ApplicationError::InvalidRedirectUri(uri.to_owned()))?;
    if parsed.fragment().is_some() {
        return Err(ApplicationError::InvalidRedirectUri(uri.to_owned()));
    }
    Ok(())
}
