//! `/api/organizations`: organizations, their members and the members' roles (spec §13), and
//! `/api/users/:id/organizations`; thin over `identity::organizations`.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use identity::organizations::{self, applications, jit, members, OrganizationChanges};
use serde::Deserialize;
use serde_json::{json, Map, Value};
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
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(get_organization, update_organization, delete_organization))
        .routes(routes!(list_members, add_members, replace_members))
        .routes(routes!(remove_member))
        .routes(routes!(assign_member_roles))
        .routes(routes!(list_member_roles, add_member_roles, replace_member_roles))
        .routes(routes!(remove_member_role))
        .routes(routes!(list_member_scopes))
        .routes(routes!(user_organizations))
        .routes(routes!(list_jit_email_domains, add_jit_email_domain, replace_jit_email_domains))
        .routes(routes!(remove_jit_email_domain))
        .routes(routes!(list_jit_roles, add_jit_roles, replace_jit_roles))
        .routes(routes!(remove_jit_role))
        .routes(routes!(list_jit_sso_connectors, add_jit_sso_connectors, replace_jit_sso_connectors))
        .routes(routes!(remove_jit_sso_connector))
        .routes(routes!(list_organization_applications, add_organization_applications, replace_organization_applications))
        .routes(routes!(remove_organization_application))
        .routes(routes!(list_organization_application_roles, add_organization_application_roles, replace_organization_application_roles))
        .routes(routes!(remove_organization_application_role))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OrganizationBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    custom_data: Option<Map<String, Value>>,
    is_mfa_required: Option<bool>,
    /// `logoUrl`, `darkLogoUrl`, `favicon`, `darkFavicon`: http(s) URLs.
    #[schema(value_type = Option<Object>)]
    branding: Option<Map<String, Value>>,
    /// Logto's create body may carry these; they are ignored.
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)]
    tenant_id: Option<String>,
    #[serde(default)]
    #[schema(ignore)]
    #[allow(dead_code)]
    created_at: Option<i64>,
}

impl From<OrganizationBody> for OrganizationChanges {
    fn from(body: OrganizationBody) -> Self {
        OrganizationChanges { name: body.name, description: body.description, custom_data: body.custom_data, is_mfa_required: body.is_mfa_required, branding: body.branding }
    }
}

/// `showFeatured` adds each organization's member count and up to three members.
#[utoipa::path(get, path = "/api/organizations", tag = "Organizations", params(PageParams, ("q" = Option<String>, Query), ("showFeatured" = Option<bool>, Query)),
    responses((status = 200, description = "Organizations; Total-Number and Link headers", body = [schemas::Organization])))]
async fn list_organizations(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = Page::from_query(query.as_deref())?;
    let all = organizations::list(&state.store, page.param("q")).await.map_err(domain)?;
    let (headers, Json(shown)) = paged(query.as_deref(), &uri, all)?;
    let featured = matches!(page.param("showFeatured"), Some("1" | "true" | "yes" | "y" | "on"));
    let mut body: Vec<Value> = shown.iter().map(|o| json!(o)).collect();
    if featured {
        let ids: Vec<String> = shown.iter().map(|o| o.id.clone()).collect();
        for (item, extra) in body.iter_mut().zip(organizations::featured(&state.store, &ids).await.map_err(domain)?) {
            item["usersCount"] = json!(extra.users_count);
            item["featuredUsers"] = json!(extra.featured_users);
        }
    }
    Ok((headers, Json(body)))
}

#[utoipa::path(post, path = "/api/organizations", tag = "Organizations", request_body = OrganizationBody,
    responses((status = 201, description = "The organization", body = schemas::Organization)))]
async fn create_organization(State(state): State<AppState>, JsonBody(body): JsonBody<OrganizationBody>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let organization = organizations::create(&state.store, state.provider.clock.as_ref(), body.into()).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!(organization))))
}

#[utoipa::path(get, path = "/api/organizations/{id}", tag = "Organizations", params(("id" = String, Path)),
    responses((status = 200, description = "The organization", body = schemas::Organization), (status = 404, description = "No such organization", body = schemas::ErrorBody)))]
async fn get_organization(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(organizations::get(&state.store, &id).await.map_err(domain)?)))
}

