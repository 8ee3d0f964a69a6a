//! Social sign-in (spec §5): connectors to upstream identity providers, and the identities
//! people have there. A connector is Logto's `{connectorId, config, metadata: {target, name,
//! logo}, syncProfile}`; `target` names the identity in `users.identities`. The factories
//! (`factories`) are the generic `oidc` and `oauth2` protocols and vendor presets on them;
//! the configuration is kept as given, its client secret sealed at rest.

pub mod by_operator;
pub mod factories;
pub mod oauth2;
pub mod oidc;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::oidc::Provider;
use crate::store::{get_flag, unique_violation};
pub use factories::{Factory, Protocol, FACTORIES};

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
    #[error("the person did not allow the sign-in at the identity provider")]
    AuthorizationFailed,
    #[error("the identity provider's answer is not usable: {0}")]
    InvalidResponse(&'static str),
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
            SocialError::AuthorizationFailed => "connector.authorization_failed",
            SocialError::InvalidResponse(_) => "connector.invalid_response",
            SocialError::StateMismatch => "session.state_mismatch",
            SocialError::Storage(_) => "unexpected",
        }
    }
}

pub(crate) fn upstream(err: impl std::fmt::Display) -> SocialError {
    SocialError::Upstream(err.to_string())
}

/// No redirects (a token endpoint that redirects is not followed anywhere), a deadline, and
/// a name (GitHub's API refuses requests without one).
pub(crate) fn http() -> Result<openidconnect::reqwest::Client, SocialError> {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("Vestibule/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(upstream)
}

/// A sign-in sent to the upstream: where the browser goes, and what the callback must match.
pub struct Started {
    pub authorization_uri: String,
    pub nonce: Option<String>,
    pub pkce_verifier: Option<String>,
}

/// What a started sign-in keeps until the upstream answers (in the interaction, or in an
/// Account API verification record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    pub connector_id: String,
    pub redirect_uri: String,
    pub state: String,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub pkce_verifier: Option<String>,
}

/// Sends the person to the connector's upstream with `state`; the upstream comes back to
/// `redirect_uri`.
pub async fn start(connector: &SocialConnector, redirect_uri: &str, state: &str) -> Result<(String, Pending), SocialError> {
    if state.trim().is_empty() || url::Url::parse(redirect_uri).is_err() {
        return Err(SocialError::InvalidConfig("state and redirectUri (a URL) are required".into()));
    }
    let started = match connector.protocol()? {
        Protocol::Oidc(settings) => oidc::start(&settings, redirect_uri, state).await?,
        Protocol::OAuth2(settings) => oauth2::start(&settings, redirect_uri, state)?,
    };
    let pending = Pending { connector_id: connector.id.clone(), redirect_uri: redirect_uri.to_owned(), state: state.to_owned(), nonce: started.nonce, pkce_verifier: started.pkce_verifier };
    Ok((started.authorization_uri, pending))
}

/// `connectorData`: everything the upstream sent back to the callback (`code`, `state`, or
/// `error`; Apple's `id_token` and `user`). An answer for another sign-in, or a refusal,
/// says nobody. With token storage on, the upstream's tokens come along, sealed.
pub async fn finish(provider: &Provider, connector: &SocialConnector, pending: &Pending, data: &Map<String, Value>) -> Result<SocialUser, SocialError> {
    check_callback(pending, data)?;
    let (mut user, tokens) = match connector.protocol()? {
        Protocol::Oidc(settings) => oidc::finish(&settings, &connector.target, pending, data).await?,
        Protocol::OAuth2(settings) => oauth2::finish(&settings, &connector.target, pending, data).await?,
    };
    if connector.enable_token_storage {
        user.tokens = tokens.map(|t| crate::token_vault::seal(&provider.at_rest, provider.clock.as_ref(), &t));
    }
    Ok(user)
}

