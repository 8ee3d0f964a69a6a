//! Token storage (Logto's secret vault for federated token sets, spec §5 and §11): when a
//! connector's `enableTokenStorage` is on, the tokens its upstream gave at sign-in are kept
//! beside the identity they came with, so the application can call the upstream's API on
//! the person's behalf (`GET /api/my-account/identities/:target/access-token`). The tokens
//! are sealed with the at-rest key the moment they arrive — interactions and verification
//! records only ever hold the sealed form — and are opened only to answer that request. An
//! expired access token is renewed with the stored refresh token; without one the set is
//! dropped and the person has to connect again.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;

use crate::clock::Clock;
use crate::crypto::AtRest;
use crate::error::ErrorCode;
use crate::oidc::Provider;
use crate::social::{Protocol, SocialError};

/// What an upstream's token endpoint answered, in the clear: never serialized, never logged.
#[derive(Clone, PartialEq)]
pub struct UpstreamTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    /// Seconds, as the token endpoint said.
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    pub token_type: Option<String>,
}

impl fmt::Debug for UpstreamTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamTokens").field("expires_in", &self.expires_in).field("scope", &self.scope).finish_non_exhaustive()
    }
}

/// The sealed part (Logto's `tokenSet`).
#[derive(Serialize, Deserialize)]
struct TokenSet {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// What may be shown about a token set without opening it (Logto's `tokenSetMetadata`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    pub has_refresh_token: bool,
}

/// A token set as records and the vault keep it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedTokens {
    pub sealed: String,
    pub metadata: TokenMetadata,
}

pub fn seal(at_rest: &AtRest, clock: &dyn Clock, tokens: &UpstreamTokens) -> SealedTokens {
    let set = TokenSet { access_token: tokens.access_token.clone(), refresh_token: tokens.refresh_token.clone(), id_token: tokens.id_token.clone() };
    let now = clock.now_ms() / 1000;
    SealedTokens {
        sealed: at_rest.encrypt(&serde_json::to_vec(&set).expect("serializes")),
        metadata: TokenMetadata {
            scope: tokens.scope.clone(),
            expires_at: tokens.expires_in.map(|s| now + s.min(i64::MAX as u64 / 2) as i64),
            token_type: tokens.token_type.clone(),
            has_refresh_token: tokens.refresh_token.is_some(),
        },
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no token set is stored for this identity")]
    NotFound,
    #[error("the stored access token expired and cannot be renewed")]
    Expired,
    #[error("the verification is for another connector")]
    InvalidTarget,
    #[error("the identity does not belong to this account")]
    IdentityNotInAccount,
    #[error("the verification holds no tokens (token storage is off for the connector)")]
    NoTokenResponse,
    #[error(transparent)]
    Upstream(#[from] SocialError),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for VaultError {
    fn code(&self) -> &'static str {
        match self {
            VaultError::NotFound => "secrets.third_party_token_set.token_not_found",
            VaultError::Expired => "secrets.third_party_token_set.access_token_expired",
            VaultError::InvalidTarget => "verification_record.social_verification.invalid_target",
            VaultError::IdentityNotInAccount => "user.identity_not_exists_in_current_user",
            VaultError::NoTokenResponse => "verification_record.social_verification.token_response_not_found",
            VaultError::Upstream(err) => err.code(),
            VaultError::Storage(_) => "unexpected",
        }
    }
}

/// Where a token set belongs.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    /// The account's identity at a social connector's target.
    Social { target: &'a str },
    /// The account's identity at an enterprise SSO connector.
    Sso { connector_id: &'a str },
}

impl Holder<'_> {
    fn table(self) -> &'static str {
        match self {
            Holder::Social { .. } => "social_token_sets",
            Holder::Sso { .. } => "sso_token_sets",
        }
    }
}

