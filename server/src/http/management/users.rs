//! `/api/users`: list and search, create, read, update, delete, password, suspension and
//! custom data.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use identity::token_vault;
use identity::users::{self, NewUser, User, UserQuery, UserUpdate};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;

use super::pagination::{Page, PageParams};
use super::{domain, present};
use identity::rbac::{admin, RoleHolder};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(set_password))
        .routes(routes!(verify_password))
        .routes(routes!(has_password))
        .routes(routes!(set_suspended))
        .routes(routes!(get_custom_data, update_custom_data))
        .routes(routes!(update_profile))
        .routes(routes!(list_user_roles, add_user_roles, replace_user_roles))
        .routes(routes!(remove_user_role))
        .routes(routes!(all_identities))
        .routes(routes!(link_identity))
        .routes(routes!(get_identity, delete_identity, put_identity))
        .routes(routes!(get_sso_identity))
        .routes(routes!(list_mfa_verifications, create_mfa_verification))
        .routes(routes!(delete_mfa_verification))
}

/// A user as the Management API shows it: never the password hash.
pub(super) fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "primaryEmail": user.primary_email,
        "primaryPhone": user.primary_phone,
        "name": user.name,
        "avatar": user.avatar,
        "customData": user.custom_data,
        "identities": {},
        "profile": user.profile,
        "applicationId": null,
        "isSuspended": user.is_suspended,
        "hasPassword": user.password.is_some(),
        "lastSignInAt": user.last_sign_in_at,
        "passwordUpdatedAt": user.password_updated_at,
        "createdAt": user.created_at,
        "updatedAt": user.updated_at,
    })
}

async fn existing(state: &AppState, id: &str) -> Result<User, ApiError> {
    users::find_by_id(&state.store, id).await.map_err(|e| ApiError::from_code(&e))?.ok_or_else(|| ApiError::from_code(&users::UserError::NotFound))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateUser {
    username: Option<String>,
    primary_email: Option<String>,
    primary_phone: Option<String>,
    password: Option<String>,
    /// A digest from another system, with `passwordAlgorithm` (Argon2i/id/d, SHA1, SHA256,
    /// MD5, Bcrypt): the user keeps their password; it is re-hashed at their next sign-in.
    password_digest: Option<String>,
    password_algorithm: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    #[schema(value_type = Object)]
    custom_data: Option<Map<String, Value>>,
    #[schema(value_type = Object)]
    profile: Option<Value>,
}

/// Users, newest first; `search` matches id, username, email, phone or name. `cursor` pages by
/// keyset instead of `page`: empty for the first page, then the one in `Link`'s `next`.
#[utoipa::path(get, path = "/api/users", tag = "Users",
    params(PageParams, ("search" = Option<String>, Query), ("cursor" = Option<String>, Query, description = "Keyset pagination: empty for the first page, then the `next` link's")),
    responses((status = 200, description = "A page of users; Total-Number (exact up to 1,000 matches) and Link headers", body = [schemas::User])))]
async fn list_users(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = Page::from_query(query.as_deref())?;
    let search = users::search::UserSearch::parse(&page.rest).map_err(|e| domain(users::UserError::from(e)))?;
    let query = UserQuery { search, page: page.page, page_size: page.page_size, cursor: page.cursor().map(str::to_owned) };
    let users::UserPage { users: found, total, next_cursor } = users::list(&state.store, &query).await.map_err(domain)?;
    let headers = match query.cursor {
        None => page.headers(&uri, total),
        Some(_) => page.keyset_headers(&uri, total, next_cursor),
    };
    let ids: Vec<&str> = found.iter().map(|u| u.id.as_str()).collect();
    let mut identities = identity::social::identities_of_many(&state.store, &ids).await.map_err(storage)?;
    let listed: Vec<Value> = found
        .iter()
        .map(|user| {
            let mut json = user_json(user);
            json["identities"] = Value::Object(identities.remove(&user.id).unwrap_or_default());
            json
        })
        .collect();
    Ok((headers, Json(listed)))
}

