//! Personal access tokens in the account center — beyond Logto, whose tokens are issued by
//! operators only: people list, create (the value is shown once) and revoke their own, from
//! a first-party page and behind a fresh proof, as for any other credential.

use super::{verification, AccountError, Caller};
use crate::clock::Millis;
use crate::oidc::Provider;
use crate::personal_access_tokens::{self as pats, PersonalAccessToken, TokenError};

const DAY_MS: Millis = 24 * 60 * 60 * 1000;

impl From<TokenError> for AccountError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::NameExists => AccountError::TokenNameExists,
            TokenError::NotFound => AccountError::SessionNotFound,
            TokenError::InvalidInput(message) => AccountError::InvalidInput(message),
            TokenError::User(err) => AccountError::User(err),
            TokenError::Storage(err) => AccountError::Storage(err),
        }
    }
}

pub async fn list(provider: &Provider, caller: &Caller) -> Result<Vec<PersonalAccessToken>, AccountError> {
    caller.require_first_party()?;
    Ok(pats::list(&provider.store, &caller.user.id).await?)
}

/// A new token that expires after `days` (never with `None`); answers it and its value.
pub async fn create(provider: &Provider, caller: &Caller, proof: Option<&str>, name: &str, days: Option<u32>) -> Result<(PersonalAccessToken, String), AccountError> {
    caller.require_first_party()?;
    verification::require_proof(provider, caller, proof).await?;
    if days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(AccountError::InvalidInput("a token lives 1 to 3,650 days".into()));
    }
    let expires_at = days.map(|d| provider.now_ms() + Millis::from(d) * DAY_MS);
    Ok(pats::create(&provider.store, provider.clock.as_ref(), &caller.user.id, name.trim(), expires_at).await?)
}

pub async fn revoke(provider: &Provider, caller: &Caller, proof: Option<&str>, name: &str) -> Result<(), AccountError> {
    caller.require_first_party()?;
    verification::require_proof(provider, caller, proof).await?;
    Ok(pats::delete(&provider.store, &caller.user.id, name).await?)
}