/// An upstream's refusal, or an answer meant for another sign-in (its `state` differs),
/// ends the sign-in here.
pub(crate) fn check_callback(pending: &Pending, data: &Map<String, Value>) -> Result<(), SocialError> {
    let field = |key: &str| data.get(key).and_then(Value::as_str);
    match field("error") {
        Some("access_denied") => return Err(SocialError::AuthorizationFailed),
        Some(error) => return Err(SocialError::Upstream(format!("the identity provider answered {error}"))),
        None => {}
    }
    if !field("state").is_some_and(|s| crate::crypto::constant_time_eq(s, &pending.state)) {
        return Err(SocialError::StateMismatch);
    }
    Ok(())
}

/// A configured social connector.
#[derive(Debug, Clone, PartialEq)]
pub struct SocialConnector {
    pub id: String,
    /// Logto's `connectorId`: one of [`FACTORIES`].
    pub factory: String,
    pub target: String,
    /// `{name: {en: …}, logo, logoDark}`.
    pub metadata: Map<String, Value>,
    /// As the operator gave it (the client secret in the clear here, sealed in storage).
    pub config: Map<String, Value>,
    pub sync_profile: bool,
    /// Keep the upstream's tokens for the application (token storage).
    pub enable_token_storage: bool,
}

/// The configuration keys that hold secrets: sealed at rest, masked when shown.
const SECRET_KEYS: [&str; 1] = ["clientSecret"];
const MASK: &str = "********";

impl SocialConnector {
    pub fn factory(&self) -> &'static Factory {
        factories::factory(&self.factory).expect("connectors are only read with a known factory (from_row checks)")
    }

    pub fn protocol(&self) -> Result<Protocol, SocialError> {
        factories::protocol(&self.factory, &self.config)
    }

    /// Whether sign-ins here come with tokens to keep: every code flow does; Apple's ID token
    /// arrives alone with the callback.
    pub fn supports_token_storage(&self) -> bool {
        supports_token_storage(&self.factory, &self.config)
    }

    /// The operator's logo, else the factory's.
    pub fn logo(&self) -> String {
        self.metadata.get("logo").and_then(Value::as_str).filter(|l| !l.is_empty()).unwrap_or(self.factory().logo).to_owned()
    }

    fn name_json(&self) -> Value {
        self.metadata.get("name").cloned().unwrap_or_else(|| json!({ "en": self.factory().name }))
    }

    /// The Management API's view (Logto's connector shape); secrets are never shown.
    pub fn to_api_json(&self) -> Value {
        let mut config = self.config.clone();
        for key in SECRET_KEYS {
            if config.contains_key(key) {
                config.insert(key.to_owned(), json!(MASK));
            }
        }
        json!({
            "id": self.id,
            "connectorId": self.factory,
            "type": "Social",
            "platform": "Universal",
            "isStandard": self.factory().is_standard,
            "target": self.target,
            "name": self.name_json(),
            "logo": self.logo(),
            "logoDark": self.metadata.get("logoDark").cloned().unwrap_or(Value::Null),
            "metadata": self.metadata,
            "config": config,
            "syncProfile": self.sync_profile,
            "enableTokenStorage": self.enable_token_storage,
            "isTokenStorageSupported": self.supports_token_storage(),
        })
    }

    /// What sign-in pages need (`/api/.well-known/sign-in-exp`'s `socialConnectors`).
    pub fn to_public_json(&self) -> Value {
        json!({
            "id": self.id,
            "target": self.target,
            "name": self.name_json(),
            "logo": self.logo(),
            "logoDark": self.metadata.get("logoDark").cloned().unwrap_or(Value::Null),
            "platform": "Universal",
            "isStandard": self.factory().is_standard,
        })
    }

    /// The name to show on a button, in `language` (English, then any).
    pub fn display_name(&self, language: &str) -> String {
        let names = self.metadata.get("name").and_then(Value::as_object);
        names
            .and_then(|n| n.get(language).or_else(|| n.get("en")).or_else(|| n.values().next()))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| self.factory().name.to_owned())
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
    #[serde(default)]
    pub enable_token_storage: Option<bool>,
}

const COLUMNS: &str = "id, connector_id, target, metadata, config, sync_profile, enable_token_storage";

