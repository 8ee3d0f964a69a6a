//! What third-party applications may ask users to consent to (spec §9):
//! `/api/applications/:id/user-consent-scopes`, the organizations each user let one act in
//! (`…/users/:userId/consent-organizations`), and how one presents itself on the consent page
//! (`…/sign-in-experience`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use identity::applications::consent_scopes::{self, Assignment, ScopeType};
use identity::applications::sign_in_experience::{self, Changes};
use identity::applications::ApplicationError;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{domain, schemas};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_consent_scopes, assign_consent_scopes))
        .routes(routes!(remove_consent_scope))
        .routes(routes!(list_consent_organizations, add_consent_organizations, replace_consent_organizations))
        .routes(routes!(remove_consent_organization))
        .routes(routes!(get_application_sign_in_experience, put_application_sign_in_experience))
}

#[utoipa::path(get, path = "/api/applications/{applicationId}/user-consent-scopes", tag = "Applications", params(("applicationId" = String, Path)),
    responses((status = 200, description = "userScopes, resourceScopes and organizationResourceScopes (by resource), organizationScopes", body = schemas::ConsentScopes), (status = 404, description = "No such application", body = schemas::ErrorBody)))]
async fn get_consent_scopes(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<consent_scopes::ConsentScopes>, ApiError> {
    Ok(Json(consent_scopes::get(&state.store, &id).await.map_err(domain)?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
struct ConsentScopesBody {
    #[serde(default)]
    user_scopes: Vec<String>,
    /// Scope ids.
    #[serde(default)]
    resource_scopes: Vec<String>,
    #[serde(default)]
    organization_scopes: Vec<String>,
    #[serde(default)]
    organization_resource_scopes: Vec<String>,
}

/// Adds to what a third-party application may ask (already allowed scopes stay).
#[utoipa::path(post, path = "/api/applications/{applicationId}/user-consent-scopes", tag = "Applications", params(("applicationId" = String, Path)),
    request_body = ConsentScopesBody,
    responses((status = 201, description = "Allowed"), (status = 422, description = "Not a third-party application, or an unknown scope", body = schemas::ErrorBody)))]
async fn assign_consent_scopes(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ConsentScopesBody>) -> Result<StatusCode, ApiError> {
    let assignment = Assignment {
        user_scopes: body.user_scopes,
        resource_scopes: body.resource_scopes,
        organization_scopes: body.organization_scopes,
        organization_resource_scopes: body.organization_resource_scopes,
    };
    consent_scopes::assign(&state.store, &id, &assignment).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(delete, path = "/api/applications/{applicationId}/user-consent-scopes/{scopeType}/{scopeId}", tag = "Applications",
    params(("applicationId" = String, Path), ("scopeType" = String, Path, description = "user-scopes, resource-scopes, organization-scopes or organization-resource-scopes"), ("scopeId" = String, Path)),
    responses((status = 204, description = "No longer allowed"), (status = 404, description = "Not allowed before", body = schemas::ErrorBody)))]
async fn remove_consent_scope(State(state): State<AppState>, Path((id, scope_type, scope_id)): Path<(String, String, String)>) -> Result<StatusCode, ApiError> {
    let kind = ScopeType::parse(&scope_type).ok_or_else(|| ApiError::invalid_input("scopeType is user-scopes, resource-scopes, organization-scopes or organization-resource-scopes"))?;
    consent_scopes::remove(&state.store, &id, kind, &scope_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/applications/{applicationId}/users/{userId}/consent-organizations", tag = "Applications",
    params(("applicationId" = String, Path), ("userId" = String, Path)),
    responses((status = 200, description = "The organizations the user let the application act in", body = schemas::ConsentOrganizations)))]
async fn list_consent_organizations(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    let organizations = consent_scopes::consent_organizations(&state.store, &id, &user_id).await.map_err(domain)?;
    Ok(Json(json!({ "organizations": organizations })))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct OrganizationIds {
    organization_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/applications/{applicationId}/users/{userId}/consent-organizations", tag = "Applications",
    params(("applicationId" = String, Path), ("userId" = String, Path)), request_body = OrganizationIds,
    responses((status = 201, description = "Added"), (status = 422, description = "Not a member, or not a third-party application", body = schemas::ErrorBody)))]
async fn add_consent_organizations(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>, JsonBody(body): JsonBody<OrganizationIds>) -> Result<StatusCode, ApiError> {
    if body.organization_ids.is_empty() {
        return Err(ApiError::invalid_input("organizationIds must name at least one organization"));
    }
    grant(&state, &id, &user_id, &body.organization_ids, false).await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(put, path = "/api/applications/{applicationId}/users/{userId}/consent-organizations", tag = "Applications",
    params(("applicationId" = String, Path), ("userId" = String, Path)), request_body = OrganizationIds,
    responses((status = 204, description = "Replaced"), (status = 422, description = "Not a member, or not a third-party application", body = schemas::ErrorBody)))]
async fn replace_consent_organizations(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>, JsonBody(body): JsonBody<OrganizationIds>) -> Result<StatusCode, ApiError> {
    grant(&state, &id, &user_id, &body.organization_ids, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn grant(state: &AppState, id: &str, user_id: &str, organization_ids: &[String], replace: bool) -> Result<(), ApiError> {
    if organization_ids.iter().any(|o| o.is_empty()) {
        return Err(ApiError::invalid_input("organization ids are not empty"));
    }
    consent_scopes::grant_organizations(&state.store, state.provider.clock.as_ref(), id, user_id, organization_ids, replace).await.map_err(domain)
}

#[utoipa::path(delete, path = "/api/applications/{applicationId}/users/{userId}/consent-organizations/{organizationId}", tag = "Applications",
    params(("applicationId" = String, Path), ("userId" = String, Path), ("organizationId" = String, Path)),
    responses((status = 204, description = "Withdrawn")))]
async fn remove_consent_organization(State(state): State<AppState>, Path((id, user_id, organization_id)): Path<(String, String, String)>) -> Result<StatusCode, ApiError> {
    consent_scopes::withdraw_organization(&state.store, &id, &user_id, &organization_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/applications/{applicationId}/sign-in-experience", tag = "Applications", params(("applicationId" = String, Path)),
    responses((status = 200, description = "displayName, branding (logoUrl, darkLogoUrl), termsOfUseUrl, privacyPolicyUrl", body = schemas::ApplicationSignInExperience), (status = 404, description = "None set", body = schemas::ErrorBody)))]
async fn get_application_sign_in_experience(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<sign_in_experience::ApplicationSignInExperience>, ApiError> {
    let found = sign_in_experience::get(&state.store, &id).await.map_err(domain)?;
    Ok(Json(found.ok_or_else(|| domain(ApplicationError::ConsentScopeNotFound))?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SignInExperienceBody {
    display_name: Option<String>,
    #[schema(value_type = Object)]
    branding: Option<Map<String, Value>>,
    terms_of_use_url: Option<String>,
    privacy_policy_url: Option<String>,
}

#[utoipa::path(put, path = "/api/applications/{applicationId}/sign-in-experience", tag = "Applications", params(("applicationId" = String, Path)),
    request_body = SignInExperienceBody,
    responses((status = 200, description = "As stored", body = schemas::ApplicationSignInExperience), (status = 400, description = "A link or logo that is not an http(s) URL", body = schemas::ErrorBody)))]
async fn put_application_sign_in_experience(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<SignInExperienceBody>) -> Result<Json<sign_in_experience::ApplicationSignInExperience>, ApiError> {
    let changes = Changes { display_name: body.display_name, branding: body.branding, terms_of_use_url: body.terms_of_use_url, privacy_policy_url: body.privacy_policy_url };
    Ok(Json(sign_in_experience::put(&state.store, &id, changes).await.map_err(domain)?))
}
