//! Which extended claims ID tokens carry (`GET/PUT /api/configs/id-token`). Userinfo always
//! returns them for the granted scopes; ID tokens only when enabled here. New installations
//! enable `roles`, `organizations` and `organization_roles`, as Logto does for new tenants.

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::store::Store;

pub const EXTENDED_CLAIMS: &[&str] = &["custom_data", "identities", "roles", "organizations", "organization_roles"];
const KEY: &str = "idToken";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdTokenConfig {
    pub enabled_extended_claims: Vec<String>,
}

impl Default for IdTokenConfig {
    fn default() -> Self {
        Self { enabled_extended_claims: vec!["roles".into(), "organizations".into(), "organization_roles".into()] }
    }
}

impl IdTokenConfig {
    pub fn enables(&self, claim: &str) -> bool {
        self.enabled_extended_claims.iter().any(|c| c == claim)
    }

    /// Unknown claim names are refused (the caller answers `guard.invalid_input`).
    pub fn validate(&self) -> Result<(), String> {
        match self.enabled_extended_claims.iter().find(|c| !EXTENDED_CLAIMS.contains(&c.as_str())) {
            Some(unknown) => Err(format!("unknown extended claim {unknown}; expected one of {}", EXTENDED_CLAIMS.join(", "))),
            None => Ok(()),
        }
    }
}

pub async fn load(store: &Store) -> Result<IdTokenConfig, sqlx::Error> {
    crate::configs::load(store, KEY).await
}

pub async fn save(store: &Store, clock: &dyn Clock, config: &IdTokenConfig) -> Result<(), sqlx::Error> {
    crate::configs::save(store, clock, KEY, config).await
}