fn supports_token_storage(factory: &str, config: &Map<String, Value>) -> bool {
    match factories::protocol(factory, config) {
        Ok(Protocol::Oidc(settings)) => !settings.id_token_in_callback,
        Ok(Protocol::OAuth2(_)) => true,
        Err(_) => false,
    }
}

/// Token storage can be turned on only where sign-ins bring tokens.
fn token_storage(factory: &str, config: &Map<String, Value>, requested: Option<bool>, current: bool) -> Result<bool, SocialError> {
    let on = requested.unwrap_or(current);
    if on && !supports_token_storage(factory, config) {
        return Err(SocialError::InvalidConfig("this connector's sign-ins bring no tokens to store (enableTokenStorage)".into()));
    }
    Ok(on)
}

fn from_row(provider: &Provider, row: &sqlx::any::AnyRow) -> Result<SocialConnector, SocialError> {
    let config: String = row.try_get("config")?;
    let mut config: Map<String, Value> = serde_json::from_str(&config).map_err(|e| SocialError::InvalidConfig(e.to_string()))?;
    provider.at_rest.open_fields(&mut config, &SECRET_KEYS).map_err(|_| SocialError::InvalidConfig("the client secret cannot be opened".into()))?;
    let metadata: String = row.try_get("metadata")?;
    let factory: String = row.try_get("connector_id")?;
    // A row written by a newer release may name a factory this one does not know.
    factory_of(&factory)?;
    Ok(SocialConnector {
        id: row.try_get("id")?,
        factory,
        target: row.try_get("target")?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        config,
        sync_profile: get_flag(row, "sync_profile")?,
        enable_token_storage: get_flag(row, "enable_token_storage")?,
    })
}

fn sealed(provider: &Provider, config: &Map<String, Value>) -> String {
    provider.at_rest.seal_fields(config, &SECRET_KEYS)
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

/// The connectors the sign-in page offers (the sign-in experience's targets, in its order).
pub async fn offered(provider: &Provider, sie: &crate::sign_in_experience::SignInExperience) -> Result<Vec<SocialConnector>, SocialError> {
    let all = list(provider).await?;
    Ok(match sie.social_sign_in_targets() {
        None => all,
        Some(targets) => targets.iter().filter_map(|t| all.iter().find(|c| &c.target == t).cloned()).collect(),
    })
}

/// The connector whose identities are kept under `target`.
pub async fn find_by_target(provider: &Provider, target: &str) -> Result<Option<SocialConnector>, SocialError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM social_connectors WHERE target = $1")).bind(target).fetch_optional(provider.store.pool()).await?;
    row.map(|r| from_row(provider, &r)).transpose()
}

/// `metadata.target`, or the factory's own target for a preset.
fn target_of(factory: &Factory, metadata: &Map<String, Value>) -> Result<String, SocialError> {
    let target = metadata.get("target").and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).unwrap_or(factory.target).to_owned();
    let valid = target.len() <= 64 && target.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid { Ok(target) } else { Err(SocialError::InvalidConfig("metadata.target is 1 to 64 letters, digits, - or _".into())) }
}

fn config_of(factory: &Factory, value: Value) -> Result<Map<String, Value>, SocialError> {
    let Value::Object(config) = value else { return Err(SocialError::InvalidConfig("config is an object".into())) };
    factories::protocol(factory.id, &config)?;
    Ok(config)
}

fn factory_of(id: &str) -> Result<&'static Factory, SocialError> {
    factories::factory(id).ok_or_else(|| SocialError::InvalidConfig(format!("unknown social connector {id}")))
}