/// Keeps `tokens` for the social identity `(target, identity_id)` of `user_id`, replacing what
/// was kept for it, inside the caller's transaction (after the identity is written).
pub async fn keep_social(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, target: &str, identity_id: &str, tokens: &SealedTokens) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO social_token_sets (id, target, identity_id, user_id, sealed, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (target, identity_id) DO UPDATE SET sealed = excluded.sealed, metadata = excluded.metadata, updated_at = excluded.updated_at",
    )
    .bind(crate::ids::entity_id())
    .bind(target)
    .bind(identity_id)
    .bind(user_id)
    .bind(&tokens.sealed)
    .bind(metadata_json(&tokens.metadata))
    .bind(clock.now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps `tokens` for the SSO identity `(issuer, identity_id)`, inside the caller's transaction.
pub async fn keep_sso(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, issuer: &str, identity_id: &str, tokens: &SealedTokens) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sso_token_sets (id, sso_identity_id, user_id, sealed, metadata, created_at, updated_at) \
         SELECT $1, id, user_id, $2, $3, $4, $4 FROM user_sso_identities WHERE issuer = $5 AND identity_id = $6 \
         ON CONFLICT (sso_identity_id) DO UPDATE SET sealed = excluded.sealed, metadata = excluded.metadata, updated_at = excluded.updated_at",
    )
    .bind(crate::ids::entity_id())
    .bind(&tokens.sealed)
    .bind(metadata_json(&tokens.metadata))
    .bind(clock.now_ms())
    .bind(issuer)
    .bind(identity_id)
    .execute(conn)
    .await?;
    Ok(())
}

fn metadata_json(metadata: &TokenMetadata) -> String {
    serde_json::to_string(metadata).expect("serializes")
}

/// A stored token set, still sealed, with what the Management API shows of it.
struct Stored {
    id: String,
    sealed: String,
    metadata: TokenMetadata,
    view: Value,
}

const SOCIAL_SETS: &str = "SELECT t.id, t.sealed, t.metadata, t.target, t.identity_id, t.user_id, t.created_at, t.updated_at, c.id AS connector_id \
     FROM social_token_sets t LEFT JOIN social_connectors c ON c.target = t.target WHERE t.user_id = $1";
const SSO_SETS: &str = "SELECT t.id, t.sealed, t.metadata, i.issuer, i.identity_id, t.user_id, t.created_at, t.updated_at, i.sso_connector_id \
     FROM sso_token_sets t JOIN user_sso_identities i ON i.id = t.sso_identity_id WHERE t.user_id = $1";

async fn find(provider: &Provider, user_id: &str, holder: Holder<'_>) -> Result<Option<Stored>, sqlx::Error> {
    let (sql, key) = match holder {
        Holder::Social { target } => (format!("{SOCIAL_SETS} AND t.target = $2"), target),
        Holder::Sso { connector_id } => (format!("{SSO_SETS} AND i.sso_connector_id = $2"), connector_id),
    };
    let row = sqlx::query(&sql).bind(user_id).bind(key).fetch_optional(provider.store.pool()).await?;
    row.map(|row| stored(&row, matches!(holder, Holder::Social { .. }))).transpose()
}

fn stored(row: &sqlx::any::AnyRow, social: bool) -> Result<Stored, sqlx::Error> {
    let metadata: TokenMetadata = serde_json::from_str(&row.try_get::<String, _>("metadata")?).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut view = json!({
        "id": row.try_get::<String, _>("id")?,
        "tenantId": "default",
        "userId": row.try_get::<String, _>("user_id")?,
        "type": "FederatedTokenSet",
        "metadata": metadata,
        "createdAt": row.try_get::<i64, _>("created_at")?,
        "updatedAt": row.try_get::<i64, _>("updated_at")?,
        "identityId": row.try_get::<String, _>("identity_id")?,
    });
    if social {
        view["target"] = json!(row.try_get::<String, _>("target")?);
        view["connectorId"] = json!(row.try_get::<Option<String>, _>("connector_id")?);
    } else {
        view["issuer"] = json!(row.try_get::<String, _>("issuer")?);
        view["ssoConnectorId"] = json!(row.try_get::<String, _>("sso_connector_id")?);
    }
    Ok(Stored { id: row.try_get("id")?, sealed: row.try_get("sealed")?, metadata, view })
}

/// The Management API's view of a stored token set (Logto's desensitized secret: no tokens).
pub async fn describe(provider: &Provider, user_id: &str, holder: Holder<'_>) -> Result<Option<Value>, sqlx::Error> {
    Ok(find(provider, user_id, holder).await?.map(|stored| stored.view))
}