/// Creates a user (no password policy applies to operators).
#[utoipa::path(post, path = "/api/users", tag = "Users", request_body = CreateUser,
    responses((status = 200, description = "The user", body = schemas::User), (status = 422, description = "An identifier is already in use", body = schemas::ErrorBody)))]
async fn create_user(State(state): State<AppState>, JsonBody(body): JsonBody<CreateUser>) -> Result<Json<Value>, ApiError> {
    let identifiers = UserUpdate { username: Some(body.username), primary_email: Some(body.primary_email), primary_phone: Some(body.primary_phone), ..UserUpdate::default() }
        .normalized()
        .map_err(domain)?;
    let (username, email, phone) = (identifiers.username, identifiers.primary_email, identifiers.primary_phone);
    let profile = match body.profile {
        Some(v) => serde_json::from_value(v).map_err(|e| ApiError::invalid_input(format!("profile: {e}")))?,
        None => Default::default(),
    };
    let password = match (body.password.filter(|p| !p.is_empty()), body.password_digest, body.password_algorithm) {
        (Some(_), Some(_), _) => return Err(ApiError::invalid_input("give either password or passwordDigest, not both")),
        (Some(p), None, _) => Some(state.provider.passwords.hash(&p).await),
        (None, Some(digest), algorithm) => Some(identity::passwords::imported(&digest, algorithm.as_deref().unwrap_or_default()).ok_or_else(|| {
            ApiError::invalid_input(format!("passwordDigest needs a passwordAlgorithm among {}", identity::passwords::IMPORTABLE.join(", ")))
        })?),
        (None, None, _) => None,
    };
    let new = NewUser {
        username: username.flatten(),
        primary_email: email.flatten(),
        primary_phone: phone.flatten(),
        password,
        name: body.name,
        avatar: body.avatar,
        profile,
        custom_data: body.custom_data.unwrap_or_default(),
        ..NewUser::default()
    };
    let user = users::create(&state.store, state.provider.clock.as_ref(), new).await.map_err(domain)?;
    Ok(Json(user_json(&user)))
}

#[utoipa::path(get, path = "/api/users/{userId}", tag = "Users",
    params(("userId" = String, Path), ("includeSsoIdentities" = Option<bool>, Query, description = "Adds `ssoIdentities`, the user's enterprise SSO identities")),
    responses((status = 200, description = "The user", body = schemas::User), (status = 404, description = "No such user", body = schemas::ErrorBody)))]
async fn get_user(State(state): State<AppState>, Path(id): Path<String>, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    let mut user = user_json(&existing(&state, &id).await?);
    user["identities"] = Value::Object(identity::social::identities_of(&state.provider, &id).await.map_err(storage)?);
    let include_sso = form_urlencoded::parse(query.unwrap_or_default().as_bytes()).any(|(k, v)| k == "includeSsoIdentities" && v != "false");
    if include_sso {
        user["ssoIdentities"] = json!(identity::sso::sign_in::identities_of(&state.store, &id).await.map_err(storage)?);
    }
    Ok(Json(user))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateUser {
    #[serde(default, deserialize_with = "present")]
    username: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    primary_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    primary_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    avatar: Option<Option<String>>,
    #[schema(value_type = Object)]
    custom_data: Option<Map<String, Value>>,
    #[schema(value_type = Object)]
    profile: Option<Value>,
}

/// Updates identifiers and details; `null` clears a field.
#[utoipa::path(patch, path = "/api/users/{userId}", tag = "Users", params(("userId" = String, Path)), request_body = UpdateUser,
    responses((status = 200, description = "The user", body = schemas::User), (status = 422, description = "Empty update, or an identifier is in use", body = schemas::ErrorBody)))]
async fn update_user(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UpdateUser>) -> Result<Json<Value>, ApiError> {
    let profile = match body.profile {
        Some(v) => Some(serde_json::from_value(v).map_err(|e| ApiError::invalid_input(format!("profile: {e}")))?),
        None => None,
    };
    let update = UserUpdate {
        username: body.username,
        primary_email: body.primary_email,
        primary_phone: body.primary_phone,
        name: body.name,
        avatar: body.avatar,
        profile,
        custom_data: body.custom_data,
    }
    .normalized()
    .map_err(domain)?;
    if update.is_empty() {
        return Err(ApiError::unprocessable("entity.invalid_input", "the update is empty"));
    }
    let user = users::update(&state.store, state.provider.clock.as_ref(), &id, update).await.map_err(domain)?;
    Ok(Json(user_json(&user)))
}

