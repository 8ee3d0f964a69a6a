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

/// One page of an organization's members in the order they joined, each with their roles
/// here by name, and how many match. `search` (Logto's `q`) is a case-insensitive LIKE `%q%`
/// on the id, email, phone, username or name. Paged in SQL: a page costs the same in an
/// organization of ten members or of a hundred thousand.
pub async fn page(store: &Store, organization_id: &str, search: Option<&str>, page: i64, page_size: i64) -> Result<(Vec<Member>, i64), OrganizationError> {
    let pattern = search.filter(|q| !q.is_empty()).map(|q| format!("%{q}%"));
    let (from, matching) = match pattern {
        None => ("organization_members m", "m.organization_id = $1"),
        Some(_) => (
            "organization_members m JOIN users u ON u.id = m.user_id",
            "m.organization_id = $1 AND (lower(u.id) LIKE lower($2) OR lower(COALESCE(u.primary_email, '')) LIKE lower($2) \
             OR lower(COALESCE(u.primary_phone, '')) LIKE lower($2) OR lower(COALESCE(u.username, '')) LIKE lower($2) \
             OR lower(COALESCE(u.name, '')) LIKE lower($2))",
        ),
    };
    let next = if pattern.is_some() { 3 } else { 2 };
    let count_sql = format!("SELECT COUNT(*) FROM {from} WHERE {matching}");
    let mut count = sqlx::query_scalar(&count_sql).bind(organization_id);
    let sql = format!("SELECT m.user_id FROM {from} WHERE {matching} ORDER BY m.created_at, m.user_id LIMIT ${next} OFFSET ${}", next + 1);
    let mut ids = sqlx::query_scalar(&sql).bind(organization_id);
    if let Some(pattern) = &pattern {
        count = count.bind(pattern);
        ids = ids.bind(pattern);
    }
    let total: i64 = count.fetch_one(store.pool()).await?;
    let skipped = (page.max(1) - 1).saturating_mul(page_size);
    let ids: Vec<String> = ids.bind(page_size).bind(skipped).fetch_all(store.pool()).await?;
    Ok((with_accounts_and_roles(store, organization_id, &ids).await?, total))
}

/// The members `ids` (in that order) with their accounts and their roles here: two queries.
async fn with_accounts_and_roles(store: &Store, organization_id: &str, ids: &[String]) -> Result<Vec<Member>, OrganizationError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut accounts: std::collections::HashMap<String, User> = users::find_many(store, ids).await?.into_iter().map(|u| (u.id.clone(), u)).collect();
    let placeholders: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT mr.user_id, r.id, r.name FROM organization_member_roles mr JOIN organization_roles r ON r.id = mr.organization_role_id \
         WHERE mr.organization_id = $1 AND mr.user_id IN ({}) ORDER BY r.name, r.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as(&sql).bind(organization_id);
    for id in ids {
        query = query.bind(id);
    }
    let held: Vec<(String, String, String)> = query.fetch_all(store.pool()).await?;
    let mut roles: std::collections::HashMap<String, Vec<NamedRef>> = std::collections::HashMap::new();
    for (user_id, id, name) in held {
        roles.entry(user_id).or_default().push(NamedRef { id, name });
    }
    Ok(ids
        .iter()
        .filter_map(|id| accounts.remove(id))
        .map(|user| {
            let roles = roles.remove(&user.id).unwrap_or_default();
            Member { user, roles }
        })
        .collect())
}

/// Whether a member other than `leaving` holds one of `role_ids` here.
pub async fn anyone_else_holds(store: &Store, organization_id: &str, leaving: &str, role_ids: &[String]) -> Result<bool, OrganizationError> {
    if role_ids.is_empty() {
        return Ok(false);
    }
    let placeholders: Vec<String> = (3..role_ids.len() + 3).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT COUNT(*) FROM organization_member_roles WHERE organization_id = $1 AND user_id <> $2 AND organization_role_id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_scalar(&sql).bind(organization_id).bind(leaving);
    for id in role_ids {
        query = query.bind(id);
    }
    let holders: i64 = query.fetch_one(store.pool()).await?;
    Ok(holders > 0)
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
