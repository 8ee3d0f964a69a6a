//! Social identities from the account side (spec §11, §12): `POST /api/verifications/social`
//! starts a sign-in at the connector's upstream and keeps what the callback must match in a
//! verification record; `/verify` records who the upstream says signed in; the record is then
//! bound once, as `newIdentifierVerificationRecordId`, by `POST|PUT /api/my-account/identities`.
//! Removing an identity keeps the account's last way to sign in.

use serde_json::{json, Map, Value};

use super::verification::{self, CreatedRecord};
use super::{AccountError, Caller};
use crate::oidc::Provider;
use crate::social::{self, Pending, SocialUser};
use crate::token_vault::{self, Holder, VaultError};
use crate::users::UserError;

const KIND: &str = "Social";

/// Where upstreams send people back to when they connect an account from the account center
/// (operators register `<endpoint>/account/social/callback` at the upstream).
pub const ACCOUNT_CENTER_CALLBACK: &str = "/account/social/callback";
/// The cookie that carries the started record from the account center to that callback.
pub const ACCOUNT_CENTER_RECORD_COOKIE: &str = "_account_social";

/// `POST /api/verifications/social`: where to send the person, and the record that waits for
/// the upstream's answer. `scope` replaces the connector's own (Logto's body takes it: an
/// application asking for more, say, to keep tokens that reach further).
pub async fn start(provider: &Provider, caller: &Caller, connector_id: &str, state: &str, redirect_uri: &str, scope: Option<&str>) -> Result<(CreatedRecord, String), AccountError> {
    caller.require_first_party()?;
    let mut connector = social::get(provider, connector_id).await.map_err(social_error)?;
    if let Some(scope) = scope.map(str::trim).filter(|s| !s.is_empty()) {
        if scope.len() > 1024 || scope.chars().any(|c| c.is_control()) {
            return Err(AccountError::InvalidInput("scope is a space-separated list of up to 1024 characters".into()));
        }
        connector.config.insert("scope".into(), json!(scope));
    }
    let (uri, pending) = social::start(&connector, redirect_uri, state).await.map_err(social_error)?;
    let record = verification::insert_unverified_payload(provider, &caller.user.id, KIND, &serde_json::to_string(&pending).expect("serializes")).await?;
    Ok((record, uri))
}

/// `POST /api/verifications/social/verify`: the upstream's answer (`connectorData`) for the
/// caller's pending record; the record then says who signed in upstream.
pub async fn verify(provider: &Provider, caller: &Caller, record_id: &str, connector_data: &Map<String, Value>) -> Result<String, AccountError> {
    caller.require_first_party()?;
    let pending = verification::pending_payload(provider, caller, record_id, KIND).await?;
    let pending: Pending = serde_json::from_str(&pending).map_err(|_| AccountError::RecordNotFound)?;
    let connector = social::get(provider, &pending.connector_id).await.map_err(social_error)?;
    let user = social::finish(provider, &connector, &pending, connector_data).await.map_err(social_error)?;
    verification::mark_verified(provider, record_id, &serde_json::to_string(&user).expect("serializes")).await?;
    Ok(record_id.to_owned())
}

fn social_error(err: social::SocialError) -> AccountError {
    AccountError::Social(err)
}

/// Who may change the account's identities: the `identities` scope, the `social` switch on
/// `Edit`, and a fresh proof when the account has a password, an email or a phone.
async fn require_editable(provider: &Provider, caller: &Caller, proof: Option<&str>) -> Result<(), AccountError> {
    caller.require_scope("identities")?;
    caller.require_editable(caller.settings.fields.social)?;
    let user = &caller.user;
    if user.password.is_some() || user.primary_email.is_some() || user.primary_phone.is_some() {
        verification::require_proof(provider, caller, proof).await?;
    }
    Ok(())
}

/// `POST /api/my-account/identities` (`replace: false`: the account has no identity at that
/// target yet) and `PUT` (`replace: true`): binds the verified social record.
pub async fn link(provider: &Provider, caller: &Caller, proof: Option<&str>, record_id: &str, replace: bool) -> Result<SocialUser, AccountError> {
    require_editable(provider, caller, proof).await?;
    let user: SocialUser = serde_json::from_str(&verification::take_payload(provider, caller, record_id, KIND).await?).map_err(|_| AccountError::RecordNotFound)?;
    if !replace && social::identities_of(provider, &caller.user.id).await?.contains_key(&user.target) {
        return Err(AccountError::IdentityTargetLinked);
    }
    social::link_alone(provider, &caller.user.id, &user).await?;
    Ok(user)
}

/// `DELETE /api/my-account/identities/:target`: not the account's last way to sign in.
pub async fn unlink(provider: &Provider, caller: &Caller, proof: Option<&str>, target: &str) -> Result<(), AccountError> {
    require_editable(provider, caller, proof).await?;
    let identities = social::identities_of(provider, &caller.user.id).await?;
    if !identities.contains_key(target) {
        return Err(UserError::IdentityNotFound.into());
    }
    let user = &caller.user;
    if user.username.is_none() && user.primary_email.is_none() && user.primary_phone.is_none() && identities.len() == 1 {
        return Err(AccountError::LastSignInMethod);
    }
    social::unlink(provider, &user.id, target).await?;
    Ok(())
}

/// `identities` in `GET /api/my-account` (Logto's `{<target>: {userId, details}}`).
/// `(identities, ssoIdentities)`: the social identities by target, the enterprise ones listed.
pub async fn view(provider: &Provider, caller: &Caller) -> Result<(Value, Value), AccountError> {
    let social = json!(social::identities_of(provider, &caller.user.id).await?);
    let sso = json!(crate::sso::sign_in::identities_of(&provider.store, &caller.user.id).await?);
    Ok((social, sso))
}

/// `GET /api/my-account/identities/:target/access-token` and
/// `GET /api/my-account/sso-identities/:connectorId/access-token`: the upstream access token
/// kept from the account's sign-in there (token storage), renewed when it has expired.
/// Reading it needs the `identities` scope (403 without, as Logto answers).
pub async fn access_token(provider: &Provider, caller: &Caller, holder: Holder<'_>) -> Result<Value, AccountError> {
    if !caller.has_scope("identities") {
        return Err(AccountError::Forbidden);
    }
    Ok(token_vault::access_token(provider, &caller.user.id, holder).await?)
}

/// `PUT /api/my-account/identities/:target/access-token {verificationRecordId}`: keeps the
/// tokens of a fresh social verification of the account's own identity at `target` (the
/// person signed in there again, say to grant more scopes), and answers the new access token.
pub async fn replace_access_token(provider: &Provider, caller: &Caller, target: &str, record_id: &str) -> Result<Value, AccountError> {
    if !caller.has_scope("identities") {
        return Err(AccountError::Forbidden);
    }
    caller.require_first_party()?;
    let user: SocialUser = serde_json::from_str(&verification::take_payload(provider, caller, record_id, KIND).await?).map_err(|_| AccountError::RecordNotFound)?;
    if user.target != target {
        return Err(VaultError::InvalidTarget.into());
    }
    if social::user_with_identity(provider, target, &user.id).await?.as_deref() != Some(caller.user.id.as_str()) {
        return Err(VaultError::IdentityNotInAccount.into());
    }
    let tokens = user.tokens.as_ref().ok_or(VaultError::NoTokenResponse)?;
    let mut tx = provider.store.begin_write().await?;
    token_vault::keep_social(&mut tx, provider.clock.as_ref(), &caller.user.id, target, &user.id, tokens).await?;
    tx.commit().await?;
    access_token(provider, caller, Holder::Social { target }).await
}
