//! `GET /api/logs`: the audit log, newest first, filtered by key, user or application.

use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::IntoResponse;
use axum::Json;
use identity::audit::{self, LogQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::Page;
use crate::http::error::ApiError;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_logs))
}

#[utoipa::path(get, path = "/api/logs", tag = "Audit logs",
    params(("page" = Option<i64>, Query), ("page_size" = Option<i64>, Query), ("logKey" = Option<String>, Query),
        ("userId" = Option<String>, Query), ("applicationId" = Option<String>, Query)),
    responses((status = 200, description = "A page of log entries; Total-Number and Link headers")))]
async fn list_logs(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = Page::from_query(query.as_deref())?;
    let query = LogQuery {
        key: page.param("logKey").map(str::to_owned),
        user_id: page.param("userId").map(str::to_owned),
        application_id: page.param("applicationId").map(str::to_owned),
        page: page.page,
        page_size: page.page_size,
    };
    let (logs, total) = audit::list(&state.store, &query).await.map_err(|e| {
        tracing::error!(error = %e, "listing logs failed");
        ApiError::internal()
    })?;
    Ok((page.headers(&uri, total), Json(logs)))
}
