//! `/api/roles`: roles, the scopes they grant, and the users or applications holding them.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::response::IntoResponse;
use axum::http::StatusCode;
use axum::Json;
use identity::rbac::{admin, RoleHolder, RoleType};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;

use super::pagination::{paged, PageParams};
use super::{domain, present};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(list_role_scopes, add_role_scopes))
        .routes(routes!(remove_role_scope))
        .routes(routes!(list_role_users, assign_role_users))
        .routes(routes!(remove_role_user))
        .routes(routes!(list_role_applications, assign_role_applications))
        .routes(routes!(remove_role_application))
}

/// Roles, filtered as Logto's Console asks: `type`, `search` (name or description),
/// `excludeUserId` / `excludeApplicationId` (roles the holder does not have yet).
#[utoipa::path(get, path = "/api/roles", tag = "Roles",
    params(PageParams, ("type" = Option<String>, Query), ("search" = Option<String>, Query),
        ("excludeUserId" = Option<String>, Query), ("excludeApplicationId" = Option<String>, Query)),
    responses((status = 200, description = "Roles; Total-Number and Link headers", body = [schemas::Role])))]
async fn list_roles(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = super::pagination::Page::from_query(query.as_deref())?;
    let filter = admin::RoleFilter {
        role_type: page.param("type"),
        search: page.param("search"),
        exclude_user: page.param("excludeUserId"),
        exclude_application: page.param("excludeApplicationId"),
    };
    paged(query.as_deref(), &uri, admin::list_roles_filtered(&state.store, filter).await.map_err(domain)?)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateRole {
    name: String,
    description: Option<String>,
    /// `User` (default) or `MachineToMachine`.
    #[serde(rename = "type")]
    role_type: Option<String>,
    is_default: Option<bool>,
    #[serde(default)]
    scope_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/roles", tag = "Roles", request_body = CreateRole,
    responses((status = 200, description = "The role", body = schemas::Role), (status = 422, description = "The name is in use", body = schemas::ErrorBody)))]
async fn create_role(State(state): State<AppState>, JsonBody(body): JsonBody<CreateRole>) -> Result<Json<Value>, ApiError> {
    let role_type = match body.role_type.as_deref() {
        None | Some("User") => RoleType::User,
        Some("MachineToMachine") => RoleType::MachineToMachine,
        Some(other) => return Err(ApiError::invalid_input(format!("unknown role type {other}"))),
    };
    let role = admin::create_role(&state.store, state.provider.clock.as_ref(), &body.name, body.description.as_deref(), role_type, body.is_default.unwrap_or(false), &body.scope_ids)
        .await
        .map_err(domain)?;
    Ok(Json(json!(role)))
}