pub async fn create(provider: &Provider, clock: &dyn Clock, request: ConnectorRequest) -> Result<SocialConnector, SocialError> {
    let factory = factory_of(request.connector_id.as_deref().unwrap_or_default())?;
    let config = config_of(factory, request.config.unwrap_or(Value::Null))?;
    let mut metadata = request.metadata.unwrap_or_default();
    let target = target_of(factory, &metadata)?;
    metadata.insert("target".into(), json!(target));
    let keep_tokens = token_storage(factory.id, &config, request.enable_token_storage, false)?;
    let id = crate::ids::entity_id();
    let now = clock.now_ms();
    let inserted = sqlx::query(&format!("INSERT INTO social_connectors ({COLUMNS}, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"))
        .bind(&id)
        .bind(factory.id)
        .bind(&target)
        .bind(Value::Object(metadata).to_string())
        .bind(sealed(provider, &config))
        .bind(request.sync_profile.unwrap_or(false))
        .bind(keep_tokens)
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
    let factory = current.factory();
    let config = match request.config {
        Some(Value::Object(mut patch)) => {
            patch.retain(|key, value| !(SECRET_KEYS.contains(&key.as_str()) && value.as_str() == Some(MASK)));
            let mut merged = current.config.clone();
            merged.extend(patch);
            config_of(factory, Value::Object(merged))?
        }
        Some(_) => return Err(SocialError::InvalidConfig("config is an object".into())),
        None => current.config.clone(),
    };
    let mut metadata = current.metadata.clone();
    metadata.extend(request.metadata.unwrap_or_default());
    let target = target_of(factory, &metadata)?;
    metadata.insert("target".into(), json!(target));
    let keep_tokens = token_storage(factory.id, &config, request.enable_token_storage, current.enable_token_storage)?;
    let mut tx = provider.store.begin_write().await?;
    let updated = sqlx::query("UPDATE social_connectors SET target = $2, metadata = $3, config = $4, sync_profile = $5, enable_token_storage = $6, updated_at = $7 WHERE id = $1")
        .bind(id)
        .bind(&target)
        .bind(Value::Object(metadata).to_string())
        .bind(sealed(provider, &config))
        .bind(request.sync_profile.unwrap_or(current.sync_profile))
        .bind(keep_tokens)
        .bind(clock.now_ms())
        .execute(&mut *tx)
        .await;
    if let Err(err) = updated {
        return Err(if unique_violation(&err).is_some() { SocialError::TargetInUse } else { err.into() });
    }
    // Turning storage off, or moving the connector to another target, drops what was kept.
    if !keep_tokens || target != current.target {
        sqlx::query("DELETE FROM social_token_sets WHERE target = $1").bind(&current.target).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    get(provider, id).await
}

/// Deletes the connector and the tokens kept from its sign-ins (the identities stay).
pub async fn delete(provider: &Provider, id: &str) -> Result<bool, SocialError> {
    let Some(connector) = find(provider, id).await? else { return Ok(false) };
    let mut tx = provider.store.begin_write().await?;
    sqlx::query("DELETE FROM social_token_sets WHERE target = $1").bind(&connector.target).execute(&mut *tx).await?;
    let deleted = sqlx::query("DELETE FROM social_connectors WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
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
    /// Only when the upstream says it is verified.
    #[serde(default)]
    pub phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    /// With token storage on: what the upstream gave at this sign-in, sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<crate::token_vault::SealedTokens>,
}

/// The account that has this upstream identity, if any.
pub async fn user_with_identity(provider: &Provider, target: &str, identity_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM user_social_identities WHERE target = $1 AND identity_id = $2").bind(target).bind(identity_id).fetch_optional(provider.store.pool()).await
}

/// The account's upstream identities as Logto's `users.identities` shows them:
/// `{<target>: {userId: <upstream id>, details: {id, email, name, avatar}}}`.
pub async fn identities_of(provider: &Provider, user_id: &str) -> Result<Map<String, Value>, sqlx::Error> {
    identities_in(&provider.store, user_id).await
}

/// [`identities_of`] from the store alone (for claims).
pub async fn identities_in(store: &crate::store::Store, user_id: &str) -> Result<Map<String, Value>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT target, identity_id, details FROM user_social_identities WHERE user_id = $1 ORDER BY created_at, target")
        .bind(user_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(target, id, details)| (target, json!({ "userId": id, "details": serde_json::from_str::<Value>(&details).unwrap_or(Value::Null) })))
        .collect())
}

