//! Organizations (spec §13): what makes Vestibule a B2B identity platform. Every organization
//! shares one template — organization scopes, and organization roles granting them (and
//! API-resource scopes) — and has members, each with roles in it. `template` manages the
//! template, `members` the memberships; this module the organizations themselves.
//!
//! Errors carry Logto's codes, which depend on where an id was named: a path id that names
//! nothing is a 404 (`entity.not_exists_with_id` to read, `entity.not_exists` to change,
//! `entity.not_found` to delete), an id inside a body that names nothing is 422
//! `entity.relation_foreign_key_not_found`.

pub mod applications;
pub mod invitations;
pub mod jit;
pub mod members;
pub mod template;

use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::clock::{Clock, Millis};
use crate::error::ErrorCode;
use crate::store::{get_flag, unique_violation, Store};

#[derive(Debug, thiserror::Error)]
pub enum OrganizationError {
    /// Reading an entity by its path id.
    #[error("no such {0}")]
    NotExistsWithId(&'static str),
    /// Changing an entity by its path id.
    #[error("no such {0} to change")]
    NotExists(&'static str),
    /// Deleting an entity or a relation that is not there.
    #[error("no such {0} to delete")]
    NotFound(&'static str),
    #[error("this name is already in use")]
    NameInUse,
    #[error("an id in the request names nothing: {0}")]
    UnknownReference(String),
    #[error("the user is not a member of the organization")]
    RequireMembership,
    #[error("no organization role is named {}", .0.join(", "))]
    RoleNamesNotFound(Vec<String>),
    #[error("machine-to-machine organization roles cannot be given to users")]
    MachineRoleForUser,
    #[error("user organization roles cannot be given to applications")]
    UserRoleForApplication,
    #[error("only machine-to-machine applications can be in organizations")]
    NotMachineToMachine,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl From<crate::users::UserError> for OrganizationError {
    fn from(err: crate::users::UserError) -> Self {
        match err {
            crate::users::UserError::Storage(e) => OrganizationError::Storage(e),
            other => OrganizationError::InvalidInput(other.to_string()),
        }
    }
}

/// Reading an application can only fail in storage; that is a failure of ours (500), never
/// the caller's input.
impl From<crate::applications::ApplicationError> for OrganizationError {
    fn from(err: crate::applications::ApplicationError) -> Self {
        match err {
            crate::applications::ApplicationError::Storage(e) => OrganizationError::Storage(e),
            other => OrganizationError::InvalidInput(other.to_string()),
        }
    }
}

impl ErrorCode for OrganizationError {
    fn code(&self) -> &'static str {
        use OrganizationError::*;
        match self {
            NotExistsWithId(_) => "entity.not_exists_with_id",
            NotExists(_) => "entity.not_exists",
            NotFound(_) => "entity.not_found",
            NameInUse => "entity.unique_integrity_violation",
            UnknownReference(_) => "entity.relation_foreign_key_not_found",
            RequireMembership => "organization.require_membership",
            RoleNamesNotFound(_) => "organization.role_names_not_found",
            MachineRoleForUser | UserRoleForApplication | NotMachineToMachine => "entity.db_constraint_violated",
            InvalidInput(_) => "guard.invalid_input",
            Storage(_) => "unexpected",
        }
    }
}

/// A unique index refusing a name is the caller's conflict, not a failure.
pub(crate) fn name_in_use(err: sqlx::Error) -> OrganizationError {
    if unique_violation(&err).is_some() { OrganizationError::NameInUse } else { err.into() }
}

/// `name` (1 to 128 characters) and `description` (at most 256), as Logto's columns allow.
pub(crate) fn check_name(name: &str, description: Option<&str>) -> Result<(), OrganizationError> {
    if name.trim().is_empty() || name.chars().count() > 128 {
        return Err(OrganizationError::InvalidInput("a name has 1 to 128 characters".into()));
    }
    if description.is_some_and(|d| d.chars().count() > 256) {
        return Err(OrganizationError::InvalidInput("a description has at most 256 characters".into()));
    }
    Ok(())
}

/// Logto's branding: logos and favicons for light and dark mode, each a URL.
const BRANDING_KEYS: [&str; 4] = ["logoUrl", "darkLogoUrl", "favicon", "darkFavicon"];

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub custom_data: Map<String, Value>,
    pub is_mfa_required: bool,
    pub branding: Map<String, Value>,
    pub created_at: Millis,
}

/// What a create or update sets; `None` leaves a field as it is (or at its default).
#[derive(Debug, Default, Clone)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub custom_data: Option<Map<String, Value>>,
    pub is_mfa_required: Option<bool>,
    pub branding: Option<Map<String, Value>>,
}

impl OrganizationChanges {
    fn validate(&self) -> Result<(), OrganizationError> {
        if let Some(name) = &self.name {
            check_name(name, None)?;
        }
        check_name("-", self.description.as_ref().and_then(|d| d.as_deref()))?;
        if let Some(branding) = &self.branding {
            for (key, value) in branding {
                let url = value.as_str().filter(|v| url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "https" | "http")));
                if !BRANDING_KEYS.contains(&key.as_str()) || url.is_none() {
                    return Err(OrganizationError::InvalidInput(format!("branding holds {} as http(s) URLs, not {key}", BRANDING_KEYS.join(", "))));
                }
            }
        }
        Ok(())
    }
}

const COLUMNS: &str = "id, name, description, custom_data, is_mfa_required, branding, created_at";

