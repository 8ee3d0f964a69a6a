//! Just-in-time provisioning (spec §13): an organization's email domains, enterprise SSO
//! connectors and JIT roles. People who register through the Experience API with a verified
//! address at one of the domains join the organization with those roles, in the
//! registration's own transaction; so does anyone whose SSO identity at one of the connectors
//! is attached to their account (each SSO sign-in). Accounts created by the Management API,
//! and people who already had an account, are not provisioned by domain.

use serde::Serialize;

use super::template::OrganizationRole;
use super::OrganizationError;
use crate::clock::Clock;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailDomain {
    pub organization_id: String,
    pub email_domain: String,
}

/// `example.com`: a domain name, lower case, no `@`.
pub fn normalized_domain(domain: &str) -> Result<String, OrganizationError> {
    let domain = domain.trim().to_ascii_lowercase();
    let valid = !domain.is_empty() && domain.len() <= 253 && domain.contains('.') && domain.split('.').all(|label| !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if valid { Ok(domain) } else { Err(OrganizationError::InvalidInput(format!("not an email domain: {domain}"))) }
}

async fn require_organization(conn: &mut sqlx::AnyConnection, organization_id: &str) -> Result<(), OrganizationError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1").bind(organization_id).fetch_optional(&mut *conn).await?;
    found.map(|_| ()).ok_or(OrganizationError::NotExistsWithId("organization"))
}

/// In the order they were added.
pub async fn email_domains(store: &Store, organization_id: &str) -> Result<Vec<EmailDomain>, OrganizationError> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT email_domain FROM organization_jit_email_domains WHERE organization_id = $1 ORDER BY created_at, email_domain")
        .bind(organization_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(|email_domain| EmailDomain { organization_id: organization_id.to_owned(), email_domain }).collect())
}

