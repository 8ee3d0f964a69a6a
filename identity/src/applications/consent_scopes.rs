//! What a third-party application may ask a user to consent to (spec §9,
//! `/api/applications/:id/user-consent-scopes`), and the organizations each user let it act
//! in (`…/users/:userId/consent-organizations`). First-party applications ask nobody.

use serde::Serialize;
use sqlx::Row;

use super::{find, ApplicationError};
use crate::clock::Clock;
use crate::organizations::Organization;
use crate::store::Store;

/// The OIDC scopes about the user that a third-party application can be allowed.
pub const USER_SCOPES: &[&str] = &[
    "profile", "email", "phone", "address", "custom_data", "identities", "roles",
    crate::oidc::ORGANIZATIONS_SCOPE, crate::oidc::ORGANIZATION_ROLES_SCOPE,
];

/// An API resource and some of its scopes, as the consent page and the Management API show
/// them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceScopes {
    pub resource: ResourceRef,
    pub scopes: Vec<ScopeRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceRef {
    pub id: String,
    pub name: String,
    pub indicator: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeRef {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
}

/// The kinds of consent scope, as they appear in
/// `DELETE …/user-consent-scopes/:scopeType/:scopeId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeType {
    User,
    Resource,
    Organization,
    OrganizationResource,
}

impl ScopeType {
    pub fn parse(path_segment: &str) -> Option<Self> {
        Some(match path_segment {
            "user-scopes" => ScopeType::User,
            "resource-scopes" => ScopeType::Resource,
            "organization-scopes" => ScopeType::Organization,
            "organization-resource-scopes" => ScopeType::OrganizationResource,
            _ => return None,
        })
    }

    /// The `kind` column of `application_user_consent_resource_scopes`.
    fn resource_kind(self) -> &'static str {
        if self == ScopeType::OrganizationResource { "organization-resource" } else { "resource" }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentScopes {
    pub user_scopes: Vec<String>,
    pub resource_scopes: Vec<ResourceScopes>,
    pub organization_scopes: Vec<ScopeRef>,
    pub organization_resource_scopes: Vec<ResourceScopes>,
}

/// `POST …/user-consent-scopes`: ids of scopes to allow, added to those already allowed.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    pub user_scopes: Vec<String>,
    pub resource_scopes: Vec<String>,
    pub organization_scopes: Vec<String>,
    pub organization_resource_scopes: Vec<String>,
}

async fn third_party(store: &Store, application_id: &str) -> Result<(), ApplicationError> {
    match find(store, application_id).await? {
        None => Err(ApplicationError::NotFound),
        Some(app) if !app.is_third_party => Err(ApplicationError::ThirdPartyOnly),
        Some(_) => Ok(()),
    }
}

pub async fn get(store: &Store, application_id: &str) -> Result<ConsentScopes, ApplicationError> {
    if find(store, application_id).await?.is_none() {
        return Err(ApplicationError::NotFound);
    }
    let user_scopes = sqlx::query_scalar("SELECT user_scope FROM application_user_consent_user_scopes WHERE application_id = $1 ORDER BY user_scope")
        .bind(application_id)
        .fetch_all(store.pool())
        .await?;
    Ok(ConsentScopes {
        user_scopes,
        resource_scopes: resource_scopes(store, application_id, ScopeType::Resource).await?,
        organization_scopes: organization_scopes(store, application_id).await?,
        organization_resource_scopes: resource_scopes(store, application_id, ScopeType::OrganizationResource).await?,
    })
}

/// The API resource scopes allowed, grouped by resource (in name order).
pub(crate) async fn resource_scopes(store: &Store, application_id: &str, kind: ScopeType) -> Result<Vec<ResourceScopes>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id AS resource_id, r.name AS resource_name, r.indicator, s.id, s.name, s.description \
         FROM application_user_consent_resource_scopes c JOIN scopes s ON s.id = c.scope_id JOIN resources r ON r.id = s.resource_id \
         WHERE c.application_id = $1 AND c.kind = $2 ORDER BY r.name, r.id, s.name",
    )
    .bind(application_id)
    .bind(kind.resource_kind())
    .fetch_all(store.pool())
    .await?;
    let mut grouped: Vec<ResourceScopes> = Vec::new();
    for row in rows {
        let resource = ResourceRef { id: row.try_get("resource_id")?, name: row.try_get("resource_name")?, indicator: row.try_get("indicator")? };
        let scope = ScopeRef { id: row.try_get("id")?, name: row.try_get("name")?, description: row.try_get("description")? };
        match grouped.last_mut() {
            Some(last) if last.resource.id == resource.id => last.scopes.push(scope),
            _ => grouped.push(ResourceScopes { resource, scopes: vec![scope] }),
        }
    }
    Ok(grouped)
}

pub(crate) async fn organization_scopes(store: &Store, application_id: &str) -> Result<Vec<ScopeRef>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.description FROM application_user_consent_organization_scopes c \
         JOIN organization_scopes s ON s.id = c.organization_scope_id WHERE c.application_id = $1 ORDER BY s.name",
    )
    .bind(application_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| Ok(ScopeRef { id: r.try_get("id")?, name: r.try_get("name")?, description: r.try_get("description")? })).collect()
}

