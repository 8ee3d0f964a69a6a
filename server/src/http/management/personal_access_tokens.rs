//! `/api/users/{userId}/personal-access-tokens`: named tokens a user's scripts exchange for
//! access tokens (token exchange at `/oidc/token`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use identity::personal_access_tokens::{self as tokens, PersonalAccessToken};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{domain, schemas};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token, rename_by_body))
        .routes(routes!(rename_token, delete_token))
        .routes(routes!(delete_by_body))
}

#[utoipa::path(get, path = "/api/users/{userId}/personal-access-tokens", tag = "Users", params(("userId" = String, Path)),
    responses((status = 200, description = "The user's tokens (never their values)", body = [schemas::PersonalAccessToken]), (status = 404, description = "No such user", body = schemas::ErrorBody)))]
async fn list_tokens(State(state): State<AppState>, Path(user_id): Path<String>) -> Result<Json<Vec<PersonalAccessToken>>, ApiError> {
    Ok(Json(tokens::list(&state.store, &user_id).await.map_err(domain)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateToken {
    name: String,
    /// Milliseconds since the epoch; none: it never expires.
    expires_at: Option<i64>,
}

/// Creates a token; its `value` is in this response only.
#[utoipa::path(post, path = "/api/users/{userId}/personal-access-tokens", tag = "Users", params(("userId" = String, Path)), request_body = CreateToken,
    responses((status = 201, description = "The token, with its value once", body = schemas::PersonalAccessToken), (status = 400, description = "An empty name or a past expiry", body = schemas::ErrorBody),
        (status = 404, description = "No such user", body = schemas::ErrorBody), (status = 422, description = "The name is in use", body = schemas::ErrorBody)))]
async fn create_token(State(state): State<AppState>, Path(user_id): Path<String>, JsonBody(body): JsonBody<CreateToken>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (token, value) = tokens::create(&state.store, state.provider.clock.as_ref(), &user_id, &body.name, body.expires_at).await.map_err(domain)?;
    let mut response = serde_json::json!(token);
    response["value"] = Value::String(value);
    Ok((StatusCode::CREATED, Json(response)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Rename {
    name: String,
}

#[utoipa::path(patch, path = "/api/users/{userId}/personal-access-tokens/{name}", tag = "Users", params(("userId" = String, Path), ("name" = String, Path)), request_body = Rename,
    responses((status = 200, description = "The renamed token", body = schemas::PersonalAccessToken), (status = 404, description = "No such token", body = schemas::ErrorBody), (status = 422, description = "The new name is in use", body = schemas::ErrorBody)))]
async fn rename_token(State(state): State<AppState>, Path((user_id, name)): Path<(String, String)>, JsonBody(body): JsonBody<Rename>) -> Result<Json<PersonalAccessToken>, ApiError> {
    Ok(Json(tokens::rename(&state.store, &user_id, &name, &body.name).await.map_err(domain)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RenameByBody {
    current_name: String,
    name: String,
}

/// Newer Logto releases rename with both names in the body.
#[utoipa::path(patch, path = "/api/users/{userId}/personal-access-tokens", tag = "Users", params(("userId" = String, Path)), request_body = RenameByBody,
    responses((status = 200, description = "The renamed token", body = schemas::PersonalAccessToken), (status = 404, description = "No such token", body = schemas::ErrorBody), (status = 422, description = "The new name is in use", body = schemas::ErrorBody)))]
async fn rename_by_body(State(state): State<AppState>, Path(user_id): Path<String>, JsonBody(body): JsonBody<RenameByBody>) -> Result<Json<PersonalAccessToken>, ApiError> {
    Ok(Json(tokens::rename(&state.store, &user_id, &body.current_name, &body.name).await.map_err(domain)?))
}

#[utoipa::path(delete, path = "/api/users/{userId}/personal-access-tokens/{name}", tag = "Users", params(("userId" = String, Path), ("name" = String, Path)),
    responses((status = 204, description = "Deleted: it can no longer be exchanged"), (status = 404, description = "No such token", body = schemas::ErrorBody)))]
async fn delete_token(State(state): State<AppState>, Path((user_id, name)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    tokens::delete(&state.store, &user_id, &name).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DeleteByBody {
    name: String,
}

/// Deletes by a name in the body (names may hold characters awkward in a path).
#[utoipa::path(post, path = "/api/users/{userId}/personal-access-tokens/delete", tag = "Users", params(("userId" = String, Path)), request_body = DeleteByBody,
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such token", body = schemas::ErrorBody)))]
async fn delete_by_body(State(state): State<AppState>, Path(user_id): Path<String>, JsonBody(body): JsonBody<DeleteByBody>) -> Result<StatusCode, ApiError> {
    tokens::delete(&state.store, &user_id, &body.name).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}
