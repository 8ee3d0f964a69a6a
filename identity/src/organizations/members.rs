//! Members of organizations and their roles in each (spec §13). A role is held in an
//! organization only while its holder is a member there: removing a member drops their roles
//! (the schema's composite key cascades). Adding what is already there is not an error.

use serde::Serialize;

use super::template::{self, NamedRef, OrganizationRole, OrganizationRoleType, OrganizationScope};
use super::{Organization, OrganizationError};
use crate::clock::Clock;
use crate::store::Store;
use crate::users::{self, User};

/// A member as the list shows them: the account and its roles in this organization.
pub struct Member {
    pub user: User,
    pub roles: Vec<NamedRef>,
}

/// An organization of a user's, with the user's roles in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    #[serde(flatten)]
    pub organization: Organization,
    pub organization_roles: Vec<NamedRef>,
}

async fn exists(conn: &mut sqlx::AnyConnection, sql: &str, ids: &[&str]) -> Result<bool, sqlx::Error> {
    let mut query = sqlx::query_scalar::<_, i64>(sql);
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_optional(&mut *conn).await?.is_some())
}

async fn is_member(conn: &mut sqlx::AnyConnection, organization_id: &str, user_id: &str) -> Result<bool, sqlx::Error> {
    exists(conn, "SELECT 1 FROM organization_members WHERE organization_id = $1 AND user_id = $2", &[organization_id, user_id]).await
}

/// Members in the order they joined, each with their roles here by name; `search` matches the
/// id, email, phone, username or name. Three queries whatever the size.
pub async fn list(store: &Store, organization_id: &str, search: Option<&str>) -> Result<Vec<Member>, OrganizationError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT user_id FROM organization_members WHERE organization_id = $1 ORDER BY created_at, user_id")
        .bind(organization_id)
        .fetch_all(store.pool())
        .await?;
    let accounts = users::find_many(store, &ids).await?;
    let roles: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT mr.user_id, r.id, r.name FROM organization_member_roles mr JOIN organization_roles r ON r.id = mr.organization_role_id \
         WHERE mr.organization_id = $1 ORDER BY r.name, r.id",
    )
    .bind(organization_id)
    .fetch_all(store.pool())
    .await?;
    let members = ids
        .iter()
        .filter_map(|id| accounts.iter().find(|u| &u.id == id).cloned())
        .map(|user| {
            let roles = roles.iter().filter(|(u, ..)| *u == user.id).map(|(_, id, name)| NamedRef { id: id.clone(), name: name.clone() }).collect();
            Member { user, roles }
        })
        .collect();
    Ok(template::filtered(members, search, |m| {
        let u = &m.user;
        [Some(&u.id), u.primary_email.as_ref(), u.primary_phone.as_ref(), u.username.as_ref(), u.name.as_ref()].into_iter().flatten().cloned().collect()
    }))
}

/// Adds members (those already in stay as they are); with `replace`, the organization then has
/// exactly these members — those who stay keep their roles. One transaction.
pub async fn set(store: &Store, clock: &dyn Clock, organization_id: &str, user_ids: &[String], replace: bool) -> Result<(), OrganizationError> {
    let mut wanted: Vec<&str> = Vec::new();
    for id in user_ids {
        if !wanted.contains(&id.as_str()) {
            wanted.push(id);
        }
    }
    let mut tx = store.begin_write().await?;
    if !exists(&mut tx, "SELECT 1 FROM organizations WHERE id = $1", &[organization_id]).await? {
        return Err(OrganizationError::UnknownReference(format!("organization {organization_id}")));
    }
    for user_id in &wanted {
        if !exists(&mut tx, "SELECT 1 FROM users WHERE id = $1", &[user_id]).await? {
            return Err(OrganizationError::UnknownReference(format!("user {user_id}")));
        }
    }
    if replace {
        let current: Vec<String> = sqlx::query_scalar("SELECT user_id FROM organization_members WHERE organization_id = $1").bind(organization_id).fetch_all(&mut *tx).await?;
        for leaving in current.iter().filter(|u| !wanted.contains(&u.as_str())) {
            sqlx::query("DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2").bind(organization_id).bind(leaving).execute(&mut *tx).await?;
        }
    }
    let now = clock.now_ms();
    for user_id in wanted {
        sqlx::query("INSERT INTO organization_members (organization_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(organization_id)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a member and, with them, their roles in the organization.
pub async fn remove(store: &Store, organization_id: &str, user_id: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2").bind(organization_id).bind(user_id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization member")) } else { Ok(()) }
}