/// [`identities_of`] for a page of accounts, in one query (the users list).
pub async fn identities_of_many(store: &crate::store::Store, user_ids: &[&str]) -> Result<std::collections::HashMap<String, Map<String, Value>>, sqlx::Error> {
    let mut by_user: std::collections::HashMap<String, Map<String, Value>> = std::collections::HashMap::new();
    if user_ids.is_empty() {
        return Ok(by_user);
    }
    let placeholders: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT user_id, target, identity_id, details FROM user_social_identities WHERE user_id IN ({}) ORDER BY created_at, target", placeholders.join(", "));
    let mut query = sqlx::query_as::<_, (String, String, String, String)>(&sql);
    for id in user_ids {
        query = query.bind(*id);
    }
    for (user_id, target, id, details) in query.fetch_all(store.pool()).await? {
        by_user.entry(user_id).or_default().insert(target, json!({ "userId": id, "details": serde_json::from_str::<Value>(&details).unwrap_or(Value::Null) }));
    }
    Ok(by_user)
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

/// An operator links (or replaces) `user_id`'s identity at a configured connector's `target`:
/// the upstream's id for the person and what it says of them (`email`, `phone`, `name`,
/// `avatar`, taken as given). An unknown target is `user.identity_not_exist`.
pub async fn link_as_operator(provider: &Provider, user_id: &str, target: &str, upstream_id: &str, info: &Map<String, Value>) -> Result<(), crate::users::UserError> {
    let known = find_by_target(provider, target).await.map_err(|e| match e {
        SocialError::Storage(e) => crate::users::UserError::Storage(e),
        _ => crate::users::UserError::IdentityNotFound,
    })?;
    if known.is_none() || upstream_id.is_empty() || upstream_id.len() > 256 {
        return Err(crate::users::UserError::IdentityNotFound);
    }
    let text = |key: &str| info.get(key).and_then(Value::as_str).map(str::to_owned);
    let social = SocialUser { target: target.to_owned(), id: upstream_id.to_owned(), email: text("email"), phone: text("phone"), name: text("name"), avatar: text("avatar"), tokens: None };
    link_alone(provider, user_id, &social).await
}

/// [`link`] in a transaction of its own.
pub async fn link_alone(provider: &Provider, user_id: &str, social: &SocialUser) -> Result<(), crate::users::UserError> {
    let mut tx = provider.store.begin_write().await?;
    link(&mut tx, provider.clock.as_ref(), user_id, social).await?;
    tx.commit().await?;
    Ok(())
}

/// Records that `user_id` has this upstream identity (replacing another identity it had at
/// the same target, refreshing the details of this one), inside the caller's transaction.
/// An identity that belongs to another account is `user.identity_already_in_use`.
pub async fn link(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, social: &SocialUser) -> Result<(), crate::users::UserError> {
    let details = json!({ "id": social.id, "email": social.email, "phone": social.phone, "name": social.name, "avatar": social.avatar });
    sqlx::query("DELETE FROM user_social_identities WHERE user_id = $1 AND target = $2 AND identity_id <> $3")
        .bind(user_id)
        .bind(&social.target)
        .bind(&social.id)
        .execute(&mut *conn)
        .await?;
    let written = sqlx::query(
        "INSERT INTO user_social_identities (target, identity_id, user_id, details, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (target, identity_id) DO UPDATE SET details = excluded.details WHERE user_social_identities.user_id = excluded.user_id",
    )
    .bind(&social.target)
    .bind(&social.id)
    .bind(user_id)
    .bind(details.to_string())
    .bind(clock.now_ms())
    .execute(&mut *conn)
    .await?;
    if written.rows_affected() == 0 {
        return Err(crate::users::UserError::IdentityAlreadyInUse);
    }
    if let Some(tokens) = &social.tokens {
        crate::token_vault::keep_social(&mut *conn, clock, user_id, &social.target, &social.id, tokens).await?;
    }
    Ok(())
}
