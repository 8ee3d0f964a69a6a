//! Consent for third-party applications (spec §9): what an application asks that the user
//! has not given it yet, the user's answer on the `/consent` page (or
//! `GET|POST /api/interaction/consent`), and what the answer lets the application have.
//! Consent is remembered per user and application, and asked again only for something new
//! or with `prompt=consent`. First-party applications never ask.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::authorize::{append_query, AuthorizationParams};
use super::store::{self, InteractionRow};
use super::{OidcError, Provider, OIDC_SCOPES, ORGANIZATIONS_SCOPE};
use crate::applications::consent_scopes::{self, ResourceRef, ResourceScopes};
use crate::applications::{Application, ApplicationError};
use crate::crypto;
use crate::error::ErrorCode;
use crate::oidc::grants::ORGANIZATIONS_RESOURCE;

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("no consent is being asked in this browser")]
    NotFound,
    #[error(transparent)]
    Application(#[from] ApplicationError),
    #[error(transparent)]
    Provider(#[from] OidcError),
}

impl From<sqlx::Error> for ConsentError {
    fn from(err: sqlx::Error) -> Self {
        ConsentError::Provider(OidcError::Storage(err))
    }
}

impl ConsentError {
    /// Inside `/oidc/auth`, a failure is the provider's.
    fn into_oidc(self) -> OidcError {
        match self {
            ConsentError::Provider(e) => e,
            other => OidcError::new("server_error", other.to_string()),
        }
    }
}

impl ErrorCode for ConsentError {
    fn code(&self) -> &'static str {
        match self {
            ConsentError::NotFound => "session.not_found",
            ConsentError::Application(e) => e.code(),
            ConsentError::Provider(e) => e.code(),
        }
    }
}

/// What the user gave an application, kept in `oidc_consents`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Consented {
    oidc: BTreeSet<String>,
    /// Scope names by resource indicator.
    resources: BTreeMap<String, BTreeSet<String>>,
}

impl Consented {
    fn has(&self, indicator: &str, scope: &str) -> bool {
        self.resources.get(indicator).is_some_and(|s| s.contains(scope))
    }

    fn add(&mut self, scopes: &[ResourceScopes]) {
        for group in scopes {
            self.resources.entry(group.resource.indicator.clone()).or_default().extend(group.scopes.iter().map(|s| s.name.clone()));
        }
    }
}