/// JSON fields (`customData`, `branding`) are replaced whole.
#[utoipa::path(patch, path = "/api/organizations/{id}", tag = "Organizations", params(("id" = String, Path)), request_body = OrganizationBody,
    responses((status = 200, description = "The organization", body = schemas::Organization)))]
async fn update_organization(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<OrganizationBody>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(organizations::update(&state.store, &id, body.into()).await.map_err(domain)?)))
}

/// With its memberships and their roles.
#[utoipa::path(delete, path = "/api/organizations/{id}", tag = "Organizations", params(("id" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_organization(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    organizations::delete(&state.store, &id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member as Logto lists them: the user (without `hasPassword`) and `organizationRoles`.
fn member_json(member: &members::Member) -> Value {
    let mut user = super::users::user_json(&member.user);
    if let Some(fields) = user.as_object_mut() {
        fields.remove("hasPassword");
    }
    user["organizationRoles"] = json!(member.roles);
    user
}

#[utoipa::path(get, path = "/api/organizations/{id}/users", tag = "Organizations", params(("id" = String, Path), PageParams, ("q" = Option<String>, Query)),
    responses((status = 200, description = "Members with their roles here; Total-Number and Link headers", body = [schemas::OrganizationMember])))]
async fn list_members(State(state): State<AppState>, Path(id): Path<String>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = Page::from_query(query.as_deref())?;
    let (members, total) = members::page(&state.store, &id, page.param("q"), page.page, page.page_size).await.map_err(domain)?;
    Ok((page.headers(&uri, total), Json(members.iter().map(member_json).collect::<Vec<_>>())))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserIds {
    user_ids: Vec<String>,
}

/// Those already members stay as they are; answers the ids as given.
#[utoipa::path(post, path = "/api/organizations/{id}/users", tag = "Organizations", params(("id" = String, Path)), request_body = UserIds,
    responses((status = 201, description = "`{userIds}`"), (status = 422, description = "The organization or a user does not exist", body = schemas::ErrorBody)))]
async fn add_members(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UserIds>) -> Result<(StatusCode, Json<Value>), ApiError> {
    if body.user_ids.is_empty() {
        return Err(ApiError::invalid_input("at least one user id is needed"));
    }
    members::set(&state.store, state.provider.clock.as_ref(), &id, &body.user_ids, false).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!({ "userIds": body.user_ids }))))
}

/// Exactly these members afterwards; those who stay keep their roles.
#[utoipa::path(put, path = "/api/organizations/{id}/users", tag = "Organizations", params(("id" = String, Path)), request_body = UserIds,
    responses((status = 204, description = "Replaced")))]
async fn replace_members(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UserIds>) -> Result<StatusCode, ApiError> {
    members::set(&state.store, state.provider.clock.as_ref(), &id, &body.user_ids, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Their roles here go with them.
#[utoipa::path(delete, path = "/api/organizations/{id}/users/{userId}", tag = "Organizations", params(("id" = String, Path), ("userId" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not a member", body = schemas::ErrorBody)))]
async fn remove_member(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    members::remove(&state.store, &id, &user_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MembersRoles {
    user_ids: Vec<String>,
    organization_role_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/organizations/{id}/users/roles", tag = "Organizations", params(("id" = String, Path)), request_body = MembersRoles,
    responses((status = 201, description = "Every member has every role")))]
async fn assign_member_roles(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<MembersRoles>) -> Result<StatusCode, ApiError> {
    if body.user_ids.is_empty() || body.organization_role_ids.is_empty() {
        return Err(ApiError::invalid_input("at least one user id and one role id are needed"));
    }
    members::assign_roles(&state.store, &id, &body.user_ids, &body.organization_role_ids).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

/// Paginated only when `page` or `page_size` is given (Logto's optional pagination).
#[utoipa::path(get, path = "/api/organizations/{id}/users/{userId}/roles", tag = "Organizations", params(("id" = String, Path), ("userId" = String, Path), PageParams),
    responses((status = 200, description = "The member's roles here", body = [schemas::OrganizationRole]), (status = 422, description = "Not a member", body = schemas::ErrorBody)))]
async fn list_member_roles(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<axum::response::Response, ApiError> {
    let roles = members::roles(&state.store, &id, &user_id).await.map_err(domain)?;
    let paginated = query.as_deref().is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "page" || k == "page_size"));
    Ok(if paginated { paged(query.as_deref(), &uri, roles)?.into_response() } else { Json(roles).into_response() })
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MemberRoles {
    #[serde(default)]
    organization_role_ids: Vec<String>,
    #[serde(default)]
    organization_role_names: Vec<String>,
}

#[utoipa::path(post, path = "/api/organizations/{id}/users/{userId}/roles", tag = "Organizations", params(("id" = String, Path), ("userId" = String, Path)), request_body = MemberRoles,
    responses((status = 201, description = "`{organizationRoleIds}`: the roles given"), (status = 422, description = "Not a member, or a role does not exist", body = schemas::ErrorBody)))]
