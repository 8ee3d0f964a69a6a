//! The OpenID provider (spec §2): authorization requests, interactions and sessions, the
//! token endpoint's grants, userinfo, introspection, revocation and RP-initiated logout.
//! Everything a later request needs lives in the database, so any node can serve it.

pub mod authorize;
pub mod backchannel;
pub mod claims;
pub mod consent;
pub mod discovery;
pub mod end_session;
pub mod grants;
pub mod id_token_config;
pub mod interaction;
pub mod keys;
pub mod session;
mod store;
pub mod tokens;
pub mod introspection;
pub mod userinfo;

use std::sync::Arc;
use std::time::Duration;

use crate::applications::{Application, ApplicationError};
use crate::cache::TtlCache;
use crate::clock::Clock;
use crate::crypto;
use crate::error::ErrorCode;
use crate::passwords::PasswordHasher;
use crate::rbac::RbacError;
use crate::store::Store;
use crate::users::UserError;

pub use keys::KeyRing;

/// Lifetimes (spec §2 "Lifetimes/behaviour"), in milliseconds.
pub mod ttl {
    pub const AUTHORIZATION_CODE: i64 = 60_000;
    pub const ACCESS_TOKEN: i64 = 3_600_000;
    pub const ID_TOKEN: i64 = 3_600_000;
    /// The default; each application sets its own (`refreshTokenTtlInDays`).
    pub const REFRESH_TOKEN_DAYS: i64 = 14;
    pub const INTERACTION: i64 = 3_600_000;
    pub const SESSION: i64 = 14 * 24 * 3_600_000;
    pub const GRANT: i64 = 180 * 24 * 3_600_000;
    /// A rotated refresh token is still accepted this long (concurrent refreshes).
    pub const REFRESH_REUSE_GRACE: i64 = 3_000;
}

/// The scopes with meaning to the provider itself (not API resources).
pub const OIDC_SCOPES: &[&str] =
    &["openid", "offline_access", "profile", "email", "phone", "address", "custom_data", "identities", "roles", ORGANIZATIONS_SCOPE, ORGANIZATION_ROLES_SCOPE, SESSIONS_SCOPE];

/// The claims `organizations` (ids) and `organization_data`; also what an organization token
/// needs (spec §13).
pub const ORGANIZATIONS_SCOPE: &str = "urn:logto:scope:organizations";
/// The claim `organization_roles` (`<organization id>:<role name>`).
pub const ORGANIZATION_ROLES_SCOPE: &str = "urn:logto:scope:organization_roles";

/// Lets an access token manage the user's sessions through the Account API.
pub const SESSIONS_SCOPE: &str = "urn:logto:scope:sessions";

/// Read-through caches for what every token request reads (spec: stateless nodes, caches
/// with short TTLs). A change made elsewhere is seen within [`CACHE_TTL`].
pub struct Caches {
    pub applications: TtlCache<String, Application>,
    pub resources: TtlCache<String, crate::rbac::Resource>,
    /// The default resource, or the fact that there is none: read on every token request.
    pub default_resource: TtlCache<(), Option<crate::rbac::Resource>>,
    pub application_scopes: TtlCache<(String, String), Vec<String>>,
    /// With its version, checked against the database's on every read.
    pub sign_in_experience: TtlCache<(), (i64, crate::sign_in_experience::SignInExperience)>,
    pub id_token_config: TtlCache<(), id_token_config::IdTokenConfig>,
}

pub const CACHE_TTL: Duration = Duration::from_secs(10);

impl Default for Caches {
    fn default() -> Self {
        Self::with_ttl(CACHE_TTL)
    }
}

impl Caches {
    /// Caches whose entries live `ttl` (zero: always read the database).
    pub fn with_ttl(ttl: Duration) -> Self {
        Self {
            applications: TtlCache::new(ttl),
            resources: TtlCache::new(ttl),
            default_resource: TtlCache::new(ttl),
            application_scopes: TtlCache::new(ttl),
            sign_in_experience: TtlCache::new(ttl),
            id_token_config: TtlCache::new(ttl),
        }
    }
}

/// Everything the provider's flows need, built once at start.
#[derive(Clone)]
pub struct Provider {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<KeyRing>,
    pub passwords: PasswordHasher,
    /// Public base URL, e.g. `https://id.example.com`.
    pub endpoint: String,
    pub caches: Arc<Caches>,
    /// The breached-password check of the password policy.
    pub breached: crate::passwords::breached::BreachedPasswords,
    /// Seals secrets kept at rest (signing keys, TOTP secrets) with the master secret.
    pub at_rest: Arc<crypto::AtRest>,
    /// Messages for a kind with no connector go to the log (true) or are refused with
    /// `connector.not_found` (false, production).
    pub dev_outbox: bool,
    /// Wakes this node's back-channel logout sender: a session ended here.
    pub backchannel_due: Arc<tokio::sync::Notify>,
}

