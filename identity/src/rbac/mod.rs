//! API resources, their scopes, and roles that grant scopes to users and to machine-to-machine
//! applications (spec §1 RBAC, §2 "Resources & RBAC").

pub mod admin;

use sqlx::{AnyConnection, Row};

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::store::{get_flag, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id: String,
    pub name: String,
    pub indicator: String,
    pub is_default: bool,
    /// Seconds.
    pub access_token_ttl: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleType {
    User,
    MachineToMachine,
}

impl RoleType {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleType::User => "User",
            RoleType::MachineToMachine => "MachineToMachine",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RbacError {
    #[error("no resource has this indicator")]
    ResourceNotFound,
    #[error("no such scope on this resource")]
    ScopeNotFound,
    #[error("no role has this name")]
    RoleNotFound,
    #[error("no user or application has this id")]
    HolderNotFound,
    #[error("only User roles can be assigned to users")]
    UserRoleTypeMismatch,
    #[error("only MachineToMachine roles can be assigned to applications")]
    ApplicationRoleTypeMismatch,
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for RbacError {
    fn code(&self) -> &'static str {
        match self {
            RbacError::ResourceNotFound | RbacError::ScopeNotFound | RbacError::RoleNotFound => "entity.not_found",
            RbacError::HolderNotFound => "entity.not_exists_with_id",
            RbacError::UserRoleTypeMismatch => "user.invalid_role_type",
            RbacError::ApplicationRoleTypeMismatch => "application.invalid_role_type",
            RbacError::Storage(_) => "unexpected",
        }
    }
}

/// Creates the resource, or returns the existing one with this indicator (scripts re-run).
pub async fn ensure_resource(
    store: &Store,
    clock: &dyn Clock,
    name: &str,
    indicator: &str,
    access_token_ttl: i64,
    is_default: bool,
) -> Result<Resource, RbacError> {
    if let Some(existing) = find_resource(store, indicator).await? {
        return Ok(existing);
    }
    let mut tx = store.begin_write().await?;
    if is_default {
        // At most one default resource (spec §1).
        sqlx::query("UPDATE resources SET is_default = $1").bind(false).execute(&mut *tx).await?;
    }
    let resource = Resource {
        id: crate::ids::entity_id(),
        name: name.to_owned(),
        indicator: indicator.to_owned(),
        is_default,
        access_token_ttl,
    };
    sqlx::query("INSERT INTO resources (id, name, indicator, is_default, access_token_ttl, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&resource.id)
        .bind(&resource.name)
        .bind(&resource.indicator)
        .bind(resource.is_default)
        .bind(resource.access_token_ttl)
        .bind(clock.now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(resource)
}

pub async fn find_resource(store: &Store, indicator: &str) -> Result<Option<Resource>, RbacError> {
    let row = sqlx::query("SELECT id, name, indicator, is_default, access_token_ttl FROM resources WHERE indicator = $1")
        .bind(indicator)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| resource_from_row(&r)).transpose()
}

pub async fn default_resource(store: &Store) -> Result<Option<Resource>, RbacError> {
    let row = sqlx::query("SELECT id, name, indicator, is_default, access_token_ttl FROM resources WHERE is_default = $1")
        .bind(true)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| resource_from_row(&r)).transpose()
}

pub(crate) fn resource_from_row(row: &sqlx::any::AnyRow) -> Result<Resource, RbacError> {
    Ok(Resource {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        indicator: row.try_get("indicator")?,
        is_default: get_flag(row, "is_default")?,
        access_token_ttl: row.try_get("access_token_ttl")?,
    })
}

/// Adds a scope to a resource unless it already has it; returns the scope id.
pub async fn ensure_scope(store: &Store, clock: &dyn Clock, resource: &Resource, name: &str) -> Result<String, RbacError> {
    let existing: Option<String> = sqlx::query_scalar("SELECT id FROM scopes WHERE resource_id = $1 AND name = $2")
        .bind(&resource.id)
        .bind(name)
        .fetch_optional(store.pool())
        .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = crate::ids::entity_id();
    sqlx::query("INSERT INTO scopes (id, resource_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(&resource.id)
        .bind(name)
        .bind(clock.now_ms())
        .execute(store.pool())
        .await?;
    Ok(id)
}

/// Who a role is assigned to. Users hold User roles only, applications MachineToMachine
/// roles only (spec §1 `users_roles`, `applications_roles`).
#[derive(Debug, Clone, Copy)]
pub enum RoleHolder<'a> {
    User(&'a str),
    Application(&'a str),
}

/// A role as an operator script declares it: created unless it exists, then granted scopes
/// (`indicator`, `scope`) and assigned — all in one transaction, so a bad scope or holder
/// leaves nothing behind.
#[derive(Debug, Clone)]
pub struct RoleDefinition<'a> {
    pub name: &'a str,
    pub role_type: RoleType,
    pub scopes: &'a [(String, String)],
    pub holders: &'a [RoleHolder<'a>],
}

pub async fn define_role(store: &Store, clock: &dyn Clock, definition: RoleDefinition<'_>) -> Result<String, RbacError> {
    let mut tx = store.begin_write().await?;
    let role_id = ensure_role_in(&mut tx, clock, definition.name, definition.role_type).await?;
    for (indicator, scope) in definition.scopes {
        grant_scope_in(&mut tx, &role_id, indicator, scope).await?;
    }
    for holder in definition.holders {
        assign_in(&mut tx, &role_id, *holder).await?;
    }
    tx.commit().await?;
    Ok(role_id)
}

/// Creates the role unless one with this name exists; returns its id.
pub async fn ensure_role(store: &Store, clock: &dyn Clock, name: &str, role_type: RoleType) -> Result<String, RbacError> {
    ensure_role_in(&mut *store.pool().acquire().await?, clock, name, role_type).await
}

/// Grants `scope` of `indicator` to the role (idempotent).
pub async fn grant_scope_to_role(store: &Store, role_id: &str, indicator: &str, scope: &str) -> Result<(), RbacError> {
    grant_scope_in(&mut *store.pool().acquire().await?, role_id, indicator, scope).await
}

pub async fn assign_role(store: &Store, role_id: &str, holder: RoleHolder<'_>) -> Result<(), RbacError> {
    assign_in(&mut *store.pool().acquire().await?, role_id, holder).await.map(|_| ())
}

async fn ensure_role_in(conn: &mut AnyConnection, clock: &dyn Clock, name: &str, role_type: RoleType) -> Result<String, RbacError> {
    let existing: Option<String> = sqlx::query_scalar("SELECT id FROM roles WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = crate::ids::entity_id();
    sqlx::query("INSERT INTO roles (id, name, type, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(name)
        .bind(role_type.as_str())
        .bind(clock.now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

async fn grant_scope_in(conn: &mut AnyConnection, role_id: &str, indicator: &str, scope: &str) -> Result<(), RbacError> {
    let scope_id: Option<String> = sqlx::query_scalar(
        "SELECT s.id FROM scopes s JOIN resources r ON r.id = s.resource_id WHERE r.indicator = $1 AND s.name = $2",
    )
    .bind(indicator)
    .bind(scope)
    .fetch_optional(&mut *conn)
    .await?;
    let scope_id = scope_id.ok_or(RbacError::ScopeNotFound)?;
    sqlx::query("INSERT INTO roles_scopes (role_id, scope_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(role_id)
        .bind(scope_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Gives `holder` the role; `Ok(false)` when it already had it.
pub(crate) async fn assign_in(conn: &mut AnyConnection, role_id: &str, holder: RoleHolder<'_>) -> Result<bool, RbacError> {
    let role_type: String = sqlx::query_scalar("SELECT type FROM roles WHERE id = $1")
        .bind(role_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(RbacError::RoleNotFound)?;
    let (sql, holder_id, required, mismatch) = match holder {
        RoleHolder::User(id) => (
            "INSERT INTO users_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            id,
            RoleType::User,
            RbacError::UserRoleTypeMismatch,
        ),
        RoleHolder::Application(id) => (
            "INSERT INTO applications_roles (application_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            id,
            RoleType::MachineToMachine,
            RbacError::ApplicationRoleTypeMismatch,
        ),
    };
    if role_type != required.as_str() {
        return Err(mismatch);
    }
    let inserted = sqlx::query(sql).bind(holder_id).bind(role_id).execute(&mut *conn).await.map_err(|err| {
        // The holder must exist (foreign key): an unknown id is a lookup failure, not ours.
        if err.as_database_error().is_some_and(|e| e.is_foreign_key_violation()) {
            RbacError::HolderNotFound
        } else {
            RbacError::Storage(err)
        }
    })?;
    Ok(inserted.rows_affected() == 1)
}

/// Scope names of `resource` that the user's roles grant.
pub async fn user_scopes(store: &Store, user_id: &str, resource_id: &str) -> Result<Vec<String>, RbacError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT s.name FROM users_roles ur \
         JOIN roles_scopes rs ON rs.role_id = ur.role_id \
         JOIN scopes s ON s.id = rs.scope_id \
         WHERE ur.user_id = $1 AND s.resource_id = $2 ORDER BY s.name",
    )
    .bind(user_id)
    .bind(resource_id)
    .fetch_all(store.pool())
    .await?)
}

/// Scope names of `resource` that the application's machine-to-machine roles grant.
pub async fn application_scopes(store: &Store, application_id: &str, resource_id: &str) -> Result<Vec<String>, RbacError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT s.name FROM applications_roles ar \
         JOIN roles_scopes rs ON rs.role_id = ar.role_id \
         JOIN scopes s ON s.id = rs.scope_id \
         WHERE ar.application_id = $1 AND s.resource_id = $2 ORDER BY s.name",
    )
    .bind(application_id)
    .bind(resource_id)
    .fetch_all(store.pool())
    .await?)
}

/// Names of the user's roles (the `roles` claim).
pub async fn user_role_names(store: &Store, user_id: &str) -> Result<Vec<String>, RbacError> {
    Ok(sqlx::query_scalar(
        "SELECT r.name FROM users_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 ORDER BY r.name",
    )
    .bind(user_id)
    .fetch_all(store.pool())
    .await?)
}