async fn add_member_roles(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>, JsonBody(body): JsonBody<MemberRoles>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ids = members::set_roles(&state.store, &id, &user_id, &body.organization_role_ids, &body.organization_role_names, false).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!({ "organizationRoleIds": ids }))))
}

#[utoipa::path(put, path = "/api/organizations/{id}/users/{userId}/roles", tag = "Organizations", params(("id" = String, Path), ("userId" = String, Path)), request_body = MemberRoles,
    responses((status = 204, description = "The member has exactly these roles here")))]
async fn replace_member_roles(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>, JsonBody(body): JsonBody<MemberRoles>) -> Result<StatusCode, ApiError> {
    members::set_roles(&state.store, &id, &user_id, &body.organization_role_ids, &body.organization_role_names, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organizations/{id}/users/{userId}/roles/{roleId}", tag = "Organizations",
    params(("id" = String, Path), ("userId" = String, Path), ("roleId" = String, Path)), responses((status = 204, description = "Removed")))]
async fn remove_member_role(State(state): State<AppState>, Path((id, user_id, role_id)): Path<(String, String, String)>) -> Result<StatusCode, ApiError> {
    members::remove_role(&state.store, &id, &user_id, &role_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/organizations/{id}/users/{userId}/scopes", tag = "Organizations", params(("id" = String, Path), ("userId" = String, Path)),
    responses((status = 200, description = "The organization scopes the member's roles grant", body = [schemas::OrganizationScope])))]
async fn list_member_scopes(State(state): State<AppState>, Path((id, user_id)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(members::scopes(&state.store, &id, &user_id).await.map_err(domain)?)))
}

#[utoipa::path(get, path = "/api/users/{userId}/organizations", tag = "Users", params(("userId" = String, Path)),
    responses((status = 200, description = "The user's organizations with their roles in each", body = [schemas::UserOrganization]), (status = 404, description = "No such user", body = schemas::ErrorBody)))]
async fn user_organizations(State(state): State<AppState>, Path(user_id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(members::of_user(&state.store, &user_id).await.map_err(domain)?)))
}

#[utoipa::path(get, path = "/api/organizations/{id}/jit/email-domains", tag = "Organizations", params(("id" = String, Path), PageParams),
    responses((status = 200, description = "`[{organizationId, emailDomain}]` in the order added; Total-Number and Link headers", body = [schemas::Object])))]
async fn list_jit_email_domains(State(state): State<AppState>, Path(id): Path<String>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    paged(query.as_deref(), &uri, jit::email_domains(&state.store, &id).await.map_err(domain)?)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EmailDomainBody {
    email_domain: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EmailDomainsBody {
    email_domains: Vec<String>,
}

/// People registering with a verified address at this domain join the organization.
#[utoipa::path(post, path = "/api/organizations/{id}/jit/email-domains", tag = "Organizations", params(("id" = String, Path)), request_body = EmailDomainBody,
    responses((status = 201, description = "`{organizationId, emailDomain}`"), (status = 422, description = "Already there", body = schemas::ErrorBody)))]
async fn add_jit_email_domain(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<EmailDomainBody>) -> Result<(StatusCode, Json<Value>), ApiError> {
    jit::set_email_domains(&state.store, state.provider.clock.as_ref(), &id, std::slice::from_ref(&body.email_domain), false).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!({ "organizationId": id, "emailDomain": body.email_domain.trim().to_ascii_lowercase() }))))
}

#[utoipa::path(put, path = "/api/organizations/{id}/jit/email-domains", tag = "Organizations", params(("id" = String, Path)), request_body = EmailDomainsBody,
    responses((status = 204, description = "Exactly these domains")))]