/// `GET /api/users/:id/identities/:target`: `{identity, tokenSecret?}`, the token set's view
/// only with `with_secret`.
pub async fn social_identity(provider: &Provider, user_id: &str, target: &str, with_secret: bool) -> Result<Option<Value>, sqlx::Error> {
    let identities = crate::social::identities_of(provider, user_id).await?;
    let Some(identity) = identities.get(target) else { return Ok(None) };
    let mut body = json!({ "identity": identity });
    if let Some(secret) = describe(provider, user_id, Holder::Social { target }).await?.filter(|_| with_secret) {
        body["tokenSecret"] = secret;
    }
    Ok(Some(body))
}

/// `GET /api/users/:id/sso-identities/:connectorId`: `{ssoIdentity, tokenSecret?}`.
pub async fn sso_identity(provider: &Provider, user_id: &str, connector_id: &str, with_secret: bool) -> Result<Option<Value>, sqlx::Error> {
    let identities = crate::sso::sign_in::identities_of(&provider.store, user_id).await?;
    let Some(identity) = identities.into_iter().find(|i| i["ssoConnectorId"] == connector_id) else { return Ok(None) };
    let mut body = json!({ "ssoIdentity": identity });
    if let Some(secret) = describe(provider, user_id, Holder::Sso { connector_id }).await?.filter(|_| with_secret) {
        body["tokenSecret"] = secret;
    }
    Ok(Some(body))
}

/// `GET /api/users/:id/all-identities` in Logto's shape: `{socialIdentities: [{target,
/// identity, tokenSecret?}], ssoIdentities: [{ssoConnectorId, ssoIdentity, tokenSecret?}]}`,
/// the token sets read in one query per kind.
pub async fn all_identities(provider: &Provider, user_id: &str, with_secrets: bool) -> Result<Value, sqlx::Error> {
    let mut social_sets = std::collections::HashMap::new();
    let mut sso_sets = std::collections::HashMap::new();
    if with_secrets {
        for row in sqlx::query(SOCIAL_SETS).bind(user_id).fetch_all(provider.store.pool()).await? {
            let view = stored(&row, true)?.view;
            social_sets.insert(view["target"].as_str().unwrap_or_default().to_owned(), view);
        }
        for row in sqlx::query(SSO_SETS).bind(user_id).fetch_all(provider.store.pool()).await? {
            let view = stored(&row, false)?.view;
            sso_sets.insert(view["ssoConnectorId"].as_str().unwrap_or_default().to_owned(), view);
        }
    }
    let social: Vec<Value> = crate::social::identities_of(provider, user_id)
        .await?
        .into_iter()
        .map(|(target, identity)| {
            let mut entry = json!({ "target": target, "identity": identity });
            if let Some(secret) = social_sets.remove(&target) {
                entry["tokenSecret"] = secret;
            }
            entry
        })
        .collect();
    let sso: Vec<Value> = crate::sso::sign_in::identities_of(&provider.store, user_id)
        .await?
        .into_iter()
        .map(|identity| {
            let connector_id = identity["ssoConnectorId"].as_str().unwrap_or_default().to_owned();
            let mut entry = json!({ "ssoConnectorId": connector_id, "ssoIdentity": identity });
            if let Some(secret) = sso_sets.remove(&connector_id) {
                entry["tokenSecret"] = secret;
            }
            entry
        })
        .collect();
    Ok(json!({ "socialIdentities": social, "ssoIdentities": sso }))
}

/// `{access_token, token_type?, scope?, expires_in?}` for the account's identity, renewed first
/// when it has expired and a refresh token is kept.
pub async fn access_token(provider: &Provider, user_id: &str, holder: Holder<'_>) -> Result<Value, VaultError> {
    let stored = find(provider, user_id, holder).await?.ok_or(VaultError::NotFound)?;
    // A set sealed under another at-rest key cannot be used: it is as good as absent.
    let opened = provider.at_rest.decrypt(&stored.sealed).ok().and_then(|bytes| serde_json::from_slice::<TokenSet>(&bytes).ok());
    let Some(set) = opened else {
        drop_set(provider, holder, &stored.id).await?;
        return Err(VaultError::NotFound);
    };
    let now = provider.clock.now_ms() / 1000;
    if stored.metadata.expires_at.is_none_or(|at| now < at) {
        return Ok(answer(&set.access_token, &stored.metadata, now));
    }
    let Some(refresh_token) = set.refresh_token.clone() else {
        drop_set(provider, holder, &stored.id).await?;
        return Err(VaultError::Expired);
    };
    let mut renewed = renew(provider, holder, &refresh_token).await?;
    // An upstream that does not rotate refresh tokens keeps the one it gave.
    renewed.refresh_token = renewed.refresh_token.or(Some(refresh_token));
    renewed.id_token = renewed.id_token.or(set.id_token);
    let sealed = seal(&provider.at_rest, provider.clock.as_ref(), &renewed);
    let table = holder.table();
    sqlx::query(&format!("UPDATE {table} SET sealed = $2, metadata = $3, updated_at = $4 WHERE id = $1"))
        .bind(&stored.id)
        .bind(&sealed.sealed)
        .bind(metadata_json(&sealed.metadata))
        .bind(provider.clock.now_ms())
        .execute(provider.store.pool())
        .await?;
    Ok(answer(&renewed.access_token, &sealed.metadata, now))
}

