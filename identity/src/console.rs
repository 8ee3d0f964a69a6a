//! The organization admin dashboard (`/console`): who may manage an organization, and what
//! they may do there — members and their roles, invitations by magic link, the
//! organization's settings, and (when the operator allows it) new organizations.
//!
//! Who: a member whose organization roles grant the organization scope
//! [`MANAGE_SCOPE`] (`manage:organization`). Vestibule creates that scope and an `admin`
//! organization role granting it the first time the console is used; operators may grant
//! the scope to other roles too. Everything here goes through the same engine calls as the
//! Management API, after that check.

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::first_party::FirstPartyClient;
use crate::oidc::Provider;
use crate::one_time_tokens::{self, OneTimeTokenError};
use crate::organizations::invitations::{self, Invitation, InvitationError, InvitationMessage, NewInvitation, Status};
use crate::organizations::template::{self, NewRole, OrganizationRole, OrganizationRoleType};
use crate::organizations::{self, jit, members, Organization, OrganizationChanges, OrganizationError};
use crate::store::Store;
use crate::users::{self, User};

/// The organization scope that lets a member manage their organization here.
pub const MANAGE_SCOPE: &str = "manage:organization";
/// The organization role Vestibule creates with [`MANAGE_SCOPE`], given to whoever creates
/// an organization from the console.
pub const ADMIN_ROLE: &str = "admin";
/// How long an invitation (and its magic link) stays valid.
pub const INVITATION_LIFETIME_S: i64 = 7 * 24 * 3600;
/// Members per page.
pub const PAGE_SIZE: usize = 20;

pub const CONSOLE: FirstPartyClient = FirstPartyClient {
    id: "organization-console",
    name: "Vestibule organization console",
    description: "The organization admin dashboard at /console.",
    path: "/console",
    scopes: "openid profile email",
    always_prompt: false,
};

/// The operator's switches for the console (`vestibule console set`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsoleSettings {
    /// Whether signed-in people may create organizations from the console (they become
    /// their admin).
    pub allow_organization_creation: bool,
}

const SETTINGS_KEY: &str = "console";

pub async fn settings(store: &Store) -> Result<ConsoleSettings, sqlx::Error> {
    crate::configs::load(store, SETTINGS_KEY).await
}

