//! Errors become HTTP responses here, and only here. The engine gives every error a stable
//! code; this module decides the status and the body:
//! - `/api/*` answers Logto's `{code, message, data?}` (spec §0);
//! - `/oidc/*` answers OAuth's `{error, error_description}`.
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
}

impl ApiError {
    pub fn from_code(err: &(impl ErrorCode + std::fmt::Display)) -> Self {
        let code = err.code();
        let status = api_status(code);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %err, "request failed");
            return Self::internal();
        }
        Self { status, code, message: err.to_string() }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code: "guard.invalid_input", message: message.into() }
    }

    pub fn internal() -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, code: "unexpected", message: "Internal server error.".into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            return (self.status, Json(json!({ "message": self.message }))).into_response();
        }
        (self.status, Json(json!({ "code": self.code, "message": self.message }))).into_response()
    }
}

impl From<identity::experience::ExperienceError> for ApiError {
    fn from(err: identity::experience::ExperienceError) -> Self {
        match err {
            identity::experience::ExperienceError::Provider(e) => ApiError::from_code(&e),
            other => ApiError::from_code(&other),
        }
    }
}

/// Statuses of the codes the Logto wire format fixes (spec §3 tables).
fn api_status(code: &str) -> StatusCode {
    match code {
        "guard.invalid_input" | "session.not_found" | "session.verification_failed" => StatusCode::BAD_REQUEST,
        "session.interaction_not_found" | "session.verification_session_not_found" | "session.identifier_not_found"
        | "entity.not_exists_with_id" | "entity.not_found" | "user.user_not_exist" => StatusCode::NOT_FOUND,
        "session.invalid_credentials" | "user.username_already_in_use" | "user.email_already_in_use"
        | "user.phone_already_in_use" | "application.id_already_exists" | "application.invalid_redirect_uri" => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        "user.suspended" => StatusCode::UNAUTHORIZED,
        "auth.forbidden" => StatusCode::FORBIDDEN,
        code if code.starts_with("oidc.") => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
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
            "invalid_client" | "invalid_token" => StatusCode::UNAUTHORIZED,
            "insufficient_scope" => StatusCode::FORBIDDEN,
            "server_error" => {
                tracing::error!(error = %self.0, "provider request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let mut response = (status, Json(json!({ "error": self.0.error(), "error_description": self.0.description() }))).into_response();
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
