//! Everything the account center's page shows, gathered in one call: the account, what the
//! field switches allow, the MFA factors bound and offered, and — once the person has proved
//! it is them (a live verification record) — where they are signed in and which applications
//! hold their consent.

use super::settings::AccountCenter;
use super::{verification, AccountError, Caller};
use crate::clock::Millis;
use crate::mfa::{self, BoundFactor, MfaFactor};
use crate::oidc::Provider;
use crate::personal_access_tokens::{self as pats, PersonalAccessToken};
use crate::users::User;

pub struct Overview {
    pub user: User,
    pub settings: AccountCenter,
    /// Whether a proof is alive: sensitive sections are open.
    pub verified: bool,
    /// The factors the sign-in experience lets people bind.
    pub factors_offered: Vec<MfaFactor>,
    /// Passkeys can be added: WebAuthn is a factor, or passkey sign-in is on.
    pub passkeys_offered: bool,
    pub factors: Vec<BoundFactor>,
    /// Empty until verified.
    pub sessions: Vec<SignedInSession>,
    pub apps: Vec<AuthorizedApp>,
    pub tokens: Vec<PersonalAccessToken>,
    /// The social connectors, each with the account's identity there (when the `social`
    /// field is readable).
    pub connections: Vec<Connection>,
    /// The account's enterprise SSO identities (read-only: they come with the organization).
    pub enterprise: Vec<EnterpriseIdentity>,
}

pub struct EnterpriseIdentity {
    /// The connector's display name and logo (as the sign-in pages show them).
    pub name: String,
    pub logo: String,
    /// The identity's address, or the identity provider's id for the person.
    pub label: String,
}

pub struct Connection {
    pub connector_id: String,
    pub target: String,
    pub name: String,
    pub logo: String,
    /// The identity's address, name or upstream id, when connected.
    pub linked: Option<String>,
}

pub struct SignedInSession {
    pub uid: String,
    pub signed_in_at: Millis,
    pub current: bool,
    /// The applications signed in through it, by name.
    pub apps: Vec<String>,
}

pub struct AuthorizedApp {
    pub grant_id: String,
    pub name: String,
    pub granted_at: Millis,
    pub third_party: bool,
}

pub async fn overview(provider: &Provider, caller: &Caller, proof: Option<&str>) -> Result<Overview, AccountError> {
    let verified = verification::require_proof(provider, caller, proof).await.is_ok();
    let user_id = &caller.user.id;
    let factors = if caller.settings.fields.mfa.readable() { mfa::factors(&provider.store, user_id).await? } else { Vec::new() };
    let (mut sessions, mut apps) = (Vec::new(), Vec::new());
    if verified && caller.settings.fields.session.readable() {
        let (rows, grants) = crate::oidc::sessions_of(provider, user_id).await?;
        for (uid, auth_time, _, _) in rows {
            let mut names = Vec::new();
            for (_, client_id, _) in grants.iter().filter(|(_, _, session)| *session == uid) {
                names.push(app_name(provider, client_id).await?);
            }
            sessions.push(SignedInSession { current: caller.session_uid.as_deref() == Some(uid.as_str()), uid, signed_in_at: auth_time, apps: names });
        }
        for (grant_id, client_id, granted_at, _) in crate::oidc::grants_of(provider, user_id, None).await? {
            let app = provider.application(&client_id).await?;
            let third_party = app.as_ref().is_some_and(|a| a.is_third_party);
            apps.push(AuthorizedApp { grant_id, name: app.map(|a| a.name).unwrap_or(client_id), granted_at, third_party });
        }
    }
    let sie = provider.sign_in_experience().await?;
    let readable = caller.settings.fields.social.readable();
    let connections = if readable { connections(provider, user_id).await? } else { Vec::new() };
    let enterprise = if readable { enterprise_identities(provider, user_id).await? } else { Vec::new() };
    Ok(Overview {
        connections,
        enterprise,
        user: caller.user.clone(),
        settings: caller.settings.clone(),
        verified,
        factors_offered: sie.mfa.factors.clone(),
        passkeys_offered: sie.mfa.enables(MfaFactor::WebAuthn) || sie.passkey_sign_in.enabled,
        factors,
        sessions,
        apps,
        tokens: pats::list(&provider.store, user_id).await?,
    })
}

/// Applications are cached by the provider, so naming each is no query per row.
async fn app_name(provider: &Provider, client_id: &str) -> Result<String, AccountError> {
    Ok(provider.application(client_id).await?.map(|a| a.name).unwrap_or_else(|| client_id.to_owned()))
}

async fn connections(provider: &Provider, user_id: &str) -> Result<Vec<Connection>, AccountError> {
    let identities = crate::social::identities_of(provider, user_id).await?;
    let label = |identity: &serde_json::Value| {
        let details = &identity["details"];
        ["email", "name"].iter().find_map(|k| details[k].as_str().map(str::to_owned)).or_else(|| identity["userId"].as_str().map(str::to_owned))
    };
    Ok(crate::social::list(provider)
        .await?
        .into_iter()
        .map(|c| Connection { linked: identities.get(&c.target).and_then(label), name: c.display_name("en"), logo: c.logo(), connector_id: c.id, target: c.target })
        .collect())
}

async fn enterprise_identities(provider: &Provider, user_id: &str) -> Result<Vec<EnterpriseIdentity>, AccountError> {
    let mut found = Vec::new();
    for identity in crate::sso::sign_in::identities_of(&provider.store, user_id).await? {
        let Ok(connector) = crate::sso::get(provider, identity["ssoConnectorId"].as_str().unwrap_or_default()).await else { continue };
        let public = connector.to_public_json();
        let field = |key: &str| public[key].as_str().unwrap_or_default().to_owned();
        let label = identity["detail"]["email"].as_str().or(identity["identityId"].as_str()).unwrap_or_default().to_owned();
        found.push(EnterpriseIdentity { name: field("connectorName"), logo: field("logo"), label });
    }
    Ok(found)
}