pub async fn save_settings(store: &Store, clock: &dyn Clock, settings: &ConsoleSettings) -> Result<(), sqlx::Error> {
    crate::configs::save(store, clock, SETTINGS_KEY, settings).await
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("nobody is signed in")]
    NotSignedIn,
    #[error("your roles in this organization do not let you manage it")]
    NotAdmin,
    #[error("creating organizations here is turned off")]
    CreationDisabled,
    #[error("the organization would be left without an admin")]
    LastAdmin,
    #[error("this is not part of the organization")]
    NotInOrganization,
    #[error(transparent)]
    Organization(#[from] OrganizationError),
    #[error(transparent)]
    Invitation(#[from] InvitationError),
    #[error(transparent)]
    Token(#[from] OneTimeTokenError),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<users::UserError> for ConsoleError {
    fn from(err: users::UserError) -> Self {
        ConsoleError::Organization(err.into())
    }
}

impl From<crate::oidc::OidcError> for ConsoleError {
    fn from(err: crate::oidc::OidcError) -> Self {
        match err {
            crate::oidc::OidcError::Storage(e) => ConsoleError::Storage(e),
            _ => ConsoleError::NotSignedIn,
        }
    }
}

impl ErrorCode for ConsoleError {
    fn code(&self) -> &'static str {
        match self {
            ConsoleError::NotSignedIn => "auth.unauthorized",
            ConsoleError::NotAdmin => "console.forbidden",
            ConsoleError::CreationDisabled => "console.creation_disabled",
            ConsoleError::LastAdmin => "console.last_admin",
            ConsoleError::NotInOrganization => "entity.not_found",
            ConsoleError::Organization(e) => e.code(),
            ConsoleError::Invitation(e) => e.code(),
            ConsoleError::Token(e) => e.code(),
            ConsoleError::Storage(_) => "unexpected",
        }
    }
}

/// The person signed in at Vestibule in this browser (the IdP session cookie).
pub async fn signed_in(provider: &Provider, session_cookie: Option<&str>) -> Result<User, ConsoleError> {
    let cookie = session_cookie.filter(|c| !c.is_empty()).ok_or(ConsoleError::NotSignedIn)?;
    let session = crate::oidc::session::find(provider, cookie).await?.ok_or(ConsoleError::NotSignedIn)?;
    let user = users::find_by_id(&provider.store, &session.account_id).await?.ok_or(ConsoleError::NotSignedIn)?;
    if user.is_suspended {
        return Err(ConsoleError::NotSignedIn);
    }
    Ok(user)
}

/// Makes sure the console's scope and `admin` role exist (an `admin` role an operator made
/// is left as they made it). Answers the role's id.
pub async fn ensure_template(store: &Store, clock: &dyn Clock) -> Result<String, ConsoleError> {
    let scope = match template::list_scopes(store, None).await?.into_iter().find(|s| s.name == MANAGE_SCOPE) {
        Some(scope) => scope,
        None => match template::create_scope(store, clock, MANAGE_SCOPE, Some("Manage the organization in the console")).await {
            Ok(scope) => scope,
            // Another node made it at the same moment.
            Err(OrganizationError::NameInUse) => template::list_scopes(store, None).await?.into_iter().find(|s| s.name == MANAGE_SCOPE).ok_or(ConsoleError::NotAdmin)?,
            Err(e) => return Err(e.into()),
        },
    };
    if let Some(role) = template::list_roles(store, None).await?.into_iter().find(|r| r.role.name == ADMIN_ROLE) {
        return Ok(role.role.id);
    }
    let new = NewRole {
        name: ADMIN_ROLE,
        description: Some("Manages the organization: members, roles, invitations and settings"),
        role_type: OrganizationRoleType::User,
        organization_scope_ids: std::slice::from_ref(&scope.id),
        resource_scope_ids: &[],
    };
    match template::create_role(store, clock, new).await {
        Ok(role) => Ok(role.id),
        Err(OrganizationError::NameInUse) => Ok(template::list_roles(store, None).await?.into_iter().find(|r| r.role.name == ADMIN_ROLE).map(|r| r.role.id).ok_or(ConsoleError::NotAdmin)?),
        Err(e) => Err(e.into()),
    }
}

/// One of my organizations, and whether I may manage it.
#[derive(Debug, Clone, PartialEq)]
pub struct MyOrganization {
    pub organization: Organization,
    pub manages: bool,
}

/// The organizations where `user_id`'s roles grant [`MANAGE_SCOPE`] (one query).
async fn managed_by(store: &Store, user_id: &str) -> Result<Vec<String>, ConsoleError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT mr.organization_id FROM organization_member_roles mr \
         JOIN organization_role_scopes rs ON rs.organization_role_id = mr.organization_role_id \
         JOIN organization_scopes s ON s.id = rs.organization_scope_id WHERE mr.user_id = $1 AND s.name = $2",
    )
    .bind(user_id)
    .bind(MANAGE_SCOPE)
    .fetch_all(store.pool())
    .await?)
}

/// My organizations, in the order I joined them, and which of them I manage.
pub async fn my_organizations(store: &Store, user: &User) -> Result<Vec<MyOrganization>, ConsoleError> {
    let managed = managed_by(store, &user.id).await?;
    Ok(organizations::joined_by(store, &user.id).await?.into_iter().map(|organization| MyOrganization { manages: managed.contains(&organization.id), organization }).collect())
}

/// A member allowed to manage this organization.
pub struct Admin {
    pub user: User,
    pub organization: Organization,
}

/// `user` as the admin of `organization_id`, or `console.forbidden` (also when they are not a
/// member, or it does not exist: the console does not confirm which organizations exist).
pub async fn admin(store: &Store, user: User, organization_id: &str) -> Result<Admin, ConsoleError> {
    let organization = organizations::find(store, organization_id).await?.ok_or(ConsoleError::NotAdmin)?;
    if !managed_by(store, &user.id).await?.iter().any(|id| id == organization_id) {
        return Err(ConsoleError::NotAdmin);
    }
    Ok(Admin { user, organization })
}

/// What the dashboard shows of an organization.
pub struct Overview {
    /// This page of the members matching the search, with their roles.
    pub members: Vec<members::Member>,
    pub member_count: usize,
    pub page: usize,
    /// The roles members can be given (user roles).
    pub roles: Vec<OrganizationRole>,
    pub pending_invitations: Vec<Invitation>,
    pub jit_email_domains: Vec<String>,
}

