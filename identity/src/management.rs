//! Access to the Management API (spec §15): a machine-to-machine application holding a role
//! with the `all` scope of the Management API resource obtains a JWT from `/oidc/token`
//! (client credentials) and presents it as a Bearer token. This module creates that access on
//! first run and checks the tokens.

use serde_json::{Map, Value};

use crate::applications::{self, AppType, ApplicationError, NewApplication};
use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::oidc::{tokens, Provider};
use crate::rbac::{self, RbacError, RoleDefinition, RoleHolder, RoleType};
use crate::store::Store;

/// Logto's indicator for the Management API of the default tenant.
pub const DEFAULT_INDICATOR: &str = "https://default.logto.app/api";
pub const SCOPE_ALL: &str = "all";
const ROLE_NAME: &str = "Management API access";
/// Logto's fixed ids for the default tenant's Management API resource and its `all` scope, so
/// scripts written for Logto (`/api/resources/management-api`) find them. Databases created
/// before this keep the ids they were given.
pub const RESOURCE_ID: &str = "management-api";
pub const SCOPE_ALL_ID: &str = "management-api-all";

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Rbac(#[from] RbacError),
    #[error(transparent)]
    Application(#[from] ApplicationError),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("another node has been creating the Management API client for a minute and did not finish")]
    Busy,
}

impl ErrorCode for BootstrapError {
    fn code(&self) -> &'static str {
        match self {
            BootstrapError::Rbac(e) => e.code(),
            BootstrapError::Application(e) => e.code(),
            BootstrapError::Storage(_) | BootstrapError::Busy => "unexpected",
        }
    }
}

/// The credentials of a newly created management client (shown once).
#[derive(Debug, Clone)]
pub struct ManagementClient {
    pub id: String,
    pub secret: String,
}

/// Whether some application can obtain Management API tokens.
pub async fn has_client(store: &Store, indicator: &str) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM applications_roles ar JOIN roles_scopes rs ON rs.role_id = ar.role_id \
         JOIN scopes s ON s.id = rs.scope_id JOIN resources r ON r.id = s.resource_id WHERE r.indicator = $1 AND s.name = $2",
    )
    .bind(indicator)
    .bind(SCOPE_ALL)
    .fetch_one(store.pool())
    .await?;
    Ok(count > 0)
}

