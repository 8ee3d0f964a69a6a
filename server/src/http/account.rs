//! The Account API (`/api/my-account/*`) and security verification (`/api/verifications/*`):
//! thin adapters over `identity::account`. Callers are named by their own access token, from
//! any origin (the account center of an application's own front end calls it).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use identity::account::{self, AccountChanges, AccountError, Caller};
use serde::Deserialize;
use serde_json::{Map, Value};
use tower_http::cors::{Any, CorsLayer};

use super::error::ApiError;
use super::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/my-account", get(my_account).patch(update_account))
        .route("/api/my-account/profile", patch(update_profile))
        .route("/api/my-account/password", post(set_password))
        .route("/api/verifications/password", post(verify_password))
        .layer(CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any))
}

/// The caller, from `Authorization: Bearer <access token>`.
struct Account(Caller);

impl FromRequestParts<AppState> for Account {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        Ok(Account(account::authenticate(&state.provider, authorization).await.map_err(refused)?))
    }
}

/// The `logto-verification-id` header: a fresh verification record's id.
struct Proof(Option<String>);

impl FromRequestParts<AppState> for Proof {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(Proof(parts.headers.get("logto-verification-id").and_then(|v| v.to_str().ok()).map(str::to_owned)))
    }
}

/// Logto answers a write the token's scopes do not cover with 400, not 401.
fn refused(err: AccountError) -> ApiError {
    let scope_missing = matches!(err, AccountError::ScopeMissing(_));
    let data = match &err {
        AccountError::PasswordRejected(issues) => Some(serde_json::json!({ "result": false, "issues": issues.iter().map(|i| i.to_json()).collect::<Vec<_>>() })),
        _ => None,
    };
    let error = ApiError::from_code(&err).with_data(data);
    if scope_missing { error.with_status(StatusCode::BAD_REQUEST) } else { error }
}

async fn my_account(Account(caller): Account) -> Json<Value> {
    Json(account::view(&caller))
}

/// `absent` → unchanged, `null` → cleared, a string → set.
fn optional_text(body: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>, ApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.len() <= 2048 => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::invalid_input(format!("{key} must be a string (at most 2,048 bytes) or null"))),
    }
}

async fn update_account(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<Map<String, Value>>) -> Result<Json<Value>, ApiError> {
    if let Some(unknown) = body.keys().find(|k| !["name", "avatar", "username", "customData"].contains(&k.as_str())) {
        return Err(ApiError::invalid_input(format!("unknown field {unknown}")));
    }
    let custom_data = match body.get("customData") {
        None => None,
        Some(Value::Object(data)) => Some(data.clone()),
        Some(_) => return Err(ApiError::invalid_input("customData must be an object")),
    };
    let changes = AccountChanges { name: optional_text(&body, "name")?, avatar: optional_text(&body, "avatar")?, username: optional_text(&body, "username")?, custom_data };
    let user = account::update(&state.provider, &caller, changes).await.map_err(refused)?;
    Ok(Json(account::view(&Caller { user, ..caller })))
}

async fn update_profile(State(state): State<AppState>, Account(caller): Account, JsonBody(fields): JsonBody<Map<String, Value>>) -> Result<Json<identity::users::Profile>, ApiError> {
    Ok(Json(account::update_profile(&state.provider, &caller, fields).await.map_err(refused)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

async fn set_password(State(state): State<AppState>, Account(caller): Account, Proof(proof): Proof, JsonBody(body): JsonBody<PasswordBody>) -> Result<StatusCode, ApiError> {
    account::set_password(&state.provider, &caller, proof.as_deref(), &body.password).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn verify_password(State(state): State<AppState>, Account(caller): Account, JsonBody(body): JsonBody<PasswordBody>) -> Result<(StatusCode, Json<account::verification::CreatedRecord>), ApiError> {
    let record = account::verification::verify_password(&state.provider, &caller, &body.password).await.map_err(refused)?;
    Ok((StatusCode::CREATED, Json(record)))
}
