//! The account center's settings (`GET|PATCH /api/account-center`): whether it is on, and per
//! field whether people may see (`ReadOnly`) or change (`Edit`) it. Off until an operator
//! turns it on, as in Logto.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::store::Store;

const KEY: &str = "accountCenter";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Control {
    #[default]
    Off,
    ReadOnly,
    Edit,
}

impl Control {
    pub fn readable(self) -> bool {
        self != Control::Off
    }

    pub fn editable(self) -> bool {
        self == Control::Edit
    }
}

/// Each field's control; a field left out is `Off`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Fields {
    pub name: Control,
    pub avatar: Control,
    pub profile: Control,
    pub email: Control,
    pub phone: Control,
    pub password: Control,
    pub username: Control,
    pub social: Control,
    pub custom_data: Control,
    pub mfa: Control,
    pub passkey: Control,
    pub session: Control,
    pub trusted_device: Control,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct AccountCenter {
    pub enabled: bool,
    pub fields: Fields,
    /// Origins besides the endpoint's own that may register passkeys (WebAuthn related origins).
    pub webauthn_related_origins: Vec<String>,
    /// Where the account center's "delete account" link goes; `null` hides it.
    pub delete_account_url: Option<String>,
    /// Vestibule's own: whether people may delete their account themselves in `/account`
    /// (after a fresh verification). Off by default; Logto only has the link above.
    pub self_service_deletion: bool,
    pub custom_css: Option<String>,
    /// Logto's custom profile fields, kept as given (not acted on yet).
    pub profile_fields: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid account center settings: {0}")]
    InvalidInput(String),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for SettingsError {
    fn code(&self) -> &'static str {
        match self {
            SettingsError::InvalidInput(_) => "guard.invalid_input",
            SettingsError::Storage(_) => "unexpected",
        }
    }
}

pub async fn load(store: &Store) -> Result<AccountCenter, SettingsError> {
    Ok(crate::configs::load(store, KEY).await?)
}

/// Applies a partial document: each top-level key given replaces the stored one (`fields`
/// too, as Logto's column does); `deleteAccountUrl: ""` clears the link.
pub async fn update(store: &Store, clock: &dyn Clock, patch: &Value) -> Result<AccountCenter, SettingsError> {
    let Value::Object(patch) = patch else {
        return Err(SettingsError::InvalidInput("expected a JSON object".into()));
    };
    let mut merged = serde_json::to_value(load(store).await?).expect("settings serialize");
    for (key, value) in patch {
        merged[key] = value.clone();
    }
    if merged["deleteAccountUrl"] == "" {
        merged["deleteAccountUrl"] = Value::Null;
    }
    let next: AccountCenter = serde_json::from_value(merged).map_err(|e| SettingsError::InvalidInput(e.to_string()))?;
    next.validate()?;
    crate::configs::save(store, clock, KEY, &next).await?;
    Ok(next)
}

impl AccountCenter {
    fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |message: String| Err(SettingsError::InvalidInput(message));
        if let Some(url) = &self.delete_account_url {
            if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
                return invalid(format!("deleteAccountUrl must be an http(s) URL: {url}"));
            }
        }
        for origin in &self.webauthn_related_origins {
            let parsed = url::Url::parse(origin).ok().filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if parsed.is_none_or(|u| u.origin().ascii_serialization() != origin.trim_end_matches('/')) {
                return invalid(format!("webauthnRelatedOrigins holds origins (scheme, host, port), not {origin}"));
            }
        }
        if self.webauthn_related_origins.len() > 20 || self.custom_css.as_ref().is_some_and(|css| css.len() > 64 * 1024) {
            return invalid("at most 20 related origins and 64 KiB of custom CSS".into());
        }
        Ok(())
    }
}
