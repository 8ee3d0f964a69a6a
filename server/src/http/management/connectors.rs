//! `/api/connectors`: the email (`smtp`) and SMS (`http-sms`) connectors that deliver codes,
//! and a test send that checks a configuration before it is saved.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use identity::connectors::{self, ConnectorConfig, ConnectorKind};
use identity::social;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas;

use super::domain;
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_factories))
        .routes(routes!(get_factory))
        .routes(routes!(list_connectors, create_connector))
        .routes(routes!(get_connector, update_connector, delete_connector))
        .routes(routes!(test_connector))
        .routes(routes!(connector_authorization_uri))
}

fn factories() -> Vec<Value> {
    vec![
        json!({"id": "smtp", "type": "Email", "name": {"en": "SMTP"}, "configKeys": ["host", "port", "security", "username", "password", "fromEmail", "fromName"]}),
        json!({"id": "http-sms", "type": "Sms", "name": {"en": "HTTP SMS gateway"}, "configKeys": ["url", "method", "headers", "contentType", "bodyTemplate"]}),
    ]
    .into_iter()
    .chain(social::FACTORIES.iter().map(|f| {
        json!({"id": f.id, "type": "Social", "platform": "Universal", "target": f.target, "name": {"en": f.name}, "logo": f.logo, "isStandard": f.is_standard, "configKeys": f.config_keys})
    }))
    .collect()
}

#[utoipa::path(get, path = "/api/connector-factories", tag = "Connectors", responses((status = 200, description = "The connector kinds Vestibule can use", body = [schemas::ConnectorFactory])))]
async fn list_factories() -> Json<Value> {
    Json(Value::Array(factories()))
}

#[utoipa::path(get, path = "/api/connector-factories/{id}", tag = "Connectors", params(("id" = String, Path)),
    responses((status = 200, description = "The factory", body = schemas::ConnectorFactory), (status = 404, description = "No such factory", body = schemas::ErrorBody)))]
async fn get_factory(Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    factories().into_iter().find(|f| f["id"] == id.as_str()).map(Json).ok_or_else(|| domain(connectors::ConnectorError::NotFound))
}

#[utoipa::path(get, path = "/api/connectors", tag = "Connectors", responses((status = 200, description = "Configured connectors (secrets masked)", body = [schemas::Connector])))]
async fn list_connectors(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut all: Vec<Value> = connectors::list(&state.store).await.map_err(domain)?.iter().map(|c| c.to_api_json()).collect();
    all.extend(social::list(&state.provider).await.map_err(domain)?.iter().map(|c| c.to_api_json()));
    Ok(Json(Value::Array(all)))
}

fn is_social(body: &Value) -> bool {
    body.get("connectorId").and_then(Value::as_str).is_some_and(|f| social::factories::factory(f).is_some())
}

fn social_request(body: Value) -> Result<social::ConnectorRequest, ApiError> {
    serde_json::from_value(body).map_err(|e| ApiError::invalid_input(e.to_string()))
}

fn parse_config(body: Value) -> Result<ConnectorConfig, ApiError> {
    connectors::parse_request(body).map_err(|e| ApiError::from_code(&e))
}

/// `{connectorId: "smtp" | "http-sms", config}` (a new one replaces the one of its kind), or a
/// social connector `{connectorId: "oidc" | "oauth2" | a preset, config, metadata: {target?,
/// name?, logo?, logoDark?}, syncProfile?}` (one per target; a preset's target is its own).
#[utoipa::path(post, path = "/api/connectors", tag = "Connectors", request_body(content = Object),
    responses((status = 200, description = "The connector", body = schemas::Connector), (status = 400, description = "Invalid configuration", body = schemas::ErrorBody), (status = 422, description = "Unknown connectorId", body = schemas::ErrorBody)))]
async fn create_connector(State(state): State<AppState>, JsonBody(body): JsonBody<Value>) -> Result<Json<Value>, ApiError> {
    if is_social(&body) {
        let created = social::create(&state.provider, state.provider.clock.as_ref(), social_request(body)?).await.map_err(domain)?;
        return Ok(Json(created.to_api_json()));
    }
    let config = parse_config(body)?;
    let stored = connectors::create(&state.store, state.provider.clock.as_ref(), &config).await.map_err(domain)?;
    Ok(Json(stored.to_api_json()))
}

async fn stored(state: &AppState, id: &str) -> Result<connectors::StoredConnector, ApiError> {
    connectors::find_by_id(&state.store, id).await.map_err(domain)?.ok_or_else(|| domain(connectors::ConnectorError::NotFound))
}

