//! The organization template (spec §13): organization scopes (`read:members`, …) and
//! organization roles, which grant organization scopes and API-resource scopes and are of type
//! `User` or `MachineToMachine`. Every organization shares it; names are unique.

use serde::Serialize;

use super::{check_name, name_in_use, OrganizationError};
use crate::clock::Clock;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganizationScope {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum OrganizationRoleType {
    User,
    MachineToMachine,
}

impl OrganizationRoleType {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationRoleType::User => "User",
            OrganizationRoleType::MachineToMachine => "MachineToMachine",
        }
    }

    fn parse(value: &str) -> Self {
        if value == "MachineToMachine" { Self::MachineToMachine } else { Self::User }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganizationRole {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub role_type: OrganizationRoleType,
}

/// `{id, name}`: how lists name the roles and scopes attached to something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

/// An API-resource scope a role grants, with its resource (`{id, name, resource: {id, name}}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceScopeRef {
    pub id: String,
    pub name: String,
    pub resource: NamedRef,
}

/// A role as the list shows it: with its scopes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleWithScopes {
    #[serde(flatten)]
    pub role: OrganizationRole,
    pub scopes: Vec<NamedRef>,
    pub resource_scopes: Vec<ResourceScopeRef>,
}

/// Which relation of a role: its organization scopes or its API-resource scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleScopes {
    Organization,
    Resource,
}

impl RoleScopes {
    fn table(self) -> (&'static str, &'static str, &'static str) {
        match self {
            RoleScopes::Organization => ("organization_role_scopes", "organization_scope_id", "organization_scopes"),
            RoleScopes::Resource => ("organization_role_resource_scopes", "scope_id", "scopes"),
        }
    }
}

// ---- scopes ----

pub async fn list_scopes(store: &Store, search: Option<&str>) -> Result<Vec<OrganizationScope>, OrganizationError> {
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as("SELECT id, name, description FROM organization_scopes ORDER BY name, id").fetch_all(store.pool()).await?;
    Ok(filtered(rows.into_iter().map(|(id, name, description)| OrganizationScope { id, name, description }).collect(), search, |s| vec![s.name.clone()]))
}

pub async fn get_scope(store: &Store, id: &str) -> Result<OrganizationScope, OrganizationError> {
    find_scope(store, id).await?.ok_or(OrganizationError::NotExistsWithId("organization scope"))
}

async fn find_scope(store: &Store, id: &str) -> Result<Option<OrganizationScope>, OrganizationError> {
    let row: Option<(String, String, Option<String>)> = sqlx::query_as("SELECT id, name, description FROM organization_scopes WHERE id = $1").bind(id).fetch_optional(store.pool()).await?;
    Ok(row.map(|(id, name, description)| OrganizationScope { id, name, description }))
}

pub async fn create_scope(store: &Store, clock: &dyn Clock, name: &str, description: Option<&str>) -> Result<OrganizationScope, OrganizationError> {
    check_name(name, description)?;
    let id = crate::ids::entity_id();
    sqlx::query("INSERT INTO organization_scopes (id, name, description, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(description)
        .bind(clock.now_ms())
        .execute(store.pool())
        .await
        .map_err(name_in_use)?;
    get_scope(store, &id).await
}

pub async fn update_scope(store: &Store, id: &str, name: Option<&str>, description: Option<Option<&str>>) -> Result<OrganizationScope, OrganizationError> {
    let current = find_scope(store, id).await?.ok_or(OrganizationError::NotExists("organization scope"))?;
    let name = name.unwrap_or(&current.name);
    let description = description.unwrap_or(current.description.as_deref());
    check_name(name, description)?;
    sqlx::query("UPDATE organization_scopes SET name = $2, description = $3 WHERE id = $1").bind(id).bind(name).bind(description).execute(store.pool()).await.map_err(name_in_use)?;
    get_scope(store, id).await
}

pub async fn delete_scope(store: &Store, id: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organization_scopes WHERE id = $1").bind(id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization scope")) } else { Ok(()) }
}

// ---- roles ----

pub struct NewRole<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub role_type: OrganizationRoleType,
    pub organization_scope_ids: &'a [String],
    pub resource_scope_ids: &'a [String],
}

pub(super) fn role_from((id, name, description, role_type): (String, String, Option<String>, String)) -> OrganizationRole {
    OrganizationRole { id, name, description, role_type: OrganizationRoleType::parse(&role_type) }
}

pub(super) async fn find_role(store: &Store, id: &str) -> Result<Option<OrganizationRole>, OrganizationError> {
    let row = sqlx::query_as("SELECT id, name, description, type FROM organization_roles WHERE id = $1").bind(id).fetch_optional(store.pool()).await?;
    Ok(row.map(role_from))
}

