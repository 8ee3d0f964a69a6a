//! The Management API (spec §15): Bearer JWTs for the Management API resource with the `all`
//! scope, Logto's paths and bodies. The router and the OpenAPI document (`/api/swagger.json`)
//! are built from the same annotated handlers, so the document cannot drift from the routes.

mod account_center;
mod application_consent;
mod applications;
mod configs;
mod connectors;
mod sso_connectors;
mod logs;
mod one_time_tokens;
mod organization_invitations;
mod openapi_3_0;
mod organization_template;
mod organizations;
mod pagination;
mod personal_access_tokens;
mod resources;
mod roles;
mod schemas;
mod sentinel_activities;
mod sign_in_experience;
mod user_sessions;
mod users;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::Method;
use identity::audit;
use serde_json::json;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::error::ApiError;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Vestibule Management API", description = "Logto-compatible Management API. Authenticate with a Bearer JWT for the Management API resource (scope `all`), obtained with client credentials from /oidc/token."),
    tags(
        (name = "Users", description = "End users: identifiers, profile, password, suspension, custom data"),
        (name = "Sign-in experience", description = "The configuration the hosted sign-in pages follow"),
        (name = "Audit logs", description = "Management API writes and sign-in events"),
        (name = "Resources", description = "API resources and their scopes"),
        (name = "Roles", description = "Roles, their scopes, and the users and applications holding them"),
        (name = "Applications", description = "OIDC clients, their secrets and roles"),
        (name = "Connectors", description = "Email and SMS delivery"),
        (name = "Configs", description = "Provider settings such as the claims in ID tokens"),
        (name = "Account center", description = "What people may see and change of their own account"),
        (name = "Organizations", description = "Organizations, their members and the members' roles"),
        (name = "Organization template", description = "The organization scopes and roles every organization shares"),
        (name = "One-time tokens", description = "The secrets behind magic links: one email address, used once"),
        (name = "Organization invitations", description = "Email addresses invited into an organization with roles")
    )
)]
struct ApiDoc;

/// The Management API's routes (behind the token check) and its OpenAPI document.
pub fn router(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, document) = OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(users::routes()).merge(user_sessions::routes()).merge(sign_in_experience::routes()).merge(logs::routes())
        .merge(resources::routes())
        .merge(roles::routes())
        .merge(applications::routes())
        .merge(application_consent::routes())
        .merge(connectors::routes())
        .merge(sso_connectors::routes())
        .merge(configs::routes())
        .merge(sentinel_activities::routes())
        .merge(account_center::routes())
        .merge(personal_access_tokens::routes())
        .merge(organizations::routes())
        .merge(organization_template::routes())
        .merge(one_time_tokens::routes())
        .merge(organization_invitations::routes())
        .split_for_parts();
    let routes = routes.layer(middleware::from_fn_with_state(state.clone(), require_token));
    // Serialised once, shared by reference: axum clones every route's handler for each new
    // connection, and a captured `OpenApi` value (a few MB) made each connection cost its copy.
    let mut served = serde_json::to_value(&document).expect("the OpenAPI document serialises");
    document_common_errors(&mut served);
    openapi_3_0::downgrade(&mut served);
    let served = axum::body::Bytes::from(served.to_string());
    let routes = routes.route(
        "/api/swagger.json",
        get(move || {
            let served = served.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], served) }
        }),
    );
    (routes, document)
}

/// The errors any operation can answer, said once here rather than on each of them:
/// `require_token` answers 401 or 403 before any handler runs; input that does not parse or
/// breaks a rule is 400 wherever there is input; a path — or, as for Logto's role scopes, an
/// id in a body — that names nothing is 404; a body or path that names something of the
/// wrong kind, or collides with what exists, is 422. All have the `Error` body. An operation
/// that documents its own body for one of these statuses (a password check's
/// `{result, issues}`) answers either.
fn document_common_errors(document: &mut serde_json::Value) {
    let error_schema = json!({ "$ref": "#/components/schemas/Error" });
    let error = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": error_schema.clone() } } });
    let Some(paths) = document.get_mut("paths").and_then(serde_json::Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for operation in item.values_mut().filter_map(serde_json::Value::as_object_mut) {
            let has_parameters = operation.get("parameters").and_then(serde_json::Value::as_array).is_some_and(|p| !p.is_empty());
            let has_body = operation.contains_key("requestBody");
            let Some(responses) = operation.get_mut("responses").and_then(serde_json::Value::as_object_mut) else { continue };
            let mut common = vec![("401", "No valid Management API token"), ("403", "The token lacks the `all` scope")];
            if has_parameters || has_body {
                common.push(("400", "Input that does not parse or breaks a rule (`guard.invalid_input`, `request.invalid_input`, …)"));
            }
            if path.contains('{') || has_body {
                common.push(("404", "The path, or an id in the body, names nothing"));
            }
            if has_body || path.contains('{') {
                common.push(("422", "The body or path names what does not exist or is of the wrong kind, or collides with what does"));
            }
            for (status, description) in common {
                match responses.get_mut(status) {
                    None => {
                        responses.insert(status.to_owned(), error(description));
                    }
                    Some(declared) => {
                        let schema = declared.pointer_mut("/content/application~1json/schema");
                        match schema {
                            Some(schema) if *schema != error_schema => *schema = json!({ "oneOf": [schema.take(), error_schema.clone()] }),
                            Some(_) => {}
                            None => {}
                        }
                    }
                }
            }
        }
    }
}

/// Every Management API request carries a valid token (401 without one, 403 without `all`);
/// every write is recorded in the audit log with the calling application and the result.
async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    let authorization = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let claims = identity::management::authenticate(&state.provider, authorization, &state.config.management_api_indicator)
        .await
        .map_err(|e| ApiError::from_code(&e))?;
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    if method != Method::GET {
        let caller = claims.get("client_id").or_else(|| claims.get("sub")).and_then(|v| v.as_str());
        let status = response.status();
        let entry = audit::Entry {
            key: &format!("ManagementApi.{method}"),
            outcome: if status.is_success() { audit::Outcome::Success } else { audit::Outcome::Error },
            user_id: None,
            application_id: caller,
            payload: json!({ "method": method.as_str(), "path": path, "status": status.as_u16() }),
        };
        audit::record(&state.store, state.provider.clock.as_ref(), entry).await;
    }
    Ok(response)
}

fn domain(err: impl identity::ErrorCode + std::fmt::Display) -> ApiError {
    ApiError::from_code(&err)
}

/// A field that is present, even as `null` (`Some(None)`), versus absent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