/// First run: when no application can manage Vestibule, creates one and returns its
/// credentials; otherwise `None`. Several nodes starting together on an empty database
/// create exactly one: the node that claims the set-up does it, the others wait for it and
/// return `None`.
pub async fn bootstrap_on_first_run(store: &Store, clock: &dyn Clock, indicator: &str) -> Result<Option<ManagementClient>, BootstrapError> {
    let waiting_since = std::time::Instant::now();
    loop {
        if has_client(store, indicator).await? {
            return Ok(None);
        }
        if first_run::claim(store, clock, BOOTSTRAP_CLAIM).await? {
            // Another node may have finished (and released its claim) since we looked.
            let created = if has_client(store, indicator).await? {
                Ok(None)
            } else {
                let secret = crate::ids::secret();
                ensure_client(store, clock, indicator, None, &secret).await.map(|id| Some(ManagementClient { id, secret }))
            };
            first_run::release(store, BOOTSTRAP_CLAIM).await?;
            return created;
        }
        if waiting_since.elapsed() > first_run::LEASE * 2 {
            return Err(BootstrapError::Busy);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

const BOOTSTRAP_CLAIM: &str = "management-api-client";

/// Claims on one-off set-up shared by the nodes of a cluster (table `first_run_claims`).
mod first_run {
    use std::time::Duration;

    use crate::clock::Clock;
    use crate::store::Store;

    /// Long enough for any set-up; a node that died holding a claim delays the others by
    /// at most this.
    pub const LEASE: Duration = Duration::from_secs(30);

    /// Whether this node now holds `name`: no one did, or the last claim ran out.
    pub async fn claim(store: &Store, clock: &dyn Clock, name: &str) -> Result<bool, sqlx::Error> {
        let now = clock.now_ms();
        let claimed = sqlx::query(
            "INSERT INTO first_run_claims (name, claimed_until) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET claimed_until = excluded.claimed_until WHERE first_run_claims.claimed_until < $3",
        )
        .bind(name)
        .bind(now + LEASE.as_millis() as i64)
        .bind(now)
        .execute(store.pool())
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    pub async fn release(store: &Store, name: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM first_run_claims WHERE name = $1").bind(name).execute(store.pool()).await?;
        Ok(())
    }
}

/// `vestibule bootstrap --m2m-id ID --m2m-secret SECRET`: makes sure the application `id`
/// exists with this secret and the management role (idempotent).
pub async fn ensure_client(store: &Store, clock: &dyn Clock, indicator: &str, id: Option<String>, secret: &str) -> Result<String, BootstrapError> {
    if indicator == DEFAULT_INDICATOR {
        // Insert-if-absent: two nodes starting together both succeed, one row results.
        sqlx::query("INSERT INTO resources (id, name, indicator, is_default, access_token_ttl, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
            .bind(RESOURCE_ID)
            .bind("Logto Management API")
            .bind(indicator)
            .bind(false)
            .bind(3600i64)
            .bind(clock.now_ms())
            .execute(store.pool())
            .await?;
    }
    rbac::ensure_resource(store, clock, "Logto Management API", indicator, 3600, false).await?;
    let resource = rbac::find_resource(store, indicator).await?.ok_or(RbacError::ResourceNotFound)?;
    if resource.id == RESOURCE_ID {
        sqlx::query("INSERT INTO scopes (id, resource_id, name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(SCOPE_ALL_ID)
            .bind(&resource.id)
            .bind(SCOPE_ALL)
            .bind(clock.now_ms())
            .execute(store.pool())
            .await?;
    }
    rbac::ensure_scope(store, clock, &resource, SCOPE_ALL).await?;
    let created = applications::create_or_update(
        store,
        clock,
        NewApplication {
            id,
            name: "Management API client".into(),
            app_type: AppType::MachineToMachine,
            secret: Some(secret.to_owned()),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            cors_allowed_origins: vec![],
            is_third_party: false,
            id_token_alg: None,
            description: None,
        },
    )
    .await?;
    let app_id = created.application.id;
    let scopes = [(indicator.to_owned(), SCOPE_ALL.to_owned())];
    let holders = [RoleHolder::Application(&app_id)];
    rbac::define_role(store, clock, RoleDefinition { name: ROLE_NAME, role_type: RoleType::MachineToMachine, scopes: &scopes, holders: &holders }).await?;
    Ok(app_id)
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header is missing")]
    HeaderMissing,
    #[error("the access token is not valid for the Management API")]
    Unauthorized,
    #[error("the access token lacks the 'all' scope")]
    Forbidden,
    #[error("storage failed: {0}")]
    Internal(String),
}

impl ErrorCode for AuthError {
    fn code(&self) -> &'static str {
        match self {
            AuthError::HeaderMissing => "auth.authorization_header_missing",
            AuthError::Unauthorized => "auth.unauthorized",
            AuthError::Forbidden => "auth.forbidden",
            AuthError::Internal(_) => "unexpected",
        }
    }
}

/// Checks an `Authorization` header value: a JWT we issued, unexpired (by the provider's
/// clock), for `indicator`, with the `all` scope. Returns the token's claims.
pub async fn authenticate(provider: &Provider, authorization: Option<&str>, indicator: &str) -> Result<Map<String, Value>, AuthError> {
    let header = authorization.ok_or(AuthError::HeaderMissing)?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).ok_or(AuthError::Unauthorized)?.trim();
    let claims = tokens::verify_own(provider, token, false).await.map_err(|e| match e {
        crate::oidc::OidcError::Storage(e) => AuthError::Internal(e.to_string()),
        _ => AuthError::Unauthorized,
    })?;
    let expired = claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp * 1000 <= provider.now_ms());
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == indicator,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(indicator)),
        _ => false,
    };
    if expired || !audience_ok {
        return Err(AuthError::Unauthorized);
    }
    // A deleted application's tokens end with it, and those issued before its credentials
    // changed end then (through the applications cache, whose entries a change drops on
    // this node and which expire on the others).
    let client = claims.get("client_id").and_then(Value::as_str).unwrap_or_default();
    let live = provider.application(client).await.map_err(|e| match e {
        crate::oidc::OidcError::Storage(e) => AuthError::Internal(e.to_string()),
        _ => AuthError::Unauthorized,
    })?;
    let issued_at = claims.get("iat").and_then(Value::as_i64).unwrap_or(i64::MIN);
    if live.is_none_or(|app| app.voids_tokens_issued_at(issued_at)) {
        return Err(AuthError::Unauthorized);
    }
    let scopes = claims.get("scope").and_then(Value::as_str).unwrap_or_default();
    if !scopes.split(' ').any(|s| s == SCOPE_ALL) {
        return Err(AuthError::Forbidden);
    }
    Ok(claims)
}
