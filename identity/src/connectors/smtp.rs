//! Email over SMTP with lettre: plain (local relays, tests), STARTTLS or implicit TLS.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::{ConnectorError, Message};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// No encryption: only for a relay on the same host or network.
    None,
    #[default]
    Starttls,
    Tls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    pub from_email: String,
    #[serde(default)]
    pub from_name: Option<String>,
}

impl SmtpConfig {
    pub(super) fn validate(&self) -> Result<(), ConnectorError> {
        if self.host.trim().is_empty() || self.port == 0 {
            return Err(ConnectorError::InvalidConfig("host and port are required".into()));
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(ConnectorError::InvalidConfig("username and password go together".into()));
        }
        self.mailbox().map(|_| ())
    }

    fn mailbox(&self) -> Result<Mailbox, ConnectorError> {
        let address = self.from_email.parse().map_err(|_| ConnectorError::InvalidConfig("fromEmail is not an email address".into()))?;
        Ok(Mailbox::new(self.from_name.clone(), address))
    }
}

pub(super) async fn send(config: &SmtpConfig, message: &Message) -> Result<(), ConnectorError> {
    let builder = match config.security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(delivery)?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(delivery)?,
    };
    let mut builder = builder.port(config.port).timeout(Some(Duration::from_secs(10)));
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    let to: Mailbox = message.to.parse().map_err(|_| ConnectorError::Delivery("the recipient is not an email address".into()))?;
    let email = lettre::Message::builder()
        .from(config.mailbox()?)
        .to(to)
        .subject(&message.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(message.text.clone())
        .map_err(delivery)?;
    builder.build().send(email).await.map_err(delivery)?;
    Ok(())
}

fn delivery(err: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Delivery(err.to_string())
}
