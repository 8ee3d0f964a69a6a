//! Message connectors (spec §1 `connectors`): how verification codes reach people. Email goes
//! over SMTP, SMS through a configurable HTTP request to the operator's gateway; with no
//! connector of a kind configured, the dev outbox writes each message to the log, so a fresh
//! `run` works out of the box. At most one connector per kind is active.

mod http_sms;
mod smtp;
pub mod templates;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::store::Store;

pub use http_sms::HttpSmsConfig;
pub use smtp::{SmtpConfig, SmtpSecurity};
pub use templates::{Template, Usage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorKind {
    Email,
    Sms,
}

impl ConnectorKind {
    fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Email => "email",
            ConnectorKind::Sms => "sms",
        }
    }
}

/// A configured connector: its factory (`smtp`, `http-sms`) and settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "connectorId", content = "config")]
pub enum ConnectorConfig {
    #[serde(rename = "smtp")]
    Smtp(SmtpConfig),
    #[serde(rename = "http-sms")]
    HttpSms(HttpSmsConfig),
}

impl ConnectorConfig {
    pub fn kind(&self) -> ConnectorKind {
        match self {
            ConnectorConfig::Smtp(_) => ConnectorKind::Email,
            ConnectorConfig::HttpSms(_) => ConnectorKind::Sms,
        }
    }

    fn factory(&self) -> &'static str {
        match self {
            ConnectorConfig::Smtp(_) => "smtp",
            ConnectorConfig::HttpSms(_) => "http-sms",
        }
    }

    pub fn validate(&self) -> Result<(), ConnectorError> {
        match self {
            ConnectorConfig::Smtp(config) => config.validate(),
            ConnectorConfig::HttpSms(config) => config.validate(),
        }
    }
}

/// One message to one recipient.
#[derive(Debug, Clone)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("invalid connector configuration: {0}")]
    InvalidConfig(String),
    #[error("the connector could not deliver the message: {0}")]
    Delivery(String),
    #[error("invalid recipient: {0}")]
    InvalidRecipient(String),
    #[error("a connector of this kind is already configured")]
    AlreadyConfigured,
    #[error("no connector has this id")]
    NotFound,
    #[error("unknown connector factory `{0}`")]
    UnknownFactory(String),
    #[error("no {0} connector is configured")]
    NotConfigured(&'static str),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for ConnectorError {
    fn code(&self) -> &'static str {
        match self {
            ConnectorError::InvalidConfig(_) => "connector.invalid_config",
            ConnectorError::Delivery(_) => "connector.general",
            ConnectorError::InvalidRecipient(_) => "guard.invalid_input",
            ConnectorError::AlreadyConfigured => "connector.multiple_instances_not_supported",
            ConnectorError::NotFound => "entity.not_exists_with_id",
            ConnectorError::UnknownFactory(_) => "connector.not_found_with_connector_id",
            ConnectorError::NotConfigured(_) => "connector.not_found",
            ConnectorError::Storage(_) => "unexpected",
        }
    }
}

/// Saves (replacing) the connector of the configuration's kind.
pub async fn configure(store: &Store, clock: &dyn Clock, config: &ConnectorConfig) -> Result<(), ConnectorError> {
    config.validate()?;
    let Value::Object(json) = serde_json::to_value(config).expect("connector configuration serializes") else { unreachable!() };
    let now = clock.now_ms();
    sqlx::query(
        "INSERT INTO connectors (id, kind, connector_id, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (kind) DO UPDATE SET connector_id = excluded.connector_id, config = excluded.config, updated_at = excluded.updated_at",
    )
    .bind(crate::ids::entity_id())
    .bind(config.kind().as_str())
    .bind(config.factory())
    .bind(json["config"].to_string())
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The configured connector of `kind`, if any.
pub async fn find(store: &Store, kind: ConnectorKind) -> Result<Option<ConnectorConfig>, ConnectorError> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT connector_id, config FROM connectors WHERE kind = $1")
        .bind(kind.as_str())
        .fetch_optional(store.pool())
        .await?;
    let Some((factory, config)) = row else { return Ok(None) };
    parse(&factory, &config).map(Some)
}

pub async fn remove(store: &Store, kind: ConnectorKind) -> Result<bool, ConnectorError> {
    let result = sqlx::query("DELETE FROM connectors WHERE kind = $1").bind(kind.as_str()).execute(store.pool()).await?;
    Ok(result.rows_affected() > 0)
}

/// A stored connector with its id (Management API).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConnector {
    pub id: String,
    pub config: ConnectorConfig,
}

impl StoredConnector {
    /// The Management API's view: secrets (the SMTP password) are never returned.
    pub fn to_api_json(&self) -> Value {
        let mut json = serde_json::to_value(&self.config).expect("connector configuration serializes");
        if let Some(config) = json.get_mut("config").and_then(Value::as_object_mut) {
            if config.get("password").is_some_and(|p| !p.is_null()) {
                config.insert("password".into(), Value::String("********".into()));
            }
        }
        json["id"] = Value::String(self.id.clone());
        json["type"] = Value::String(match self.config.kind() { ConnectorKind::Email => "Email".into(), ConnectorKind::Sms => "Sms".into() });
        json
    }
}

pub async fn list(store: &Store) -> Result<Vec<StoredConnector>, ConnectorError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT id, connector_id, config FROM connectors ORDER BY created_at, id").fetch_all(store.pool()).await?;
    rows.into_iter().map(|(id, factory, config)| Ok(StoredConnector { id, config: parse(&factory, &config)? })).collect()
}