#[utoipa::path(get, path = "/api/roles/{roleId}", tag = "Roles", params(("roleId" = String, Path)), responses((status = 200, description = "The role", body = schemas::Role)))]
async fn get_role(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(admin::role(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRole {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    is_default: Option<bool>,
}

#[utoipa::path(patch, path = "/api/roles/{roleId}", tag = "Roles", params(("roleId" = String, Path)), request_body = UpdateRole,
    responses((status = 200, description = "The role", body = schemas::Role)))]
async fn update_role(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UpdateRole>) -> Result<Json<Value>, ApiError> {
    let description = body.description.as_ref().map(|d| d.as_deref());
    let role = admin::update_role(&state.store, &id, body.name.as_deref(), description, body.is_default).await.map_err(domain)?;
    Ok(Json(json!(role)))
}

#[utoipa::path(delete, path = "/api/roles/{roleId}", tag = "Roles", params(("roleId" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_role(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    admin::delete_role(&state.store, &id).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/roles/{roleId}/scopes", tag = "Roles", params(("roleId" = String, Path)), responses((status = 200, description = "The scopes the role grants", body = [schemas::Scope])))]
async fn list_role_scopes(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(admin::role_scopes(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScopeIds {
    scope_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/roles/{roleId}/scopes", tag = "Roles", params(("roleId" = String, Path)), request_body = ScopeIds,
    responses((status = 201, description = "The role's scopes", body = [schemas::Scope])))]
async fn add_role_scopes(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ScopeIds>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let scopes = admin::add_role_scopes(&state.store, &id, &body.scope_ids).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok((StatusCode::CREATED, Json(json!(scopes))))
}

#[utoipa::path(delete, path = "/api/roles/{roleId}/scopes/{scopeId}", tag = "Roles", params(("roleId" = String, Path), ("scopeId" = String, Path)),
    responses((status = 204, description = "Removed")))]
async fn remove_role_scope(State(state): State<AppState>, Path((id, scope_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    admin::remove_role_scope(&state.store, &id, &scope_id).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/roles/{roleId}/users", tag = "Roles", params(("roleId" = String, Path)), responses((status = 200, description = "Users holding the role", body = [schemas::User])))]
async fn list_role_users(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let ids = admin::holders_of(&state.store, &id).await.map_err(domain)?;
    let mut users = Vec::new();
    for user_id in ids {
        if let Some(user) = identity::users::find_by_id(&state.store, &user_id).await.map_err(domain)? {
            users.push(super::users::user_json(&user));
        }
    }
    Ok(Json(Value::Array(users)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserIds {
    user_ids: Vec<String>,
}

/// Assigns the role to users, all or none (422 `user.invalid_role_type` for an M2M role, 404
/// for an unknown user).
#[utoipa::path(post, path = "/api/roles/{roleId}/users", tag = "Roles", params(("roleId" = String, Path)), request_body = UserIds,
    responses((status = 201, description = "Assigned")))]
async fn assign_role_users(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UserIds>) -> Result<StatusCode, ApiError> {
    let holders: Vec<RoleHolder> = body.user_ids.iter().map(|u| RoleHolder::User(u)).collect();
    admin::assign_role_to(&state.store, &id, &holders).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(delete, path = "/api/roles/{roleId}/users/{userId}", tag = "Roles", params(("roleId" = String, Path), ("userId" = String, Path)),
    responses((status = 204, description = "Removed")))]
async fn remove_role_user(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    admin::unassign_role(&state.store, RoleHolder::User(&user_id), &id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/roles/{roleId}/applications", tag = "Roles", params(("roleId" = String, Path)),
    responses((status = 200, description = "Ids and names of applications holding the role", body = [schemas::RoleApplication])))]
async fn list_role_applications(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let ids = admin::holders_of(&state.store, &id).await.map_err(domain)?;
    let mut apps = Vec::new();
    for app_id in ids {
        if let Some(app) = identity::applications::find(&state.store, &app_id).await.map_err(domain)? {
            apps.push(json!({ "id": app.id, "name": app.name, "type": app.app_type.as_str() }));
        }
    }
    Ok(Json(Value::Array(apps)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApplicationIds {
    application_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/roles/{roleId}/applications", tag = "Roles", params(("roleId" = String, Path)), request_body = ApplicationIds,
    responses((status = 201, description = "Assigned")))]
async fn assign_role_applications(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ApplicationIds>) -> Result<StatusCode, ApiError> {
    let holders: Vec<RoleHolder> = body.application_ids.iter().map(|a| RoleHolder::Application(a)).collect();
    admin::assign_role_to(&state.store, &id, &holders).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok(StatusCode::CREATED)
}

#[utoipa::path(delete, path = "/api/roles/{roleId}/applications/{applicationId}", tag = "Roles",
    params(("roleId" = String, Path), ("applicationId" = String, Path)), responses((status = 204, description = "Removed")))]
async fn remove_role_application(State(state): State<AppState>, Path((id, app_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    admin::unassign_role(&state.store, RoleHolder::Application(&app_id), &id).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok(StatusCode::NO_CONTENT)
}
