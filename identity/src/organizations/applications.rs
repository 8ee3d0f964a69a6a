//! Machine-to-machine applications in organizations (spec §13): an application in an
//! organization holds `MachineToMachine` organization roles there, and asks for its tokens
//! with client credentials and `organization_id`.

use super::template::{self, NamedRef, OrganizationRole};
use super::OrganizationError;
use crate::applications::{self, AppType, Application};
use crate::clock::Clock;
use crate::store::Store;

/// An application of the organization, with its roles there.
pub struct OrganizationApplication {
    pub application: Application,
    pub roles: Vec<NamedRef>,
}

async fn is_in(conn: &mut sqlx::AnyConnection, organization_id: &str, application_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM organization_applications WHERE organization_id = $1 AND application_id = $2")
        .bind(organization_id)
        .bind(application_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Whether the application is in the organization (client credentials ask).
pub async fn contains(store: &Store, organization_id: &str, application_id: &str) -> Result<bool, sqlx::Error> {
    let mut conn = store.pool().acquire().await?;
    is_in(&mut conn, organization_id, application_id).await
}

/// In the order they were added; `search` matches the id or the name.
pub async fn list(store: &Store, organization_id: &str, search: Option<&str>) -> Result<Vec<OrganizationApplication>, OrganizationError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT application_id FROM organization_applications WHERE organization_id = $1 ORDER BY created_at, application_id")
        .bind(organization_id)
        .fetch_all(store.pool())
        .await?;
    let roles: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT ar.application_id, r.id, r.name FROM organization_application_roles ar JOIN organization_roles r ON r.id = ar.organization_role_id \
         WHERE ar.organization_id = $1 ORDER BY r.name, r.id",
    )
    .bind(organization_id)
    .fetch_all(store.pool())
    .await?;
    let mut listed = Vec::new();
    for id in ids {
        // Applications are few per organization, and cached by the provider elsewhere.
        if let Some(application) = applications::find(store, &id).await? {
            let roles = roles.iter().filter(|(a, ..)| *a == id).map(|(_, id, name)| NamedRef { id: id.clone(), name: name.clone() }).collect();
            listed.push(OrganizationApplication { application, roles });
        }
    }
    Ok(template::filtered(listed, search, |a| vec![a.application.id.clone(), a.application.name.clone()]))
}

/// Adds machine-to-machine applications (those already in stay); with `replace`, exactly
/// these. One transaction; an unknown organization or application is 422.
pub async fn set(store: &Store, clock: &dyn Clock, organization_id: &str, application_ids: &[String], replace: bool) -> Result<(), OrganizationError> {
    let mut checked = Vec::new();
    for id in application_ids {
        match applications::find(store, id).await? {
            None => return Err(OrganizationError::UnknownReference(format!("application {id}"))),
            Some(app) if app.app_type != AppType::MachineToMachine => return Err(OrganizationError::NotMachineToMachine),
            Some(_) if checked.contains(id) => {}
            Some(_) => checked.push(id.clone()),
        }
    }
    let mut tx = store.begin_write().await?;
    let organization: Option<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1").bind(organization_id).fetch_optional(&mut *tx).await?;
    if organization.is_none() {
        return Err(OrganizationError::UnknownReference(format!("organization {organization_id}")));
    }
    if replace {
        let current: Vec<String> = sqlx::query_scalar("SELECT application_id FROM organization_applications WHERE organization_id = $1").bind(organization_id).fetch_all(&mut *tx).await?;
        for leaving in current.iter().filter(|a| !checked.contains(a)) {
            sqlx::query("DELETE FROM organization_applications WHERE organization_id = $1 AND application_id = $2").bind(organization_id).bind(leaving).execute(&mut *tx).await?;
        }
    }
    for id in &checked {
        sqlx::query("INSERT INTO organization_applications (organization_id, application_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(organization_id)
            .bind(id)
            .bind(clock.now_ms())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove(store: &Store, organization_id: &str, application_id: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organization_applications WHERE organization_id = $1 AND application_id = $2").bind(organization_id).bind(application_id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization application")) } else { Ok(()) }
}

pub async fn roles(store: &Store, organization_id: &str, application_id: &str) -> Result<Vec<OrganizationRole>, OrganizationError> {
    let mut conn = store.pool().acquire().await?;
    if !is_in(&mut conn, organization_id, application_id).await? {
        return Err(OrganizationError::RequireMembership);
    }
    let rows = sqlx::query_as(
        "SELECT r.id, r.name, r.description, r.type FROM organization_application_roles ar JOIN organization_roles r ON r.id = ar.organization_role_id \
         WHERE ar.organization_id = $1 AND ar.application_id = $2 ORDER BY r.name, r.id",
    )
    .bind(organization_id)
    .bind(application_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(template::role_from).collect())
}

/// Gives the application `MachineToMachine` roles in the organization; with `replace`,
/// exactly these. One transaction.
pub async fn set_roles(store: &Store, organization_id: &str, application_id: &str, role_ids: &[String], replace: bool) -> Result<(), OrganizationError> {
    let mut tx = store.begin_write().await?;
    if !is_in(&mut tx, organization_id, application_id).await? {
        return Err(OrganizationError::RequireMembership);
    }
    if replace {
        sqlx::query("DELETE FROM organization_application_roles WHERE organization_id = $1 AND application_id = $2").bind(organization_id).bind(application_id).execute(&mut *tx).await?;
    }
    for role_id in role_ids {
        template::require_role_type(&mut tx, role_id, template::OrganizationRoleType::MachineToMachine).await?;
        sqlx::query("INSERT INTO organization_application_roles (organization_id, application_id, organization_role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(organization_id)
            .bind(application_id)
            .bind(role_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove_role(store: &Store, organization_id: &str, application_id: &str, role_id: &str) -> Result<(), OrganizationError> {
    let mut conn = store.pool().acquire().await?;
    if !is_in(&mut conn, organization_id, application_id).await? {
        return Err(OrganizationError::RequireMembership);
    }
    let result = sqlx::query("DELETE FROM organization_application_roles WHERE organization_id = $1 AND application_id = $2 AND organization_role_id = $3")
        .bind(organization_id)
        .bind(application_id)
        .bind(role_id)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization application role")) } else { Ok(()) }
}

/// The organization scopes (names) the application's roles grant in the organization.
pub async fn scopes(store: &Store, organization_id: &str, application_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT s.name FROM organization_application_roles ar \
         JOIN organization_role_scopes rs ON rs.organization_role_id = ar.organization_role_id \
         JOIN organization_scopes s ON s.id = rs.organization_scope_id \
         WHERE ar.organization_id = $1 AND ar.application_id = $2 ORDER BY s.name",
    )
    .bind(organization_id)
    .bind(application_id)
    .fetch_all(store.pool())
    .await
}

/// The scopes of API resource `resource_id` that the application's roles grant there.
pub async fn resource_scopes(store: &Store, organization_id: &str, application_id: &str, resource_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT s.name FROM organization_application_roles ar \
         JOIN organization_role_resource_scopes rs ON rs.organization_role_id = ar.organization_role_id \
         JOIN scopes s ON s.id = rs.scope_id \
         WHERE ar.organization_id = $1 AND ar.application_id = $2 AND s.resource_id = $3 ORDER BY s.name",
    )
    .bind(organization_id)
    .bind(application_id)
    .bind(resource_id)
    .fetch_all(store.pool())
    .await
}
