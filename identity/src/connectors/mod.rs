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
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for ConnectorError {
    fn code(&self) -> &'static str {
        match self {
            ConnectorError::InvalidConfig(_) => "connector.invalid_config",
            ConnectorError::Delivery(_) => "connector.general",
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
    let config: Value = serde_json::from_str(&config).map_err(|e| ConnectorError::InvalidConfig(e.to_string()))?;
    serde_json::from_value(serde_json::json!({ "connectorId": factory, "config": config }))
        .map(Some)
        .map_err(|e| ConnectorError::InvalidConfig(e.to_string()))
}

pub async fn remove(store: &Store, kind: ConnectorKind) -> Result<bool, ConnectorError> {
    let result = sqlx::query("DELETE FROM connectors WHERE kind = $1").bind(kind.as_str()).execute(store.pool()).await?;
    Ok(result.rows_affected() > 0)
}

/// Sends `message` through the connector of `kind`, or the dev outbox when there is none.
pub async fn deliver(store: &Store, kind: ConnectorKind, message: &Message) -> Result<(), ConnectorError> {
    match find(store, kind).await? {
        Some(ConnectorConfig::Smtp(config)) => smtp::send(&config, message).await,
        Some(ConnectorConfig::HttpSms(config)) => http_sms::send(&config, message).await,
        None => {
            // Development only: the message, code included, goes to the log.
            tracing::warn!(target: "vestibule::outbox", kind = kind.as_str(), to = %message.to, subject = %message.subject, text = %message.text,
                "dev outbox: no {} connector is configured, so this message was logged instead of sent", kind.as_str());
            Ok(())
        }
    }
}
