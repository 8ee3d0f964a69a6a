//! Linking a social identity from a back end (Management API, spec §5): `POST
//! /api/connectors/:id/authorization-uri {state, redirectUri}` answers where to send the
//! person; the back end's own callback hands what the upstream sent to `POST
//! /api/users/:id/identities {connectorId, connectorData}`, which links the identity. Logto
//! cannot do this for connectors that keep a session (OIDC's nonce, PKCE); here the session
//! lives in the database under the hash of the caller's `state`, used once, for ten minutes,
//! so every connector works and any node can take the callback.

use serde_json::{Map, Value};

use super::{Pending, SocialError};
use crate::crypto::token_hash;
use crate::oidc::Provider;
use crate::users::UserError;

const SESSION_LIFE_MS: i64 = 10 * 60 * 1000;

/// Where to send the person for `connector_id`; the upstream comes back to `redirect_uri`
/// with `state`.
pub async fn authorization_uri(provider: &Provider, connector_id: &str, state: &str, redirect_uri: &str) -> Result<String, SocialError> {
    let connector = super::get(provider, connector_id).await?;
    let (uri, pending) = super::start(&connector, redirect_uri, state).await?;
    let now = provider.clock.now_ms();
    let mut tx = provider.store.begin_write().await?;
    sqlx::query("DELETE FROM social_connector_sessions WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO social_connector_sessions (state_hash, connector_id, pending, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (state_hash) DO UPDATE SET connector_id = excluded.connector_id, pending = excluded.pending, expires_at = excluded.expires_at",
    )
    .bind(token_hash(state))
    .bind(connector_id)
    .bind(serde_json::to_string(&pending).expect("serializes"))
    .bind(now + SESSION_LIFE_MS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(uri)
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Social(#[from] SocialError),
    #[error(transparent)]
    User(#[from] UserError),
    #[error("no authorization was started for this state, or it expired or was used")]
    SessionNotFound,
}

impl crate::ErrorCode for LinkError {
    fn code(&self) -> &'static str {
        match self {
            LinkError::Social(err) => err.code(),
            LinkError::User(err) => err.code(),
            LinkError::SessionNotFound => "session.connector_validation_session_not_found",
        }
    }
}

impl From<sqlx::Error> for LinkError {
    fn from(err: sqlx::Error) -> Self {
        LinkError::Social(SocialError::Storage(err))
    }
}

/// Links the identity the upstream's answer (`connectorData`: `code`, `state`, …) proves to
/// `user_id`; the session its `state` names is used up whatever the outcome.
pub async fn link(provider: &Provider, user_id: &str, connector_id: &str, data: &Map<String, Value>) -> Result<(), LinkError> {
    let connector = super::get(provider, connector_id).await?;
    if crate::users::find_by_id(&provider.store, user_id).await?.is_none() {
        return Err(UserError::NotFound.into());
    }
    let state = data.get("state").and_then(Value::as_str).ok_or(LinkError::SessionNotFound)?;
    let pending = take_session(provider, connector_id, state).await?.ok_or(LinkError::SessionNotFound)?;
    let user = super::finish(provider, &connector, &pending, data).await?;
    super::link_alone(provider, user_id, &user).await?;
    Ok(())
}

async fn take_session(provider: &Provider, connector_id: &str, state: &str) -> Result<Option<Pending>, sqlx::Error> {
    let taken: Option<(String, i64)> = sqlx::query_as("DELETE FROM social_connector_sessions WHERE state_hash = $1 AND connector_id = $2 RETURNING pending, expires_at")
        .bind(token_hash(state))
        .bind(connector_id)
        .fetch_optional(provider.store.pool())
        .await?;
    Ok(taken.filter(|(_, expires_at)| *expires_at > provider.clock.now_ms()).and_then(|(pending, _)| serde_json::from_str(&pending).ok()))
}
