//! `/api/organization-scopes` and `/api/organization-roles`: the template every organization
//! shares (spec §13), thin over `identity::organizations::template`.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use identity::organizations::template::{self, NewRole, OrganizationRoleType, RoleScopes};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{paged, Page, PageParams};
use super::{domain, present, schemas};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organization_scopes, create_organization_scope))
        .routes(routes!(get_organization_scope, update_organization_scope, delete_organization_scope))
        .routes(routes!(list_organization_roles, create_organization_role))
        .routes(routes!(get_organization_role, update_organization_role, delete_organization_role))
        .routes(routes!(list_organization_role_scopes, add_organization_role_scopes, replace_organization_role_scopes))
        .routes(routes!(remove_organization_role_scope))
        .routes(routes!(list_organization_role_resource_scopes, add_organization_role_resource_scopes, replace_organization_role_resource_scopes))
        .routes(routes!(remove_organization_role_resource_scope))
}

/// `q`: Logto's search of the template lists.
fn search(query: Option<&str>) -> Result<Option<String>, ApiError> {
    Ok(Page::from_query(query)?.param("q").map(str::to_owned))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewScope {
    name: String,
    description: Option<String>,
    /// Logto's create body may carry it; it is ignored.
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)]
    tenant_id: Option<String>,
}

#[utoipa::path(get, path = "/api/organization-scopes", tag = "Organization template", params(PageParams, ("q" = Option<String>, Query)),
    responses((status = 200, description = "Organization scopes by name; Total-Number and Link headers", body = [schemas::OrganizationScope])))]
async fn list_organization_scopes(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let scopes = template::list_scopes(&state.store, search(query.as_deref())?.as_deref()).await.map_err(domain)?;
    paged(query.as_deref(), &uri, scopes)
}

#[utoipa::path(post, path = "/api/organization-scopes", tag = "Organization template", request_body = NewScope,
    responses((status = 201, description = "The scope", body = schemas::OrganizationScope), (status = 422, description = "The name is in use", body = schemas::ErrorBody)))]
async fn create_organization_scope(State(state): State<AppState>, JsonBody(body): JsonBody<NewScope>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let scope = template::create_scope(&state.store, state.provider.clock.as_ref(), &body.name, body.description.as_deref()).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!(scope))))
}

#[utoipa::path(get, path = "/api/organization-scopes/{id}", tag = "Organization template", params(("id" = String, Path)),
    responses((status = 200, description = "The scope", body = schemas::OrganizationScope), (status = 404, description = "No such scope", body = schemas::ErrorBody)))]
async fn get_organization_scope(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(template::get_scope(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScopeChanges {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/api/organization-scopes/{id}", tag = "Organization template", params(("id" = String, Path)), request_body = ScopeChanges,
    responses((status = 200, description = "The scope", body = schemas::OrganizationScope)))]
async fn update_organization_scope(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ScopeChanges>) -> Result<Json<Value>, ApiError> {
    let description = body.description.as_ref().map(|d| d.as_deref());
    Ok(Json(json!(template::update_scope(&state.store, &id, body.name.as_deref(), description).await.map_err(domain)?)))
}

#[utoipa::path(delete, path = "/api/organization-scopes/{id}", tag = "Organization template", params(("id" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_organization_scope(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    template::delete_scope(&state.store, &id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateRole {
    name: String,
    description: Option<String>,
    /// `User` (default) or `MachineToMachine`.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    role_type: Option<OrganizationRoleType>,
    #[serde(default)]
    organization_scope_ids: Vec<String>,
    #[serde(default)]
    resource_scope_ids: Vec<String>,
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)]
    tenant_id: Option<String>,
}

#[utoipa::path(get, path = "/api/organization-roles", tag = "Organization template", params(PageParams, ("q" = Option<String>, Query)),
    responses((status = 200, description = "Roles by name, with their scopes; Total-Number and Link headers", body = [schemas::OrganizationRoleWithScopes])))]
async fn list_organization_roles(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let roles = template::list_roles(&state.store, search(query.as_deref())?.as_deref()).await.map_err(domain)?;
    paged(query.as_deref(), &uri, roles)
}

/// One transaction: a scope id that names nothing (422) creates no role.
#[utoipa::path(post, path = "/api/organization-roles", tag = "Organization template", request_body = CreateRole,
    responses((status = 201, description = "The role", body = schemas::OrganizationRole), (status = 422, description = "The name is in use, or a scope id names nothing", body = schemas::ErrorBody)))]
async fn create_organization_role(State(state): State<AppState>, JsonBody(body): JsonBody<CreateRole>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = NewRole {
        name: &body.name,
        description: body.description.as_deref(),
        role_type: body.role_type.unwrap_or(OrganizationRoleType::User),
        organization_scope_ids: &body.organization_scope_ids,
        resource_scope_ids: &body.resource_scope_ids,
    };
    let role = template::create_role(&state.store, state.provider.clock.as_ref(), new).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!(role))))
}