async fn drop_set(provider: &Provider, holder: Holder<'_>, id: &str) -> Result<(), sqlx::Error> {
    let table = holder.table();
    sqlx::query(&format!("DELETE FROM {table} WHERE id = $1")).bind(id).execute(provider.store.pool()).await?;
    Ok(())
}

/// The refresh-token grant at the connector's token endpoint. A connector that is gone, or
/// that no longer keeps tokens, renews nothing.
async fn renew(provider: &Provider, holder: Holder<'_>, refresh_token: &str) -> Result<UpstreamTokens, VaultError> {
    match holder {
        Holder::Social { target } => {
            let connector = crate::social::find_by_target(provider, target).await?.filter(|c| c.enable_token_storage).ok_or(VaultError::Expired)?;
            Ok(match connector.protocol()? {
                Protocol::Oidc(settings) => crate::social::oidc::refresh(&settings, refresh_token).await?,
                Protocol::OAuth2(settings) => crate::social::oauth2::refresh(&settings, refresh_token).await?,
            })
        }
        Holder::Sso { connector_id } => {
            let connector = crate::sso::get(provider, connector_id).await.ok().filter(|c| c.enable_token_storage).ok_or(VaultError::Expired)?;
            let settings = connector.oidc_settings().map_err(|_| VaultError::Expired)?;
            Ok(crate::social::oidc::refresh(&settings, refresh_token).await?)
        }
    }
}

fn answer(access_token: &str, metadata: &TokenMetadata, now: i64) -> Value {
    let mut body = json!({ "access_token": access_token });
    if let Some(scope) = &metadata.scope {
        body["scope"] = json!(scope);
    }
    if let Some(token_type) = &metadata.token_type {
        body["token_type"] = json!(token_type);
    }
    if let Some(at) = metadata.expires_at {
        body["expires_in"] = json!(at - now);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::secret::Secret;

    #[test]
    fn sealed_tokens_hide_the_tokens_and_say_when_they_expire() {
        let at_rest = AtRest::new(&Secret::new("k"));
        let clock = ManualClock::at(1_800_000_000_000);
        let tokens = UpstreamTokens {
            access_token: "upstream-access".into(),
            refresh_token: Some("upstream-refresh".into()),
            id_token: None,
            expires_in: Some(3600),
            scope: Some("openid email".into()),
            token_type: Some("Bearer".into()),
        };
        let sealed = seal(&at_rest, &clock, &tokens);
        let kept = serde_json::to_string(&sealed).unwrap();
        assert!(!kept.contains("upstream-access") && !kept.contains("upstream-refresh"), "{kept}");
        assert!(!format!("{tokens:?}").contains("upstream-access"));
        assert_eq!(sealed.metadata, TokenMetadata { scope: Some("openid email".into()), expires_at: Some(1_800_003_600), token_type: Some("Bearer".into()), has_refresh_token: true });
        let opened: TokenSet = serde_json::from_slice(&at_rest.decrypt(&sealed.sealed).unwrap()).unwrap();
        assert_eq!((opened.access_token.as_str(), opened.refresh_token.as_deref()), ("upstream-access", Some("upstream-refresh")));
        assert_eq!(answer("a", &sealed.metadata, 1_800_000_100), json!({"access_token": "a", "scope": "openid email", "token_type": "Bearer", "expires_in": 3500}));
    }
}
