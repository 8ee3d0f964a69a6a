//! Organization invitations (spec §13): an email address invited into an organization with
//! some of its roles. Pending until accepted (the invitee's account joins, with the roles),
//! revoked, or its time is up — those are final. One pending invitation per address and
//! organization. The invitation email (`OrganizationInvitation`, en + fr) carries whatever
//! link the inviter gives — the `/console` dashboard gives a magic link.

use serde::{Deserialize, Serialize};

use super::template::{self, NamedRef, OrganizationRoleType};
use super::OrganizationError;
use crate::clock::{Clock, Millis};
use crate::connectors::{self, ConnectorError, ConnectorKind, Message};
use crate::error::ErrorCode;
use crate::sign_in_experience::IdentifierKind;
use crate::store::{unique_violation, Store};
use crate::users;
use crate::verification_codes::{email_key, recent_sends, record_send, SENDS_PER_WINDOW};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Accepted => "Accepted",
            Status::Revoked => "Revoked",
            Status::Expired => "Expired",
        }
    }

    fn parse(value: &str) -> Self {
        match value {
            "Accepted" => Status::Accepted,
            "Revoked" => Status::Revoked,
            "Expired" => Status::Expired,
            _ => Status::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub id: String,
    pub inviter_id: Option<String>,
    pub invitee: String,
    pub accepted_user_id: Option<String>,
    pub organization_id: String,
    pub status: Status,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub expires_at: Millis,
    pub organization_roles: Vec<NamedRef>,
}

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error(transparent)]
    Organization(#[from] OrganizationError),
    #[error("the value of `expiresAt` must be in the future")]
    ExpiryInPast,
    #[error("the invitee is already a member of the organization")]
    AlreadyMember,
    #[error("this address already has a pending invitation to the organization")]
    AlreadyInvited,
    #[error("the status of the invitation cannot be changed anymore")]
    Ended,
    #[error("the `acceptedUserId` is required when accepting an invitation")]
    AcceptedUserRequired,
    #[error("no user has this id")]
    AcceptedUserNotFound,
    #[error("the accepted user must have the same email as the invitee")]
    EmailMismatch,
    #[error("too many messages were sent to this address; try again later")]
    RateLimited,
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<users::UserError> for InvitationError {
    fn from(err: users::UserError) -> Self {
        InvitationError::Organization(err.into())
    }
}

impl ErrorCode for InvitationError {
    fn code(&self) -> &'static str {
        use InvitationError::*;
        match self {
            Organization(e) => e.code(),
            ExpiryInPast | AlreadyMember | Ended | AcceptedUserRequired | EmailMismatch => "request.invalid_input",
            AlreadyInvited => "entity.unique_integrity_violation",
            AcceptedUserNotFound => "entity.not_found",
            RateLimited => "request.message_rate_limited",
            Connector(e) => e.code(),
            Storage(_) => "unexpected",
        }
    }
}

impl InvitationError {
    /// Logto answers these `request.invalid_input` refusals with 422, not 400: the request is
    /// well formed, the invitation's state refuses it.
    pub fn is_unprocessable(&self) -> bool {
        use InvitationError::*;
        matches!(self, AlreadyMember | Ended | AcceptedUserRequired | EmailMismatch)
    }
}

/// What `create` needs; `role_ids` are user-type organization roles.
pub struct NewInvitation<'a> {
    pub inviter_id: Option<&'a str>,
    pub invitee: &'a str,
    pub organization_id: &'a str,
    pub expires_at: Millis,
    pub role_ids: &'a [String],
}

/// The invitation email: the link to accept, in the invitee's language.
pub struct InvitationMessage {
    pub link: String,
    pub locale: String,
}

type Row = (String, Option<String>, String, Option<String>, String, String, i64, i64, i64);
const COLUMNS: &str = "i.id, i.inviter_id, i.invitee, i.accepted_user_id, i.organization_id, i.status, i.created_at, i.updated_at, i.expires_at";

/// Which invitations a list shows (all of them when empty).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub organization_id: Option<String>,
    pub inviter_id: Option<String>,
    pub invitee: Option<String>,
}

impl Filter {
    /// The SQL condition over `i` (the invitations) and its parameters, in order.
    fn condition(&self) -> (String, Vec<String>) {
        let mut clauses = vec!["1 = 1".to_owned()];
        let mut values = Vec::new();
        let fields = [("i.organization_id", &self.organization_id), ("i.inviter_id", &self.inviter_id), ("i.invitee", &self.invitee.as_ref().map(|e| e.to_lowercase()))];
        for (column, value) in fields {
            if let Some(value) = value {
                values.push(value.clone());
                clauses.push(format!("{column} = ${}", values.len()));
            }
        }
        (clauses.join(" AND "), values)
    }
}

