//! `/api/users/:userId/sessions` and `/grants`: an operator sees where a person is signed in
//! and which applications hold their grants, and ends either — the same engine calls, and the
//! same shapes, as the person's own Account API.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use identity::account::sessions::{self, AppType, RevokeGrants};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{domain, schemas};
use crate::http::error::ApiError;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_user_sessions))
        .routes(routes!(get_user_session, end_user_session))
        .routes(routes!(list_user_grants))
        .routes(routes!(revoke_user_grant))
}

/// 404 `entity.not_found` for an unknown user, as the other user routes.
async fn known_user(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    match identity::users::find_by_id(&state.store, user_id).await.map_err(domain)? {
        Some(_) => Ok(()),
        None => Err(domain(identity::users::UserError::NotFound)),
    }
}

fn not_found() -> ApiError {
    domain(identity::account::AccountError::SessionNotFound)
}

#[utoipa::path(get, path = "/api/users/{userId}/sessions", tag = "Users", params(("userId" = String, Path)),
    responses((status = 200, description = "`{sessions: [{payload: {uid, accountId, loginTs, exp, authorizations}, createdAt, expiresAt, isCurrent}]}`", body = Object),
        (status = 404, description = "No such user", body = schemas::ErrorBody)))]
async fn list_user_sessions(State(state): State<AppState>, Path(user_id): Path<String>) -> Result<Json<Value>, ApiError> {
    known_user(&state, &user_id).await?;
    Ok(Json(sessions::sessions_of(&state.provider, &user_id, None).await.map_err(domain)?))
}

#[utoipa::path(get, path = "/api/users/{userId}/sessions/{sessionId}", tag = "Users", params(("userId" = String, Path), ("sessionId" = String, Path)),
    responses((status = 200, description = "The session", body = Object), (status = 404, description = "No such user or session", body = schemas::ErrorBody)))]
async fn get_user_session(State(state): State<AppState>, Path((user_id, uid)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    known_user(&state, &user_id).await?;
    let all = sessions::sessions_of(&state.provider, &user_id, None).await.map_err(domain)?;
    let found = all["sessions"].as_array().and_then(|list| list.iter().find(|s| s["payload"]["uid"] == uid.as_str())).cloned();
    found.map(Json).ok_or_else(not_found)
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EndSession {
    /// `all` or `firstParty`: also revoke the grants the session started (all of them, or the
    /// first-party applications'); without it, tokens with `offline_access` live on.
    revoke_grants_target: Option<String>,
}

#[utoipa::path(delete, path = "/api/users/{userId}/sessions/{sessionId}", tag = "Users", params(("userId" = String, Path), ("sessionId" = String, Path), EndSession),
    responses((status = 204, description = "Signed out"), (status = 404, description = "No such user or session", body = schemas::ErrorBody)))]
async fn end_user_session(State(state): State<AppState>, Path((user_id, uid)): Path<(String, String)>, Query(query): Query<EndSession>) -> Result<StatusCode, ApiError> {
    let revoke = RevokeGrants::from_query(query.revoke_grants_target.as_deref()).ok_or_else(|| ApiError::invalid_input("revokeGrantsTarget is all or firstParty"))?;
    known_user(&state, &user_id).await?;
    if sessions::end_session(&state.provider, &user_id, &uid, revoke).await.map_err(domain)? { Ok(StatusCode::NO_CONTENT) } else { Err(not_found()) }
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantFilter {
    /// `firstParty` or `thirdParty`; without it, every grant.
    app_type: Option<String>,
}

#[utoipa::path(get, path = "/api/users/{userId}/grants", tag = "Users", params(("userId" = String, Path), GrantFilter),
    responses((status = 200, description = "`{grants: [{id, payload: {accountId, clientId, iat, exp}, expiresAt}]}`", body = Object),
        (status = 404, description = "No such user", body = schemas::ErrorBody)))]
async fn list_user_grants(State(state): State<AppState>, Path(user_id): Path<String>, Query(filter): Query<GrantFilter>) -> Result<Json<Value>, ApiError> {
    let app_type = AppType::from_query(filter.app_type.as_deref()).ok_or_else(|| ApiError::invalid_input("appType is firstParty or thirdParty"))?;
    known_user(&state, &user_id).await?;
    Ok(Json(sessions::grants_of(&state.provider, &user_id, app_type).await.map_err(domain)?))
}

/// The application's tokens under this grant stop working.
#[utoipa::path(delete, path = "/api/users/{userId}/grants/{grantId}", tag = "Users", params(("userId" = String, Path), ("grantId" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such user or grant", body = schemas::ErrorBody)))]
async fn revoke_user_grant(State(state): State<AppState>, Path((user_id, grant_id)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    known_user(&state, &user_id).await?;
    if sessions::revoke_grant_of(&state.provider, &user_id, &grant_id).await.map_err(domain)? { Ok(StatusCode::NO_CONTENT) } else { Err(not_found()) }
}