impl Provider {
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.endpoint)
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// An application, from the cache when it was read within the TTL.
    pub async fn application(&self, id: &str) -> Result<Option<Application>, OidcError> {
        if let Some(app) = self.caches.applications.get(&id.to_owned()) {
            return Ok(Some(app));
        }
        let app = crate::applications::find(&self.store, id).await?;
        if let Some(app) = &app {
            self.caches.applications.put(id.to_owned(), app.clone());
        }
        Ok(app)
    }

    /// A resource by indicator (`None`: the default resource), cached like applications.
    pub async fn resource(&self, indicator: Option<&str>) -> Result<Option<crate::rbac::Resource>, OidcError> {
        let Some(indicator) = indicator else {
            if let Some(default) = self.caches.default_resource.get(&()) {
                return Ok(default);
            }
            let default = crate::rbac::default_resource(&self.store).await?;
            self.caches.default_resource.put((), default.clone());
            return Ok(default);
        };
        let key = indicator.to_owned();
        if let Some(resource) = self.caches.resources.get(&key) {
            return Ok(Some(resource));
        }
        let resource = crate::rbac::find_resource(&self.store, indicator).await?;
        if let Some(resource) = &resource {
            self.caches.resources.put(key, resource.clone());
        }
        Ok(resource)
    }

    /// The sign-in experience configuration. It holds security settings (sign-in mode,
    /// lockout, MFA policy) that must hold on every node the moment one node changes them,
    /// so the cached copy is used only while its version is the stored one: one indexed
    /// read of a number instead of the document.
    pub async fn sign_in_experience(&self) -> Result<crate::sign_in_experience::SignInExperience, OidcError> {
        use crate::sign_in_experience::{self as sie, SignInExperienceError};
        let storage = |e: SignInExperienceError| match e {
            SignInExperienceError::Storage(e) => OidcError::Storage(e),
            other => OidcError::new("server_error", other.to_string()),
        };
        if let Some((version, cached)) = self.caches.sign_in_experience.get(&()) {
            if sie::version(&self.store).await.map_err(storage)? == version {
                return Ok(cached);
            }
        }
        let (version, current) = sie::load_versioned(&self.store).await.map_err(storage)?;
        self.caches.sign_in_experience.put((), (version, current.clone()));
        Ok(current)
    }

    /// The extended claims ID tokens carry, cached.
    pub async fn id_token_config(&self) -> Result<id_token_config::IdTokenConfig, OidcError> {
        if let Some(config) = self.caches.id_token_config.get(&()) {
            return Ok(config);
        }
        let config = id_token_config::load(&self.store).await?;
        self.caches.id_token_config.put((), config.clone());
        Ok(config)
    }

    /// Scopes of `resource` that the application's M2M roles grant, cached.
    pub async fn application_scopes(&self, application_id: &str, resource_id: &str) -> Result<Vec<String>, OidcError> {
        let key = (application_id.to_owned(), resource_id.to_owned());
        if let Some(scopes) = self.caches.application_scopes.get(&key) {
            return Ok(scopes);
        }
        let scopes = crate::rbac::application_scopes(&self.store, application_id, resource_id).await?;
        self.caches.application_scopes.put(key, scopes.clone());
        Ok(scopes)
    }
}

/// An OAuth 2.0 / OIDC protocol error (`error`, `error_description`), or a failure of ours.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("{error}: {description}")]
    Protocol { error: &'static str, description: String },
    /// A protocol error answered 403 rather than 400 (Logto: a client asking for a token of
    /// an organization it is not in).
    #[error("{error}: {description}")]
    Forbidden { error: &'static str, description: String },
    #[error("signing keys: {0}")]
    Keys(#[from] keys::KeyError),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl OidcError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        OidcError::Protocol { error, description: description.into() }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new("invalid_client", description)
    }

    /// The OAuth `error` value; `server_error` for our own failures.
    pub fn error(&self) -> &'static str {
        match self {
            OidcError::Protocol { error, .. } | OidcError::Forbidden { error, .. } => error,
            _ => "server_error",
        }
    }

    /// How the audit log records this error: `{code: "oidc.<error>", message}`, as Logto's.
    pub fn logged(&self) -> serde_json::Value {
        serde_json::json!({ "code": format!("oidc.{}", self.error()), "message": self.description() })
    }

    pub fn description(&self) -> String {
        match self {
            OidcError::Protocol { description, .. } | OidcError::Forbidden { description, .. } => description.clone(),
            _ => "an unexpected error occurred".to_owned(),
        }
    }
}

