//! `/api/experience/*`: thin adapters from HTTP to `identity::experience`. Every call finds
//! its interaction through the `_interaction` cookie.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use identity::experience::{self, Identifier, InteractionEvent};
use serde::Deserialize;
use serde_json::{json, Value};

use super::cookies;
use super::error::ApiError;
use super::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/experience", put(start))
        .route("/api/experience/verification/password", post(verify_password))
        .route("/api/experience/identification", post(identify))
        .route("/api/experience/submit", post(submit))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartBody {
    interaction_event: InteractionEvent,
}

async fn start(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<StartBody>) -> Result<StatusCode, ApiError> {
    experience::start(&state.provider, cookies::value(&jar, cookies::INTERACTION), body.interaction_event).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct PasswordBody {
    identifier: Identifier,
    password: String,
}

async fn verify_password(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<PasswordBody>) -> Result<Json<Value>, ApiError> {
    let id = experience::verify_password(&state.provider, cookies::value(&jar, cookies::INTERACTION), body.identifier, &body.password).await?;
    Ok(Json(json!({ "verificationId": id })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct IdentificationBody {
    verification_id: Option<String>,
}

async fn identify(State(state): State<AppState>, jar: CookieJar, JsonBody(body): JsonBody<IdentificationBody>) -> Result<StatusCode, ApiError> {
    experience::identify(&state.provider, cookies::value(&jar, cookies::INTERACTION), body.verification_id.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn submit(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, ApiError> {
    let redirect_to = experience::submit(&state.provider, cookies::value(&jar, cookies::INTERACTION)).await?;
    Ok(Json(json!({ "redirectTo": redirect_to })))
}
