use axum::http::StatusCode;

/// `GET /api/status`: 204 when the process serves requests (Logto's health check).
pub async fn status() -> StatusCode {
    StatusCode::NO_CONTENT
}
