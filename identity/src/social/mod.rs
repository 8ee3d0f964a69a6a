//! Social sign-in (spec §5): connectors to upstream identity providers, and the identities
//! people have there. A connector is Logto's `{connectorId, config, metadata: {target, name,
//! logo}, syncProfile}`; `target` names the identity in `users.identities`. `oidc` is the
//! generic OpenID Connect connector (the `openidconnect` crate: discovery, state, nonce, PKCE,
//! ID-token validation); its client secret is sealed at rest.

pub mod oidc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::oidc::Provider;
use crate::store::{get_flag, unique_violation};

/// The factories of social connectors, by Logto's `connectorId`.
pub const FACTORIES: [&str; 1] = ["oidc"];

#[derive(Debug, thiserror::Error)]
pub enum SocialError {
    #[error("no social connector has this id")]
    NotFound,
    #[error("invalid connector configuration: {0}")]
    InvalidConfig(String),
    #[error("a connector with this target exists already")]
    TargetInUse,
    #[error("the upstream identity provider refused or failed: {0}")]
    Upstream(String),
    #[error("the answer from the identity provider does not belong to this sign-in")]
    StateMismatch,
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for SocialError {
    fn code(&self) -> &'static str {
        match self {
            SocialError::NotFound => "entity.not_exists_with_id",
            SocialError::InvalidConfig(_) => "connector.invalid_config",
            SocialError::TargetInUse => "connector.multiple_target_with_same_platform",
            SocialError::Upstream(_) => "connector.general",
            SocialError::StateMismatch => "session.state_mismatch",
            SocialError::Storage(_) => "unexpected",
        }
    }
}

/// A generic OIDC connector's settings: the upstream's issuer (its endpoints come from
/// discovery), this client's credentials there, and the scopes to ask (`openid` always).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    /// Sealed when stored; `********` when shown.
    pub client_secret: String,
    #[serde(default = "default_scope")]
    pub scope: String,
}

fn default_scope() -> String {
    "openid profile email".to_owned()
}

impl OidcConfig {
    fn validate(&self) -> Result<(), SocialError> {
        let issuer = url::Url::parse(&self.issuer).map_err(|_| SocialError::InvalidConfig("issuer must be a URL".into()))?;
        if !matches!(issuer.scheme(), "https" | "http") || self.client_id.trim().is_empty() || self.client_secret.is_empty() {
            return Err(SocialError::InvalidConfig("issuer (an http(s) URL), clientId and clientSecret are required".into()));
        }
        Ok(())
    }
}

/// A configured social connector.
#[derive(Debug, Clone, PartialEq)]
pub struct SocialConnector {
    pub id: String,
    pub factory: String,
    pub target: String,
    /// `{name: {en: …}, logo, logoDark}`.
    pub metadata: Map<String, Value>,
    pub config: OidcConfig,
    pub sync_profile: bool,
}

impl SocialConnector {
    /// The Management API's view (Logto's connector shape); the secret is never shown.
    pub fn to_api_json(&self) -> Value {
        let mut config = serde_json::to_value(&self.config).expect("config serializes");
        config["clientSecret"] = json!("********");
        let name = self.metadata.get("name").cloned().unwrap_or_else(|| json!({ "en": self.target }));
        json!({
            "id": self.id,
            "connectorId": self.factory,
            "type": "Social",
            "platform": "Universal",
            "target": self.target,
            "name": name,
            "logo": self.metadata.get("logo").cloned().unwrap_or(Value::Null),
            "logoDark": self.metadata.get("logoDark").cloned().unwrap_or(Value::Null),
            "metadata": self.metadata,
            "config": config,
            "syncProfile": self.sync_profile,
            "enableTokenStorage": false,
        })
    }

    /// The name to show on a button, in `language` (English, then any).
    pub fn display_name(&self, language: &str) -> String {
        let names = self.metadata.get("name").and_then(Value::as_object);
        names
            .and_then(|n| n.get(language).or_else(|| n.get("en")).or_else(|| n.values().next()))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| self.target.clone())
    }
}

