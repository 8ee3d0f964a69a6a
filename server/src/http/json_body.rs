//! A JSON extractor whose rejections are Logto's `guard.invalid_input` (400), not axum's
//! plain-text 415/422.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            let error = ApiError::invalid_input("request body could not be read");
            // Over the body limit: say so with its own status, in the same shape.
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError { status: rejection.status(), message: "the request body is too large".into(), ..error }
            } else {
                error
            }
        })?;
        // An empty body is an empty object, as Koa's body parser treats it.
        let bytes = if bytes.is_empty() { axum::body::Bytes::from_static(b"{}") } else { bytes };
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| ApiError::invalid_input(e.to_string()))
    }
}