fn organization_from_row(row: &AnyRow) -> Result<Organization, sqlx::Error> {
    let json = |column: &str| -> Result<Map<String, Value>, sqlx::Error> {
        Ok(serde_json::from_str(&row.try_get::<String, _>(column)?).unwrap_or_default())
    };
    Ok(Organization {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        custom_data: json("custom_data")?,
        is_mfa_required: get_flag(row, "is_mfa_required")?,
        branding: json("branding")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn create(store: &Store, clock: &dyn Clock, changes: OrganizationChanges) -> Result<Organization, OrganizationError> {
    let name = changes.name.clone().ok_or_else(|| OrganizationError::InvalidInput("name is required".into()))?;
    changes.validate()?;
    let id = crate::ids::user_id();
    sqlx::query(&format!("INSERT INTO organizations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(&id)
        .bind(&name)
        .bind(changes.description.flatten())
        .bind(Value::Object(changes.custom_data.unwrap_or_default()).to_string())
        .bind(changes.is_mfa_required.unwrap_or(false))
        .bind(Value::Object(changes.branding.unwrap_or_default()).to_string())
        .bind(clock.now_ms())
        .execute(store.pool())
        .await?;
    find(store, &id).await?.ok_or(OrganizationError::NotExistsWithId("organization"))
}

pub async fn find(store: &Store, id: &str) -> Result<Option<Organization>, OrganizationError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE id = $1")).bind(id).fetch_optional(store.pool()).await?;
    Ok(row.as_ref().map(organization_from_row).transpose()?)
}

pub async fn get(store: &Store, id: &str) -> Result<Organization, OrganizationError> {
    find(store, id).await?.ok_or(OrganizationError::NotExistsWithId("organization"))
}

/// Organizations in the order they were created; `search` matches the id or the name
/// (`%` and `_` are wildcards, as in Logto's `q`).
pub async fn list(store: &Store, search: Option<&str>) -> Result<Vec<Organization>, OrganizationError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations ORDER BY created_at, id")).fetch_all(store.pool()).await?;
    let organizations = rows.iter().map(organization_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(template::filtered(organizations, search, |o| vec![o.id.clone(), o.name.clone()]))
}

/// The organizations `user_id` is a member of, in the order they joined.
pub async fn joined_by(store: &Store, user_id: &str) -> Result<Vec<Organization>, OrganizationError> {
    let columns = COLUMNS.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!("SELECT {columns} FROM organizations o JOIN organization_members m ON m.organization_id = o.id WHERE m.user_id = $1 ORDER BY m.created_at, o.id"))
        .bind(user_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(organization_from_row).collect::<Result<Vec<_>, _>>()?)
}

/// The organization `organization_id`, when `user_id` is a member of it (one indexed read).
pub async fn joined(store: &Store, organization_id: &str, user_id: &str) -> Result<Option<Organization>, OrganizationError> {
    let columns = COLUMNS.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ");
    let row = sqlx::query(&format!("SELECT {columns} FROM organizations o JOIN organization_members m ON m.organization_id = o.id WHERE m.organization_id = $1 AND m.user_id = $2"))
        .bind(organization_id)
        .bind(user_id)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.as_ref().map(organization_from_row).transpose()?)
}

/// The organizations `user_id` let third-party application `application_id` act in.
pub async fn consented(store: &Store, application_id: &str, user_id: &str) -> Result<Vec<Organization>, sqlx::Error> {
    let columns = COLUMNS.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {columns} FROM organizations o JOIN application_user_consent_organizations c ON c.organization_id = o.id \
         WHERE c.application_id = $1 AND c.user_id = $2 ORDER BY c.created_at, o.id"
    ))
    .bind(application_id)
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(organization_from_row).collect()
}

/// Replaces the given fields (JSON fields whole, as Logto does).
pub async fn update(store: &Store, id: &str, changes: OrganizationChanges) -> Result<Organization, OrganizationError> {
    changes.validate()?;
    let current = find(store, id).await?.ok_or(OrganizationError::NotExists("organization"))?;
    sqlx::query("UPDATE organizations SET name = $2, description = $3, custom_data = $4, is_mfa_required = $5, branding = $6 WHERE id = $1")
        .bind(id)
        .bind(changes.name.unwrap_or(current.name))
        .bind(changes.description.unwrap_or(current.description))
        .bind(Value::Object(changes.custom_data.unwrap_or(current.custom_data)).to_string())
        .bind(changes.is_mfa_required.unwrap_or(current.is_mfa_required))
        .bind(Value::Object(changes.branding.unwrap_or(current.branding)).to_string())
        .execute(store.pool())
        .await?;
    get(store, id).await
}

/// Deletes the organization with its memberships and their roles (the schema's cascades).
pub async fn delete(store: &Store, id: &str) -> Result<(), OrganizationError> {
    let result = sqlx::query("DELETE FROM organizations WHERE id = $1").bind(id).execute(store.pool()).await?;
    if result.rows_affected() == 0 { Err(OrganizationError::NotFound("organization")) } else { Ok(()) }
}

/// `showFeatured`: how many members each organization has, and up to three of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Featured {
    pub users_count: i64,
    pub featured_users: Vec<FeaturedUser>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeaturedUser {
    pub id: String,
    pub avatar: Option<String>,
    pub name: Option<String>,
}

/// The featured members of these organizations (a page of them), in one query.
pub async fn featured(store: &Store, ids: &[String]) -> Result<Vec<Featured>, OrganizationError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT m.organization_id, u.id, u.avatar, u.name FROM organization_members m JOIN users u ON u.id = m.user_id \
         WHERE m.organization_id IN ({}) ORDER BY m.created_at, u.id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(store.pool()).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let members: Vec<_> = rows.iter().filter(|(org, ..)| org == id).collect();
            Featured {
                users_count: members.len() as i64,
                featured_users: members.iter().take(3).map(|(_, id, avatar, name)| FeaturedUser { id: id.clone(), avatar: avatar.clone(), name: name.clone() }).collect(),
            }
        })
        .collect())
}