/// Checks, inside a write, that `role_id` names a role of `wanted` type: an unknown id is
/// 422 `entity.relation_foreign_key_not_found`, a role of the other type 422
/// `entity.db_constraint_violated` (user roles are for members, machine roles for applications).
pub(super) async fn require_role_type(conn: &mut sqlx::AnyConnection, role_id: &str, wanted: OrganizationRoleType) -> Result<(), OrganizationError> {
    let role_type: Option<String> = sqlx::query_scalar("SELECT type FROM organization_roles WHERE id = $1").bind(role_id).fetch_optional(&mut *conn).await?;
    match role_type.map(|t| OrganizationRoleType::parse(&t)) {
        None => Err(OrganizationError::UnknownReference(format!("organization role {role_id}"))),
        Some(found) if found == wanted => Ok(()),
        Some(OrganizationRoleType::MachineToMachine) => Err(OrganizationError::MachineRoleForUser),
        Some(OrganizationRoleType::User) => Err(OrganizationError::UserRoleForApplication),
    }
}

/// Roles by name (`organizationRoleNames`); every name must exist.
pub(super) async fn roles_named(store: &Store, names: &[String]) -> Result<Vec<OrganizationRole>, OrganizationError> {
    let all: Vec<OrganizationRole> = sqlx::query_as("SELECT id, name, description, type FROM organization_roles").fetch_all(store.pool()).await?.into_iter().map(role_from).collect();
    let missing: Vec<String> = names.iter().filter(|n| !all.iter().any(|r| &r.name == *n)).cloned().collect();
    if !missing.is_empty() {
        return Err(OrganizationError::RoleNamesNotFound(missing));
    }
    Ok(all.into_iter().filter(|r| names.contains(&r.name)).collect())
}

pub async fn get_role(store: &Store, id: &str) -> Result<OrganizationRole, OrganizationError> {
    find_role(store, id).await?.ok_or(OrganizationError::NotFound("organization role"))
}

/// Roles by name, each with its scopes (two queries for the whole list). `search` matches the
/// id, the name or the description.
pub async fn list_roles(store: &Store, search: Option<&str>) -> Result<Vec<RoleWithScopes>, OrganizationError> {
    let roles: Vec<OrganizationRole> = sqlx::query_as("SELECT id, name, description, type FROM organization_roles ORDER BY name, id").fetch_all(store.pool()).await?.into_iter().map(role_from).collect();
    let roles = filtered(roles, search, |r| vec![r.id.clone(), r.name.clone(), r.description.clone().unwrap_or_default()]);
    let scopes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT rs.organization_role_id, s.id, s.name FROM organization_role_scopes rs JOIN organization_scopes s ON s.id = rs.organization_scope_id ORDER BY s.id",
    )
    .fetch_all(store.pool())
    .await?;
    let resource_scopes: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT rs.organization_role_id, s.id, s.name, r.id, r.name FROM organization_role_resource_scopes rs \
         JOIN scopes s ON s.id = rs.scope_id JOIN resources r ON r.id = s.resource_id ORDER BY s.id",
    )
    .fetch_all(store.pool())
    .await?;
    Ok(roles
        .into_iter()
        .map(|role| RoleWithScopes {
            scopes: scopes.iter().filter(|(r, ..)| *r == role.id).map(|(_, id, name)| NamedRef { id: id.clone(), name: name.clone() }).collect(),
            resource_scopes: resource_scopes
                .iter()
                .filter(|(r, ..)| *r == role.id)
                .map(|(_, id, name, resource_id, resource_name)| ResourceScopeRef {
                    id: id.clone(),
                    name: name.clone(),
                    resource: NamedRef { id: resource_id.clone(), name: resource_name.clone() },
                })
                .collect(),
            role,
        })
        .collect())
}