#[utoipa::path(delete, path = "/api/users/{userId}", tag = "Users", params(("userId" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such user", body = schemas::ErrorBody)))]
async fn delete_user(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    users::delete(&state.store, state.provider.clock.as_ref(), &id, None).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// Sets the password (no policy check, as in Logto).
#[utoipa::path(patch, path = "/api/users/{userId}/password", tag = "Users", params(("userId" = String, Path)), request_body = PasswordBody,
    responses((status = 200, description = "The user", body = schemas::User)))]
async fn set_password(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<PasswordBody>) -> Result<Json<Value>, ApiError> {
    if body.password.is_empty() {
        return Err(ApiError::invalid_input("password must not be empty"));
    }
    existing(&state, &id).await?;
    let hash = state.provider.passwords.hash(&body.password).await;
    users::set_password(&state.store, state.provider.clock.as_ref(), &id, hash).await.map_err(domain)?;
    Ok(Json(user_json(&existing(&state, &id).await?)))
}

/// 204 when the password is the user's, 422 `session.invalid_credentials` otherwise.
#[utoipa::path(post, path = "/api/users/{userId}/password/verify", tag = "Users", params(("userId" = String, Path)), request_body = PasswordBody,
    responses((status = 204, description = "The password matches"), (status = 422, description = "It does not", body = schemas::ErrorBody)))]
async fn verify_password(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<PasswordBody>) -> Result<StatusCode, ApiError> {
    let user = existing(&state, &id).await?;
    if body.password.is_empty() {
        return Err(ApiError::invalid_input("password cannot be empty"));
    }
    if state.provider.passwords.verify(&body.password, user.password.as_ref()).await {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::unprocessable("session.invalid_credentials", "the password does not match"))
    }
}

#[utoipa::path(get, path = "/api/users/{userId}/has-password", tag = "Users", params(("userId" = String, Path)),
    responses((status = 200, description = "{hasPassword}", body = schemas::HasPassword)))]
async fn has_password(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "hasPassword": existing(&state, &id).await?.password.is_some() })))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SuspensionBody {
    is_suspended: bool,
}

/// Suspends or reinstates a user; a suspended user cannot sign in.
#[utoipa::path(patch, path = "/api/users/{userId}/is-suspended", tag = "Users", params(("userId" = String, Path)), request_body = SuspensionBody,
    responses((status = 200, description = "The user", body = schemas::User)))]
async fn set_suspended(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<SuspensionBody>) -> Result<Json<Value>, ApiError> {
    let user = users::set_suspended(&state.store, state.provider.clock.as_ref(), &id, body.is_suspended).await.map_err(domain)?;
    Ok(Json(user_json(&user)))
}

#[utoipa::path(get, path = "/api/users/{userId}/custom-data", tag = "Users", params(("userId" = String, Path)),
    responses((status = 200, description = "The custom data object", body = schemas::Object)))]
async fn get_custom_data(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(Value::Object(existing(&state, &id).await?.custom_data)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustomDataBody {
    #[schema(value_type = Object)]
    custom_data: Map<String, Value>,
}

/// Merges keys into the custom data (top level).
#[utoipa::path(patch, path = "/api/users/{userId}/custom-data", tag = "Users", params(("userId" = String, Path)), request_body = CustomDataBody,
    responses((status = 200, description = "The merged custom data", body = schemas::Object)))]
async fn update_custom_data(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<CustomDataBody>) -> Result<Json<Value>, ApiError> {
    let data = users::merge_custom_data(&state.store, state.provider.clock.as_ref(), &id, body.custom_data).await.map_err(domain)?;
    Ok(Json(Value::Object(data)))
}

