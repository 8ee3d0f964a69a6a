//! Managing resources, scopes and roles (Management API, spec §15 "RBAC"): listing,
//! creating, changing and deleting them, and who holds which role. The token flows read the
//! same tables through the functions in the parent module.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{resource_from_row, RbacError, Resource, RoleHolder, RoleType};
use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::store::{get_flag, unique_violation, Store};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    pub id: String,
    pub resource_id: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub role_type: String,
    pub is_default: bool,
}

/// Failures of management operations, with Logto's codes.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("this API identifier is already in use")]
    IndicatorInUse,
    #[error("this role name is already in use")]
    RoleNameInUse,
    #[error("this scope name is already in use on the resource")]
    ScopeNameExists,
    #[error("scope names cannot contain spaces")]
    ScopeNameWithSpace,
    #[error("the Management API resource cannot be changed")]
    ManagementApiReadOnly,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error(transparent)]
    Rbac(#[from] RbacError),
}

impl From<sqlx::Error> for AdminError {
    fn from(err: sqlx::Error) -> Self {
        AdminError::Rbac(RbacError::Storage(err))
    }
}

impl ErrorCode for AdminError {
    fn code(&self) -> &'static str {
        match self {
            AdminError::NotFound(_) => "entity.not_exists_with_id",
            AdminError::IndicatorInUse => "resource.resource_identifier_in_use",
            AdminError::RoleNameInUse => "role.name_in_use",
            AdminError::ScopeNameExists => "scope.name_exists",
            AdminError::ScopeNameWithSpace => "scope.name_with_space",
            AdminError::ManagementApiReadOnly => "resource.cannot_modify_management_api",
            AdminError::InvalidInput(_) => "guard.invalid_input",
            AdminError::Rbac(e) => e.code(),
        }
    }
}

const RESOURCE_COLUMNS: &str = "id, name, indicator, is_default, access_token_ttl";

pub async fn list_resources(store: &Store) -> Result<Vec<Resource>, AdminError> {
    let rows = sqlx::query(&format!("SELECT {RESOURCE_COLUMNS} FROM resources ORDER BY created_at, id")).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(resource_from_row).collect::<Result<_, _>>()?)
}

