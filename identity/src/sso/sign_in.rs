//! Signing in at an enterprise connector (spec §5, SP-initiated): send the person to the
//! organization's identity provider, read who it says they are, and the SSO identities that
//! tie people to their accounts. OIDC connectors run on the social OIDC client (issuer
//! discovery, nonce, PKCE, ID-token validation); an email counts only when the provider says
//! it is verified, or when the operator trusts the provider's addresses
//! (`trustUnverifiedEmail`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;

use super::{ProviderType, SsoConnector, SsoError};
use crate::clock::Clock;
use crate::oidc::Provider;
use crate::social::oidc::{Endpoints, OidcSettings};
use crate::social::Pending;

/// Who the identity provider says signed in (Logto's `enterpriseSsoUserInfo` and `issuer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoUser {
    pub connector_id: String,
    pub issuer: String,
    /// The provider's id for the person (`sub`, or SAML's NameID).
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
    /// With token storage on: what the provider gave at this sign-in, sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<crate::token_vault::SealedTokens>,
}

const DEFAULT_SCOPE: &str = "openid profile email";

fn config_str<'a>(connector: &'a SsoConnector, key: &str) -> Option<&'a str> {
    connector.config.get(key).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty())
}

impl SsoConnector {
    /// The issuer identities are keyed by: the configured one (Google Workspace's is Google's).
    pub fn issuer(&self) -> Option<String> {
        self.provider.fixed_issuer.map(str::to_owned).or_else(|| config_str(self, "issuer").map(str::to_owned))
    }

    pub(crate) fn oidc_settings(&self) -> Result<OidcSettings, SsoError> {
        if self.provider.kind != ProviderType::Oidc || !self.is_available() {
            return Err(SsoError::NotAvailable);
        }
        let issuer = self.issuer().ok_or(SsoError::NotAvailable)?;
        Ok(OidcSettings {
            endpoints: Endpoints::Discovery { issuer },
            client_id: config_str(self, "clientId").unwrap_or_default().to_owned(),
            client_secret: config_str(self, "clientSecret").map(str::to_owned),
            scope: config_str(self, "scope").unwrap_or(DEFAULT_SCOPE).to_owned(),
            extra_params: Vec::new(),
            id_token_in_callback: false,
            trust_unverified_email: self.config.get("trustUnverifiedEmail").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// Sends the person to the connector's identity provider with `state`; it comes back to
/// `redirect_uri` — for SAML through our assertion consumer service, which finds the
/// sign-in again by `relay_state`.
pub async fn start(provider: &Provider, connector: &SsoConnector, redirect_uri: &str, state: &str, relay_state: &str) -> Result<(String, Pending), SsoError> {
    if !connector.is_available() {
        return Err(SsoError::NotAvailable);
    }
    let pending = |nonce, pkce_verifier| Pending { connector_id: connector.id.clone(), redirect_uri: redirect_uri.to_owned(), state: state.to_owned(), nonce, pkce_verifier };
    match connector.provider.kind {
        ProviderType::Oidc => {
            let started = crate::social::oidc::start(&connector.oidc_settings()?, redirect_uri, state).await?;
            Ok((started.authorization_uri, pending(started.nonce, started.pkce_verifier)))
        }
        // The AuthnRequest's ID stands where OIDC keeps its nonce: the answer must name it.
        ProviderType::Saml => {
            let (uri, request_id) = super::saml::start(provider, connector, relay_state).await?;
            Ok((uri, pending(Some(request_id), None)))
        }
    }
}

/// Redeems what an OIDC identity provider sent back to the callback (`code` and `state`, or
/// `error`); with token storage on, its tokens come along, sealed.
pub async fn finish(provider: &Provider, connector: &SsoConnector, pending: &Pending, data: &Map<String, Value>) -> Result<SsoUser, SsoError> {
    crate::social::check_callback(pending, data)?;
    let settings = connector.oidc_settings()?;
    let (user, tokens) = crate::social::oidc::finish(&settings, "", pending, data).await?;
    let tokens = tokens.filter(|_| connector.enable_token_storage).map(|t| crate::token_vault::seal(&provider.at_rest, provider.clock.as_ref(), &t));
    Ok(SsoUser {
        connector_id: connector.id.clone(),
        issuer: connector.issuer().ok_or(SsoError::NotAvailable)?,
        id: user.id,
        email: user.email.map(|e| e.to_lowercase()),
        name: user.name,
        avatar: user.avatar,
        tokens,
    })
}

/// The account that has this SSO identity.
pub async fn user_with_identity(provider: &Provider, issuer: &str, identity_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT user_id FROM user_sso_identities WHERE issuer = $1 AND identity_id = $2").bind(issuer).bind(identity_id).fetch_optional(provider.store.pool()).await?;
    row.map(|r| r.try_get("user_id")).transpose()
}

/// Gives the account the identity, or refreshes its details, and the organizations that
/// provision people from this connector; another account's identity is refused.
pub async fn link(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, user: &SsoUser) -> Result<(), crate::users::UserError> {
    let detail = json!({ "id": user.id, "email": user.email, "name": user.name, "avatar": user.avatar });
    let now = clock.now_ms();
    let written = sqlx::query(
        "INSERT INTO user_sso_identities (id, user_id, sso_connector_id, issuer, identity_id, detail, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (issuer, identity_id) DO UPDATE SET detail = excluded.detail, updated_at = excluded.updated_at WHERE user_sso_identities.user_id = excluded.user_id",
    )
    .bind(crate::ids::entity_id())
    .bind(user_id)
    .bind(&user.connector_id)
    .bind(&user.issuer)
    .bind(&user.id)
    .bind(detail.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if written.rows_affected() == 0 {
        return Err(crate::users::UserError::IdentityAlreadyInUse);
    }
    if let Some(tokens) = &user.tokens {
        crate::token_vault::keep_sso(&mut *conn, clock, &user.issuer, &user.id, tokens).await?;
    }
    crate::organizations::jit::provision_by_sso(conn, clock, user_id, &user.connector_id).await?;
    Ok(())
}

/// The account's SSO identities in Logto's `UserSsoIdentity` shape, oldest first.
pub async fn identities_of(store: &crate::store::Store, user_id: &str) -> Result<Vec<Value>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, user_id, sso_connector_id, issuer, identity_id, detail, created_at, updated_at FROM user_sso_identities WHERE user_id = $1 ORDER BY created_at, id")
        .bind(user_id)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(json!({
                "id": r.try_get::<String, _>("id")?,
                "userId": r.try_get::<String, _>("user_id")?,
                "ssoConnectorId": r.try_get::<String, _>("sso_connector_id")?,
                "issuer": r.try_get::<String, _>("issuer")?,
                "identityId": r.try_get::<String, _>("identity_id")?,
                "detail": serde_json::from_str::<Value>(&r.try_get::<String, _>("detail")?).unwrap_or_default(),
                "createdAt": r.try_get::<i64, _>("created_at")?,
                "updatedAt": r.try_get::<i64, _>("updated_at")?,
            }))
        })
        .collect()
}

/// Whether the account signs in at an organization's identity provider (it needs no password).
pub async fn has_identity(provider: &Provider, user_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 AS one FROM user_sso_identities WHERE user_id = $1 LIMIT 1").bind(user_id).fetch_optional(provider.store.pool()).await?;
    Ok(row.is_some())
}
