//! `/api/applications`: OIDC clients, their additional secrets and (machine-to-machine)
//! roles. Every change drops this node's application cache at once.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::response::IntoResponse;
use axum::http::StatusCode;
use axum::Json;
use identity::applications::{self, AppType, Application, ApplicationUpdate, NewApplication};
use identity::rbac::{admin, RoleHolder};

use super::users::RoleIds;
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
        .routes(routes!(list_applications, create_application))
        .routes(routes!(get_application, update_application, delete_application))
        .routes(routes!(list_secrets, create_secret))
        .routes(routes!(delete_secret))
        .routes(routes!(list_application_roles, add_application_roles, replace_application_roles))
        .routes(routes!(remove_application_role))
}

pub(super) fn application_json(app: &Application) -> Value {
    json!({
        "id": app.id,
        "name": app.name,
        "description": app.description,
        "type": app.app_type.as_str(),
        "isThirdParty": app.is_third_party,
        "oidcClientMetadata": {
            "redirectUris": app.redirect_uris,
            "postLogoutRedirectUris": app.post_logout_redirect_uris,
            "backchannelLogoutUri": app.backchannel_logout_uri,
            "backchannelLogoutSessionRequired": app.backchannel_logout_session_required,
        },
        "customClientMetadata": {
            "corsAllowedOrigins": app.cors_allowed_origins,
            "idTokenSignedResponseAlg": app.id_token_alg,
            "rotateRefreshToken": app.rotate_refresh_token,
            "refreshTokenTtlInDays": app.refresh_token_ttl_days,
        },
        "createdAt": app.created_at,
    })
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
struct OidcClientMetadata {
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    /// Where a `logout_token` is posted when a session the application was in ends.
    #[serde(default, deserialize_with = "present")]
    backchannel_logout_uri: Option<Option<String>>,
    backchannel_logout_session_required: Option<bool>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
struct CustomClientMetadata {
    cors_allowed_origins: Option<Vec<String>>,
    rotate_refresh_token: Option<bool>,
    #[serde(rename = "refreshTokenTtlInDays")]
    refresh_token_ttl_days: Option<i64>,
}

/// Applications, filtered as Logto's Console asks: `types` (repeatable), `isThirdParty`,
/// `search` (id, name or description).
#[utoipa::path(get, path = "/api/applications", tag = "Applications",
    params(PageParams, ("types" = Option<Vec<String>>, Query), ("isThirdParty" = Option<bool>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, description = "Applications; Total-Number and Link headers", body = [schemas::Application])))]
async fn list_applications(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = super::pagination::Page::from_query(query.as_deref())?;
    let filter = applications::ApplicationFilter {
        types: page.rest.iter().filter(|(k, _)| k == "types").map(|(_, v)| v.as_str()).collect(),
        is_third_party: page.param("isThirdParty").map(|v| v == "true"),
        search: page.param("search"),
    };
    let apps = applications::list_filtered(&state.store, &filter).await.map_err(domain)?;
    paged(query.as_deref(), &uri, apps.iter().map(application_json).collect::<Vec<Value>>())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateApplication {
    name: String,
    /// `Native`, `SPA`, `Traditional` or `MachineToMachine`.
    #[serde(rename = "type")]
    app_type: String,
    description: Option<String>,
    #[serde(default)]
    oidc_client_metadata: Option<OidcClientMetadata>,
    #[serde(default)]
    custom_client_metadata: Option<CustomClientMetadata>,
    #[serde(default)]
    is_third_party: bool,
}

/// Creates an application; confidential ones get a `secret`, shown only in this response.
#[utoipa::path(post, path = "/api/applications", tag = "Applications", request_body = CreateApplication,
    responses((status = 200, description = "The application, with its secret once", body = schemas::Application), (status = 400, description = "Invalid type or URIs", body = schemas::ErrorBody)))]
