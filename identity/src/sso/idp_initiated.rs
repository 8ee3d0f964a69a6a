//! IdP-initiated SAML sign-in (spec §5): the person starts at their organization's portal,
//! whose IdP posts an unsolicited assertion to our ACS. Nobody asked for it, so it cannot
//! sign anyone in by itself: it is checked (as every assertion is, but without
//! `InResponseTo`), kept for a few minutes under a random cookie, and the browser goes to an
//! authorization request of the operator's chosen application — started by us
//! (`autoSendAuthorizationRequest`) or by the application's own callback — whose sign-in
//! with `direct_sign_in=sso:<connectorId>` then uses the kept assertion instead of asking
//! the IdP again.

use serde_json::{json, Map, Value};
use sqlx::Row;

use super::{ProviderType, SsoConnector, SsoError, SsoUser};
use crate::applications::AppType;
use crate::clock::Clock;
use crate::oidc::Provider;
use crate::store::get_flag;

/// The cookie naming a kept assertion (Logto's name).
pub const SESSION_COOKIE: &str = "_logto_idp_saml_sso_session_id";
/// How long an assertion is kept when it names no expiry.
const KEPT_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct IdpInitiatedConfig {
    pub connector_id: String,
    pub default_application_id: String,
    pub redirect_uri: Option<String>,
    /// Extra authorization parameters (`scope`, …) for the request we start.
    pub auth_parameters: Map<String, Value>,
    pub auto_send_authorization_request: bool,
    pub client_idp_initiated_auth_callback_uri: Option<String>,
    pub created_at: i64,
}

impl IdpInitiatedConfig {
    pub fn to_json(&self) -> Value {
        json!({
            "connectorId": self.connector_id,
            "defaultApplicationId": self.default_application_id,
            "redirectUri": self.redirect_uri,
            "authParameters": self.auth_parameters,
            "autoSendAuthorizationRequest": self.auto_send_authorization_request,
            "clientIdpInitiatedAuthCallbackUri": self.client_idp_initiated_auth_callback_uri,
            "createdAt": self.created_at,
        })
    }
}

/// `PUT /api/sso-connectors/:id/idp-initiated-auth-config`'s body.
#[derive(Debug, Clone, Default)]
pub struct ConfigInput {
    pub default_application_id: String,
    pub redirect_uri: Option<String>,
    pub auth_parameters: Map<String, Value>,
    pub auto_send_authorization_request: bool,
    pub client_idp_initiated_auth_callback_uri: Option<String>,
}