/// Adds what `assignment` names (already allowed scopes are kept), all or nothing: an
/// unknown scope id refuses the whole request.
pub async fn assign(store: &Store, application_id: &str, assignment: &Assignment) -> Result<(), ApplicationError> {
    third_party(store, application_id).await?;
    if let Some(unknown) = assignment.user_scopes.iter().find(|s| !USER_SCOPES.contains(&s.as_str())) {
        return Err(ApplicationError::InvalidInput(format!("unknown user scope {unknown}")));
    }
    let known = |table: &'static str, ids: &[String]| {
        let ids = ids.to_vec();
        async move {
            for id in &ids {
                let found: Option<String> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1")).bind(id).fetch_optional(store.pool()).await?;
                if found.is_none() {
                    return Err(ApplicationError::ConsentScopesNotFound);
                }
            }
            Ok(())
        }
    };
    known("organization_scopes", &assignment.organization_scopes).await?;
    known("scopes", &assignment.resource_scopes).await?;
    known("scopes", &assignment.organization_resource_scopes).await?;
    let mut tx = store.begin_write().await?;
    for scope in &assignment.user_scopes {
        sqlx::query("INSERT INTO application_user_consent_user_scopes (application_id, user_scope) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(application_id)
            .bind(scope)
            .execute(&mut *tx)
            .await?;
    }
    for id in &assignment.organization_scopes {
        sqlx::query("INSERT INTO application_user_consent_organization_scopes (application_id, organization_scope_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(application_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    for (kind, ids) in [(ScopeType::Resource, &assignment.resource_scopes), (ScopeType::OrganizationResource, &assignment.organization_resource_scopes)] {
        for id in ids {
            sqlx::query("INSERT INTO application_user_consent_resource_scopes (application_id, kind, scope_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(application_id)
                .bind(kind.resource_kind())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove(store: &Store, application_id: &str, kind: ScopeType, scope_id: &str) -> Result<(), ApplicationError> {
    if find(store, application_id).await?.is_none() {
        return Err(ApplicationError::NotFound);
    }
    let query = match kind {
        ScopeType::User => sqlx::query("DELETE FROM application_user_consent_user_scopes WHERE application_id = $1 AND user_scope = $2"),
        ScopeType::Organization => sqlx::query("DELETE FROM application_user_consent_organization_scopes WHERE application_id = $1 AND organization_scope_id = $2"),
        ScopeType::Resource => sqlx::query("DELETE FROM application_user_consent_resource_scopes WHERE application_id = $1 AND scope_id = $2 AND kind = 'resource'"),
        ScopeType::OrganizationResource => {
            sqlx::query("DELETE FROM application_user_consent_resource_scopes WHERE application_id = $1 AND scope_id = $2 AND kind = 'organization-resource'")
        }
    };
    let deleted = query.bind(application_id).bind(scope_id).execute(store.pool()).await?;
    if deleted.rows_affected() == 0 { Err(ApplicationError::ConsentScopeNotFound) } else { Ok(()) }
}

/// The third-party application and the user the consent-organizations paths name.
async fn application_and_user(store: &Store, application_id: &str, user_id: &str) -> Result<(), ApplicationError> {
    third_party(store, application_id).await?;
    match crate::users::find_by_id(store, user_id).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ApplicationError::UserNotFound),
        Err(crate::users::UserError::Storage(e)) => Err(e.into()),
        Err(other) => Err(ApplicationError::InvalidInput(other.to_string())),
    }
}

pub async fn consent_organizations(store: &Store, application_id: &str, user_id: &str) -> Result<Vec<Organization>, ApplicationError> {
    application_and_user(store, application_id, user_id).await?;
    Ok(crate::organizations::consented(store, application_id, user_id).await?)
}

/// Lets the application act in more organizations (`replace`: exactly these), each one the
/// user is a member of.
pub async fn grant_organizations(store: &Store, clock: &dyn Clock, application_id: &str, user_id: &str, organization_ids: &[String], replace: bool) -> Result<(), ApplicationError> {
    application_and_user(store, application_id, user_id).await?;
    let mut tx = store.begin_write().await?;
    if replace {
        sqlx::query("DELETE FROM application_user_consent_organizations WHERE application_id = $1 AND user_id = $2")
            .bind(application_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    insert_consent_organizations(&mut tx, clock.now_ms(), application_id, user_id, organization_ids).await?;
    tx.commit().await?;
    Ok(())
}

/// Inserts, in the caller's transaction, the organizations a user consented to; each must
/// be one of theirs (`organization.require_membership`).
pub(crate) async fn insert_consent_organizations(conn: &mut sqlx::AnyConnection, now: i64, application_id: &str, user_id: &str, organization_ids: &[String]) -> Result<(), ApplicationError> {
    for organization_id in organization_ids {
        let member: Option<String> = sqlx::query_scalar("SELECT user_id FROM organization_members WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
        if member.is_none() {
            return Err(ApplicationError::RequireMembership);
        }
        sqlx::query("INSERT INTO application_user_consent_organizations (application_id, user_id, organization_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(application_id)
            .bind(user_id)
            .bind(organization_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn withdraw_organization(store: &Store, application_id: &str, user_id: &str, organization_id: &str) -> Result<(), ApplicationError> {
    application_and_user(store, application_id, user_id).await?;
    sqlx::query("DELETE FROM application_user_consent_organizations WHERE application_id = $1 AND user_id = $2 AND organization_id = $3")
        .bind(application_id)
        .bind(user_id)
        .bind(organization_id)
        .execute(store.pool())
        .await?;
    Ok(())
}
