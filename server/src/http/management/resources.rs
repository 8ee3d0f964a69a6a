//! `/api/resources` and their scopes.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::response::IntoResponse;
use axum::http::StatusCode;
use axum::Json;
use identity::rbac::admin;
use identity::rbac::Resource;
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
        .routes(routes!(list_resources, create_resource))
        .routes(routes!(get_resource, update_resource, delete_resource))
        .routes(routes!(set_default))
        .routes(routes!(list_scopes, create_scope))
        .routes(routes!(update_scope, delete_scope))
}

fn resource_json(resource: &Resource) -> Value {
    json!({ "id": resource.id, "name": resource.name, "indicator": resource.indicator, "isDefault": resource.is_default, "accessTokenTtl": resource.access_token_ttl })
}

#[utoipa::path(get, path = "/api/resources", tag = "Resources", params(PageParams),
    responses((status = 200, description = "API resources; Total-Number and Link headers", body = [schemas::Resource])))]
async fn list_resources(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let all: Vec<Value> = admin::list_resources(&state.store).await.map_err(domain)?.iter().map(resource_json).collect();
    paged(query.as_deref(), &uri, all)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateResource {
    name: String,
    indicator: String,
    access_token_ttl: Option<i64>,
}

#[utoipa::path(post, path = "/api/resources", tag = "Resources", request_body = CreateResource,
    responses((status = 201, description = "The resource", body = schemas::Resource), (status = 422, description = "The indicator is in use", body = schemas::ErrorBody)))]
async fn create_resource(State(state): State<AppState>, JsonBody(body): JsonBody<CreateResource>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ttl = body.access_token_ttl.unwrap_or(3600);
    let resource = admin::create_resource(&state.store, state.provider.clock.as_ref(), &body.name, &body.indicator, ttl).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(resource_json(&resource))))
}

#[utoipa::path(get, path = "/api/resources/{resourceId}", tag = "Resources", params(("resourceId" = String, Path)), responses((status = 200, description = "The resource", body = schemas::Resource)))]
async fn get_resource(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(resource_json(&admin::resource(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateResource {
    name: Option<String>,
    access_token_ttl: Option<i64>,
}

/// Name and token lifetime; the indicator is immutable.
#[utoipa::path(patch, path = "/api/resources/{resourceId}", tag = "Resources", params(("resourceId" = String, Path)), request_body = UpdateResource,
    responses((status = 200, description = "The resource", body = schemas::Resource), (status = 400, description = "The Management API is read-only", body = schemas::ErrorBody)))]
async fn update_resource(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UpdateResource>) -> Result<Json<Value>, ApiError> {
    let indicator = &state.config.management_api_indicator;
    let resource = admin::update_resource(&state.store, &id, indicator, body.name.as_deref(), body.access_token_ttl).await.map_err(domain)?;
    state.provider.caches.resources.clear();
    state.provider.caches.default_resource.clear();
    Ok(Json(resource_json(&resource)))
}

#[utoipa::path(delete, path = "/api/resources/{resourceId}", tag = "Resources", params(("resourceId" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_resource(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    admin::delete_resource(&state.store, &id, &state.config.management_api_indicator).await.map_err(domain)?;
    state.provider.caches.resources.clear();
    state.provider.caches.default_resource.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DefaultBody {
    is_default: bool,
}

/// The default resource receives token requests that name none.
#[utoipa::path(patch, path = "/api/resources/{resourceId}/is-default", tag = "Resources", params(("resourceId" = String, Path)), request_body = DefaultBody,
    responses((status = 200, description = "The resource", body = schemas::Resource)))]
async fn set_default(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<DefaultBody>) -> Result<Json<Value>, ApiError> {
    let resource = admin::set_default_resource(&state.store, &id, body.is_default).await.map_err(domain)?;
    state.provider.caches.default_resource.clear();
    Ok(Json(resource_json(&resource)))
}

#[utoipa::path(get, path = "/api/resources/{resourceId}/scopes", tag = "Resources", params(("resourceId" = String, Path)), responses((status = 200, description = "The resource's scopes", body = [schemas::Scope])))]
async fn list_scopes(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(admin::scopes(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateScope {
    name: String,
    description: Option<String>,
}

#[utoipa::path(post, path = "/api/resources/{resourceId}/scopes", tag = "Resources", params(("resourceId" = String, Path)), request_body = CreateScope,
    responses((status = 201, description = "The scope", body = schemas::Scope), (status = 422, description = "The name is in use", body = schemas::ErrorBody)))]
async fn create_scope(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<CreateScope>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let scope = admin::create_scope(&state.store, state.provider.clock.as_ref(), &id, &body.name, body.description.as_deref()).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!(scope))))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateScope {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/api/resources/{resourceId}/scopes/{scopeId}", tag = "Resources",
    params(("resourceId" = String, Path), ("scopeId" = String, Path)), request_body = UpdateScope, responses((status = 200, description = "The scope", body = schemas::Scope)))]
async fn update_scope(State(state): State<AppState>, Path((resource_id, scope_id)): Path<(String, String)>, JsonBody(body): JsonBody<UpdateScope>) -> Result<Json<Value>, ApiError> {
    let description = body.description.as_ref().map(|d| d.as_deref());
    let scope = admin::update_scope(&state.store, &resource_id, &scope_id, body.name.as_deref(), description).await.map_err(domain)?;
    Ok(Json(json!(scope)))
}

#[utoipa::path(delete, path = "/api/resources/{resourceId}/scopes/{scopeId}", tag = "Resources",
    params(("resourceId" = String, Path), ("scopeId" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_scope(State(state): State<AppState>, Path((resource_id, scope_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    admin::delete_scope(&state.store, &resource_id, &scope_id).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok(StatusCode::NO_CONTENT)
}