/// What a create or update request carries (Logto's body).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorRequest {
    #[serde(default)]
    pub connector_id: Option<String>,
    #[serde(default)]
    pub config: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default)]
    pub sync_profile: Option<bool>,
}

const COLUMNS: &str = "id, connector_id, target, metadata, config, sync_profile";

fn from_row(provider: &Provider, row: &sqlx::any::AnyRow) -> Result<SocialConnector, SocialError> {
    let config: String = row.try_get("config")?;
    let mut config: OidcConfig = serde_json::from_str(&config).map_err(|e| SocialError::InvalidConfig(e.to_string()))?;
    let secret = provider.at_rest.decrypt(&config.client_secret).map_err(|_| SocialError::InvalidConfig("the client secret cannot be opened".into()))?;
    config.client_secret = String::from_utf8_lossy(&secret).into_owned();
    let metadata: String = row.try_get("metadata")?;
    Ok(SocialConnector {
        id: row.try_get("id")?,
        factory: row.try_get("connector_id")?,
        target: row.try_get("target")?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        config,
        sync_profile: get_flag(row, "sync_profile")?,
    })
}

fn sealed(provider: &Provider, config: &OidcConfig) -> String {
    let mut stored = config.clone();
    stored.client_secret = provider.at_rest.encrypt(config.client_secret.as_bytes());
    serde_json::to_string(&stored).expect("config serializes")
}

pub async fn list(provider: &Provider) -> Result<Vec<SocialConnector>, SocialError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM social_connectors ORDER BY created_at, id")).fetch_all(provider.store.pool()).await?;
    rows.iter().map(|r| from_row(provider, r)).collect()
}

pub async fn find(provider: &Provider, id: &str) -> Result<Option<SocialConnector>, SocialError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM social_connectors WHERE id = $1")).bind(id).fetch_optional(provider.store.pool()).await?;
    row.map(|r| from_row(provider, &r)).transpose()
}

pub async fn get(provider: &Provider, id: &str) -> Result<SocialConnector, SocialError> {
    find(provider, id).await?.ok_or(SocialError::NotFound)
}

fn target_of(metadata: &Map<String, Value>) -> Result<String, SocialError> {
    let target = metadata.get("target").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let valid = !target.is_empty() && target.len() <= 64 && target.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid { Ok(target) } else { Err(SocialError::InvalidConfig("metadata.target is 1 to 64 letters, digits, - or _".into())) }
}

fn config_of(value: Value) -> Result<OidcConfig, SocialError> {
    let config: OidcConfig = serde_json::from_value(value).map_err(|e| SocialError::InvalidConfig(e.to_string()))?;
    config.validate()?;
    Ok(config)
}

pub async fn create(provider: &Provider, clock: &dyn Clock, request: ConnectorRequest) -> Result<SocialConnector, SocialError> {
    let factory = request.connector_id.unwrap_or_default();
    if !FACTORIES.contains(&factory.as_str()) {
        return Err(SocialError::InvalidConfig(format!("unknown social connector {factory}")));
    }
    let config = config_of(request.config.unwrap_or(Value::Null))?;
    let metadata = request.metadata.unwrap_or_default();
    let target = target_of(&metadata)?;
    let id = crate::ids::entity_id();
    let now = clock.now_ms();
    let inserted = sqlx::query(&format!("INSERT INTO social_connectors ({COLUMNS}, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"))
        .bind(&id)
        .bind(&factory)
        .bind(&target)
        .bind(Value::Object(metadata).to_string())
        .bind(sealed(provider, &config))
        .bind(request.sync_profile.unwrap_or(false))
        .bind(now)
        .execute(provider.store.pool())
        .await;
    if let Err(err) = inserted {
        return Err(if unique_violation(&err).is_some() { SocialError::TargetInUse } else { err.into() });
    }
    get(provider, &id).await
}

