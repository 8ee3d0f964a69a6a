//! `/api/configs/id-token`: the extended claims ID tokens carry.

use axum::extract::State;
use axum::Json;
use identity::oidc::id_token_config::{self, IdTokenConfig};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;

use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_id_token_config, put_id_token_config))
}

fn storage(err: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %err, "id token configuration storage failed");
    ApiError::internal()
}

#[utoipa::path(get, path = "/api/configs/id-token", tag = "Configs", responses((status = 200, description = "{enabledExtendedClaims}", body = schemas::IdTokenConfig)))]
async fn get_id_token_config(State(state): State<AppState>) -> Result<Json<IdTokenConfig>, ApiError> {
    Ok(Json(id_token_config::load(&state.store).await.map_err(storage)?))
}

/// `{enabledExtendedClaims: ["roles", "custom_data", "identities", "organizations", "organization_roles"]}`.
#[utoipa::path(put, path = "/api/configs/id-token", tag = "Configs", request_body(content = Object),
    responses((status = 200, description = "The configuration", body = schemas::IdTokenConfig), (status = 400, description = "Unknown claim", body = schemas::ErrorBody)))]
async fn put_id_token_config(State(state): State<AppState>, JsonBody(config): JsonBody<IdTokenConfig>) -> Result<Json<IdTokenConfig>, ApiError> {
    config.validate().map_err(ApiError::invalid_input)?;
    id_token_config::save(&state.store, state.provider.clock.as_ref(), &config).await.map_err(storage)?;
    state.provider.caches.id_token_config.clear();
    Ok(Json(config))
}
