//! Errors become HTTP responses here, and only here. The engine gives every error a stable
//! code; this module decides the status and the body:
//! - `/api/*` answers Logto's `{code, message, data?}` (spec §0);
//! - `/oidc/*` answers OAuth's `{error, error_description}` with Logto's `code` and `message`;
//! - what the router itself refuses (no such route, wrong method, a body too large or of the
//!   wrong type) is rewritten into the same shapes by [`json_rejections`].
//! Internal failures are logged and answered with a generic 500 body, never their detail.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use identity::oidc::OidcError;
use identity::ErrorCode;
use serde_json::json;

/// A Logto-style API error.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub data: Option<serde_json::Value>,
}

impl ApiError {
    pub fn from_code(err: &(impl ErrorCode + std::fmt::Display)) -> Self {
        let code = err.code();
        let status = api_status(code);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %err, "request failed");
            return Self::internal();
        }
        Self { status, code, message: err.to_string(), data: None }
    }

    pub fn with_data(mut self, data: Option<serde_json::Value>) -> Self {
        self.data = data;
        self
    }

    /// The same error under another status (where Logto answers one code with two statuses).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code: "guard.invalid_input", message: message.into(), data: None }
    }

    /// A 422 with a fixed code (for checks made in the HTTP layer itself).
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, code, message: message.into(), data: None }
    }

    pub fn internal() -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, code: "unexpected", message: "Internal server error.".into(), data: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            return (self.status, Json(json!({ "message": self.message }))).into_response();
        }
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(data) = self.data {
            body["data"] = data;
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<identity::experience::ExperienceError> for ApiError {
    fn from(err: identity::experience::ExperienceError) -> Self {
        let mut api = match &err {
            identity::experience::ExperienceError::Provider(e) => ApiError::from_code(e),
            other => ApiError::from_code(other),
        };
        if api.status == StatusCode::INTERNAL_SERVER_ERROR {
            return api;
        }
        if let Some(status) = err.status_override().and_then(|s| StatusCode::from_u16(s).ok()) {
            api.status = status;
        }
        api.with_data(err.data())
    }
}

/// Statuses of the codes the Logto wire format fixes (spec §3 tables).
fn api_status(code: &str) -> StatusCode {
    match code {
        "guard.invalid_input" | "request.invalid_input" | "session.not_found" | "session.verification_failed" | "session.not_supported_for_forgot_password"
        | "session.invalid_interaction_type" | "session.verification_blocked_too_many_attempts" | "connector.general"
        | "connector.invalid_config" => StatusCode::BAD_REQUEST,
        code if code.starts_with("verification_code.") || code.starts_with("sign_in_experiences.") => StatusCode::BAD_REQUEST,
        "session.interaction_not_found" | "session.verification_session_not_found" | "session.identifier_not_found"
        | "entity.not_exists_with_id" | "entity.not_found" | "user.user_not_exist" | "user.identity_not_exist"
        | "user.sso_identity_not_exist" | "session.connector_validation_session_not_found" => StatusCode::NOT_FOUND,
        "session.insufficient_info" => StatusCode::BAD_REQUEST,
        "session.sso_enabled" | "session.sso_not_enabled" => StatusCode::UNPROCESSABLE_ENTITY,
        "session.invalid_credentials" | "user.username_already_in_use" | "user.email_already_in_use"
        | "user.phone_already_in_use" | "application.id_already_exists" | "application.invalid_redirect_uri"
        | "user.sign_in_method_not_enabled" | "user.missing_profile" | "user.username_exists_in_profile"
        | "user.email_exists_in_profile" | "user.phone_exists_in_profile" | "user.password_exists_in_profile"
        | "user.same_password" | "user.new_password_required_in_profile" | "password.rejected"
        | "session.terms_not_agreed" | "user.invalid_role_type" | "application.invalid_role_type"
        | "resource.resource_identifier_in_use" | "role.name_in_use" | "scope.name_exists" | "user.invalid_phone" => StatusCode::UNPROCESSABLE_ENTITY,
        "resource.cannot_modify_management_api" | "scope.name_with_space" | "application.invalid_third_party_application_type"
        | "application.invalid_type" => StatusCode::BAD_REQUEST,
        "application.secret_name_exists" | "entity.db_constraint_violated" | "user.personal_access_token_name_exists" | "connector.multiple_instances_not_supported" | "user.totp_already_in_use"
        | "user.missing_mfa" | "user.suggest_mfa" | "session.mfa.backup_code_required" | "session.mfa.backup_code_can_not_be_alone"
        | "session.mfa.mfa_policy_not_user_controlled" | "user.wrong_backup_code_format" | "user.backup_code_already_in_use" => StatusCode::UNPROCESSABLE_ENTITY,
        "session.mfa.invalid_totp_code" | "session.mfa.invalid_backup_code" | "session.mfa.mfa_factor_not_enabled"
        | "user.totp_secret_invalid" | "session.mfa.webauthn_verification_failed" | "session.mfa.webauthn_verification_not_found"
        | "session.mfa.webauthn_credentials_not_found" => StatusCode::BAD_REQUEST,
        "user.webauthn_already_in_use" | "user.passkey_preferred" | "session.mfa.suggest_additional_mfa" => StatusCode::UNPROCESSABLE_ENTITY,
        // The deployment, not the request, is at fault: passkeys need a domain name.
        "session.mfa.webauthn_unavailable" | "connector.not_found" => StatusCode::NOT_IMPLEMENTED,
        "connector.not_found_with_connector_id" => StatusCode::UNPROCESSABLE_ENTITY,
        "session.mfa.require_mfa_verification" | "auth.third_party_application_forbidden" => StatusCode::FORBIDDEN,
        "account_center.not_enabled" | "account_center.field_not_editable" | "account_center.field_not_enabled"
        | "user.last_sign_in_method_required" | "verification_record.not_found" => StatusCode::BAD_REQUEST,
        "verification_record.permission_denied" => StatusCode::UNAUTHORIZED,
        "session.identity_conflict" => StatusCode::CONFLICT,
        "request.message_rate_limited" => StatusCode::TOO_MANY_REQUESTS,
        "user.suspended" | "auth.authorization_header_missing" | "auth.unauthorized" => StatusCode::UNAUTHORIZED,
        "auth.forbidden" | "console.forbidden" | "console.creation_disabled" => StatusCode::FORBIDDEN,
        "console.last_admin" | "connector.multiple_target_with_same_platform" | "user.identity_already_in_use" => StatusCode::UNPROCESSABLE_ENTITY,
        "session.state_mismatch" | "connector.invalid_response" => StatusCode::BAD_REQUEST,
        "connector.authorization_failed" | "secrets.third_party_token_set.access_token_expired" => StatusCode::UNAUTHORIZED,
        "secrets.third_party_token_set.token_not_found" | "user.enterprise_sso_identity_not_exists" => StatusCode::NOT_FOUND,
        "verification_record.social_verification.invalid_target" | "user.identity_not_exists_in_current_user"
        | "verification_record.social_verification.token_response_not_found" => StatusCode::UNPROCESSABLE_ENTITY,
        "single_sign_on.duplicate_connector_name" => StatusCode::CONFLICT,
        code if code.starts_with("single_sign_on.idp_initiated_authentication_") => StatusCode::BAD_REQUEST,
        "single_sign_on.forbidden_domains" | "single_sign_on.duplicated_domains" => StatusCode::UNPROCESSABLE_ENTITY,
        "account.confirmation_required" | "user.email_not_exist" => StatusCode::BAD_REQUEST,
        "entity.unique_integrity_violation" | "entity.relation_foreign_key_not_found" | "organization.require_membership"
        | "organization.role_names_not_found" | "application.third_party_application_only"
        | "application.user_consent_scopes_not_found" => StatusCode::UNPROCESSABLE_ENTITY,
        "entity.not_exists" | "one_time_token.token_not_found" => StatusCode::NOT_FOUND,
        code if code.starts_with("one_time_token.") => StatusCode::BAD_REQUEST,
        code if code.starts_with("session.email_blocklist.") => StatusCode::UNPROCESSABLE_ENTITY,
        code if code.starts_with("oidc.") => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// OAuth's `{error, error_description}` with Logto's `{code, message}` beside them (spec §0):
/// Logto's SDKs read `code` (`oidc.invalid_grant`, …) to raise their own error types.
pub fn oauth_body(error: &str, description: &str) -> serde_json::Value {
    json!({ "error": error, "error_description": description, "code": format!("oidc.{error}"), "message": description })
}

/// An OAuth 2.0 error at the provider's endpoints (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthError(pub OidcError);

impl From<OidcError> for OAuthError {
    fn from(err: OidcError) -> Self {
        OAuthError(err)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = match self.0.error() {
            _ if matches!(self.0, OidcError::Forbidden { .. }) => StatusCode::FORBIDDEN,
            "invalid_client" | "invalid_token" => StatusCode::UNAUTHORIZED,
            "insufficient_scope" => StatusCode::FORBIDDEN,
            "server_error" => {
                tracing::error!(error = %self.0, "provider request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let mut response = (status, Json(oauth_body(self.0.error(), &self.0.description()))).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            let challenge = format!("Bearer realm=\"vestibule\", error=\"{}\"", self.0.error());
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// The router's own refusals — no route (404), wrong method (405), a body over the limit
/// (413), the wrong content type (415) — come as plain text from axum. On the APIs they are
/// rewritten into the API's error shape, so clients that parse errors (Logto's SDKs) can.
pub async fn json_rejections(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let api = path.starts_with("/api/");
    let oidc = path.starts_with("/oidc/") || path == "/oidc";
    let plain = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_none_or(|v| v.starts_with("text/plain"));
    if !(api || oidc) || !plain || !matches!(status.as_u16(), 400 | 404 | 405 | 413 | 415) {
        return response;
    }
    let description = match status.as_u16() {
        // An extractor's rejection (a query string that does not parse): its text says why.
        400 => {
            let text = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
            String::from_utf8_lossy(&text).into_owned()
        }
        404 | 405 => format!("unrecognized route or not allowed method ({method} on {path})"),
        413 => "the request body is too large".to_owned(),
        _ => "unsupported content type".to_owned(),
    };
    let body = if oidc {
        oauth_body("invalid_request", &description)
    } else {
        // Its own code, so that "no such route" never reads as "no such user".
        let code = if matches!(status.as_u16(), 404 | 405) { "request.route_not_found" } else { "guard.invalid_input" };
        json!({ "code": code, "message": description })
    };
    (status, Json(body)).into_response()
}

/// A server function's failure, which `server_fn` answers 500 whatever it was: the engine's
/// code (`ServerError|<code>[|detail]`) gets its status from the same table as the APIs, and
/// arguments that do not parse are the caller's fault (400). Only genuine failures stay 500.
/// Form posts without JavaScript are redirects, untouched.
pub async fn server_fn_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let (kind, detail) = text.split_once('|').unwrap_or(("", ""));
    parts.status = match kind {
        "ServerError" => api_status(detail.split('|').next().unwrap_or_default()),
        "Args" | "MissingArg" | "Deserialization" => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