/// Invitations, oldest first, each with its roles: two queries whatever their number. A
/// pending invitation past its time reads as expired.
pub async fn list(store: &Store, clock: &dyn Clock, filter: &Filter) -> Result<Vec<Invitation>, InvitationError> {
    let (condition, values) = filter.condition();
    let sql = format!("SELECT {COLUMNS} FROM organization_invitations i WHERE {condition} ORDER BY i.created_at, i.id");
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for value in &values {
        query = query.bind(value.clone());
    }
    let rows = query.fetch_all(store.pool()).await?;
    let roles_sql = format!(
        "SELECT ir.organization_invitation_id, r.id, r.name FROM organization_invitation_roles ir \
         JOIN organization_roles r ON r.id = ir.organization_role_id JOIN organization_invitations i ON i.id = ir.organization_invitation_id \
         WHERE {condition} ORDER BY r.name, r.id"
    );
    let mut roles_query = sqlx::query_as::<_, (String, String, String)>(&roles_sql);
    for value in &values {
        roles_query = roles_query.bind(value.clone());
    }
    let roles = roles_query.fetch_all(store.pool()).await?;
    let now = clock.now_ms();
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.0.clone();
            let organization_roles = roles.iter().filter(|(of, ..)| *of == id).map(|(_, id, name)| NamedRef { id: id.clone(), name: name.clone() }).collect();
            from_row(row, organization_roles, now)
        })
        .collect())
}

fn from_row((id, inviter_id, invitee, accepted_user_id, organization_id, status, created_at, updated_at, expires_at): Row, organization_roles: Vec<NamedRef>, now: Millis) -> Invitation {
    let mut status = Status::parse(&status);
    if status == Status::Pending && expires_at <= now {
        status = Status::Expired;
    }
    Invitation { id, inviter_id, invitee, accepted_user_id, organization_id, status, created_at, updated_at, expires_at, organization_roles }
}

pub async fn find(store: &Store, clock: &dyn Clock, id: &str) -> Result<Option<Invitation>, InvitationError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM organization_invitations i WHERE i.id = $1")).bind(id).fetch_optional(store.pool()).await?;
    let Some(row) = row else { return Ok(None) };
    let roles: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.id, r.name FROM organization_invitation_roles ir JOIN organization_roles r ON r.id = ir.organization_role_id \
         WHERE ir.organization_invitation_id = $1 ORDER BY r.name, r.id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    Ok(Some(from_row(row, roles.into_iter().map(|(id, name)| NamedRef { id, name }).collect(), clock.now_ms())))
}

pub async fn get(store: &Store, clock: &dyn Clock, id: &str) -> Result<Invitation, InvitationError> {
    find(store, clock, id).await?.ok_or(OrganizationError::NotExistsWithId("organization invitation").into())
}

/// The pending invitation of `email` to an organization, if there is one.
pub async fn pending_for(store: &Store, clock: &dyn Clock, organization_id: &str, email: &str) -> Result<Option<Invitation>, InvitationError> {
    let filter = Filter { organization_id: Some(organization_id.to_owned()), invitee: Some(email.to_owned()), inviter_id: None };
    Ok(list(store, clock, &filter).await?.into_iter().find(|i| i.status == Status::Pending))
}