pub async fn find_by_id(store: &Store, id: &str) -> Result<Option<StoredConnector>, ConnectorError> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT connector_id, config FROM connectors WHERE id = $1").bind(id).fetch_optional(store.pool()).await?;
    row.map(|(factory, config)| Ok(StoredConnector { id: id.to_owned(), config: parse(&factory, &config)? })).transpose()
}

/// The factories Vestibule has, by Logto's `connectorId`.
pub const FACTORIES: [&str; 2] = ["smtp", "http-sms"];

/// Parses `{connectorId, config}`: an unknown factory is `connector.not_found_with_connector_id`,
/// a known one with bad settings `connector.invalid_config`.
pub fn parse_request(body: Value) -> Result<ConnectorConfig, ConnectorError> {
    let factory = body.get("connectorId").and_then(Value::as_str).unwrap_or_default().to_owned();
    if !FACTORIES.contains(&factory.as_str()) {
        return Err(ConnectorError::UnknownFactory(factory));
    }
    serde_json::from_value(body).map_err(|e| ConnectorError::InvalidConfig(e.to_string()))
}

/// Creates a connector. There is one email and one SMS connector: as in Logto, a new one
/// replaces the one of its kind (a new id; the old one is gone), in one transaction.
pub async fn create(store: &Store, clock: &dyn Clock, config: &ConnectorConfig) -> Result<StoredConnector, ConnectorError> {
    config.validate()?;
    let Value::Object(json) = serde_json::to_value(config).expect("connector configuration serializes") else { unreachable!() };
    let id = crate::ids::entity_id();
    let now = clock.now_ms();
    let mut tx = store.begin_write().await?;
    sqlx::query("DELETE FROM connectors WHERE kind = $1").bind(config.kind().as_str()).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO connectors (id, kind, connector_id, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(&id)
        .bind(config.kind().as_str())
        .bind(config.factory())
        .bind(json["config"].to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StoredConnector { id, config: config.clone() })
}

/// Merges `patch` into the connector's settings (top-level keys replace; a masked password
/// keeps the stored one) and validates the result.
pub async fn update(store: &Store, clock: &dyn Clock, id: &str, patch: &serde_json::Map<String, Value>) -> Result<StoredConnector, ConnectorError> {
    let current = find_by_id(store, id).await?.ok_or(ConnectorError::NotFound)?;
    let mut json = serde_json::to_value(&current.config).expect("connector configuration serializes");
    if let Some(config) = json.get_mut("config").and_then(Value::as_object_mut) {
        for (key, value) in patch {
            if key == "password" && value.as_str() == Some("********") {
                continue;
            }
            config.insert(key.clone(), value.clone());
        }
    }
    let config: ConnectorConfig = serde_json::from_value(json).map_err(|e| ConnectorError::InvalidConfig(e.to_string()))?;
    configure(store, clock, &config).await?;
    Ok(StoredConnector { id: id.to_owned(), config })
}

pub async fn delete(store: &Store, id: &str) -> Result<(), ConnectorError> {
    let deleted = sqlx::query("DELETE FROM connectors WHERE id = $1").bind(id).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 {
        return Err(ConnectorError::NotFound);
    }
    Ok(())
}

/// "Send test message": a sample code message in `locale` to `to` (an email or phone number,
/// by the connector's kind), through `config`, which need not be saved.
pub async fn send_test(config: &ConnectorConfig, to: &str, locale: &str) -> Result<(), ConnectorError> {
    let to = match config.kind() {
        ConnectorKind::Email => crate::identifiers::email(to),
        ConnectorKind::Sms => crate::identifiers::phone(to),
    }
    .map_err(|e| ConnectorError::InvalidRecipient(e.to_string()))?;
    let template = templates::verification_code(Usage::Generic, locale, "123456", 10);
    send_with(config, &Message { to, subject: format!("[Test] {}", template.subject), text: template.text }).await
}

/// Sends `message` with a configuration that need not be saved.
pub async fn send_with(config: &ConnectorConfig, message: &Message) -> Result<(), ConnectorError> {
    config.validate()?;
    match config {
        ConnectorConfig::Smtp(c) => smtp::send(c, message).await,
        ConnectorConfig::HttpSms(c) => http_sms::send(c, message).await,
    }
}

fn parse(factory: &str, config: &str) -> Result<ConnectorConfig, ConnectorError> {
    let config: Value = serde_json::from_str(config).map_err(|e| ConnectorError::InvalidConfig(e.to_string()))?;
    serde_json::from_value(serde_json::json!({ "connectorId": factory, "config": config })).map_err(|e| ConnectorError::InvalidConfig(e.to_string()))
}

/// Sends `message` through the connector of `kind`. Without one: the dev outbox when
/// `dev_outbox` (the log; for trying Vestibule), otherwise Logto's 501 `connector.not_found`.
pub async fn deliver(store: &Store, kind: ConnectorKind, message: &Message, dev_outbox: bool) -> Result<(), ConnectorError> {
    match find(store, kind).await? {
        Some(ConnectorConfig::Smtp(config)) => smtp::send(&config, message).await,
        Some(ConnectorConfig::HttpSms(config)) => http_sms::send(&config, message).await,
        None if !dev_outbox => Err(ConnectorError::NotConfigured(kind.as_str())),
        None => {
            // Development only: the message, code included, goes to the log.
            tracing::warn!(target: "vestibule::outbox", kind = kind.as_str(), to = %message.to, subject = %message.subject, text = %message.text,
                "dev outbox: no {} connector is configured, so this message was logged instead of sent", kind.as_str());
            Ok(())
        }
    }
}