impl ErrorCode for OidcError {
    fn code(&self) -> &'static str {
        match self.error() {
            "invalid_request" => "oidc.invalid_request",
            "invalid_client" => "oidc.invalid_client",
            "invalid_grant" => "oidc.invalid_grant",
            "invalid_scope" => "oidc.invalid_scope",
            "invalid_target" => "oidc.invalid_target",
            "invalid_token" => "oidc.invalid_token",
            "unauthorized_client" => "oidc.unauthorized_client",
            "unsupported_grant_type" => "oidc.unsupported_grant_type",
            "unsupported_response_type" => "oidc.unsupported_response_type",
            "unsupported_token_type" => "oidc.unsupported_token_type",
            "invalid_redirect_uri" => "oidc.invalid_redirect_uri",
            "login_required" => "oidc.login_required",
            "access_denied" => "oidc.access_denied",
            _ => "unexpected",
        }
    }
}

impl From<UserError> for OidcError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::Storage(e) => OidcError::Storage(e),
            other => OidcError::invalid_grant(other.to_string()),
        }
    }
}

impl From<ApplicationError> for OidcError {
    fn from(err: ApplicationError) -> Self {
        match err {
            ApplicationError::Storage(e) => OidcError::Storage(e),
            other => OidcError::invalid_client(other.to_string()),
        }
    }
}

impl From<RbacError> for OidcError {
    fn from(err: RbacError) -> Self {
        match err {
            RbacError::Storage(e) => OidcError::Storage(e),
            other => OidcError::new("invalid_target", other.to_string()),
        }
    }
}

/// How a client proved who it is at the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Default)]
pub struct ClientAuthentication {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Whether the credentials came in an `Authorization: Basic` header.
    pub basic: bool,
}

/// `client_secret_basic`, `client_secret_post` for confidential clients, `none` for public
/// ones. A request with no client at all is malformed (`invalid_request`, as oidc-provider
/// answers); an unknown client and a wrong secret are the same `invalid_client`. A named
/// secret past its expiry says so (Logto's `client secret has expired`): it proves the caller
/// once held the secret, so nothing is revealed to a guesser.
pub async fn authenticate_client(provider: &Provider, auth: &ClientAuthentication) -> Result<Application, OidcError> {
    let client_id = auth.client_id.as_deref().ok_or_else(|| OidcError::invalid_request("no client authentication mechanism provided"))?;
    let app = provider.application(client_id).await?.ok_or_else(|| OidcError::invalid_client("client authentication failed"))?;
    if app.app_type.is_public() {
        return Ok(app);
    }
    match auth.client_secret.as_deref().map(|secret| app.check_secret(secret, provider.now_ms())) {
        Some(crate::applications::SecretCheck::Valid) => Ok(app),
        Some(crate::applications::SecretCheck::Expired) => Err(OidcError::invalid_request("client secret has expired")),
        _ => Err(OidcError::invalid_client("client authentication failed")),
    }
}

/// Splits a space-separated scope string, dropping duplicates, keeping order.
/// The user's sessions and the grants they started (account center).
pub(crate) async fn sessions_of(provider: &Provider, account_id: &str) -> Result<(Vec<(String, i64, i64, i64)>, Vec<(String, String, String)>), sqlx::Error> {
    store::sessions_of(&provider.store, account_id, provider.now_ms()).await
}

pub(crate) async fn end_session_of(provider: &Provider, account_id: &str, uid: &str, revoke_first_party_only: Option<bool>) -> Result<bool, sqlx::Error> {
    let ended = store::end_session_of(&provider.store, account_id, uid, revoke_first_party_only, provider.now_ms()).await?;
    provider.backchannel_due.notify_one();
    Ok(ended)
}

pub(crate) async fn grants_of(provider: &Provider, account_id: &str, third_party: Option<bool>) -> Result<Vec<(String, String, i64, i64)>, sqlx::Error> {
    store::grants_of(&provider.store, account_id, third_party, provider.now_ms()).await
}

pub(crate) async fn revoke_grant_of(provider: &Provider, account_id: &str, grant_id: &str) -> Result<bool, sqlx::Error> {
    store::revoke_grant_of(&provider.store, account_id, grant_id).await
}

pub(crate) async fn grant_session(provider: &Provider, grant_id: &str) -> Result<Option<String>, sqlx::Error> {
    store::grant_session(&provider.store, grant_id).await
}

/// An unexpired opaque access token, by the hash of its value.
pub(crate) async fn find_access_token(provider: &Provider, hash: &str) -> Result<Option<store::TokenRow>, sqlx::Error> {
    Ok(store::find_token(&provider.store, hash).await?.filter(|row| row.kind == "access_token" && row.expires_at > provider.now_ms()))
}

pub fn split_scope(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

pub fn hash(token: &str) -> String {
    crypto::token_hash(token)
}
