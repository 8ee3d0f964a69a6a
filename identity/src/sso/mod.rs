//! Enterprise SSO connectors (spec §5): an organization's identity provider — OpenID Connect
//! or SAML 2.0, generic or a named provider (Okta, Microsoft Entra ID, Google Workspace) — and
//! the email domains whose people sign in there. A connector is *available* (offered, and
//! found by email domain) once its configuration is complete and it has domains; the sign-in
//! experience's `singleSignOnEnabled` switches them all on. Client secrets are sealed at rest.

use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::Row;

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::oidc::Provider;
use crate::store::{get_flag, unique_violation};

pub mod idp_initiated;
pub mod saml;
pub mod sign_in;
pub use sign_in::SsoUser;

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("no SSO connector has this id")]
    NotFound,
    #[error("unknown SSO provider {0}")]
    UnknownProvider(String),
    #[error("invalid connector configuration: {0}")]
    InvalidConfig(String),
    #[error("a connector with this name exists already")]
    DuplicateName,
    #[error("public email domains cannot route to SSO: {0:?}")]
    ForbiddenDomains(Vec<String>),
    #[error("domains are listed twice: {0:?}")]
    DuplicatedDomains(Vec<String>),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Not configured for sign-in (incomplete, without domains, or a protocol not built).
    #[error("this SSO connector cannot sign anyone in")]
    NotAvailable,
    /// The identity provider refused, or its answer did not check out.
    #[error(transparent)]
    Upstream(#[from] crate::social::SocialError),
    /// A SAML answer failed a check (signature, issuer, audience, recipient, request, time,
    /// or it was used before).
    #[error("the SAML assertion is not acceptable: {0}")]
    InvalidAssertion(String),
    #[error("IdP-initiated sign-in is for SAML connectors only")]
    IdpInitiatedNotSupported,
    #[error("invalid application type: only {0} applications are allowed")]
    InvalidApplicationType(&'static str),
    #[error("the redirect URI is not one the application registered")]
    RedirectUriNotRegistered,
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for SsoError {
    fn code(&self) -> &'static str {
        match self {
            SsoError::NotFound => "entity.not_exists_with_id",
            SsoError::UnknownProvider(_) => "connector.not_found",
            SsoError::InvalidConfig(_) => "connector.invalid_config",
            SsoError::DuplicateName => "single_sign_on.duplicate_connector_name",
            SsoError::ForbiddenDomains(_) => "single_sign_on.forbidden_domains",
            SsoError::DuplicatedDomains(_) => "single_sign_on.duplicated_domains",
            SsoError::InvalidInput(_) => "guard.invalid_input",
            // To the sign-in pages an unusable connector does not exist.
            SsoError::NotAvailable => "entity.not_exists_with_id",
            SsoError::Upstream(e) => e.code(),
            SsoError::InvalidAssertion(_) => "connector.invalid_response",
            SsoError::IdpInitiatedNotSupported => "single_sign_on.idp_initiated_authentication_not_supported",
            SsoError::InvalidApplicationType(_) => "single_sign_on.idp_initiated_authentication_invalid_application_type",
            SsoError::RedirectUriNotRegistered => "single_sign_on.idp_initiated_authentication_redirect_uri_not_registered",
            SsoError::Storage(_) => "unexpected",
        }
    }
}

impl SsoError {
    /// The domains at fault, as Logto's `data`.
    pub fn data(&self) -> Option<Value> {
        match self {
            SsoError::ForbiddenDomains(d) | SsoError::DuplicatedDomains(d) => Some(json!(d)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderType {
    Oidc,
    Saml,
}

/// An SSO provider, by Logto's `providerName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsoProvider {
    pub name: &'static str,
    pub kind: ProviderType,
    pub display_name: &'static str,
    pub description: &'static str,
    pub logo: &'static str,
    /// Google Workspace's issuer is Google's; the others name their own.
    pub fixed_issuer: Option<&'static str>,
}

pub const PROVIDERS: [SsoProvider; 6] = [
    SsoProvider { name: "OIDC", kind: ProviderType::Oidc, display_name: "OIDC", description: "Any OpenID Connect identity provider", logo: "/connectors/oidc.svg", fixed_issuer: None },
    SsoProvider { name: "SAML", kind: ProviderType::Saml, display_name: "SAML", description: "Any SAML 2.0 identity provider", logo: "/connectors/saml.svg", fixed_issuer: None },
    SsoProvider { name: "AzureAD", kind: ProviderType::Saml, display_name: "Microsoft Entra ID (SAML)", description: "Microsoft Entra ID over SAML 2.0", logo: "/connectors/microsoft.svg", fixed_issuer: None },
    SsoProvider { name: "AzureAdOidc", kind: ProviderType::Oidc, display_name: "Microsoft Entra ID (OIDC)", description: "Microsoft Entra ID over OpenID Connect", logo: "/connectors/microsoft.svg", fixed_issuer: None },
    SsoProvider { name: "GoogleWorkspace", kind: ProviderType::Oidc, display_name: "Google Workspace", description: "Google Workspace accounts", logo: "/connectors/google.svg", fixed_issuer: Some("https://accounts.google.com") },
    SsoProvider { name: "Okta", kind: ProviderType::Oidc, display_name: "Okta", description: "Okta Workforce Identity", logo: "/connectors/okta.svg", fixed_issuer: None },
];

pub fn provider(name: &str) -> Option<&'static SsoProvider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// Consumer mail services: their addresses are anybody's, so no organization may claim them.
const PUBLIC_EMAIL_DOMAINS: [&str; 19] = [
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "icloud.com", "aol.com", "yandex.com", "mail.com", "protonmail.com", "yanex.com", "gmx.com",
    "mail.ru", "zoho.com", "qq.com", "163.com", "126.com", "sina.com", "sohu.com",
];

const SECRET_KEY: &str = "clientSecret";
const MASK: &str = "********";

#[derive(Debug, Clone, PartialEq)]
pub struct SsoConnector {
    pub id: String,
    pub provider: &'static SsoProvider,
    pub connector_name: String,
    /// As given (the client secret in the clear here, sealed in storage).
    pub config: Map<String, Value>,
    pub domains: Vec<String>,
    pub branding: Map<String, Value>,
    pub sync_profile: bool,
    /// Keep the identity provider's tokens for the application (OIDC connectors only).
    pub enable_token_storage: bool,
    pub created_at: i64,
}

impl SsoConnector {
    /// Complete configuration and at least one domain: offered and found by email.
    pub fn is_available(&self) -> bool {
        !self.domains.is_empty() && validate_config(self.provider, &self.config).is_ok()
    }

    fn masked_config(&self) -> Map<String, Value> {
        let mut config = self.config.clone();
        if config.contains_key(SECRET_KEY) {
            config.insert(SECRET_KEY.into(), json!(MASK));
        }
        config
    }

    /// The Management API's view: Logto's row and the provider's fields beside it, and for
    /// SAML the service provider's own addresses (what the IdP's administrator enters).
    pub fn to_api_json(&self, endpoint: &str) -> Value {
        let mut body = json!({
            "id": self.id,
            "providerName": self.provider.name,
            "connectorName": self.connector_name,
            "config": self.masked_config(),
            "domains": self.domains,
            "branding": self.branding,
            "syncProfile": self.sync_profile,
            "enableTokenStorage": self.enable_token_storage,
            "createdAt": self.created_at,
            "name": self.provider.display_name,
            "providerType": self.provider.kind,
            "providerLogo": self.provider.logo,
            "providerLogoDark": self.provider.logo,
        });
        if self.provider.kind == ProviderType::Saml {
            body["providerConfig"] = json!({
                "defaultAttributeMapping": {"id": "nameID", "email": "email", "name": "name"},
                "serviceProvider": {
                    "entityId": saml::entity_id(endpoint, &self.id),
                    "assertionConsumerServiceUrl": saml::acs_url(endpoint, &self.id),
                },
            });
        }
        body
    }

    /// `/api/.well-known/sign-in-exp`'s `ssoConnectors` entry.
    pub fn to_public_json(&self) -> Value {
        let brand = |key: &str| self.branding.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
        json!({
            "id": self.id,
            "connectorName": brand("displayName").unwrap_or_else(|| self.connector_name.clone()),
            "logo": brand("logo").unwrap_or_else(|| self.provider.logo.to_owned()),
            "darkLogo": brand("darkLogo").or_else(|| brand("logo")).unwrap_or_else(|| self.provider.logo.to_owned()),
        })
    }
}

fn invalid(message: impl Into<String>) -> SsoError {
    SsoError::InvalidConfig(message.into())
}

fn string_field(config: &Map<String, Value>, key: &str) -> Result<Option<String>, SsoError> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(invalid(format!("{key} is a non-empty string"))),
    }
}

fn http_url(config: &Map<String, Value>, key: &str) -> Result<Option<String>, SsoError> {
    let Some(value) = string_field(config, key)? else { return Ok(None) };
    match url::Url::parse(&value) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => Ok(Some(value)),
        _ => Err(invalid(format!("{key} must be an http(s) URL"))),
    }
}

/// A complete configuration for the provider: OIDC `{clientId, clientSecret, issuer, scope?,
/// trustUnverifiedEmail?}` (Google Workspace's issuer is fixed); SAML one of `{metadataUrl}`,
/// `{metadata}` (XML) or `{entityId, signInEndpoint, x509Certificate}`, with an optional
/// `attributeMapping {id?, email?, name?}`.
pub fn validate_config(provider: &SsoProvider, config: &Map<String, Value>) -> Result<(), SsoError> {
    let allowed: &[&str] = match provider.kind {
        ProviderType::Oidc => &["clientId", "clientSecret", "issuer", "scope", "trustUnverifiedEmail"],
        ProviderType::Saml => &["metadataUrl", "metadata", "entityId", "signInEndpoint", "x509Certificate", "attributeMapping"],
    };
    if let Some(unknown) = config.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(format!("unknown setting {unknown}")));
    }
    match provider.kind {
        ProviderType::Oidc => {
            string_field(config, "clientId")?.ok_or_else(|| invalid("clientId is required"))?;
            string_field(config, "clientSecret")?.ok_or_else(|| invalid("clientSecret is required"))?;
            string_field(config, "scope")?;
            if provider.fixed_issuer.is_none() {
                http_url(config, "issuer")?.ok_or_else(|| invalid("issuer is required"))?;
            }
            if config.get("trustUnverifiedEmail").is_some_and(|v| !v.is_boolean()) {
                return Err(invalid("trustUnverifiedEmail is true or false"));
            }
        }
        ProviderType::Saml => {
            let by_url = http_url(config, "metadataUrl")?.is_some();
            let by_xml = string_field(config, "metadata")?.is_some();
            let entity = string_field(config, "entityId")?;
            let endpoint = http_url(config, "signInEndpoint")?;
            let certificate = string_field(config, "x509Certificate")?;
            let by_fields = entity.is_some() && endpoint.is_some() && certificate.is_some();
            if !(by_url || by_xml || by_fields) {
                return Err(invalid("metadataUrl, metadata, or entityId with signInEndpoint and x509Certificate are required"));
            }
            if let Some(mapping) = config.get("attributeMapping").filter(|m| !m.is_null()) {
                let mapping = mapping.as_object().ok_or_else(|| invalid("attributeMapping is an object"))?;
                if mapping.iter().any(|(k, v)| !["id", "email", "name"].contains(&k.as_str()) || !v.is_string()) {
                    return Err(invalid("attributeMapping maps id, email and name to attribute names"));
                }
            }
        }
    }
    Ok(())
}