/// The consent page's data, in Logto's `GET /api/interaction/consent` shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentInfo {
    pub application: ApplicationInfo,
    pub user: UserInfo,
    /// The user's organizations, when the application asks for organizations: the user
    /// picks those it may act in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organizations: Option<Vec<OrganizationOffer>>,
    /// OIDC scopes asked (beyond `openid` and `offline_access`) and not yet given.
    #[serde(rename = "missingOIDCScope")]
    pub missing_oidc_scope: Vec<String>,
    pub missing_resource_scopes: Vec<ResourceScopes>,
    pub redirect_uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationInfo {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub display_name: Option<String>,
    pub branding: Map<String, Value>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub id: String,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationOffer {
    pub id: String,
    pub name: String,
    pub missing_resource_scopes: Vec<ResourceScopes>,
}

/// What the request asks that this user can give this application: OIDC scopes it is
/// allowed, API scopes the user's own roles grant, and per organization the API scopes the
/// user's roles there grant.
struct Offer {
    oidc: Vec<String>,
    personal: Vec<ResourceScopes>,
    organizations: Vec<(crate::organizations::Organization, Vec<ResourceScopes>)>,
}

/// `organizations`: those whose API scopes count (each one the user is a member of).
async fn offer(provider: &Provider, app: &Application, params: &AuthorizationParams, user_id: &str, organizations: Vec<crate::organizations::Organization>) -> Result<Offer, ConsentError> {
    let store = &provider.store;
    let allowed = consent_scopes::get(store, &app.id).await?;
    let requested: BTreeSet<&str> = params.scope.iter().map(String::as_str).collect();
    // In the order people read them (name and picture, then email, phone, …), not the table's.
    let oidc = consent_scopes::USER_SCOPES
        .iter()
        .filter(|s| allowed.user_scopes.iter().any(|a| a == *s) && requested.contains(*s) && OIDC_SCOPES.contains(s))
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    let asked = |group: &ResourceScopes| params.resources.contains(&group.resource.indicator);
    let only_requested = |group: &ResourceScopes, held: &[String]| ResourceScopes {
        resource: group.resource.clone(),
        scopes: group.scopes.iter().filter(|s| requested.contains(s.name.as_str()) && held.contains(&s.name)).cloned().collect(),
    };
    let mut personal = Vec::new();
    if params.resources.iter().any(|r| r == ORGANIZATIONS_RESOURCE) {
        let organizations_resource = ResourceRef { id: ORGANIZATIONS_RESOURCE.into(), name: ORGANIZATIONS_RESOURCE.into(), indicator: ORGANIZATIONS_RESOURCE.into() };
        let group = ResourceScopes { resource: organizations_resource, scopes: allowed.organization_scopes.clone() };
        let names: Vec<String> = group.scopes.iter().map(|s| s.name.clone()).collect();
        personal.push(only_requested(&group, &names));
    }
    for group in allowed.resource_scopes.iter().filter(|g| asked(g)) {
        let held = crate::rbac::user_scopes(store, user_id, &group.resource.id).await.map_err(OidcError::from)?;
        personal.push(only_requested(group, &held));
    }
    let mut per_organization = Vec::new();
    for organization in organizations {
        let mut groups = Vec::new();
        for group in allowed.organization_resource_scopes.iter().filter(|g| asked(g)) {
            let held = crate::organizations::members::resource_scopes(store, &organization.id, user_id, &group.resource.id).await.map_err(organization_failure)?;
            groups.push(only_requested(group, &held));
        }
        per_organization.push((organization, groups));
    }
    Ok(Offer { oidc, personal, organizations: per_organization })
}

fn organization_failure(err: crate::organizations::OrganizationError) -> ConsentError {
    match err {
        crate::organizations::OrganizationError::Storage(e) => e.into(),
        other => ConsentError::Provider(OidcError::new("server_error", other.to_string())),
    }
}

/// What of `groups` has not been given yet (empty groups left out).
fn missing(groups: &[ResourceScopes], consented: &Consented) -> Vec<ResourceScopes> {
    groups
        .iter()
        .map(|g| ResourceScopes { resource: g.resource.clone(), scopes: g.scopes.iter().filter(|s| !consented.has(&g.resource.indicator, &s.name)).cloned().collect() })
        .filter(|g| !g.scopes.is_empty())
        .collect()
}

async fn consented(provider: &Provider, user_id: &str, client_id: &str) -> Result<Option<Consented>, ConsentError> {
    let scopes: Option<String> = sqlx::query_scalar("SELECT scopes FROM oidc_consents WHERE account_id = $1 AND client_id = $2")
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(provider.store.pool())
        .await?;
    Ok(scopes.map(|s| serde_json::from_str(&s).unwrap_or_default()))
}

/// What an earlier consent counts for this request: nothing with `prompt=consent`.
async fn baseline(provider: &Provider, params: &AuthorizationParams, user_id: &str) -> Result<Option<Consented>, ConsentError> {
    if params.prompt.iter().any(|p| p == "consent") {
        return Ok(None);
    }
    consented(provider, user_id, &params.client_id).await
}

/// Whether this authorization request must ask the user first: a third-party application
/// never consented to, asking for something new, or `prompt=consent`.
pub(crate) async fn required(provider: &Provider, app: &Application, params: &AuthorizationParams, user_id: &str) -> Result<bool, OidcError> {
    if !app.is_third_party {
        return Ok(false);
    }
    let unwrap = ConsentError::into_oidc;
    let Some(given) = baseline(provider, params, user_id).await.map_err(unwrap)? else {
        return Ok(true);
    };
    let organizations = crate::organizations::consented(&provider.store, &app.id, user_id).await?;
    let offer = offer(provider, app, params, user_id, organizations).await.map_err(unwrap)?;
    let new_oidc = offer.oidc.iter().any(|s| !given.oidc.contains(s));
    let new_resource = !missing(&offer.personal, &given).is_empty() || offer.organizations.iter().any(|(_, groups)| !missing(groups, &given).is_empty());
    Ok(new_oidc || new_resource)
}

/// The scopes a third-party application's code carries: `openid` and `offline_access` as
/// asked, and only what the user consented to besides.
pub(crate) async fn narrow(provider: &Provider, app: &Application, params: &AuthorizationParams, user_id: &str, scope: Vec<String>) -> Result<Vec<String>, OidcError> {
    if !app.is_third_party {
        return Ok(scope);
    }
    let given = consented(provider, user_id, &app.id).await.map_err(ConsentError::into_oidc)?;
    let given = given.unwrap_or_default();
    Ok(scope
        .into_iter()
        .filter(|s| {
            matches!(s.as_str(), "openid" | "offline_access")
                || if OIDC_SCOPES.contains(&s.as_str()) { given.oidc.contains(s) } else { params.resources.iter().any(|r| given.has(r, s)) }
        })
        .collect())
}

/// The interaction behind the browser's cookie that waits for this user's consent.
async fn waiting(provider: &Provider, interaction_cookie: Option<&str>) -> Result<(InteractionRow, AuthorizationParams, String), ConsentError> {
    let cookie = interaction_cookie.ok_or(ConsentError::NotFound)?;
    let row = store::find_interaction_by_cookie(&provider.store, &crypto::token_hash(cookie)).await?.ok_or(ConsentError::NotFound)?;
    if row.expires_at <= provider.now_ms() {
        return Err(ConsentError::NotFound);
    }
    let params: AuthorizationParams = serde_json::from_str(&row.params).map_err(|_| ConsentError::NotFound)?;
    let user_id = row.account_id.clone().ok_or(ConsentError::NotFound)?;
    Ok((row, params, user_id))
}

async fn application(provider: &Provider, client_id: &str) -> Result<Application, ConsentError> {
    provider.application(client_id).await?.ok_or(ConsentError::NotFound)
}

/// `GET /api/interaction/consent`: what the page shows.
pub async fn info(provider: &Provider, interaction_cookie: Option<&str>) -> Result<ConsentInfo, ConsentError> {
    let (_, params, user_id) = waiting(provider, interaction_cookie).await?;
    let app = application(provider, &params.client_id).await?;
    let user = crate::users::find_by_id(&provider.store, &user_id).await.map_err(OidcError::from)?.ok_or(ConsentError::NotFound)?;
    let given = baseline(provider, &params, &user_id).await?.unwrap_or_default();
    let missing_oidc: Vec<String> = if app.is_third_party {
        let offer_oidc = offer(provider, &app, &params, &user_id, Vec::new()).await?.oidc;
        offer_oidc.into_iter().filter(|s| !given.oidc.contains(s)).collect()
    } else {
        Vec::new()
    };
    let asks_organizations = missing_oidc.iter().any(|s| s == ORGANIZATIONS_SCOPE);
    // Asking for organizations, the page offers each of the user's.
    let organizations = if asks_organizations { crate::organizations::joined_by(&provider.store, &user_id).await.map_err(organization_failure)? } else { Vec::new() };
    let offer = if app.is_third_party { Some(offer(provider, &app, &params, &user_id, organizations).await?) } else { None };
    let presentation = crate::applications::sign_in_experience::get(&provider.store, &app.id).await?.unwrap_or_default();
    Ok(ConsentInfo {
        application: ApplicationInfo {
            id: app.id.clone(),
            name: app.name.clone(),
            description: app.description.clone(),
            display_name: presentation.display_name,
            branding: presentation.branding,
            terms_of_use_url: presentation.terms_of_use_url,
            privacy_policy_url: presentation.privacy_policy_url,
        },
        user: UserInfo {
            id: user.id.clone(),
            name: user.name.clone(),
            avatar: user.avatar.clone(),
            username: user.username.clone(),
            primary_email: user.primary_email.clone(),
            primary_phone: user.primary_phone.clone(),
        },
        organizations: asks_organizations.then(|| {
            offer.as_ref().map(|o| o.organizations.iter().map(|(org, groups)| OrganizationOffer { id: org.id.clone(), name: org.name.clone(), missing_resource_scopes: missing(groups, &given) }).collect()).unwrap_or_default()
        }),
        missing_oidc_scope: missing_oidc,
        missing_resource_scopes: offer.map(|o| missing(&o.personal, &given)).unwrap_or_default(),
        redirect_uri: params.redirect_uri,
    })
}

/// `POST /api/interaction/consent`: the user agrees (letting the application act in
/// `organization_ids`, each one of theirs). What they can give is worked out again here
/// rather than taken from the page; it is remembered, and the authorization request goes on
/// (`redirectTo`).
pub async fn approve(provider: &Provider, interaction_cookie: Option<&str>, organization_ids: &[String]) -> Result<String, ConsentError> {
    let (row, params, user_id) = waiting(provider, interaction_cookie).await?;
    let app = application(provider, &params.client_id).await?;
    let db = &provider.store;
    let mut given = consented(provider, &user_id, &app.id).await?.unwrap_or_default();
    let mut chosen = Vec::new();
    if app.is_third_party {
        let joined = crate::organizations::joined_by(db, &user_id).await.map_err(organization_failure)?;
        if organization_ids.iter().any(|id| !joined.iter().any(|o| &o.id == id)) {
            return Err(ApplicationError::RequireMembership.into());
        }
        let before = crate::organizations::consented(db, &app.id, &user_id).await?;
        chosen = joined.into_iter().filter(|o| organization_ids.contains(&o.id) || before.iter().any(|b| b.id == o.id)).collect();
        let offer = offer(provider, &app, &params, &user_id, chosen.clone()).await?;
        given.oidc.extend(offer.oidc);
        given.add(&offer.personal);
        for (_, groups) in &offer.organizations {
            given.add(groups);
        }
    }
    // Everything read, the answer is kept in one transaction: organizations, consent, and
    // the interaction's mark.
    let now = provider.now_ms();
    let mut tx = db.begin_write().await?;
    let chosen_ids: Vec<String> = chosen.into_iter().map(|o| o.id).collect();
    consent_scopes::insert_consent_organizations(&mut tx, now, &app.id, &user_id, &chosen_ids).await?;
    sqlx::query(
        "INSERT INTO oidc_consents (account_id, client_id, scopes, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
    )
    .bind(&user_id)
    .bind(&app.id)
    .bind(serde_json::to_string(&given).expect("consent serializes"))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    store::mark_consented(&mut tx, &row.uid, now).await?;
    tx.commit().await?;
    Ok(format!("{}/auth/{}", provider.issuer(), row.uid))
}

/// The user refuses: the interaction ends and the application hears `access_denied`.
pub async fn refuse(provider: &Provider, interaction_cookie: Option<&str>) -> Result<String, ConsentError> {
    let (row, params, _) = waiting(provider, interaction_cookie).await?;
    let mut conn = provider.store.pool().acquire().await?;
    store::delete_interaction(&mut conn, &row.uid).await?;
    let mut pairs = vec![("error", "access_denied".to_owned()), ("error_description", "End-User aborted interaction".to_owned())];
    if let Some(state) = &params.state {
        pairs.push(("state", state.clone()));
    }
    pairs.push(("iss", provider.issuer()));
    Ok(append_query(&params.redirect_uri, &pairs))
}

/// Whether a third-party application may have an organization token: only for an
/// organization the user let it act in.
pub(crate) async fn organization_allowed(provider: &Provider, app: &Application, user_id: &str, organization_id: &str) -> Result<bool, OidcError> {
    if !app.is_third_party {
        return Ok(true);
    }
    let organizations = crate::organizations::consented(&provider.store, &app.id, user_id).await?;
    Ok(organizations.iter().any(|o| o.id == organization_id))
}