/// Invites `new.invitee`, and with a `message` emails them. If the email cannot go out, the
/// invitation is not kept. An earlier invitation of theirs whose time is up ends as expired.
pub async fn create(store: &Store, clock: &dyn Clock, new: NewInvitation<'_>, message: Option<InvitationMessage>) -> Result<Invitation, InvitationError> {
    let invitee = crate::identifiers::normalize(IdentifierKind::Email, new.invitee).map_err(|_| OrganizationError::InvalidInput("invitee must be an email address".into()))?.to_lowercase();
    let now = clock.now_ms();
    if new.expires_at <= now {
        return Err(InvitationError::ExpiryInPast);
    }
    if message.is_some() && recent_sends(store, &email_key(&invitee), now).await? >= SENDS_PER_WINDOW {
        return Err(InvitationError::RateLimited);
    }
    let id = crate::ids::entity_id();
    let mut tx = store.begin_write().await?;
    let organization: Option<String> = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1").bind(new.organization_id).fetch_optional(&mut *tx).await?;
    if organization.is_none() {
        return Err(OrganizationError::UnknownReference(format!("organization {}", new.organization_id)).into());
    }
    if let Some(inviter) = new.inviter_id {
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1").bind(inviter).fetch_optional(&mut *tx).await?;
        if known.is_none() {
            return Err(OrganizationError::UnknownReference(format!("user {inviter}")).into());
        }
    }
    let member: Option<String> = sqlx::query_scalar(
        "SELECT u.id FROM users u JOIN organization_members m ON m.user_id = u.id WHERE m.organization_id = $1 AND LOWER(u.primary_email) = $2",
    )
    .bind(new.organization_id)
    .bind(&invitee)
    .fetch_optional(&mut *tx)
    .await?;
    if member.is_some() {
        return Err(InvitationError::AlreadyMember);
    }
    sqlx::query("UPDATE organization_invitations SET status = 'Expired', updated_at = $3 WHERE organization_id = $1 AND invitee = $2 AND status = 'Pending' AND expires_at <= $3")
        .bind(new.organization_id)
        .bind(&invitee)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO organization_invitations (id, inviter_id, invitee, organization_id, status, created_at, updated_at, expires_at) VALUES ($1, $2, $3, $4, 'Pending', $5, $5, $6)",
    )
    .bind(&id)
    .bind(new.inviter_id)
    .bind(&invitee)
    .bind(new.organization_id)
    .bind(now)
    .bind(new.expires_at)
    .execute(&mut *tx)
    .await;
    if let Err(err) = inserted {
        return Err(if unique_violation(&err).is_some() { InvitationError::AlreadyInvited } else { err.into() });
    }
    for role_id in new.role_ids {
        template::require_role_type(&mut tx, role_id, OrganizationRoleType::User).await?;
        sqlx::query("INSERT INTO organization_invitation_roles (organization_invitation_id, organization_role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&id)
            .bind(role_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if let Some(message) = message {
        // Sent after the commit, so no write lock waits on a mail server; undone if it fails.
        if let Err(err) = send(store, clock, &id, &message).await {
            sqlx::query("DELETE FROM organization_invitations WHERE id = $1").bind(&id).execute(store.pool()).await?;
            return Err(err);
        }
    }
    get(store, clock, &id).await
}

/// Sends (again) the invitation email, whatever the invitation's state, as Logto does.
pub async fn send(store: &Store, clock: &dyn Clock, id: &str, message: &InvitationMessage) -> Result<(), InvitationError> {
    let invitation = get(store, clock, id).await?;
    let now = clock.now_ms();
    let recipient = email_key(&invitation.invitee);
    if recent_sends(store, &recipient, now).await? >= SENDS_PER_WINDOW {
        return Err(InvitationError::RateLimited);
    }
    let organization = super::get(store, &invitation.organization_id).await?;
    let inviter = match &invitation.inviter_id {
        Some(id) => users::find_by_id(store, id).await?.map(|u| u.display_name()),
        None => None,
    };
    let template = connectors::templates::organization_invitation(&message.locale, &organization.name, inviter.as_deref(), &message.link);
    let email = Message { to: invitation.invitee, subject: template.subject, text: template.text };
    connectors::deliver(store, ConnectorKind::Email, &email, false).await?;
    // Counted once sent, as codes are (a code whose delivery fails is not kept either).
    record_send(store, &recipient, now).await?;
    Ok(())
}

/// `Accepted` (by `accepted_user_id`, whose primary email must be the invitee's: they join
/// with the invitation's roles) or `Revoked`. Ended invitations do not change.
pub async fn set_status(store: &Store, clock: &dyn Clock, id: &str, status: Status, accepted_user_id: Option<&str>) -> Result<Invitation, InvitationError> {
    let invitation = get(store, clock, id).await?;
    if invitation.status != Status::Pending {
        return Err(InvitationError::Ended);
    }
    let now = clock.now_ms();
    let mut tx = store.begin_write().await?;
    match status {
        Status::Accepted => {
            let user_id = accepted_user_id.ok_or(InvitationError::AcceptedUserRequired)?;
            let email: Option<Option<String>> = sqlx::query_scalar("SELECT primary_email FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
            let email = email.ok_or(InvitationError::AcceptedUserNotFound)?;
            if email.map(|e| e.to_lowercase()).as_deref() != Some(invitation.invitee.as_str()) {
                return Err(InvitationError::EmailMismatch);
            }
            sqlx::query("INSERT INTO organization_members (organization_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(&invitation.organization_id)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            for role in &invitation.organization_roles {
                sqlx::query("INSERT INTO organization_member_roles (organization_id, user_id, organization_role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(&invitation.organization_id)
                    .bind(user_id)
                    .bind(&role.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Status::Revoked => {}
        Status::Pending | Status::Expired => return Err(OrganizationError::InvalidInput("status is Accepted or Revoked".into()).into()),
    }
    // Only a still-pending invitation changes: of two concurrent answers, one wins.
    let changed = sqlx::query("UPDATE organization_invitations SET status = $2, accepted_user_id = $3, updated_at = $4 WHERE id = $1 AND status = 'Pending' AND expires_at > $4")
        .bind(id)
        .bind(status.as_str())
        .bind(accepted_user_id.filter(|_| status == Status::Accepted))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(InvitationError::Ended);
    }
    tx.commit().await?;
    get(store, clock, id).await
}

pub async fn delete(store: &Store, id: &str) -> Result<(), InvitationError> {
    let deleted = sqlx::query("DELETE FROM organization_invitations WHERE id = $1").bind(id).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 {
        return Err(OrganizationError::NotFound("organization invitation").into());
    }
    Ok(())
}