/// Lower-cased, checked domains: no public mail service, none twice.
fn domains_of(value: Vec<String>) -> Result<Vec<String>, SsoError> {
    let domains: Vec<String> = value.iter().map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase()).collect();
    if let Some(bad) = domains.iter().find(|d| d.is_empty() || d.len() > 253 || !d.contains('.') || !d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')) {
        return Err(SsoError::InvalidInput(format!("{bad:?} is not a domain")));
    }
    let forbidden: Vec<String> = domains.iter().filter(|d| PUBLIC_EMAIL_DOMAINS.contains(&d.as_str())).cloned().collect();
    if !forbidden.is_empty() {
        return Err(SsoError::ForbiddenDomains(forbidden));
    }
    let mut twice: Vec<String> = domains.iter().enumerate().filter(|(i, d)| domains[..*i].contains(d)).map(|(_, d)| d.clone()).collect();
    twice.dedup();
    if !twice.is_empty() {
        return Err(SsoError::DuplicatedDomains(twice));
    }
    Ok(domains)
}

/// A create (`provider_name` set) or an update (`None`): each field given replaces the stored
/// one (`config` too: it is replaced, not merged, as Logto does — but a masked secret keeps
/// the stored one).
#[derive(Debug, Clone, Default)]
pub struct ConnectorInput {
    pub provider_name: Option<String>,
    pub connector_name: Option<String>,
    pub config: Option<Map<String, Value>>,
    pub domains: Option<Vec<String>>,
    pub branding: Option<Map<String, Value>>,
    pub sync_profile: Option<bool>,
    pub enable_token_storage: Option<bool>,
}