async fn replace_jit_email_domains(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<EmailDomainsBody>) -> Result<StatusCode, ApiError> {
    jit::set_email_domains(&state.store, state.provider.clock.as_ref(), &id, &body.email_domains, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organizations/{id}/jit/email-domains/{emailDomain}", tag = "Organizations", params(("id" = String, Path), ("emailDomain" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not there", body = schemas::ErrorBody)))]
async fn remove_jit_email_domain(State(state): State<AppState>, Path((id, email_domain)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    jit::remove_email_domain(&state.store, &id, &email_domain).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/organizations/{id}/jit/roles", tag = "Organizations", params(("id" = String, Path)),
    responses((status = 200, description = "The roles people provisioned just in time get (not paginated)", body = [schemas::OrganizationRole])))]
async fn list_jit_roles(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(jit::roles(&state.store, &id).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleIdsBody {
    organization_role_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/organizations/{id}/jit/roles", tag = "Organizations", params(("id" = String, Path)), request_body = RoleIdsBody,
    responses((status = 201, description = "Added (those already there stay)"), (status = 422, description = "A role does not exist", body = schemas::ErrorBody)))]
async fn add_jit_roles(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<RoleIdsBody>) -> Result<StatusCode, ApiError> {
    if body.organization_role_ids.is_empty() {
        return Err(ApiError::invalid_input("at least one role id is needed"));
    }
    jit::set_roles(&state.store, &id, &body.organization_role_ids, false).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(put, path = "/api/organizations/{id}/jit/roles", tag = "Organizations", params(("id" = String, Path)), request_body = RoleIdsBody,
    responses((status = 204, description = "Exactly these roles")))]
async fn replace_jit_roles(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<RoleIdsBody>) -> Result<StatusCode, ApiError> {
    jit::set_roles(&state.store, &id, &body.organization_role_ids, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organizations/{id}/jit/roles/{organizationRoleId}", tag = "Organizations", params(("id" = String, Path), ("organizationRoleId" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not there", body = schemas::ErrorBody)))]