/// Adds one domain (422 `entity.unique_integrity_violation` if it is there already); with
/// `replace`, the organization then has exactly `domains`.
pub async fn set_email_domains(store: &Store, clock: &dyn Clock, organization_id: &str, domains: &[String], replace: bool) -> Result<(), OrganizationError> {
    let domains = domains.iter().map(|d| normalized_domain(d)).collect::<Result<Vec<_>, _>>()?;
    let mut tx = store.begin_write().await?;
    require_organization(&mut tx, organization_id).await?;
    if replace {
        sqlx::query("DELETE FROM organization_jit_email_domains WHERE organization_id = $1").bind(organization_id).execute(&mut *tx).await?;
    }
    // Each gets its own instant, so the list keeps the order they were given in.
    let now = clock.now_ms();
    for (n, domain) in domains.iter().enumerate() {
        let inserted = sqlx::query("INSERT INTO organization_jit_email_domains (organization_id, email_domain, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(organization_id)
            .bind(domain)
            .bind(now + n as i64)
            .execute(&mut *tx)
            .await?;
        if inserted.rows_affected() == 0 && !replace {
            return Err(OrganizationError::NameInUse);
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove_email_domain(store: &Store, organization_id: &str, domain: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organization_jit_email_domains WHERE organization_id = $1 AND email_domain = $2")
        .bind(organization_id)
        .bind(domain.trim().to_ascii_lowercase())
        .execute(store.pool())
        .await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("email domain")) } else { Ok(()) }
}

/// The organization's JIT SSO connectors' ids, in the order they were added.
pub async fn sso_connectors(store: &Store, organization_id: &str) -> Result<Vec<String>, OrganizationError> {
    let mut conn = store.pool().acquire().await?;
    require_organization(&mut conn, organization_id).await?;
    let ids = sqlx::query_scalar("SELECT sso_connector_id FROM organization_jit_sso_connectors WHERE organization_id = $1 ORDER BY created_at, sso_connector_id")
        .bind(organization_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(ids)
}

/// Adds JIT SSO connectors (an unknown id is 422 and adds nothing); with `replace`, exactly these.
pub async fn set_sso_connectors(store: &Store, clock: &dyn Clock, organization_id: &str, connector_ids: &[String], replace: bool) -> Result<(), OrganizationError> {
    let mut tx = store.begin_write().await?;
    require_organization(&mut tx, organization_id).await?;
    if replace {
        sqlx::query("DELETE FROM organization_jit_sso_connectors WHERE organization_id = $1").bind(organization_id).execute(&mut *tx).await?;
    }
    let now = clock.now_ms();
    for (n, id) in connector_ids.iter().enumerate() {
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM sso_connectors WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        if known.is_none() {
            return Err(OrganizationError::UnknownReference(format!("SSO connector {id}")));
        }
        sqlx::query("INSERT INTO organization_jit_sso_connectors (organization_id, sso_connector_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(organization_id)
            .bind(id)
            .bind(now + n as i64)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove_sso_connector(store: &Store, organization_id: &str, connector_id: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organization_jit_sso_connectors WHERE organization_id = $1 AND sso_connector_id = $2").bind(organization_id).bind(connector_id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("JIT SSO connector")) } else { Ok(()) }
}

/// Joins a person whose identity at `sso_connector_id` was just attached or used to the
/// organizations that list that connector, with their JIT roles (in the caller's transaction).
pub async fn provision_by_sso(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, sso_connector_id: &str) -> Result<(), sqlx::Error> {
    let organizations: Vec<String> = sqlx::query_scalar("SELECT organization_id FROM organization_jit_sso_connectors WHERE sso_connector_id = $1")
        .bind(sso_connector_id)
        .fetch_all(&mut *conn)
        .await?;
    for organization_id in &organizations {
        add_member_with_jit_roles(conn, clock, organization_id, user_id).await?;
    }
    Ok(())
}

pub async fn roles(store: &Store, organization_id: &str) -> Result<Vec<OrganizationRole>, OrganizationError> {
    let rows = sqlx::query_as(
        "SELECT r.id, r.name, r.description, r.type FROM organization_jit_roles j JOIN organization_roles r ON r.id = j.organization_role_id \
         WHERE j.organization_id = $1 ORDER BY r.name, r.id",
    )
    .bind(organization_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(super::template::role_from).collect())
}

/// Adds JIT roles (those already there stay; an unknown id is 422 and adds nothing); with
/// `replace`, exactly these.
pub async fn set_roles(store: &Store, organization_id: &str, role_ids: &[String], replace: bool) -> Result<(), OrganizationError> {
    let mut tx = store.begin_write().await?;
    require_organization(&mut tx, organization_id).await?;
    if replace {
        sqlx::query("DELETE FROM organization_jit_roles WHERE organization_id = $1").bind(organization_id).execute(&mut *tx).await?;
    }
    for role_id in role_ids {
        super::template::require_role_type(&mut tx, role_id, super::template::OrganizationRoleType::User).await?;
        sqlx::query("INSERT INTO organization_jit_roles (organization_id, organization_role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(organization_id)
            .bind(role_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove_role(store: &Store, organization_id: &str, role_id: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organization_jit_roles WHERE organization_id = $1 AND organization_role_id = $2").bind(organization_id).bind(role_id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("JIT role")) } else { Ok(()) }
}

/// Joins a person who just registered with a verified `email` to every organization that
/// lists its domain, with those organizations' JIT roles — inside the registration's
/// transaction. Answers the organizations joined.
pub async fn provision(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, email: &str) -> Result<Vec<String>, sqlx::Error> {
    let Some((_, domain)) = email.rsplit_once('@') else { return Ok(Vec::new()) };
    let organizations: Vec<String> = sqlx::query_scalar("SELECT organization_id FROM organization_jit_email_domains WHERE email_domain = $1")
        .bind(domain.to_ascii_lowercase())
        .fetch_all(&mut *conn)
        .await?;
    for organization_id in &organizations {
        add_member_with_jit_roles(conn, clock, organization_id, user_id).await?;
    }
    Ok(organizations)
}

/// Joins a person to the organizations a one-time token names (an invitation), with each
/// one's JIT roles; organizations that no longer exist are skipped. In the caller's transaction.
pub async fn join(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, organization_ids: &[String]) -> Result<(), sqlx::Error> {
    for organization_id in organization_ids {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1").bind(organization_id).fetch_optional(&mut *conn).await?;
        if exists.is_none() {
            continue;
        }
        add_member_with_jit_roles(conn, clock, organization_id, user_id).await?;
    }
    Ok(())
}

async fn add_member_with_jit_roles(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, organization_id: &str, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO organization_members (organization_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(organization_id)
        .bind(user_id)
        .bind(clock.now_ms())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO organization_member_roles (organization_id, user_id, organization_role_id) \
         SELECT organization_id, $2, organization_role_id FROM organization_jit_roles WHERE organization_id = $1 ON CONFLICT DO NOTHING",
    )
    .bind(organization_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
