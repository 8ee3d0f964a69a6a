//! `POST /api/sentinel-activities/delete`: an operator lifts the lockout of identifiers
//! (Logto's manual unblock).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{domain, schemas};

use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(delete_activities))
}

#[derive(Deserialize, ToSchema)]
enum TargetType {
    User,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeleteActivities {
    /// Only `User`: the targets are sign-in identifiers.
    #[allow(dead_code)]
    target_type: TargetType,
    /// Usernames, email addresses or phone numbers, as the person typed them.
    #[schema(min_items = 1, max_items = 100)]
    targets: Vec<String>,
}

/// Forgets the failed verifications recorded for the identifiers, so they can sign in again.
#[utoipa::path(post, path = "/api/sentinel-activities/delete", tag = "Sign-in experience", request_body = DeleteActivities,
    responses((status = 204, description = "The identifiers are no longer locked"), (status = 400, description = "No targets, too many, or one too long", body = schemas::ErrorBody)))]
async fn delete_activities(State(state): State<AppState>, JsonBody(body): JsonBody<DeleteActivities>) -> Result<StatusCode, ApiError> {
    identity::sentinel::unblock(&state.store, &body.targets).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}
