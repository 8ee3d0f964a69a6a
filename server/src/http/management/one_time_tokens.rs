//! `/api/one-time-tokens`: the secrets behind magic links (spec §8), thin over
//! `identity::one_time_tokens`. The token is in the create answer only (it is stored hashed).

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use identity::one_time_tokens::{self as tokens, OneTimeToken, Status};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{paged, Page, PageParams};
use super::{domain, schemas};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_one_time_tokens, create_one_time_token))
        .routes(routes!(get_one_time_token, delete_one_time_token))
        .routes(routes!(verify_one_time_token))
        .routes(routes!(set_one_time_token_status))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewToken {
    email: String,
    /// `{jitOrganizationIds?: string[], interactionEvent?: "SignIn" | "Register" | "ForgotPassword"}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    context: Map<String, Value>,
    /// Seconds; 600 when absent.
    expires_in: Option<i64>,
}

#[utoipa::path(post, path = "/api/one-time-tokens", tag = "One-time tokens", request_body = NewToken,
    responses((status = 201, description = "The token, with its value (shown this once)", body = schemas::OneTimeToken)))]
async fn create_one_time_token(State(state): State<AppState>, JsonBody(body): JsonBody<NewToken>) -> Result<(StatusCode, Json<OneTimeToken>), ApiError> {
    let token = tokens::create(&state.store, state.provider.clock.as_ref(), &body.email, body.context, body.expires_in).await.map_err(domain)?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Paginated only when `page` or `page_size` is given.
#[utoipa::path(get, path = "/api/one-time-tokens", tag = "One-time tokens", params(PageParams, ("email" = Option<String>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, description = "Tokens, newest first (never their values)", body = [schemas::OneTimeToken])))]
async fn list_one_time_tokens(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<axum::response::Response, ApiError> {
    let page = Page::from_query(query.as_deref())?;
    let status = match page.param("status") {
        None => None,
        Some(s) => Some(serde_json::from_value::<Status>(Value::String(s.to_owned())).map_err(|_| ApiError::invalid_input("status is active, consumed, revoked or expired"))?),
    };
    let listed = tokens::list(&state.store, state.provider.clock.as_ref(), page.param("email"), status).await.map_err(domain)?;
    let paginated = query.as_deref().is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "page" || k == "page_size"));
    Ok(if paginated { paged(query.as_deref(), &uri, listed)?.into_response() } else { Json(listed).into_response() })
}

#[utoipa::path(get, path = "/api/one-time-tokens/{id}", tag = "One-time tokens", params(("id" = String, Path)),
    responses((status = 200, description = "The token (without its value)", body = schemas::OneTimeToken), (status = 404, description = "No such token", body = schemas::ErrorBody)))]
async fn get_one_time_token(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<OneTimeToken>, ApiError> {
    Ok(Json(tokens::get(&state.store, state.provider.clock.as_ref(), &id).await.map_err(domain)?))
}

#[utoipa::path(delete, path = "/api/one-time-tokens/{id}", tag = "One-time tokens", params(("id" = String, Path)), responses((status = 204, description = "Deleted")))]
async fn delete_one_time_token(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    tokens::delete(&state.store, &id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyToken {
    token: String,
    email: String,
}

/// Uses the token (once).
#[utoipa::path(post, path = "/api/one-time-tokens/verify", tag = "One-time tokens", request_body = VerifyToken,
    responses((status = 200, description = "The token, now consumed", body = schemas::OneTimeToken), (status = 400, description = "Expired, used, revoked or for another address", body = schemas::ErrorBody),
        (status = 404, description = "No such token", body = schemas::ErrorBody)))]
async fn verify_one_time_token(State(state): State<AppState>, JsonBody(body): JsonBody<VerifyToken>) -> Result<Json<OneTimeToken>, ApiError> {
    Ok(Json(tokens::verify(&state.store, state.provider.clock.as_ref(), &body.token, &body.email).await.map_err(domain)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    /// `consumed`, `revoked` or `expired` (never `active` again).
    #[schema(value_type = String)]
    status: Status,
}

#[utoipa::path(put, path = "/api/one-time-tokens/{id}/status", tag = "One-time tokens", params(("id" = String, Path)), request_body = NewStatus,
    responses((status = 200, description = "The token", body = schemas::OneTimeToken), (status = 400, description = "Not active again", body = schemas::ErrorBody)))]
async fn set_one_time_token_status(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<NewStatus>) -> Result<Json<OneTimeToken>, ApiError> {
    Ok(Json(tokens::set_status(&state.store, state.provider.clock.as_ref(), &id, body.status).await.map_err(domain)?))
}