/// Replaces what the request names; a masked secret keeps the stored one.
pub async fn update(provider: &Provider, clock: &dyn Clock, id: &str, request: ConnectorRequest) -> Result<SocialConnector, SocialError> {
    let current = get(provider, id).await?;
    let config = match request.config {
        Some(Value::Object(mut patch)) => {
            if patch.get("clientSecret").and_then(Value::as_str) == Some("********") {
                patch.remove("clientSecret");
            }
            let mut merged = serde_json::to_value(&current.config).expect("config serializes");
            merged.as_object_mut().expect("an object").extend(patch);
            config_of(merged)?
        }
        Some(_) => return Err(SocialError::InvalidConfig("config is an object".into())),
        None => current.config.clone(),
    };
    let metadata = match request.metadata {
        Some(patch) => {
            let mut merged = current.metadata.clone();
            merged.extend(patch);
            merged
        }
        None => current.metadata.clone(),
    };
    let target = target_of(&metadata)?;
    let updated = sqlx::query("UPDATE social_connectors SET target = $2, metadata = $3, config = $4, sync_profile = $5, updated_at = $6 WHERE id = $1")
        .bind(id)
        .bind(&target)
        .bind(Value::Object(metadata).to_string())
        .bind(sealed(provider, &config))
        .bind(request.sync_profile.unwrap_or(current.sync_profile))
        .bind(clock.now_ms())
        .execute(provider.store.pool())
        .await;
    if let Err(err) = updated {
        return Err(if unique_violation(&err).is_some() { SocialError::TargetInUse } else { err.into() });
    }
    get(provider, id).await
}

pub async fn delete(provider: &Provider, id: &str) -> Result<bool, SocialError> {
    let deleted = sqlx::query("DELETE FROM social_connectors WHERE id = $1").bind(id).execute(provider.store.pool()).await?;
    Ok(deleted.rows_affected() > 0)
}

/// What an upstream said about the person (Logto's `getUserInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialUser {
    /// The connector's target.
    pub target: String,
    /// The upstream's id for the person (`sub`).
    pub id: String,
    /// Only when the upstream says it is verified.
    pub email: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
}

/// The account that has this upstream identity, if any.
pub async fn user_with_identity(provider: &Provider, target: &str, identity_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM user_social_identities WHERE target = $1 AND identity_id = $2").bind(target).bind(identity_id).fetch_optional(provider.store.pool()).await
}

/// The account's upstream identities as Logto's `users.identities` shows them:
/// `{<target>: {userId: <upstream id>, details: {id, email, name, avatar}}}`.
pub async fn identities_of(provider: &Provider, user_id: &str) -> Result<Map<String, Value>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT target, identity_id, details FROM user_social_identities WHERE user_id = $1 ORDER BY created_at, target")
        .bind(user_id)
        .fetch_all(provider.store.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(target, id, details)| (target, json!({ "userId": id, "details": serde_json::from_str::<Value>(&details).unwrap_or(Value::Null) })))
        .collect())
}

/// Unlinks the account's identity at `target`; false when it has none there.
pub async fn unlink(provider: &Provider, user_id: &str, target: &str) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM user_social_identities WHERE user_id = $1 AND target = $2").bind(user_id).bind(target).execute(provider.store.pool()).await?;
    Ok(deleted.rows_affected() > 0)
}

/// Whether the account has any upstream identity.
pub async fn has_identity(provider: &Provider, user_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar("SELECT target FROM user_social_identities WHERE user_id = $1").bind(user_id).fetch_optional(provider.store.pool()).await?;
    Ok(found.is_some())
}

/// Records that `user_id` has this upstream identity, inside the caller's transaction.
pub async fn link(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, social: &SocialUser) -> Result<(), sqlx::Error> {
    let details = json!({ "id": social.id, "email": social.email, "name": social.name, "avatar": social.avatar });
    sqlx::query("INSERT INTO user_social_identities (target, identity_id, user_id, details, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&social.target)
        .bind(&social.id)
        .bind(user_id)
        .bind(details.to_string())
        .bind(clock.now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