/// Gives each of these members each of these roles (`POST /organizations/:id/users/roles`).
pub async fn assign_roles(store: &Store, organization_id: &str, user_ids: &[String], role_ids: &[String]) -> Result<(), OrganizationError> {
    let mut tx = store.begin_write().await?;
    for user_id in user_ids {
        if !is_member(&mut tx, organization_id, user_id).await? {
            return Err(OrganizationError::UnknownReference(format!("member {user_id}")));
        }
        insert_roles(&mut tx, organization_id, user_id, role_ids).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A member's roles in the organization, by name.
pub async fn roles(store: &Store, organization_id: &str, user_id: &str) -> Result<Vec<OrganizationRole>, OrganizationError> {
    let mut conn = store.pool().acquire().await?;
    if !is_member(&mut conn, organization_id, user_id).await? {
        return Err(OrganizationError::RequireMembership);
    }
    let rows = sqlx::query_as(
        "SELECT r.id, r.name, r.description, r.type FROM organization_member_roles mr JOIN organization_roles r ON r.id = mr.organization_role_id \
         WHERE mr.organization_id = $1 AND mr.user_id = $2 ORDER BY r.name, r.id",
    )
    .bind(organization_id)
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(template::role_from).collect())
}

/// Gives a member roles named by id and by name (`organizationRoleIds`, `organizationRoleNames`);
/// with `replace`, exactly these. Answers the ids, those given first. One transaction.
pub async fn set_roles(store: &Store, organization_id: &str, user_id: &str, role_ids: &[String], role_names: &[String], replace: bool) -> Result<Vec<String>, OrganizationError> {
    let mut ids: Vec<String> = Vec::new();
    for id in role_ids.iter().cloned().chain(template::roles_named(store, role_names).await?.into_iter().map(|r| r.id)) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut tx = store.begin_write().await?;
    if !is_member(&mut tx, organization_id, user_id).await? {
        return Err(OrganizationError::RequireMembership);
    }
    if replace {
        sqlx::query("DELETE FROM organization_member_roles WHERE organization_id = $1 AND user_id = $2").bind(organization_id).bind(user_id).execute(&mut *tx).await?;
    }
    insert_roles(&mut tx, organization_id, user_id, &ids).await?;
    tx.commit().await?;
    Ok(ids)
}

pub async fn remove_role(store: &Store, organization_id: &str, user_id: &str, role_id: &str) -> Result<(), OrganizationError> {
    let mut conn = store.pool().acquire().await?;
    if !is_member(&mut conn, organization_id, user_id).await? {
        return Err(OrganizationError::RequireMembership);
    }
    let result = sqlx::query("DELETE FROM organization_member_roles WHERE organization_id = $1 AND user_id = $2 AND organization_role_id = $3")
        .bind(organization_id)
        .bind(user_id)
        .bind(role_id)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization member role")) } else { Ok(()) }
}

async fn insert_roles(conn: &mut sqlx::AnyConnection, organization_id: &str, user_id: &str, role_ids: &[String]) -> Result<(), OrganizationError> {
    for role_id in role_ids {
        template::require_role_type(conn, role_id, OrganizationRoleType::User).await?;
        sqlx::query("INSERT INTO organization_member_roles (organization_id, user_id, organization_role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(organization_id)
            .bind(user_id)
            .bind(role_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The organization scopes a member's roles grant there (each once).
pub async fn scopes(store: &Store, organization_id: &str, user_id: &str) -> Result<Vec<OrganizationScope>, OrganizationError> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT DISTINCT s.id, s.name, s.description FROM organization_member_roles mr \
         JOIN organization_role_scopes rs ON rs.organization_role_id = mr.organization_role_id \
         JOIN organization_scopes s ON s.id = rs.organization_scope_id \
         WHERE mr.organization_id = $1 AND mr.user_id = $2 ORDER BY s.id",
    )
    .bind(organization_id)
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, name, description)| OrganizationScope { id, name, description }).collect())
}

/// `GET /api/users/:id/organizations`: every organization of the user's, with their roles there.
pub async fn of_user(store: &Store, user_id: &str) -> Result<Vec<Membership>, OrganizationError> {
    if users::find_by_id(store, user_id).await?.is_none() {
        return Err(OrganizationError::NotExistsWithId("user"));
    }
    let roles: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT mr.organization_id, r.id, r.name FROM organization_member_roles mr JOIN organization_roles r ON r.id = mr.organization_role_id \
         WHERE mr.user_id = $1 ORDER BY r.name, r.id",
    )
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    let organizations = super::joined_by(store, user_id).await?;
    Ok(organizations
        .into_iter()
        .map(|organization| {
            let organization_roles = roles.iter().filter(|(o, ..)| *o == organization.id).map(|(_, id, name)| NamedRef { id: id.clone(), name: name.clone() }).collect();
            Membership { organization, organization_roles }
        })
        .collect())
}

/// What the organization claims say of a user: their organizations (in the order they
/// joined) and each of their roles there as `(organization id, role name)`. Two queries.
pub async fn claims_of(store: &Store, user_id: &str) -> Result<(Vec<Organization>, Vec<(String, String)>), sqlx::Error> {
    let organizations = super::joined_by(store, user_id).await.map_err(|e| match e {
        OrganizationError::Storage(e) => e,
        _ => sqlx::Error::RowNotFound,
    })?;
    let roles = sqlx::query_as(
        "SELECT mr.organization_id, r.name FROM organization_member_roles mr JOIN organization_roles r ON r.id = mr.organization_role_id \
         WHERE mr.user_id = $1 ORDER BY mr.organization_id, r.name",
    )
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    Ok((organizations, roles))
}

/// The scopes of API resource `resource_id` that a member's roles grant in the organization.
pub async fn resource_scopes(store: &Store, organization_id: &str, user_id: &str, resource_id: &str) -> Result<Vec<String>, OrganizationError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT s.name FROM organization_member_roles mr \
         JOIN organization_role_resource_scopes rs ON rs.organization_role_id = mr.organization_role_id \
         JOIN scopes s ON s.id = rs.scope_id \
         WHERE mr.organization_id = $1 AND mr.user_id = $2 AND s.resource_id = $3 ORDER BY s.name",
    )
    .bind(organization_id)
    .bind(user_id)
    .bind(resource_id)
    .fetch_all(store.pool())
    .await?)
}