async fn create_application(State(state): State<AppState>, JsonBody(body): JsonBody<CreateApplication>) -> Result<Json<Value>, ApiError> {
    let app_type = AppType::parse(&body.app_type).filter(|_| body.app_type != "spa" && body.app_type != "m2m").ok_or_else(|| ApiError::invalid_input("type must be Native, SPA, Traditional or MachineToMachine"))?;
    if body.is_third_party && app_type == AppType::MachineToMachine {
        return Err(ApiError::from_code(&applications::ApplicationError::InvalidThirdPartyType));
    }
    if body.name.trim().is_empty() {
        return Err(ApiError::invalid_input("name must not be empty"));
    }
    let oidc = body.oidc_client_metadata.unwrap_or_default();
    let custom = body.custom_client_metadata.unwrap_or_default();
    // Checked before anything is written, so a refused request creates nothing.
    if custom.refresh_token_ttl_days.is_some_and(|days| !applications::REFRESH_TOKEN_TTL_DAYS.contains(&days)) {
        return Err(ApiError::invalid_input("refreshTokenTtlInDays must be 1 to 90"));
    }
    let refresh_settings = (custom.rotate_refresh_token, custom.refresh_token_ttl_days);
    let backchannel = (oidc.backchannel_logout_uri.clone(), oidc.backchannel_logout_session_required);
    if let Some(Some(uri)) = backchannel.0.as_ref().filter(|u| u.as_ref().is_some_and(|u| !u.is_empty())) {
        applications::validate_backchannel_logout_uri(uri).map_err(domain)?;
    }
    let created = applications::create(
        &state.store,
        state.provider.clock.as_ref(),
        NewApplication {
            id: None,
            name: body.name,
            app_type,
            secret: None,
            redirect_uris: oidc.redirect_uris.unwrap_or_default(),
            post_logout_redirect_uris: oidc.post_logout_redirect_uris.unwrap_or_default(),
            cors_allowed_origins: custom.cors_allowed_origins.unwrap_or_default(),
            is_third_party: body.is_third_party,
            id_token_alg: None,
            description: body.description,
        },
    )
    .await
    .map_err(domain)?;
    let mut application = created.application;
    if refresh_settings != (None, None) || backchannel != (None, None) {
        let update = ApplicationUpdate {
            rotate_refresh_token: refresh_settings.0,
            refresh_token_ttl_days: refresh_settings.1,
            backchannel_logout_uri: backchannel.0,
            backchannel_logout_session_required: backchannel.1,
            ..ApplicationUpdate::default()
        };
        application = applications::update(&state.store, &application.id, update).await.map_err(domain)?;
    }
    let mut response = application_json(&application);
    response["secret"] = json!(created.secret);
    Ok(Json(response))
}

#[utoipa::path(get, path = "/api/applications/{applicationId}", tag = "Applications", params(("applicationId" = String, Path)),
    responses((status = 200, description = "The application", body = schemas::Application)))]
async fn get_application(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let app = applications::find(&state.store, &id).await.map_err(domain)?.ok_or_else(|| domain(applications::ApplicationError::NotFound))?;
    Ok(Json(application_json(&app)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateApplication {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    oidc_client_metadata: Option<OidcClientMetadata>,
    custom_client_metadata: Option<CustomClientMetadata>,
    is_third_party: Option<bool>,
}

/// Name, description, redirect and post-logout URIs, CORS origins, third-party flag.
#[utoipa::path(patch, path = "/api/applications/{applicationId}", tag = "Applications", params(("applicationId" = String, Path)),
    request_body = UpdateApplication, responses((status = 200, description = "The application", body = schemas::Application)))]
async fn update_application(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UpdateApplication>) -> Result<Json<Value>, ApiError> {
    let oidc = body.oidc_client_metadata.unwrap_or_default();
    let custom = body.custom_client_metadata.unwrap_or_default();
    let update = ApplicationUpdate {
        name: body.name,
        description: body.description,
        redirect_uris: oidc.redirect_uris,
        post_logout_redirect_uris: oidc.post_logout_redirect_uris,
        cors_allowed_origins: custom.cors_allowed_origins,
        is_third_party: body.is_third_party,
        rotate_refresh_token: custom.rotate_refresh_token,
        refresh_token_ttl_days: custom.refresh_token_ttl_days,
        backchannel_logout_uri: oidc.backchannel_logout_uri,
        backchannel_logout_session_required: oidc.backchannel_logout_session_required,
    };
    let app = applications::update(&state.store, &id, update).await.map_err(domain)?;
    state.provider.caches.applications.clear();
    Ok(Json(application_json(&app)))
}

#[utoipa::path(delete, path = "/api/applications/{applicationId}", tag = "Applications", params(("applicationId" = String, Path)),
    responses((status = 204, description = "Deleted, with its grants and tokens")))]
async fn delete_application(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    applications::delete(&state.store, &id).await.map_err(domain)?;
    state.provider.caches.applications.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/applications/{applicationId}/secrets", tag = "Applications", params(("applicationId" = String, Path)),
    responses((status = 200, description = "Names and dates of the additional secrets (never their values)", body = [schemas::ApplicationSecret])))]