#[utoipa::path(get, path = "/api/users/{userId}/roles", tag = "Users", params(("userId" = String, Path)), responses((status = 200, description = "The user's roles", body = [schemas::Role])))]
async fn list_user_roles(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    existing(&state, &id).await?;
    Ok(Json(json!(admin::roles_of(&state.store, RoleHolder::User(&id)).await.map_err(domain)?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RoleIds {
    role_ids: Vec<String>,
}

impl RoleIds {
    /// The ids once each, in the order given.
    pub(super) fn deduplicated(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in &self.role_ids {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// Adding nothing is a malformed request (400), as in Logto.
    pub(super) fn non_empty(&self) -> Result<Vec<String>, ApiError> {
        let ids = self.deduplicated();
        if ids.is_empty() || ids.iter().any(String::is_empty) {
            return Err(ApiError::invalid_input("roleIds must name at least one role"));
        }
        Ok(ids)
    }
}

/// Adds roles (all or none; 422 `user.invalid_role_type` for machine-to-machine roles);
/// answers Logto's `{roleIds, addedRoleIds}` (the ones the user did not have yet).
#[utoipa::path(post, path = "/api/users/{userId}/roles", tag = "Users", params(("userId" = String, Path)), request_body = RoleIds,
    responses((status = 201, description = "{roleIds, addedRoleIds}", body = schemas::RoleAssignment), (status = 400, description = "No role ids", body = schemas::ErrorBody), (status = 422, description = "A role is not a User role", body = schemas::ErrorBody)))]
async fn add_user_roles(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<RoleIds>) -> Result<(StatusCode, Json<Value>), ApiError> {
    existing(&state, &id).await?;
    let role_ids = body.non_empty()?;
    let added = admin::assign_roles(&state.store, RoleHolder::User(&id), &role_ids, false).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(json!({ "roleIds": role_ids, "addedRoleIds": added }))))
}

/// Replaces the user's roles with these (`[]` removes them all); answers `{roleIds}`.
#[utoipa::path(put, path = "/api/users/{userId}/roles", tag = "Users", params(("userId" = String, Path)), request_body = RoleIds,
    responses((status = 200, description = "{roleIds}", body = schemas::RoleAssignment)))]
async fn replace_user_roles(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<RoleIds>) -> Result<Json<Value>, ApiError> {
    existing(&state, &id).await?;
    let role_ids = body.deduplicated();
    admin::assign_roles(&state.store, RoleHolder::User(&id), &role_ids, true).await.map_err(domain)?;
    Ok(Json(json!({ "roleIds": role_ids })))
}

#[utoipa::path(delete, path = "/api/users/{userId}/roles/{roleId}", tag = "Users", params(("userId" = String, Path), ("roleId" = String, Path)),
    responses((status = 204, description = "Removed")))]