#[utoipa::path(get, path = "/api/connectors/{id}", tag = "Connectors", params(("id" = String, Path)), responses((status = 200, description = "The connector", body = schemas::Connector)))]
async fn get_connector(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    if let Some(found) = social::find(&state.provider, &id).await.map_err(domain)? {
        return Ok(Json(found.to_api_json()));
    }
    Ok(Json(stored(&state, &id).await?.to_api_json()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateConnector {
    #[schema(value_type = Option<Object>)]
    config: Option<Map<String, Value>>,
    /// Social connectors: `{target, name, logo, logoDark}`, merged.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
    sync_profile: Option<bool>,
    /// Social connectors: keep the upstream's tokens from each sign-in.
    enable_token_storage: Option<bool>,
}

/// Merges settings into the connector; the masked password keeps the stored one.
#[utoipa::path(patch, path = "/api/connectors/{id}", tag = "Connectors", params(("id" = String, Path)), request_body = UpdateConnector,
    responses((status = 200, description = "The connector", body = schemas::Connector)))]
async fn update_connector(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<UpdateConnector>) -> Result<Json<Value>, ApiError> {
    if social::find(&state.provider, &id).await.map_err(domain)?.is_some() {
        let request = social::ConnectorRequest {
            connector_id: None,
            config: body.config.map(Value::Object),
            metadata: body.metadata,
            sync_profile: body.sync_profile,
            enable_token_storage: body.enable_token_storage,
        };
        return Ok(Json(social::update(&state.provider, state.provider.clock.as_ref(), &id, request).await.map_err(domain)?.to_api_json()));
    }
    let config = body.config.ok_or_else(|| ApiError::invalid_input("config is required"))?;
    let updated = connectors::update(&state.store, state.provider.clock.as_ref(), &id, &config).await.map_err(domain)?;
    Ok(Json(updated.to_api_json()))
}

#[utoipa::path(delete, path = "/api/connectors/{id}", tag = "Connectors", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted: the dev outbox takes over for this kind")))]
async fn delete_connector(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if social::delete(&state.provider, &id).await.map_err(domain)? {
        return Ok(StatusCode::NO_CONTENT);
    }
    connectors::delete(&state.store, &id).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TestMessage {
    email: Option<String>,
    phone: Option<String>,
    #[schema(value_type = Object)]
    config: Value,
}

/// Sends a test message with `config` (not saved) to `email` or `phone`.
#[utoipa::path(post, path = "/api/connectors/{factoryId}/test", tag = "Connectors", params(("factoryId" = String, Path)), request_body = TestMessage,
    responses((status = 204, description = "Sent"), (status = 400, description = "Invalid configuration or delivery failed", body = schemas::ErrorBody)))]
async fn test_connector(State(state): State<AppState>, Path(factory): Path<String>, JsonBody(body): JsonBody<TestMessage>) -> Result<StatusCode, ApiError> {
    let config = parse_config(json!({ "connectorId": factory, "config": body.config }))?;
    let to = match config.kind() {
        ConnectorKind::Email => body.email,
        ConnectorKind::Sms => body.phone,
    };
    let locale = state.provider.sign_in_experience().await.map(|s| s.language_info.fallback_language).unwrap_or_else(|_| "en".into());
    connectors::send_test(&config, to.as_deref().unwrap_or_default(), &locale).await.map_err(domain)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuthorizationUriBody {
    state: String,
    redirect_uri: String,
}

/// Where to send a person to link their account at this social connector; the upstream
/// comes back to `redirectUri` with `state`, and what it sent goes to
/// `POST /api/users/{userId}/identities` (within ten minutes, once).
#[utoipa::path(post, path = "/api/connectors/{id}/authorization-uri", tag = "Connectors", params(("id" = String, Path)), request_body = AuthorizationUriBody,
    responses((status = 200, description = "`{redirectTo}`", body = Object), (status = 400, description = "No state or an invalid redirectUri", body = schemas::ErrorBody),
        (status = 404, description = "No social connector has this id", body = schemas::ErrorBody)))]
async fn connector_authorization_uri(State(state): State<AppState>, Path(id): Path<String>, JsonBody(body): JsonBody<AuthorizationUriBody>) -> Result<Json<Value>, ApiError> {
    let uri = social::by_operator::authorization_uri(&state.provider, &id, &body.state, &body.redirect_uri).await.map_err(domain)?;
    Ok(Json(json!({ "redirectTo": uri })))
}