pub async fn overview(store: &Store, clock: &dyn Clock, admin: &Admin, search: Option<&str>, page: usize) -> Result<Overview, ConsoleError> {
    let id = &admin.organization.id;
    let page = page.max(1);
    // A page number from the address bar may be anything: past the end is an empty page, never an overflow.
    let (members, member_count) = members::page(store, id, search.map(str::trim), i64::try_from(page).unwrap_or(i64::MAX), PAGE_SIZE as i64).await?;
    let member_count = member_count as usize;
    let roles = template::list_roles(store, None).await?.into_iter().map(|r| r.role).filter(|r| r.role_type == OrganizationRoleType::User).collect();
    let filter = invitations::Filter { organization_id: Some(id.clone()), ..Default::default() };
    let pending_invitations = invitations::list(store, clock, &filter).await?.into_iter().filter(|i| i.status == Status::Pending).collect();
    let jit_email_domains = jit::email_domains(store, id).await?.into_iter().map(|d| d.email_domain).collect();
    Ok(Overview { members, member_count, page, roles, pending_invitations, jit_email_domains })
}

/// Where an invitation's magic link goes: the console signs the invitee in with the link's
/// one-time token (registering them if need be, even with registration closed), then
/// accepts the invitation.
fn join_link(endpoint: &str, organization_id: &str, token: &str, email: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new()).append_pair("organization", organization_id).append_pair("one_time_token", token).append_pair("login_hint", email).finish();
    format!("{endpoint}/console/join?{query}")
}

/// A fresh one-time token for `email` that joins the organization, valid as long as an
/// invitation.
async fn invitation_token(provider: &Provider, organization_id: &str, email: &str) -> Result<one_time_tokens::OneTimeToken, ConsoleError> {
    let mut context = serde_json::Map::new();
    context.insert("jitOrganizationIds".into(), serde_json::json!([organization_id]));
    Ok(one_time_tokens::create(&provider.store, provider.clock.as_ref(), email, context, Some(INVITATION_LIFETIME_S)).await?)
}

/// Invites `email` with these roles and emails them a magic link (in `locale`). Nothing is
/// kept if the email cannot go out.
pub async fn invite(provider: &Provider, admin: &Admin, email: &str, role_ids: &[String], locale: &str) -> Result<Invitation, ConsoleError> {
    let (store, clock) = (&provider.store, provider.clock.as_ref());
    let organization_id = &admin.organization.id;
    let token = invitation_token(provider, organization_id, email).await?;
    let value = token.token.clone().unwrap_or_default();
    let new = NewInvitation { inviter_id: Some(&admin.user.id), invitee: email, organization_id, expires_at: token.expires_at, role_ids };
    let message = InvitationMessage { link: join_link(&provider.endpoint, organization_id, &value, &token.email), locale: locale.to_owned() };
    match invitations::create(store, clock, new, Some(message)).await {
        Ok(invitation) => Ok(invitation),
        Err(err) => {
            one_time_tokens::delete(store, &token.id).await.ok();
            Err(err.into())
        }
    }
}

async fn pending_invitation(provider: &Provider, admin: &Admin, invitation_id: &str) -> Result<Invitation, ConsoleError> {
    let invitation = invitations::find(&provider.store, provider.clock.as_ref(), invitation_id).await?.ok_or(ConsoleError::NotInOrganization)?;
    if invitation.organization_id != admin.organization.id {
        return Err(ConsoleError::NotInOrganization);
    }
    Ok(invitation)
}

/// Sends the invitation again, with a new magic link (the old one keeps working until its
/// time is up: the invitee may open either).
pub async fn resend(provider: &Provider, admin: &Admin, invitation_id: &str, locale: &str) -> Result<(), ConsoleError> {
    let invitation = pending_invitation(provider, admin, invitation_id).await?;
    let token = invitation_token(provider, &admin.organization.id, &invitation.invitee).await?;
    let link = join_link(&provider.endpoint, &admin.organization.id, token.token.as_deref().unwrap_or_default(), &invitation.invitee);
    let sent = invitations::send(&provider.store, provider.clock.as_ref(), &invitation.id, &InvitationMessage { link, locale: locale.to_owned() }).await;
    if sent.is_err() {
        one_time_tokens::delete(&provider.store, &token.id).await.ok();
    }
    Ok(sent?)
}

/// Revokes the invitation; its magic links no longer join the organization.
pub async fn revoke(provider: &Provider, admin: &Admin, invitation_id: &str) -> Result<(), ConsoleError> {
    let invitation = pending_invitation(provider, admin, invitation_id).await?;
    invitations::set_status(&provider.store, provider.clock.as_ref(), &invitation.id, Status::Revoked, None).await?;
    for token in one_time_tokens::list(&provider.store, provider.clock.as_ref(), Some(&invitation.invitee), Some(one_time_tokens::Status::Active)).await? {
        let joins_here = token.context.get("jitOrganizationIds").and_then(|v| v.as_array()).is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(&admin.organization.id)));
        if joins_here {
            one_time_tokens::set_status(&provider.store, provider.clock.as_ref(), &token.id, one_time_tokens::Status::Revoked).await?;
        }
    }
    Ok(())
}