/// A role with its scopes, in one transaction: an unknown scope id creates nothing.
pub async fn create_role(store: &Store, clock: &dyn Clock, new: NewRole<'_>) -> Result<OrganizationRole, OrganizationError> {
    check_name(new.name, new.description)?;
    let id = crate::ids::entity_id();
    let mut tx = store.begin_write().await?;
    sqlx::query("INSERT INTO organization_roles (id, name, description, type, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(new.name)
        .bind(new.description)
        .bind(new.role_type.as_str())
        .bind(clock.now_ms())
        .execute(&mut *tx)
        .await
        .map_err(name_in_use)?;
    add_role_scopes_in(&mut tx, &id, RoleScopes::Organization, new.organization_scope_ids).await?;
    add_role_scopes_in(&mut tx, &id, RoleScopes::Resource, new.resource_scope_ids).await?;
    tx.commit().await?;
    get_role(store, &id).await
}

pub async fn update_role(store: &Store, id: &str, name: Option<&str>, description: Option<Option<&str>>, role_type: Option<OrganizationRoleType>) -> Result<OrganizationRole, OrganizationError> {
    let current = find_role(store, id).await?.ok_or(OrganizationError::NotExists("organization role"))?;
    let name = name.unwrap_or(&current.name);
    let description = description.unwrap_or(current.description.as_deref());
    check_name(name, description)?;
    sqlx::query("UPDATE organization_roles SET name = $2, description = $3, type = $4 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(role_type.unwrap_or(current.role_type).as_str())
        .execute(store.pool())
        .await
        .map_err(name_in_use)?;
    get_role(store, id).await
}

pub async fn delete_role(store: &Store, id: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organization_roles WHERE id = $1").bind(id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization role")) } else { Ok(()) }
}

/// A role's organization scopes (`OrganizationScope`s) or API-resource scopes (`rbac` scopes).
pub async fn role_scopes(store: &Store, role_id: &str) -> Result<Vec<OrganizationScope>, OrganizationError> {
    get_role(store, role_id).await?;
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT s.id, s.name, s.description FROM organization_role_scopes rs JOIN organization_scopes s ON s.id = rs.organization_scope_id WHERE rs.organization_role_id = $1 ORDER BY s.name, s.id",
    )
    .bind(role_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, name, description)| OrganizationScope { id, name, description }).collect())
}

pub async fn role_resource_scopes(store: &Store, role_id: &str) -> Result<Vec<crate::rbac::admin::Scope>, OrganizationError> {
    get_role(store, role_id).await?;
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT s.id, s.resource_id, s.name, s.description FROM organization_role_resource_scopes rs JOIN scopes s ON s.id = rs.scope_id WHERE rs.organization_role_id = $1 ORDER BY s.name, s.id",
    )
    .bind(role_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, resource_id, name, description)| crate::rbac::admin::Scope { id, resource_id, name, description }).collect())
}

/// Adds scopes to a role (already granted ones are kept); with `replace`, the role then
/// grants exactly these. One transaction: an unknown id changes nothing.
pub async fn set_role_scopes(store: &Store, role_id: &str, which: RoleScopes, ids: &[String], replace: bool) -> Result<(), OrganizationError> {
    let mut tx = store.begin_write().await?;
    let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM organization_roles WHERE id = $1").bind(role_id).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(OrganizationError::UnknownReference(format!("organization role {role_id}")));
    }
    if replace {
        let (table, ..) = which.table();
        sqlx::query(&format!("DELETE FROM {table} WHERE organization_role_id = $1")).bind(role_id).execute(&mut *tx).await?;
    }
    add_role_scopes_in(&mut tx, role_id, which, ids).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_role_scope(store: &Store, role_id: &str, which: RoleScopes, scope_id: &str) -> Result<(), OrganizationError> {
    let (table, column, _) = which.table();
    let result = sqlx::query(&format!("DELETE FROM {table} WHERE organization_role_id = $1 AND {column} = $2")).bind(role_id).bind(scope_id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization role scope")) } else { Ok(()) }
}

async fn add_role_scopes_in(conn: &mut sqlx::AnyConnection, role_id: &str, which: RoleScopes, ids: &[String]) -> Result<(), OrganizationError> {
    let (table, column, scopes) = which.table();
    for scope_id in ids {
        let known: Option<(String,)> = sqlx::query_as(&format!("SELECT id FROM {scopes} WHERE id = $1")).bind(scope_id).fetch_optional(&mut *conn).await?;
        if known.is_none() {
            return Err(OrganizationError::UnknownReference(format!("scope {scope_id}")));
        }
        sqlx::query(&format!("INSERT INTO {table} (organization_role_id, {column}) VALUES ($1, $2) ON CONFLICT DO NOTHING"))
            .bind(role_id)
            .bind(scope_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Logto's `q`: a case-insensitive LIKE `%q%` on the given fields.
pub(super) fn filtered<T>(items: Vec<T>, search: Option<&str>, fields: impl Fn(&T) -> Vec<String>) -> Vec<T> {
    match search.filter(|q| !q.is_empty()) {
        None => items,
        Some(q) => {
            let pattern = format!("%{q}%");
            items.into_iter().filter(|item| fields(item).iter().any(|f| crate::search_pattern::matches(&pattern, f))).collect()
        }
    }
}