pub async fn get(provider: &Provider, connector_id: &str) -> Result<Option<IdpInitiatedConfig>, SsoError> {
    let row = sqlx::query(
        "SELECT sso_connector_id, default_application_id, redirect_uri, auth_parameters, auto_send_authorization_request, client_idp_initiated_auth_callback_uri, created_at \
         FROM sso_connector_idp_initiated_auth_configs WHERE sso_connector_id = $1",
    )
    .bind(connector_id)
    .fetch_optional(provider.store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(IdpInitiatedConfig {
        connector_id: row.try_get("sso_connector_id")?,
        default_application_id: row.try_get("default_application_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        auth_parameters: serde_json::from_str(&row.try_get::<String, _>("auth_parameters")?).unwrap_or_default(),
        auto_send_authorization_request: get_flag(&row, "auto_send_authorization_request")?,
        client_idp_initiated_auth_callback_uri: row.try_get("client_idp_initiated_auth_callback_uri")?,
        created_at: row.try_get("created_at")?,
    }))
}

/// Sets the connector's configuration: SAML only; the application must be one that can sign
/// people in by redirect (a first-party web application when we send its request), and a
/// redirect URI must be one it registered.
pub async fn set(provider: &Provider, clock: &dyn Clock, connector: &SsoConnector, input: ConfigInput) -> Result<IdpInitiatedConfig, SsoError> {
    if connector.provider.kind != ProviderType::Saml {
        return Err(SsoError::IdpInitiatedNotSupported);
    }
    let app = crate::applications::find(&provider.store, &input.default_application_id).await.map_err(|e| SsoError::InvalidInput(e.to_string()))?.ok_or(SsoError::NotFound)?;
    if input.auto_send_authorization_request {
        if app.app_type != AppType::Traditional || app.is_third_party {
            return Err(SsoError::InvalidApplicationType("Traditional"));
        }
        let uri = input.redirect_uri.as_ref().or(app.redirect_uris.first()).ok_or(SsoError::RedirectUriNotRegistered)?;
        if !app.redirect_uris.contains(uri) {
            return Err(SsoError::RedirectUriNotRegistered);
        }
    } else {
        if !matches!(app.app_type, AppType::Traditional | AppType::Spa) {
            return Err(SsoError::InvalidApplicationType("Traditional or SPA"));
        }
        let callback = input.client_idp_initiated_auth_callback_uri.as_deref().ok_or_else(|| SsoError::InvalidInput("clientIdpInitiatedAuthCallbackUri is required unless we send the request".into()))?;
        if !url::Url::parse(callback).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
            return Err(SsoError::InvalidInput("clientIdpInitiatedAuthCallbackUri must be an http(s) URL".into()));
        }
    }
    let mut tx = provider.store.begin_write().await?;
    sqlx::query("DELETE FROM sso_connector_idp_initiated_auth_configs WHERE sso_connector_id = $1").bind(&connector.id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO sso_connector_idp_initiated_auth_configs (sso_connector_id, default_application_id, redirect_uri, auth_parameters, auto_send_authorization_request, client_idp_initiated_auth_callback_uri, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&connector.id)
    .bind(&input.default_application_id)
    .bind(&input.redirect_uri)
    .bind(Value::Object(input.auth_parameters.clone()).to_string())
    .bind(input.auto_send_authorization_request)
    .bind(&input.client_idp_initiated_auth_callback_uri)
    .bind(clock.now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get(provider, &connector.id).await?.ok_or(SsoError::NotFound)
}

pub async fn delete(provider: &Provider, connector_id: &str) -> Result<(), SsoError> {
    let deleted = sqlx::query("DELETE FROM sso_connector_idp_initiated_auth_configs WHERE sso_connector_id = $1").bind(connector_id).execute(provider.store.pool()).await?;
    if deleted.rows_affected() == 0 { Err(SsoError::NotFound) } else { Ok(()) }
}

/// An unsolicited `SAMLResponse` at the ACS: checked and kept; answers the cookie's value
/// and where the browser goes next.
pub async fn receive(provider: &Provider, connector: &SsoConnector, saml_response: &str) -> Result<(String, String), SsoError> {
    let config = get(provider, &connector.id).await?.ok_or(SsoError::NotFound)?;
    let (user, expires_at) = super::saml::read_response(provider, connector, saml_response, None).await?;
    let token = crate::crypto::random_token();
    let expires_at = expires_at.min(super::saml::wall_clock_ms() + KEPT_MS);
    sqlx::query("INSERT INTO idp_initiated_saml_sso_sessions (id_hash, sso_connector_id, assertion_user, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(crate::crypto::token_hash(&token))
        .bind(&connector.id)
        .bind(serde_json::to_string(&user).expect("an SsoUser serializes"))
        .bind(expires_at)
        .execute(provider.store.pool())
        .await?;
    Ok((token, next_location(provider, connector, &config).await?))
}

/// Our authorization request for the application (never `offline_access` unasked), or the
/// application's own callback, which starts its request with `direct_sign_in`.
async fn next_location(provider: &Provider, connector: &SsoConnector, config: &IdpInitiatedConfig) -> Result<String, SsoError> {
    if !config.auto_send_authorization_request {
        let mut callback = url::Url::parse(config.client_idp_initiated_auth_callback_uri.as_deref().unwrap_or_default()).map_err(|_| SsoError::NotFound)?;
        callback.query_pairs_mut().append_pair("ssoConnectorId", &connector.id);
        return Ok(callback.to_string());
    }
    let app = crate::applications::find(&provider.store, &config.default_application_id).await.map_err(|e| SsoError::InvalidInput(e.to_string()))?.ok_or(SsoError::NotFound)?;
    let redirect_uri = config.redirect_uri.clone().or_else(|| app.redirect_uris.first().cloned()).ok_or(SsoError::RedirectUriNotRegistered)?;
    let scope = config.auth_parameters.get("scope").and_then(Value::as_str).unwrap_or("openid profile");
    let mut auth = url::Url::parse(&format!("{}/oidc/auth", provider.endpoint)).map_err(|_| SsoError::NotFound)?;
    auth.query_pairs_mut()
        .append_pair("client_id", &app.id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("prompt", "login")
        .append_pair("direct_sign_in", &format!("sso:{}", connector.id))
        .append_pair("scope", scope);
    for (name, value) in config.auth_parameters.iter().filter(|(k, _)| !["scope", "client_id", "redirect_uri", "response_type", "prompt", "direct_sign_in"].contains(&k.as_str())) {
        if let Some(value) = value.as_str() {
            auth.query_pairs_mut().append_pair(name, value);
        }
    }
    Ok(auth.to_string())
}

/// The kept assertion the cookie names, for this connector, if it has not expired: used once.
pub async fn take(provider: &Provider, connector_id: &str, token: &str) -> Result<Option<SsoUser>, SsoError> {
    let hash = crate::crypto::token_hash(token);
    let row = sqlx::query("SELECT assertion_user, expires_at FROM idp_initiated_saml_sso_sessions WHERE id_hash = $1 AND sso_connector_id = $2")
        .bind(&hash)
        .bind(connector_id)
        .fetch_optional(provider.store.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let taken = sqlx::query("DELETE FROM idp_initiated_saml_sso_sessions WHERE id_hash = $1").bind(&hash).execute(provider.store.pool()).await?;
    if taken.rows_affected() == 0 || row.try_get::<i64, _>("expires_at")? <= super::saml::wall_clock_ms() {
        return Ok(None);
    }
    Ok(serde_json::from_str(&row.try_get::<String, _>("assertion_user")?).ok())
}
