//! `/api/sign-in-exp`: the sign-in experience configuration (the document the hosted pages
//! follow), and the password policy check.

use axum::extract::State;
use axum::Json;
use identity::passwords::policy::UserInfo;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;

use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_sign_in_experience, update_sign_in_experience)).routes(routes!(check_password))
}

#[utoipa::path(get, path = "/api/sign-in-exp", tag = "Sign-in experience", responses((status = 200, description = "The configuration", body = schemas::SignInExperience)))]
async fn get_sign_in_experience(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let sie = identity::sign_in_experience::load(&state.store).await.map_err(|e| ApiError::from_code(&e))?;
    Ok(Json(with_id(serde_json::to_value(sie).expect("configuration serializes"))))
}

/// Merges a partial document into the configuration; invalid results are refused with
/// `sign_in_experiences.*` codes and change nothing.
#[utoipa::path(patch, path = "/api/sign-in-exp", tag = "Sign-in experience", request_body(content = Object),
    responses((status = 200, description = "The new configuration", body = schemas::SignInExperience), (status = 400, description = "Invalid configuration", body = schemas::ErrorBody)))]
async fn update_sign_in_experience(State(state): State<AppState>, JsonBody(patch): JsonBody<Value>) -> Result<Json<Value>, ApiError> {
    let Value::Object(mut patch) = patch else {
        return Err(ApiError::invalid_input("expected a JSON object"));
    };
    patch.remove("id");
    let sie = identity::sign_in_experience::update(&state.store, state.provider.clock.as_ref(), &Value::Object(patch))
        .await
        .map_err(|e| ApiError::from_code(&e))?;
    state.provider.caches.sign_in_experience.clear();
    Ok(Json(with_id(serde_json::to_value(sie).expect("configuration serializes"))))
}

fn with_id(mut value: Value) -> Value {
    value["id"] = json!("default");
    value
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CheckPassword {
    password: String,
    user_id: Option<String>,
}

/// `{result, issues}` for a candidate password under the current policy (the user-info rule
/// needs `userId`).
#[utoipa::path(post, path = "/api/sign-in-exp/default/check-password", tag = "Sign-in experience", request_body = CheckPassword,
    responses((status = 200, description = "{result: true, issues: []}", body = schemas::PasswordCheck), (status = 400, description = "{result: false, issues}: the password breaks the policy", body = schemas::PasswordCheck)))]
async fn check_password(State(state): State<AppState>, JsonBody(body): JsonBody<CheckPassword>) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    let sie = state.provider.sign_in_experience().await.map_err(|e| ApiError::from_code(&e))?;
    let user = match &body.user_id {
        Some(id) => identity::users::find_by_id(&state.store, id).await.map_err(|e| ApiError::from_code(&e))?,
        None => None,
    };
    let info = user.as_ref().map(UserInfo::of).unwrap_or_default();
    let issues = sie.password_policy.check_everywhere(&body.password, &info, &state.provider.breached).await;
    // Logto answers a weak password with 400 and the same body.
    let status = if issues.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST };
    Ok((status, Json(json!({ "result": issues.is_empty(), "issues": issues.iter().map(|i| i.to_json()).collect::<Vec<_>>() }))))
}