/// After a magic-link sign-in: the invitation of the person's address to this organization,
/// if one is pending, is accepted (they join with its roles). Answers whether one was.
pub async fn accept_invitation(store: &Store, clock: &dyn Clock, user: &User, organization_id: &str) -> Result<bool, ConsoleError> {
    let Some(email) = &user.primary_email else { return Ok(false) };
    let Some(invitation) = invitations::pending_for(store, clock, organization_id, email).await? else { return Ok(false) };
    invitations::set_status(store, clock, &invitation.id, Status::Accepted, Some(&user.id)).await?;
    Ok(true)
}

/// The members (other than `leaving`) whose roles would still manage the organization if
/// `leaving` had only `roles_left`.
async fn keeps_an_admin(store: &Store, admin: &Admin, leaving: &str, roles_left: &[String]) -> Result<bool, ConsoleError> {
    let managing: Vec<String> = template::list_roles(store, None)
        .await?
        .into_iter()
        .filter(|r| r.scopes.iter().any(|s| s.name == MANAGE_SCOPE))
        .map(|r| r.role.id)
        .collect();
    if roles_left.iter().any(|r| managing.contains(r)) {
        return Ok(true);
    }
    Ok(members::anyone_else_holds(store, &admin.organization.id, leaving, &managing).await?)
}

async fn member(store: &Store, admin: &Admin, user_id: &str) -> Result<(), ConsoleError> {
    let is_member = members::of_user(store, user_id).await?.iter().any(|m| m.organization.id == admin.organization.id);
    if is_member { Ok(()) } else { Err(ConsoleError::NotInOrganization) }
}

/// Gives a member exactly these roles; the organization always keeps someone who manages it.
pub async fn set_member_roles(store: &Store, admin: &Admin, user_id: &str, role_ids: &[String]) -> Result<(), ConsoleError> {
    member(store, admin, user_id).await?;
    if !keeps_an_admin(store, admin, user_id, role_ids).await? {
        return Err(ConsoleError::LastAdmin);
    }
    members::set_roles(store, &admin.organization.id, user_id, role_ids, &[], true).await?;
    Ok(())
}

/// Removes a member (and their roles here); not the last one who manages it.
pub async fn remove_member(store: &Store, admin: &Admin, user_id: &str) -> Result<(), ConsoleError> {
    member(store, admin, user_id).await?;
    if !keeps_an_admin(store, admin, user_id, &[]).await? {
        return Err(ConsoleError::LastAdmin);
    }
    members::remove(store, &admin.organization.id, user_id).await?;
    Ok(())
}

/// The settings form: name, description, MFA required, and the JIT email domains (whoever
/// registers with a verified address at one of them joins).
pub struct SettingsChange {
    pub name: String,
    pub description: Option<String>,
    pub is_mfa_required: bool,
    pub jit_email_domains: Vec<String>,
}

pub async fn update_organization(store: &Store, clock: &dyn Clock, admin: &Admin, change: SettingsChange) -> Result<Organization, ConsoleError> {
    let changes = OrganizationChanges { name: Some(change.name), description: Some(change.description), is_mfa_required: Some(change.is_mfa_required), ..Default::default() };
    // Checked before anything is written, so a bad domain leaves the name as it was too.
    for domain in &change.jit_email_domains {
        jit::normalized_domain(domain)?;
    }
    let updated = organizations::update(store, &admin.organization.id, changes).await?;
    jit::set_email_domains(store, clock, &admin.organization.id, &change.jit_email_domains, true).await?;
    Ok(updated)
}

/// A new organization, when the operator allows it; its creator joins as its admin.
pub async fn create_organization(store: &Store, clock: &dyn Clock, user: &User, name: &str) -> Result<Organization, ConsoleError> {
    if !settings(store).await?.allow_organization_creation {
        return Err(ConsoleError::CreationDisabled);
    }
    let admin_role = ensure_template(store, clock).await?;
    let organization = organizations::create(store, clock, OrganizationChanges { name: Some(name.trim().to_owned()), ..Default::default() }).await?;
    let joined = async {
        members::set(store, clock, &organization.id, std::slice::from_ref(&user.id), false).await?;
        members::set_roles(store, &organization.id, &user.id, &[admin_role], &[], false).await
    }
    .await;
    if let Err(err) = joined {
        // An organization nobody can manage is not left behind.
        organizations::delete(store, &organization.id).await.ok();
        return Err(err.into());
    }
    Ok(organization)
}
