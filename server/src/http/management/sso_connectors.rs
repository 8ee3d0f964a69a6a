//! `/api/sso-connector-providers` and `/api/sso-connectors`: enterprise SSO connectors in
//! Logto's shape (spec §5), thin over `identity::sso`.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use identity::sso::{self, ConnectorInput, SsoError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{paged, PageParams};
use super::schemas;
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sso_providers))
        .routes(routes!(list_sso_connectors, create_sso_connector))
        .routes(routes!(get_sso_connector, update_sso_connector, delete_sso_connector))
        .routes(routes!(get_idp_initiated_config, put_idp_initiated_config, delete_idp_initiated_config))
}

fn refused(err: SsoError) -> ApiError {
    let error = ApiError::from_code(&err).with_data(err.data());
    // `connector.not_found` is 501 for a missing message connector; an unknown SSO provider is the request's fault.
    if matches!(err, SsoError::UnknownProvider(_)) { error.with_status(StatusCode::UNPROCESSABLE_ENTITY) } else { error }
}

#[utoipa::path(get, path = "/api/sso-connector-providers", tag = "SSO connectors",
    responses((status = 200, description = "`[{providerName, providerType, name, description, logo, logoDark}]`", body = [Object])))]
async fn list_sso_providers() -> Json<Value> {
    Json(sso::PROVIDERS.iter().map(|p| json!({"providerName": p.name, "providerType": p.kind, "name": p.display_name, "description": p.description, "logo": p.logo, "logoDark": p.logo})).collect())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConnectorBody {
    provider_name: Option<String>,
    connector_name: Option<String>,
    #[schema(value_type = Option<Object>)]
    config: Option<Map<String, Value>>,
    domains: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    branding: Option<Map<String, Value>>,
    sync_profile: Option<bool>,
    /// Keep the identity provider's tokens from each sign-in (OIDC connectors only).
    enable_token_storage: Option<bool>,
}

impl ConnectorBody {
    fn input(self) -> Result<ConnectorInput, ApiError> {
        Ok(ConnectorInput {
            provider_name: self.provider_name,
            connector_name: self.connector_name,
            config: self.config,
            domains: self.domains,
            branding: self.branding,
            sync_profile: self.sync_profile,
            enable_token_storage: self.enable_token_storage,
        })
    }
}

#[utoipa::path(get, path = "/api/sso-connectors", tag = "SSO connectors", params(PageParams),
    responses((status = 200, description = "Connectors (secrets masked); Total-Number and Link headers", body = [Object])))]
async fn list_sso_connectors(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let all: Vec<Value> = sso::list(&state.provider).await.map_err(refused)?.iter().map(|c| c.to_api_json(&state.provider.endpoint)).collect();
    paged(query.as_deref(), &uri, all)
}

/// `{providerName, connectorName, config?, domains?, branding?, syncProfile?}`.
#[utoipa::path(post, path = "/api/sso-connectors", tag = "SSO connectors", request_body = ConnectorBody,
    responses((status = 200, description = "The connector", body = Object), (status = 400, description = "Invalid configuration", body = schemas::ErrorBody),
        (status = 409, description = "The name is taken", body = schemas::ErrorBody), (status = 422, description = "Unknown provider, or public or repeated domains", body = schemas::ErrorBody)))]
async fn create_sso_connector(State(state): State<AppState>, JsonBody(body): JsonBody<ConnectorBody>) -> Result<Json<Value>, ApiError> {
    let created = sso::create(&state.provider, state.provider.clock.as_ref(), body.input()?).await.map_err(refused)?;
    Ok(Json(created.to_api_json(&state.provider.endpoint)))
}

#[utoipa::path(get, path = "/api/sso-connectors/{id}", tag = "SSO connectors", params(("id" = String, Path)),
    responses((status = 200, description = "The connector", body = Object), (status = 404, description = "No such connector", body = schemas::ErrorBody)))]
async fn get_sso_connector(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(sso::get(&state.provider, &id).await.map_err(refused)?.to_api_json(&state.provider.endpoint)))
}

/// Each field given replaces the stored one (`config` whole; a masked secret keeps the stored one).
#[utoipa::path(patch, path = "/api/sso-connectors/{id}", tag = "SSO connectors", params(("id" = String, Path)), request_body = ConnectorBody,
    responses((status = 200, description = "The connector", body = Object), (status = 404, description = "No such connector", body = schemas::ErrorBody)))]
async fn update_sso_connector(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<ConnectorBody>) -> Result<Json<Value>, ApiError> {
    if body.provider_name.is_some() {
        return Err(ApiError::invalid_input("providerName cannot change"));
    }
    Ok(Json(sso::update(&state.provider, &id, body.input()?).await.map_err(refused)?.to_api_json(&state.provider.endpoint)))
}

#[utoipa::path(delete, path = "/api/sso-connectors/{id}", tag = "SSO connectors", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted, with the identities people had there"), (status = 404, description = "No such connector", body = schemas::ErrorBody)))]
async fn delete_sso_connector(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    sso::delete(&state.provider, &id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdpInitiatedBody {
    default_application_id: String,
    redirect_uri: Option<String>,
    #[schema(value_type = Option<Object>)]
    auth_parameters: Option<Map<String, Value>>,
    #[serde(default)]
    auto_send_authorization_request: bool,
    client_idp_initiated_auth_callback_uri: Option<String>,
}


#[utoipa::path(get, path = "/api/sso-connectors/{id}/idp-initiated-auth-config", tag = "SSO connectors", params(("id" = String, Path)),
    responses((status = 200, description = "The IdP-initiated sign-in configuration", body = Object), (status = 404, description = "None", body = schemas::ErrorBody)))]
async fn get_idp_initiated_config(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    sso::get(&state.provider, &id).await.map_err(refused)?;
    let config = sso::idp_initiated::get(&state.provider, &id).await.map_err(refused)?.ok_or_else(|| refused(SsoError::NotFound))?;
    Ok(Json(config.to_json()))
}

/// SAML connectors only: the application IdP-initiated sign-ins go to, and how.
#[utoipa::path(put, path = "/api/sso-connectors/{id}/idp-initiated-auth-config", tag = "SSO connectors", params(("id" = String, Path)), request_body = IdpInitiatedBody,
    responses((status = 200, description = "The configuration", body = Object), (status = 400, description = "Not SAML, wrong application type, or an unregistered redirect URI", body = schemas::ErrorBody)))]
async fn put_idp_initiated_config(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<IdpInitiatedBody>) -> Result<Json<Value>, ApiError> {
    let connector = sso::get(&state.provider, &id).await.map_err(refused)?;
    let input = sso::idp_initiated::ConfigInput {
        default_application_id: body.default_application_id,
        redirect_uri: body.redirect_uri,
        auth_parameters: body.auth_parameters.unwrap_or_default(),
        auto_send_authorization_request: body.auto_send_authorization_request,
        client_idp_initiated_auth_callback_uri: body.client_idp_initiated_auth_callback_uri,
    };
    Ok(Json(sso::idp_initiated::set(&state.provider, state.provider.clock.as_ref(), &connector, input).await.map_err(refused)?.to_json()))
}

#[utoipa::path(delete, path = "/api/sso-connectors/{id}/idp-initiated-auth-config", tag = "SSO connectors", params(("id" = String, Path)),
    responses((status = 204, description = "Removed: the IdP's unsolicited answers are refused"), (status = 404, description = "None", body = schemas::ErrorBody)))]
async fn delete_idp_initiated_config(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    sso::idp_initiated::delete(&state.provider, &id).await.map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}
