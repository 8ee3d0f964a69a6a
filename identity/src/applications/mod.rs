//! Applications (OIDC clients): their type decides how they authenticate and which grants
//! they may use (spec §2 "Clients by app type").

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
}

impl Application {
    /// Redirect URIs match exactly, character for character (no normalisation).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| registered == uri)
    }

    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|registered| registered == uri)
    }

    pub fn secret_matches(&self, secret: &str) -> bool {
        self.secret_hash
            .as_deref()
            .is_some_and(|hash| crypto::constant_time_eq(hash, &crypto::token_hash(secret)))
    }
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
    let application = Application {
        name: new.name,
        app_type: new.app_type,
        secret_hash: match (&secret, new.app_type.is_public()) {
            (_, true) => None,
            (Some(s), false) => Some(crypto::token_hash(s)),
            (None, false) => existing.secret_hash.clone(),
        },
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        cors_allowed_origins: new.cors_allowed_origins,
        is_third_party: new.is_third_party,
        id_token_alg: new.id_token_alg.unwrap_or(existing.id_token_alg.clone()),
        ..existing
    };
    store::update(store, &application).await?;
    Ok(CreatedApplication { application, secret })
}

pub async fn find(store: &Store, id: &str) -> Result<Option<Application>, ApplicationError> {
    store::find(store, id).await
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