async fn list_secrets(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(applications::secrets(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateSecret {
    name: String,
    /// Milliseconds since the epoch.
    expires_at: Option<i64>,
}

/// Adds a secret; its `value` is in this response only.
#[utoipa::path(post, path = "/api/applications/{applicationId}/secrets", tag = "Applications", params(("applicationId" = String, Path)),
    request_body = CreateSecret, responses((status = 201, description = "The secret, with its value once", body = schemas::ApplicationSecret)))]
async fn create_secret(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<CreateSecret>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (info, value) = applications::add_secret(&state.store, state.provider.clock.as_ref(), &id, &body.name, body.expires_at).await.map_err(domain)?;
    state.provider.caches.applications.clear();
    let mut response = json!(info);
    response["value"] = json!(value);
    Ok((StatusCode::CREATED, Json(response)))
}

#[utoipa::path(delete, path = "/api/applications/{applicationId}/secrets/{name}", tag = "Applications",
    params(("applicationId" = String, Path), ("name" = String, Path)), responses((status = 204, description = "Deleted; tokens issued to the application before now are void")))]
async fn delete_secret(State(state): State<AppState>, Path((id, name)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    applications::delete_secret(&state.store, state.provider.clock.as_ref(), &id, &name).await.map_err(domain)?;
    state.provider.caches.applications.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/applications/{applicationId}/roles", tag = "Applications", params(("applicationId" = String, Path)),
    responses((status = 200, description = "The application's roles", body = [schemas::Role])))]
async fn list_application_roles(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    applications::find(&state.store, &id).await.map_err(domain)?.ok_or_else(|| domain(applications::ApplicationError::NotFound))?;
    Ok(Json(json!(admin::roles_of(&state.store, RoleHolder::Application(&id)).await.map_err(domain)?)))
}

/// The application, which must be machine-to-machine to hold roles (422
/// `application.invalid_type` otherwise, as in Logto).
async fn role_holding_application(state: &AppState, id: &str) -> Result<(), ApiError> {
    let app = applications::find(&state.store, id).await.map_err(domain)?.ok_or_else(|| domain(applications::ApplicationError::NotFound))?;
    if app.app_type != AppType::MachineToMachine {
        return Err(ApiError::unprocessable("application.invalid_type", "only machine-to-machine applications hold roles"));
    }
    Ok(())
}

/// Assigns machine-to-machine roles (422 `application.invalid_role_type` for User roles);
/// answers `{roleIds, addedRoleIds}`.
#[utoipa::path(post, path = "/api/applications/{applicationId}/roles", tag = "Applications", params(("applicationId" = String, Path)),
    request_body = RoleIds, responses((status = 201, description = "{roleIds, addedRoleIds}", body = schemas::RoleAssignment)))]
async fn add_application_roles(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<RoleIds>) -> Result<(StatusCode, Json<Value>), ApiError> {
    role_holding_application(&state, &id).await?;
    let role_ids = body.non_empty()?;
    let added = admin::assign_roles(&state.store, RoleHolder::Application(&id), &role_ids, false).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok((StatusCode::CREATED, Json(json!({ "roleIds": role_ids, "addedRoleIds": added }))))
}

/// Replaces the application's roles (`[]` removes them all); answers `{roleIds}`.
#[utoipa::path(put, path = "/api/applications/{applicationId}/roles", tag = "Applications", params(("applicationId" = String, Path)),
    request_body = RoleIds, responses((status = 200, description = "{roleIds}", body = schemas::RoleAssignment)))]
async fn replace_application_roles(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<RoleIds>) -> Result<Json<Value>, ApiError> {
    role_holding_application(&state, &id).await?;
    let role_ids = body.deduplicated();
    admin::assign_roles(&state.store, RoleHolder::Application(&id), &role_ids, true).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok(Json(json!({ "roleIds": role_ids })))
}

#[utoipa::path(delete, path = "/api/applications/{applicationId}/roles/{roleId}", tag = "Applications",
    params(("applicationId" = String, Path), ("roleId" = String, Path)), responses((status = 204, description = "Removed")))]
async fn remove_application_role(State(state): State<AppState>, Path((id, role_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    admin::unassign_role(&state.store, RoleHolder::Application(&id), &role_id).await.map_err(domain)?;
    state.provider.caches.application_scopes.clear();
    Ok(StatusCode::NO_CONTENT)
}