pub async fn resource(store: &Store, id: &str) -> Result<Resource, AdminError> {
    let row = sqlx::query(&format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE id = $1")).bind(id).fetch_optional(store.pool()).await?;
    row.map(|r| resource_from_row(&r)).transpose()?.ok_or(AdminError::NotFound("resource"))
}

pub async fn create_resource(store: &Store, clock: &dyn Clock, name: &str, indicator: &str, access_token_ttl: i64) -> Result<Resource, AdminError> {
    if name.trim().is_empty() || !(60..=86_400 * 30).contains(&access_token_ttl) {
        return Err(AdminError::InvalidInput("a name and an accessTokenTtl of 60 s to 30 days are required".into()));
    }
    let parsed = url::Url::parse(indicator).map_err(|_| AdminError::InvalidInput("the indicator must be an absolute URI".into()))?;
    if parsed.fragment().is_some() {
        return Err(AdminError::InvalidInput("the indicator must not have a fragment".into()));
    }
    if super::find_resource(store, indicator).await?.is_some() {
        return Err(AdminError::IndicatorInUse);
    }
    let resource = Resource { id: crate::ids::entity_id(), name: name.to_owned(), indicator: indicator.to_owned(), is_default: false, access_token_ttl };
    sqlx::query("INSERT INTO resources (id, name, indicator, is_default, access_token_ttl, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&resource.id)
        .bind(&resource.name)
        .bind(&resource.indicator)
        .bind(false)
        .bind(access_token_ttl)
        .bind(clock.now_ms())
        .execute(store.pool())
        .await
        .map_err(|e| if unique_violation(&e).is_some() { AdminError::IndicatorInUse } else { e.into() })?;
    Ok(resource)
}

/// Name and token lifetime change; the indicator never does. The Management API resource is
/// read-only.
pub async fn update_resource(store: &Store, id: &str, management_indicator: &str, name: Option<&str>, access_token_ttl: Option<i64>) -> Result<Resource, AdminError> {
    let mut resource = resource(store, id).await?;
    if resource.indicator == management_indicator {
        return Err(AdminError::ManagementApiReadOnly);
    }
    if let Some(name) = name {
        if name.trim().is_empty() {
            return Err(AdminError::InvalidInput("name must not be empty".into()));
        }
        resource.name = name.to_owned();
    }
    if let Some(ttl) = access_token_ttl {
        if !(60..=86_400 * 30).contains(&ttl) {
            return Err(AdminError::InvalidInput("accessTokenTtl must be 60 s to 30 days".into()));
        }
        resource.access_token_ttl = ttl;
    }
    sqlx::query("UPDATE resources SET name = $2, access_token_ttl = $3 WHERE id = $1")
        .bind(id)
        .bind(&resource.name)
        .bind(resource.access_token_ttl)
        .execute(store.pool())
        .await?;
    Ok(resource)
}

pub async fn set_default_resource(store: &Store, id: &str, is_default: bool) -> Result<Resource, AdminError> {
    resource(store, id).await?;
    let mut tx = store.begin_write().await?;
    if is_default {
        sqlx::query("UPDATE resources SET is_default = $1").bind(false).execute(&mut *tx).await?;
    }
    sqlx::query("UPDATE resources SET is_default = $2 WHERE id = $1").bind(id).bind(is_default).execute(&mut *tx).await?;
    tx.commit().await?;
    resource(store, id).await
}

pub async fn delete_resource(store: &Store, id: &str, management_indicator: &str) -> Result<(), AdminError> {
    if resource(store, id).await?.indicator == management_indicator {
        return Err(AdminError::ManagementApiReadOnly);
    }
    sqlx::query("DELETE FROM resources WHERE id = $1").bind(id).execute(store.pool()).await?;
    Ok(())
}

fn scope_from_row(row: &AnyRow) -> Result<Scope, sqlx::Error> {
    Ok(Scope { id: row.try_get("id")?, resource_id: row.try_get("resource_id")?, name: row.try_get("name")?, description: row.try_get("description")? })
}

pub async fn scopes(store: &Store, resource_id: &str) -> Result<Vec<Scope>, AdminError> {
    resource(store, resource_id).await?;
    let rows = sqlx::query("SELECT id, resource_id, name, description FROM scopes WHERE resource_id = $1 ORDER BY created_at, id")
        .bind(resource_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(scope_from_row).collect::<Result<_, _>>()?)
}

fn check_scope_name(name: &str) -> Result<(), AdminError> {
    if name.contains(char::is_whitespace) {
        return Err(AdminError::ScopeNameWithSpace);
    }
    if name.is_empty() || name.len() > 256 {
        return Err(AdminError::InvalidInput("a scope name has 1 to 256 characters".into()));
    }
    Ok(())
}

pub async fn create_scope(store: &Store, clock: &dyn Clock, resource_id: &str, name: &str, description: Option<&str>) -> Result<Scope, AdminError> {
    check_scope_name(name)?;
    resource(store, resource_id).await?;
    let scope = Scope { id: crate::ids::entity_id(), resource_id: resource_id.to_owned(), name: name.to_owned(), description: description.map(str::to_owned) };
    sqlx::query("INSERT INTO scopes (id, resource_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&scope.id)
        .bind(resource_id)
        .bind(name)
        .bind(description)
        .bind(clock.now_ms())
        .execute(store.pool())
        .await
        .map_err(|e| if unique_violation(&e).is_some() { AdminError::ScopeNameExists } else { e.into() })?;
    Ok(scope)
}

pub async fn update_scope(store: &Store, resource_id: &str, scope_id: &str, name: Option<&str>, description: Option<Option<&str>>) -> Result<Scope, AdminError> {
    let mut scope = scopes(store, resource_id).await?.into_iter().find(|s| s.id == scope_id).ok_or(AdminError::NotFound("scope"))?;
    if let Some(name) = name {
        check_scope_name(name)?;
        scope.name = name.to_owned();
    }
    if let Some(description) = description {
        scope.description = description.map(str::to_owned);
    }
    sqlx::query("UPDATE scopes SET name = $2, description = $3 WHERE id = $1")
        .bind(scope_id)
        .bind(&scope.name)
        .bind(&scope.description)
        .execute(store.pool())
        .await
        .map_err(|e| if unique_violation(&e).is_some() { AdminError::ScopeNameExists } else { e.into() })?;
    Ok(scope)
}

pub async fn delete_scope(store: &Store, resource_id: &str, scope_id: &str) -> Result<(), AdminError> {
    let deleted = sqlx::query("DELETE FROM scopes WHERE id = $1 AND resource_id = $2").bind(scope_id).bind(resource_id).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 {
        return Err(AdminError::NotFound("scope"));
    }
    Ok(())
}

const ROLE_COLUMNS: &str = "id, name, description, type, is_default";

fn role_from_row(row: &AnyRow) -> Result<Role, sqlx::Error> {
    Ok(Role {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        role_type: row.try_get("type")?,
        is_default: get_flag(row, "is_default")?,
    })
}

/// The role list's filters, as Logto's Console asks for them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoleFilter<'a> {
    /// `User` or `MachineToMachine`.
    pub role_type: Option<&'a str>,
    /// Name or description, as [`crate::search_pattern::matches`] reads it.
    pub search: Option<&'a str>,
    /// Roles this user (or application) does not hold yet.
    pub exclude_user: Option<&'a str>,
    pub exclude_application: Option<&'a str>,
}

pub async fn list_roles_filtered(store: &Store, filter: RoleFilter<'_>) -> Result<Vec<Role>, AdminError> {
    let mut roles = list_roles(store).await?;
    if let Some(kind) = filter.role_type {
        if !matches!(kind, "User" | "MachineToMachine") {
            return Err(AdminError::InvalidInput("type must be User or MachineToMachine".into()));
        }
        roles.retain(|role| role.role_type == kind);
    }
    if let Some(search) = filter.search.filter(|s| !s.is_empty()) {
        let matches = |text: &str| crate::search_pattern::matches(search, text);
        roles.retain(|role| matches(&role.name) || role.description.as_deref().is_some_and(matches));
    }
    let holders = [filter.exclude_user.map(RoleHolder::User), filter.exclude_application.map(RoleHolder::Application)];
    for holder in holders.into_iter().flatten() {
        let held: Vec<String> = roles_of(store, holder).await?.into_iter().map(|r| r.id).collect();
        roles.retain(|role| !held.contains(&role.id));
    }
    Ok(roles)
}

pub async fn list_roles(store: &Store) -> Result<Vec<Role>, AdminError> {
    let rows = sqlx::query(&format!("SELECT {ROLE_COLUMNS} FROM roles ORDER BY created_at, id")).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(role_from_row).collect::<Result<_, _>>()?)
}

pub async fn role(store: &Store, id: &str) -> Result<Role, AdminError> {
    let row = sqlx::query(&format!("SELECT {ROLE_COLUMNS} FROM roles WHERE id = $1")).bind(id).fetch_optional(store.pool()).await?;
    row.map(|r| role_from_row(&r)).transpose()?.ok_or(AdminError::NotFound("role"))
}

/// Creates a role with its scopes, in one transaction.
pub async fn create_role(store: &Store, clock: &dyn Clock, name: &str, description: Option<&str>, role_type: RoleType, is_default: bool, scope_ids: &[String]) -> Result<Role, AdminError> {
    if name.trim().is_empty() || name.len() > 128 {
        return Err(AdminError::InvalidInput("a role name has 1 to 128 characters".into()));
    }
    if is_default && role_type != RoleType::User {
        return Err(AdminError::InvalidInput("only User roles can be default roles".into()));
    }
    let id = crate::ids::entity_id();
    let mut tx = store.begin_write().await?;
    sqlx::query("INSERT INTO roles (id, name, description, type, is_default, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(name)
        .bind(description)
        .bind(role_type.as_str())
        .bind(is_default)
        .bind(clock.now_ms())
        .execute(&mut *tx)
        .await
        .map_err(|e| if unique_violation(&e).is_some() { AdminError::RoleNameInUse } else { e.into() })?;
    for scope_id in scope_ids {
        add_scope_in(&mut tx, &id, scope_id).await?;
    }
    tx.commit().await?;
    role(store, &id).await
}

pub async fn update_role(store: &Store, id: &str, name: Option<&str>, description: Option<Option<&str>>, is_default: Option<bool>) -> Result<Role, AdminError> {
    let mut role = role(store, id).await?;
    if let Some(name) = name {
        if name.trim().is_empty() {
            return Err(AdminError::InvalidInput("name must not be empty".into()));
        }
        role.name = name.to_owned();
    }
    if let Some(description) = description {
        role.description = description.map(str::to_owned);
    }
    if let Some(is_default) = is_default {
        if is_default && role.role_type != RoleType::User.as_str() {
            return Err(AdminError::InvalidInput("only User roles can be default roles".into()));
        }
        role.is_default = is_default;
    }
    sqlx::query("UPDATE roles SET name = $2, description = $3, is_default = $4 WHERE id = $1")
        .bind(id)
        .bind(&role.name)
        .bind(&role.description)
        .bind(role.is_default)
        .execute(store.pool())
        .await
        .map_err(|e| if unique_violation(&e).is_some() { AdminError::RoleNameInUse } else { e.into() })?;
    Ok(role)
}

pub async fn delete_role(store: &Store, id: &str) -> Result<(), AdminError> {
    let deleted = sqlx::query("DELETE FROM roles WHERE id = $1").bind(id).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 {
        return Err(AdminError::NotFound("role"));
    }
    Ok(())
}

/// The scopes a role grants.
pub async fn role_scopes(store: &Store, role_id: &str) -> Result<Vec<Scope>, AdminError> {
    role(store, role_id).await?;
    let rows = sqlx::query(
        "SELECT s.id, s.resource_id, s.name, s.description FROM roles_scopes rs JOIN scopes s ON s.id = rs.scope_id \
         WHERE rs.role_id = $1 ORDER BY s.created_at, s.id",
    )
    .bind(role_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(scope_from_row).collect::<Result<_, _>>()?)
}

async fn add_scope_in(conn: &mut sqlx::AnyConnection, role_id: &str, scope_id: &str) -> Result<(), AdminError> {
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM scopes WHERE id = $1").bind(scope_id).fetch_optional(&mut *conn).await?;
    exists.ok_or(AdminError::NotFound("scope"))?;
    sqlx::query("INSERT INTO roles_scopes (role_id, scope_id) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(role_id).bind(scope_id).execute(&mut *conn).await?;
    Ok(())
}

/// Grants scopes to a role, all or none.
pub async fn add_role_scopes(store: &Store, role_id: &str, scope_ids: &[String]) -> Result<Vec<Scope>, AdminError> {
    role(store, role_id).await?;
    let mut tx = store.begin_write().await?;
    for scope_id in scope_ids {
        add_scope_in(&mut tx, role_id, scope_id).await?;
    }
    tx.commit().await?;
    role_scopes(store, role_id).await
}

pub async fn remove_role_scope(store: &Store, role_id: &str, scope_id: &str) -> Result<(), AdminError> {
    let deleted = sqlx::query("DELETE FROM roles_scopes WHERE role_id = $1 AND scope_id = $2").bind(role_id).bind(scope_id).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 {
        return Err(AdminError::NotFound("scope of this role"));
    }
    Ok(())
}

/// The roles a user or application holds.
pub async fn roles_of(store: &Store, holder: RoleHolder<'_>) -> Result<Vec<Role>, AdminError> {
    let (sql, id) = match holder {
        RoleHolder::User(id) => ("SELECT r.id, r.name, r.description, r.type, r.is_default FROM users_roles x JOIN roles r ON r.id = x.role_id WHERE x.user_id = $1 ORDER BY r.name", id),
        RoleHolder::Application(id) => ("SELECT r.id, r.name, r.description, r.type, r.is_default FROM applications_roles x JOIN roles r ON r.id = x.role_id WHERE x.application_id = $1 ORDER BY r.name", id),
    };
    let rows = sqlx::query(sql).bind(id).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(role_from_row).collect::<Result<_, _>>()?)
}

/// Ids of the holders of a role (users or applications, by the role's type).
pub async fn holders_of(store: &Store, role_id: &str) -> Result<Vec<String>, AdminError> {
    let role = role(store, role_id).await?;
    let sql = if role.role_type == RoleType::User.as_str() {
        "SELECT user_id FROM users_roles WHERE role_id = $1 ORDER BY user_id"
    } else {
        "SELECT application_id FROM applications_roles WHERE role_id = $1 ORDER BY application_id"
    };
    Ok(sqlx::query_scalar(sql).bind(role_id).fetch_all(store.pool()).await?)
}

/// Assigns roles to a holder, all or none (type mismatches and unknown ids refuse the lot).
/// With `replace`, the holder's other roles are removed first.
/// Gives `holder` these roles (all or none), replacing its others when `replace`; returns the
/// ones it did not have before.
pub async fn assign_roles(store: &Store, holder: RoleHolder<'_>, role_ids: &[String], replace: bool) -> Result<Vec<String>, AdminError> {
    let mut tx = store.begin_write().await?;
    if replace {
        let (sql, id) = match holder {
            RoleHolder::User(id) => ("DELETE FROM users_roles WHERE user_id = $1", id),
            RoleHolder::Application(id) => ("DELETE FROM applications_roles WHERE application_id = $1", id),
        };
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    let mut added = Vec::new();
    for role_id in role_ids {
        let new = super::assign_in(&mut tx, role_id, holder).await.map_err(|e| match e {
            RbacError::RoleNotFound => AdminError::NotFound("role"),
            other => AdminError::Rbac(other),
        })?;
        if new && !added.contains(role_id) {
            added.push(role_id.clone());
        }
    }
    tx.commit().await?;
    Ok(added)
}

pub async fn unassign_role(store: &Store, holder: RoleHolder<'_>, role_id: &str) -> Result<(), AdminError> {
    let (sql, id) = match holder {
        RoleHolder::User(id) => ("DELETE FROM users_roles WHERE user_id = $1 AND role_id = $2", id),
        RoleHolder::Application(id) => ("DELETE FROM applications_roles WHERE application_id = $1 AND role_id = $2", id),
    };
    let deleted = sqlx::query(sql).bind(id).bind(role_id).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 {
        return Err(AdminError::NotFound("role assignment"));
    }
    Ok(())
}

/// Assigns one role to several holders, all or none (a wrong type or an unknown holder
/// refuses the lot).
pub async fn assign_role_to(store: &Store, role_id: &str, holders: &[RoleHolder<'_>]) -> Result<(), AdminError> {
    role(store, role_id).await?;
    let mut tx = store.begin_write().await?;
    for holder in holders {
        super::assign_in(&mut tx, role_id, *holder).await?;
    }
    tx.commit().await?;
    Ok(())
}