async fn remove_user_role(State(state): State<AppState>, Path((id, role_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    admin::unassign_role(&state.store, RoleHolder::User(&id), &role_id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?includeTokenSecret=true`: add `tokenSecret`, what token storage keeps for the identity
/// (its metadata, never the tokens).
fn include_token_secret(query: Option<String>) -> bool {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).any(|(k, v)| k == "includeTokenSecret" && matches!(v.as_ref(), "true" | "1" | "yes"))
}

/// Social and enterprise identities linked to the user.
#[utoipa::path(get, path = "/api/users/{userId}/all-identities", tag = "Users", params(("userId" = String, Path), ("includeTokenSecret" = Option<bool>, Query, description = "Adds `tokenSecret` (token storage's metadata)")),
    responses((status = 200, description = "{socialIdentities, ssoIdentities}", body = schemas::AllIdentities)))]
async fn all_identities(State(state): State<AppState>, Path(id): Path<String>, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    existing(&state, &id).await?;
    Ok(Json(token_vault::all_identities(&state.provider, &id, include_token_secret(query)).await.map_err(storage)?))
}

/// The user's identity at a social target, with what token storage keeps for it.
#[utoipa::path(get, path = "/api/users/{userId}/identities/{target}", tag = "Users", params(("userId" = String, Path), ("target" = String, Path), ("includeTokenSecret" = Option<bool>, Query, description = "Adds `tokenSecret` (token storage's metadata)")),
    responses((status = 200, description = "`{identity, tokenSecret?}`", body = Object), (status = 404, description = "No such identity", body = schemas::ErrorBody)))]
async fn get_identity(State(state): State<AppState>, Path((id, target)): Path<(String, String)>, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    existing(&state, &id).await?;
    let found = token_vault::social_identity(&state.provider, &id, &target, include_token_secret(query)).await.map_err(storage)?;
    found.map(Json).ok_or_else(|| ApiError::from_code(&identity::users::UserError::IdentityNotFound))
}

/// The user's identity at an enterprise SSO connector, with what token storage keeps for it.
#[utoipa::path(get, path = "/api/users/{userId}/sso-identities/{ssoConnectorId}", tag = "Users", params(("userId" = String, Path), ("ssoConnectorId" = String, Path), ("includeTokenSecret" = Option<bool>, Query, description = "Adds `tokenSecret` (token storage's metadata)")),
    responses((status = 200, description = "`{ssoIdentity, tokenSecret?}`", body = Object), (status = 404, description = "No such identity", body = schemas::ErrorBody)))]
async fn get_sso_identity(State(state): State<AppState>, Path((id, connector_id)): Path<(String, String)>, RawQuery(query): RawQuery) -> Result<Json<Value>, ApiError> {
    existing(&state, &id).await?;
    let found = token_vault::sso_identity(&state.provider, &id, &connector_id, include_token_secret(query)).await.map_err(storage)?;
    found.map(Json).ok_or_else(|| ApiError::from_code(&identity::users::UserError::SsoIdentityNotFound))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LinkIdentityBody {
    connector_id: String,
    /// What the upstream sent to the callback (`code`, `state`, …), after
    /// `POST /api/connectors/{id}/authorization-uri`.
    #[schema(value_type = Object)]
    connector_data: Map<String, Value>,
}

/// Links the identity an upstream's answer proves (a back end's own "connect your account").
#[utoipa::path(post, path = "/api/users/{userId}/identities", tag = "Users", params(("userId" = String, Path)), request_body = LinkIdentityBody,
    responses((status = 200, description = "The user's identities", body = Object), (status = 404, description = "No such user or connector, or no authorization for this state", body = schemas::ErrorBody),
        (status = 422, description = "Another user has this identity", body = schemas::ErrorBody)))]
async fn link_identity(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<LinkIdentityBody>) -> Result<Json<Value>, ApiError> {
    identity::social::by_operator::link(&state.provider, &id, &body.connector_id, &body.connector_data).await.map_err(domain)?;
    Ok(Json(Value::Object(identity::social::identities_of(&state.provider, &id).await.map_err(storage)?)))
}

#[utoipa::path(delete, path = "/api/users/{userId}/identities/{target}", tag = "Users", params(("userId" = String, Path), ("target" = String, Path)),
    responses((status = 204, description = "Unlinked"), (status = 404, description = "No such identity", body = schemas::ErrorBody)))]
async fn delete_identity(State(state): State<AppState>, Path((id, target)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    existing(&state, &id).await?;
    if identity::social::unlink(&state.provider, &id, &target).await.map_err(storage)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::from_code(&identity::users::UserError::IdentityNotFound))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SocialIdentityBody {
    /// The person's id at the upstream (Logto's `userId`; `socialUserId` of older releases).
    #[serde(alias = "socialUserId")]
    user_id: String,
    /// What the upstream says about them (`email`, `name`, `avatar`, …).
    #[serde(alias = "socialUserInfo")]
    #[schema(value_type = Option<Object>)]
    details: Option<Map<String, Value>>,
}

/// Links (or replaces) the user's identity at a configured connector's `target`, as an
/// operator migrating accounts would; answers the user's identities.
#[utoipa::path(put, path = "/api/users/{userId}/identities/{target}", tag = "Users", params(("userId" = String, Path), ("target" = String, Path)), request_body = SocialIdentityBody,
    responses((status = 200, description = "The user's identities", body = Object), (status = 404, description = "No connector has this target", body = schemas::ErrorBody),
        (status = 422, description = "Another user has this identity", body = schemas::ErrorBody)))]
async fn put_identity(State(state): State<AppState>, Path((id, target)): Path<(String, String)>, JsonBody(body): JsonBody<SocialIdentityBody>) -> Result<Json<Value>, ApiError> {
    existing(&state, &id).await?;
    identity::social::link_as_operator(&state.provider, &id, &target, &body.user_id, &body.details.unwrap_or_default()).await.map_err(domain)?;
    Ok(Json(Value::Object(identity::social::identities_of(&state.provider, &id).await.map_err(storage)?)))
}

/// Reading identities can only fail in storage: ours to log (500).
fn storage(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %err, "reading a user's identities failed");
    ApiError::internal()
}

/// The user's MFA factors (no secrets).
#[utoipa::path(get, path = "/api/users/{userId}/mfa-verifications", tag = "Users", params(("userId" = String, Path)),
    responses((status = 200, description = "The user's MFA verifications", body = [schemas::MfaVerification])))]
async fn list_mfa_verifications(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    existing(&state, &id).await?;
    Ok(Json(json!(identity::mfa::factors(&state.store, &id).await.map_err(domain)?)))
}

#[utoipa::path(delete, path = "/api/users/{userId}/mfa-verifications/{verificationId}", tag = "Users",
    params(("userId" = String, Path), ("verificationId" = String, Path)), responses((status = 204, description = "Removed"), (status = 404, description = "No such factor", body = schemas::ErrorBody)))]
async fn delete_mfa_verification(State(state): State<AppState>, Path((id, verification)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    existing(&state, &id).await?;
    identity::mfa::delete_factor(&state.store, &id, &verification).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProfileBody {
    #[schema(value_type = Object)]
    profile: Map<String, Value>,
}

/// Merges OIDC profile fields (givenName, familyName, nickname, website, locale, address, …);
/// `null` clears one.
#[utoipa::path(patch, path = "/api/users/{userId}/profile", tag = "Users", params(("userId" = String, Path)), request_body = ProfileBody,
    responses((status = 200, description = "The merged profile", body = schemas::Object), (status = 400, description = "Unknown or malformed profile fields", body = schemas::ErrorBody)))]
async fn update_profile(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ProfileBody>) -> Result<Json<Value>, ApiError> {
    let profile = users::merge_profile(&state.store, state.provider.clock.as_ref(), &id, body.profile).await.map_err(domain)?;
    Ok(Json(json!(profile)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateMfaVerification {
    /// `Totp` or `BackupCode`.
    #[serde(rename = "type")]
    factor: String,
    /// For `Totp`: a base32 secret to use instead of a generated one.
    secret: Option<String>,
}

/// Gives the user an authenticator secret (`{type, secret, secretQrCode}`) or a new set of
/// backup codes (`{type, codes}`), shown once.
#[utoipa::path(post, path = "/api/users/{userId}/mfa-verifications", tag = "Users", params(("userId" = String, Path)),
    request_body = CreateMfaVerification, responses((status = 200, description = "The secret or the codes, once", body = schemas::NewMfaVerification), (status = 422, description = "Already bound, or backup codes alone", body = schemas::ErrorBody)))]
async fn create_mfa_verification(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<CreateMfaVerification>) -> Result<Json<Value>, ApiError> {
    let user = existing(&state, &id).await?;
    let clock = state.provider.clock.as_ref();
    match body.factor.as_str() {
        "Totp" => {
            let secret = identity::mfa::add_totp(&state.store, clock, &state.provider.at_rest, &id, body.secret).await.map_err(domain)?;
            let (_, qr) = identity::mfa::totp::enrolment(&state.provider.endpoint, &user, &secret);
            Ok(Json(json!({ "type": "Totp", "secret": secret, "secretQrCode": qr })))
        }
        "BackupCode" => {
            let codes = identity::mfa::add_backup_codes(&state.store, clock, &id).await.map_err(domain)?;
            Ok(Json(json!({ "type": "BackupCode", "codes": codes })))
        }
        other => Err(ApiError::invalid_input(format!("unsupported MFA type {other}"))),
    }
}
