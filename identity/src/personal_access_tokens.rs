//! Personal access tokens (spec §15): long-lived, named credentials an operator issues to a
//! user through the Management API, which a confidential application exchanges at the token
//! endpoint for that user's access tokens (`urn:logto:token-type:personal_access_token`).
//! Stored hashed: the value is in the create response only.

use serde::Serialize;

use crate::clock::{Clock, Millis};
use crate::crypto;
use crate::error::ErrorCode;
use crate::store::Store;
use crate::users::{self, UserError};

/// Logto's prefix, so a leaked token is recognisable (secret scanners match `pat_`).
const PREFIX: &str = "pat_";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalAccessToken {
    pub user_id: String,
    pub name: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a personal access token with this name already exists")]
    NameExists,
    #[error("no personal access token has this name")]
    NotFound,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error(transparent)]
    User(#[from] UserError),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for TokenError {
    fn code(&self) -> &'static str {
        match self {
            TokenError::NameExists => "user.personal_access_token_name_exists",
            TokenError::NotFound => "entity.not_found",
            TokenError::InvalidInput(_) => "guard.invalid_input",
            TokenError::User(err) => err.code(),
            TokenError::Storage(_) => "unexpected",
        }
    }
}

fn check_name(name: &str) -> Result<(), TokenError> {
    if name.trim().is_empty() || name.len() > 256 {
        return Err(TokenError::InvalidInput("a token name has 1 to 256 characters".into()));
    }
    Ok(())
}

async fn existing_user(store: &Store, user_id: &str) -> Result<(), TokenError> {
    users::find_by_id(store, user_id).await?.ok_or(UserError::NotFound)?;
    Ok(())
}

/// A new token for the user; the value is returned once.
pub async fn create(store: &Store, clock: &dyn Clock, user_id: &str, name: &str, expires_at: Option<Millis>) -> Result<(PersonalAccessToken, String), TokenError> {
    existing_user(store, user_id).await?;
    check_name(name)?;
    let now = clock.now_ms();
    if expires_at.is_some_and(|at| at <= now) {
        return Err(TokenError::InvalidInput("expiresAt must be in the future".into()));
    }
    let value = format!("{PREFIX}{}", crypto::random_token());
    let inserted = sqlx::query("INSERT INTO personal_access_tokens (user_id, name, value_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, name) DO NOTHING")
        .bind(user_id)
        .bind(name)
        .bind(crypto::token_hash(&value))
        .bind(now)
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    if inserted.rows_affected() == 0 {
        return Err(TokenError::NameExists);
    }
    Ok((PersonalAccessToken { user_id: user_id.to_owned(), name: name.to_owned(), created_at: now, expires_at }, value))
}

pub async fn list(store: &Store, user_id: &str) -> Result<Vec<PersonalAccessToken>, TokenError> {
    existing_user(store, user_id).await?;
    let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as("SELECT name, created_at, expires_at FROM personal_access_tokens WHERE user_id = $1 ORDER BY created_at, name")
        .bind(user_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(|(name, created_at, expires_at)| PersonalAccessToken { user_id: user_id.to_owned(), name, created_at, expires_at }).collect())
}

pub async fn rename(store: &Store, user_id: &str, current: &str, name: &str) -> Result<PersonalAccessToken, TokenError> {
    check_name(name)?;
    existing_user(store, user_id).await?;
    if current != name && list(store, user_id).await?.iter().any(|t| t.name == name) {
        return Err(TokenError::NameExists);
    }
    let updated = sqlx::query("UPDATE personal_access_tokens SET name = $1 WHERE user_id = $2 AND name = $3").bind(name).bind(user_id).bind(current).execute(store.pool()).await;
    match updated {
        Ok(done) if done.rows_affected() == 0 => return Err(TokenError::NotFound),
        Ok(_) => {}
        // Renamed to the same name concurrently: the primary key refuses the second.
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => return Err(TokenError::NameExists),
        Err(err) => return Err(err.into()),
    }
    list(store, user_id).await?.into_iter().find(|t| t.name == name).ok_or(TokenError::NotFound)
}

pub async fn delete(store: &Store, user_id: &str, name: &str) -> Result<(), TokenError> {
    existing_user(store, user_id).await?;
    let deleted = sqlx::query("DELETE FROM personal_access_tokens WHERE user_id = $1 AND name = $2").bind(user_id).bind(name).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 { Err(TokenError::NotFound) } else { Ok(()) }
}

/// The user a token value belongs to, if it exists and has not expired.
pub async fn owner(store: &Store, clock: &dyn Clock, value: &str) -> Result<Option<String>, sqlx::Error> {
    if !value.starts_with(PREFIX) || value.len() > 256 {
        return Ok(None);
    }
    let row: Option<(String, Option<i64>)> = sqlx::query_as("SELECT user_id, expires_at FROM personal_access_tokens WHERE value_hash = $1")
        .bind(crypto::token_hash(value))
        .fetch_optional(store.pool())
        .await?;
    Ok(row.filter(|(_, expires_at)| expires_at.is_none_or(|at| at > clock.now_ms())).map(|(user_id, _)| user_id))
}