async fn remove_jit_role(State(state): State<AppState>, Path((id, role_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    jit::remove_role(&state.store, &id, &role_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/organizations/{id}/applications", tag = "Organizations", params(("id" = String, Path), PageParams, ("q" = Option<String>, Query)),
    responses((status = 200, description = "Machine-to-machine applications with their roles here; Total-Number and Link headers", body = [schemas::Application])))]
async fn list_organization_applications(State(state): State<AppState>, Path(id): Path<String>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = Page::from_query(query.as_deref())?;
    let listed = applications::list(&state.store, &id, page.param("q")).await.map_err(domain)?;
    let body: Vec<Value> = listed
        .iter()
        .map(|a| {
            let mut app = super::applications::application_json(&a.application);
            app["organizationRoles"] = json!(a.roles);
            app
        })
        .collect();
    paged(query.as_deref(), &uri, body)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApplicationIds {
    application_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/organizations/{id}/applications", tag = "Organizations", params(("id" = String, Path)), request_body = ApplicationIds,
    responses((status = 201, description = "Added"), (status = 422, description = "Unknown, or not machine-to-machine", body = schemas::ErrorBody)))]
async fn add_organization_applications(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ApplicationIds>) -> Result<StatusCode, ApiError> {
    if body.application_ids.is_empty() {
        return Err(ApiError::invalid_input("at least one application id is needed"));
    }
    applications::set(&state.store, state.provider.clock.as_ref(), &id, &body.application_ids, false).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(put, path = "/api/organizations/{id}/applications", tag = "Organizations", params(("id" = String, Path)), request_body = ApplicationIds,
    responses((status = 204, description = "Exactly these applications")))]
async fn replace_organization_applications(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ApplicationIds>) -> Result<StatusCode, ApiError> {
    applications::set(&state.store, state.provider.clock.as_ref(), &id, &body.application_ids, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organizations/{id}/applications/{applicationId}", tag = "Organizations", params(("id" = String, Path), ("applicationId" = String, Path)),
    responses((status = 204, description = "Removed, with its roles here")))]
async fn remove_organization_application(State(state): State<AppState>, Path((id, application_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    applications::remove(&state.store, &id, &application_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/organizations/{id}/applications/{applicationId}/roles", tag = "Organizations", params(("id" = String, Path), ("applicationId" = String, Path), PageParams),
    responses((status = 200, description = "The application's roles here", body = [schemas::OrganizationRole])))]
async fn list_organization_application_roles(State(state): State<AppState>, Path((id, application_id)): Path<(String, String)>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    paged(query.as_deref(), &uri, applications::roles(&state.store, &id, &application_id).await.map_err(domain)?)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApplicationRoleIds {
    organization_role_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/organizations/{id}/applications/{applicationId}/roles", tag = "Organizations", params(("id" = String, Path), ("applicationId" = String, Path)),
    request_body = ApplicationRoleIds, responses((status = 201, description = "Added"), (status = 422, description = "Not in the organization, unknown or user role", body = schemas::ErrorBody)))]
async fn add_organization_application_roles(State(state): State<AppState>, Path((id, application_id)): Path<(String, String)>, JsonBody(body): JsonBody<ApplicationRoleIds>) -> Result<StatusCode, ApiError> {
    applications::set_roles(&state.store, &id, &application_id, &body.organization_role_ids, false).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(put, path = "/api/organizations/{id}/applications/{applicationId}/roles", tag = "Organizations", params(("id" = String, Path), ("applicationId" = String, Path)),
    request_body = ApplicationRoleIds, responses((status = 204, description = "Exactly these roles")))]
async fn replace_organization_application_roles(State(state): State<AppState>, Path((id, application_id)): Path<(String, String)>, JsonBody(body): JsonBody<ApplicationRoleIds>) -> Result<StatusCode, ApiError> {
    applications::set_roles(&state.store, &id, &application_id, &body.organization_role_ids, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organizations/{id}/applications/{applicationId}/roles/{organizationRoleId}", tag = "Organizations",
    params(("id" = String, Path), ("applicationId" = String, Path), ("organizationRoleId" = String, Path)), responses((status = 204, description = "Removed")))]
async fn remove_organization_application_role(State(state): State<AppState>, Path((id, application_id, role_id)): Path<(String, String, String)>) -> Result<StatusCode, ApiError> {
    applications::remove_role(&state.store, &id, &application_id, &role_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/organizations/{id}/jit/sso-connectors", tag = "Organizations", params(("id" = String, Path), PageParams),
    responses((status = 200, description = "The enterprise SSO connectors whose people join just in time (Total-Number and Link headers)", body = [Object])))]
async fn list_jit_sso_connectors(State(state): State<AppState>, Path(id): Path<String>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let mut connectors = Vec::new();
    for connector_id in jit::sso_connectors(&state.store, &id).await.map_err(domain)? {
        if let Ok(connector) = identity::sso::get(&state.provider, &connector_id).await {
            connectors.push(connector.to_api_json(&state.provider.endpoint));
        }
    }
    paged(query.as_deref(), &uri, connectors)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SsoConnectorIdsBody {
    sso_connector_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/organizations/{id}/jit/sso-connectors", tag = "Organizations", params(("id" = String, Path)), request_body = SsoConnectorIdsBody,
    responses((status = 201, description = "Added (those already there stay)"), (status = 422, description = "A connector does not exist", body = schemas::ErrorBody)))]
async fn add_jit_sso_connectors(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<SsoConnectorIdsBody>) -> Result<StatusCode, ApiError> {
    if body.sso_connector_ids.is_empty() {
        return Err(ApiError::invalid_input("at least one SSO connector id is needed"));
    }
    jit::set_sso_connectors(&state.store, state.provider.clock.as_ref(), &id, &body.sso_connector_ids, false).await.map_err(domain)?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(put, path = "/api/organizations/{id}/jit/sso-connectors", tag = "Organizations", params(("id" = String, Path)), request_body = SsoConnectorIdsBody,
    responses((status = 204, description = "Exactly these connectors")))]
async fn replace_jit_sso_connectors(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<SsoConnectorIdsBody>) -> Result<StatusCode, ApiError> {
    jit::set_sso_connectors(&state.store, state.provider.clock.as_ref(), &id, &body.sso_connector_ids, true).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/organizations/{id}/jit/sso-connectors/{ssoConnectorId}", tag = "Organizations", params(("id" = String, Path), ("ssoConnectorId" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Not there", body = schemas::ErrorBody)))]
async fn remove_jit_sso_connector(State(state): State<AppState>, Path((id, connector_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    jit::remove_sso_connector(&state.store, &id, &connector_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}