const COLUMNS: &str = "id, provider_name, connector_name, config, domains, branding, sync_profile, enable_token_storage, created_at";

/// Token storage needs tokens: SAML sign-ins bring none.
fn token_storage(sso_provider: &SsoProvider, requested: Option<bool>, current: bool) -> Result<bool, SsoError> {
    let on = requested.unwrap_or(current);
    if on && sso_provider.kind != ProviderType::Oidc {
        return Err(invalid("SAML sign-ins bring no tokens to store (enableTokenStorage)"));
    }
    Ok(on)
}

fn from_row(provider: &Provider, row: &sqlx::any::AnyRow) -> Result<SsoConnector, SsoError> {
    let name: String = row.try_get("provider_name")?;
    let sso_provider = self::provider(&name).ok_or(SsoError::UnknownProvider(name))?;
    let mut config: Map<String, Value> = serde_json::from_str(&row.try_get::<String, _>("config")?).unwrap_or_default();
    provider.at_rest.open_fields(&mut config, &[SECRET_KEY]).map_err(|_| invalid("the client secret cannot be opened"))?;
    Ok(SsoConnector {
        id: row.try_get("id")?,
        provider: sso_provider,
        connector_name: row.try_get("connector_name")?,
        config,
        domains: serde_json::from_str(&row.try_get::<String, _>("domains")?).unwrap_or_default(),
        branding: serde_json::from_str(&row.try_get::<String, _>("branding")?).unwrap_or_default(),
        sync_profile: get_flag(row, "sync_profile")?,
        enable_token_storage: get_flag(row, "enable_token_storage")?,
        created_at: row.try_get("created_at")?,
    })
}