#[utoipa::path(get, path = "/api/organization-roles/{id}", tag = "Organization template", params(("id" = String, Path)),
    responses((status = 200, description = "The role", body = schemas::OrganizationRole), (status = 404, description = "No such role", body = schemas::ErrorBody)))]
async fn get_organization_role(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(template::get_role(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleChanges {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    role_type: Option<OrganizationRoleType>,
}

#[utoipa::path(patch, path = "/api/organization-roles/{id}", tag = "Organization template", params(("id" = String, Path)), request_body = RoleChanges,
    responses((status = 200, description = "The role", body = schemas::OrganizationRole)))]
async fn update_organization_role(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<RoleChanges>) -> Result<Json<Value>, ApiError> {
    let description = body.description.as_ref().map(|d| d.as_deref());
    Ok(Json(json!(template::update_role(&state.store, &id, body.name.as_deref(), description, body.role_type).await.map_err(domain)?)))
}

#[utoipa::path(delete, path = "/api/organization-roles/{id}", tag = "Organization template", params(("id" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_organization_role(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    template::delete_role(&state.store, &id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrganizationScopeIds {
    organization_scope_ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResourceScopeIds {
    scope_ids: Vec<String>,
}

/// Adding needs at least one id; replacing may clear.
fn nonempty(ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() { Err(ApiError::invalid_input("at least one id is needed")) } else { Ok(()) }
}

#[utoipa::path(get, path = "/api/organization-roles/{id}/scopes", tag = "Organization template", params(("id" = String, Path), PageParams),
    responses((status = 200, description = "The organization scopes the role grants", body = [schemas::OrganizationScope])))]
async fn list_organization_role_scopes(State(state): State<AppState>, Path(id): Path<String>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    paged(query.as_deref(), &uri, template::role_scopes(&state.store, &id).await.map_err(domain)?)
}

#[utoipa::path(post, path = "/api/organization-roles/{id}/scopes", tag = "Organization template", params(("id" = String, Path)), request_body = OrganizationScopeIds,
    responses((status = 201, description = "Added (those already granted stay)"), (status = 422, description = "An id names nothing", body = schemas::ErrorBody)))]
async fn add_organization_role_scopes(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<OrganizationScopeIds>) -> Result<StatusCode, ApiError> {
    nonempty(&body.organization_scope_ids)?;
    template::set_role_scopes(&state.store, &id, RoleScopes::Organization, &body.organization_scope_ids, false).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(put, path = "/api/organization-roles/{id}/scopes", tag = "Organization template", params(("id" = String, Path)), request_body = OrganizationScopeIds,
    responses((status = 204, description = "The role grants exactly these")))]
async fn replace_organization_role_scopes(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<OrganizationScopeIds>) -> Result<StatusCode, ApiError> {
    template::set_role_scopes(&state.store, &id, RoleScopes::Organization, &body.organization_scope_ids, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organization-roles/{id}/scopes/{scopeId}", tag = "Organization template", params(("id" = String, Path), ("scopeId" = String, Path)),
    responses((status = 204, description = "Removed")))]
async fn remove_organization_role_scope(State(state): State<AppState>, Path((id, scope_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    template::remove_role_scope(&state.store, &id, RoleScopes::Organization, &scope_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/organization-roles/{id}/resource-scopes", tag = "Organization template", params(("id" = String, Path), PageParams),
    responses((status = 200, description = "The API-resource scopes the role grants", body = [schemas::Scope])))]
async fn list_organization_role_resource_scopes(State(state): State<AppState>, Path(id): Path<String>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    paged(query.as_deref(), &uri, template::role_resource_scopes(&state.store, &id).await.map_err(domain)?)
}

#[utoipa::path(post, path = "/api/organization-roles/{id}/resource-scopes", tag = "Organization template", params(("id" = String, Path)), request_body = ResourceScopeIds,
    responses((status = 201, description = "Added (those already granted stay)"), (status = 422, description = "An id names nothing", body = schemas::ErrorBody)))]
async fn add_organization_role_resource_scopes(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ResourceScopeIds>) -> Result<StatusCode, ApiError> {
    nonempty(&body.scope_ids)?;
    template::set_role_scopes(&state.store, &id, RoleScopes::Resource, &body.scope_ids, false).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(put, path = "/api/organization-roles/{id}/resource-scopes", tag = "Organization template", params(("id" = String, Path)), request_body = ResourceScopeIds,
    responses((status = 204, description = "The role grants exactly these")))]
async fn replace_organization_role_resource_scopes(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ResourceScopeIds>) -> Result<StatusCode, ApiError> {
    template::set_role_scopes(&state.store, &id, RoleScopes::Resource, &body.scope_ids, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organization-roles/{id}/resource-scopes/{scopeId}", tag = "Organization template", params(("id" = String, Path), ("scopeId" = String, Path)),
    responses((status = 204, description = "Removed")))]
async fn remove_organization_role_resource_scope(State(state): State<AppState>, Path((id, scope_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    template::remove_role_scope(&state.store, &id, RoleScopes::Resource, &scope_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}
