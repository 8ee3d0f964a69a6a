//! `GET|PATCH /api/account-center`: whether the account center is on, and what people may
//! see or change in it.

use axum::extract::State;
use axum::Json;
use identity::account::settings::{self, AccountCenter};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{domain, schemas};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_account_center, update_account_center))
}

#[utoipa::path(get, path = "/api/account-center", tag = "Account center",
    responses((status = 200, description = "The account center's settings", body = schemas::AccountCenter)))]
async fn get_account_center(State(state): State<AppState>) -> Result<Json<AccountCenter>, ApiError> {
    Ok(Json(settings::load(&state.store).await.map_err(domain)?))
}

/// Top-level keys given replace the stored ones; `deleteAccountUrl: ""` clears the link.
#[utoipa::path(patch, path = "/api/account-center", tag = "Account center", request_body = schemas::AccountCenter,
    responses((status = 200, description = "The new settings", body = schemas::AccountCenter), (status = 400, description = "An unknown key or value", body = schemas::ErrorBody)))]
async fn update_account_center(State(state): State<AppState>, JsonBody(patch): JsonBody<Value>) -> Result<Json<AccountCenter>, ApiError> {
    Ok(Json(settings::update(&state.store, state.provider.clock.as_ref(), &patch).await.map_err(domain)?))
}