fn sealed(provider: &Provider, config: &Map<String, Value>) -> String {
    provider.at_rest.seal_fields(config, &[SECRET_KEY])
}

/// Every connector whose provider this release knows, oldest first.
pub async fn list(provider: &Provider) -> Result<Vec<SsoConnector>, SsoError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM sso_connectors ORDER BY created_at, id")).fetch_all(provider.store.pool()).await?;
    Ok(rows.iter().filter_map(|r| from_row(provider, r).ok()).collect())
}

pub async fn get(provider: &Provider, id: &str) -> Result<SsoConnector, SsoError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM sso_connectors WHERE id = $1")).bind(id).fetch_optional(provider.store.pool()).await?;
    from_row(provider, &row.ok_or(SsoError::NotFound)?)
}

fn name_of(value: Option<String>) -> Result<Option<String>, SsoError> {
    match value.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() || n.len() > 128 => Err(SsoError::InvalidInput("connectorName is 1 to 128 characters".into())),
        other => Ok(other),
    }
}

pub async fn create(provider: &Provider, clock: &dyn Clock, input: ConnectorInput) -> Result<SsoConnector, SsoError> {
    let name = input.provider_name.ok_or_else(|| SsoError::InvalidInput("providerName is required".into()))?;
    let sso_provider = self::provider(&name).ok_or(SsoError::UnknownProvider(name))?;
    let connector_name = name_of(input.connector_name)?.ok_or_else(|| SsoError::InvalidInput("connectorName is required".into()))?;
    let domains = domains_of(input.domains.unwrap_or_default())?;
    let config = input.config.unwrap_or_default();
    if !config.is_empty() {
        validate_config(sso_provider, &config)?;
    }
    let keep_tokens = token_storage(sso_provider, input.enable_token_storage, false)?;
    let id = crate::ids::entity_id();
    let inserted = sqlx::query(&format!("INSERT INTO sso_connectors ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(&id)
        .bind(sso_provider.name)
        .bind(&connector_name)
        .bind(sealed(provider, &config))
        .bind(json!(domains).to_string())
        .bind(Value::Object(input.branding.unwrap_or_default()).to_string())
        .bind(input.sync_profile.unwrap_or(false))
        .bind(keep_tokens)
        .bind(clock.now_ms())
        .execute(provider.store.pool())
        .await;
    if let Err(err) = inserted {
        return Err(if unique_violation(&err).is_some() { SsoError::DuplicateName } else { err.into() });
    }
    get(provider, &id).await
}

pub async fn update(provider: &Provider, id: &str, input: ConnectorInput) -> Result<SsoConnector, SsoError> {
    let current = get(provider, id).await?;
    let domains = match input.domains {
        Some(domains) => domains_of(domains)?,
        None => current.domains.clone(),
    };
    let config = match input.config {
        Some(mut config) => {
            if config.get(SECRET_KEY).and_then(Value::as_str) == Some(MASK) {
                config.insert(SECRET_KEY.into(), current.config.get(SECRET_KEY).cloned().unwrap_or(Value::Null));
            }
            validate_config(current.provider, &config)?;
            config
        }
        None => current.config.clone(),
    };
    let connector_name = name_of(input.connector_name)?.unwrap_or(current.connector_name.clone());
    let keep_tokens = token_storage(current.provider, input.enable_token_storage, current.enable_token_storage)?;
    let mut tx = provider.store.begin_write().await?;
    let updated = sqlx::query("UPDATE sso_connectors SET connector_name = $2, config = $3, domains = $4, branding = $5, sync_profile = $6, enable_token_storage = $7 WHERE id = $1")
        .bind(id)
        .bind(&connector_name)
        .bind(sealed(provider, &config))
        .bind(json!(domains).to_string())
        .bind(Value::Object(input.branding.unwrap_or(current.branding.clone())).to_string())
        .bind(input.sync_profile.unwrap_or(current.sync_profile))
        .bind(keep_tokens)
        .execute(&mut *tx)
        .await;
    if let Err(err) = updated {
        return Err(if unique_violation(&err).is_some() { SsoError::DuplicateName } else { err.into() });
    }
    if !keep_tokens {
        sqlx::query("DELETE FROM sso_token_sets WHERE sso_identity_id IN (SELECT id FROM user_sso_identities WHERE sso_connector_id = $1)").bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    get(provider, id).await
}

pub async fn delete(provider: &Provider, id: &str) -> Result<(), SsoError> {
    let deleted = sqlx::query("DELETE FROM sso_connectors WHERE id = $1").bind(id).execute(provider.store.pool()).await?;
    if deleted.rows_affected() == 0 { Err(SsoError::NotFound) } else { Ok(()) }
}

/// The connectors the sign-in pages offer: none unless the sign-in experience enables SSO.
pub async fn offered(provider: &Provider, sie: &crate::sign_in_experience::SignInExperience) -> Result<Vec<SsoConnector>, SsoError> {
    if !sie.single_sign_on_enabled {
        return Ok(Vec::new());
    }
    Ok(list(provider).await?.into_iter().filter(SsoConnector::is_available).collect())
}

/// `GET /api/experience/sso-connectors?email=`: the offered connectors whose domains hold the
/// address's domain (case-insensitive).
pub async fn for_email(provider: &Provider, sie: &crate::sign_in_experience::SignInExperience, email: &str) -> Result<Vec<SsoConnector>, SsoError> {
    let (local, domain) = email.trim().rsplit_once('@').ok_or_else(|| SsoError::InvalidInput("email must be an email address".into()))?;
    if local.is_empty() || domain.is_empty() {
        return Err(SsoError::InvalidInput("email must be an email address".into()));
    }
    let domain = domain.to_ascii_lowercase();
    Ok(offered(provider, sie).await?.into_iter().filter(|c| c.domains.contains(&domain)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lower_cased_and_public_or_repeated_ones_refused() {
        assert_eq!(domains_of(vec!["Example.COM".into(), "@corp.example".into()]).unwrap(), ["example.com", "corp.example"]);
        assert!(matches!(domains_of(vec!["gmail.com".into(), "acme.example".into()]), Err(SsoError::ForbiddenDomains(d)) if d == ["gmail.com"]));
        assert!(matches!(domains_of(vec!["acme.example".into(), "ACME.example".into()]), Err(SsoError::DuplicatedDomains(d)) if d == ["acme.example"]));
        assert!(matches!(domains_of(vec!["not a domain".into()]), Err(SsoError::InvalidInput(_))));
    }

    #[test]
    fn configurations_are_complete_for_their_protocol() {
        let oidc = provider("OIDC").unwrap();
        let config = |v: Value| v.as_object().unwrap().clone();
        assert!(validate_config(oidc, &config(json!({"clientId": "c", "clientSecret": "s", "issuer": "https://idp.example"}))).is_ok());
        assert!(validate_config(oidc, &config(json!({"clientId": "c"}))).is_err());
        assert!(validate_config(provider("GoogleWorkspace").unwrap(), &config(json!({"clientId": "c", "clientSecret": "s"}))).is_ok(), "Google's issuer is fixed");
        let saml = provider("SAML").unwrap();
        assert!(validate_config(saml, &config(json!({"metadataUrl": "https://idp.example/metadata"}))).is_ok());
        assert!(validate_config(saml, &config(json!({"entityId": 123, "signInEndpoint": 123}))).is_err());
        assert!(validate_config(saml, &config(json!({"entityId": "urn:idp", "signInEndpoint": "https://idp.example/sso"}))).is_err(), "a certificate is needed");
    }
}
