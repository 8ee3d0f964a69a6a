//! `GET /api/logs`: the audit log, newest first, filtered by key, user or application.

use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::IntoResponse;
use axum::Json;
use identity::audit::{self, LogQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{Page, PageParams};
use super::schemas;
use crate::http::error::ApiError;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_logs))
}

#[utoipa::path(get, path = "/api/logs", tag = "Audit logs",
    params(PageParams, ("logKey" = Option<String>, Query),
        ("userId" = Option<String>, Query), ("applicationId" = Option<String>, Query),
        ("start_time" = Option<i64>, Query, description = "Only entries created at or after this time (epoch ms)"),
        ("end_time" = Option<i64>, Query, description = "Only entries created at or before this time (epoch ms)")),
    responses((status = 200, description = "A page of log entries; Total-Number and Link headers", body = [schemas::Log]), (status = 400, description = "A malformed page or time window", body = schemas::ErrorBody)))]
async fn list_logs(State(state): State<AppState>, OriginalUri(uri): OriginalUri, RawQuery(query): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let page = Page::from_query(query.as_deref())?;
    let time = |name: &str| -> Result<Option<i64>, ApiError> {
        page.param(name).map(|value| value.parse::<i64>().map_err(|_| ApiError::invalid_input(format!("{name} must be a time in epoch milliseconds")))).transpose()
    };
    let (start_time, end_time) = (time("start_time")?, time("end_time")?);
    if let (Some(start), Some(end)) = (start_time, end_time) {
        if start > end {
            return Err(ApiError::invalid_input(format!("start_time ({start}) must not be after end_time ({end})")));
        }
    }
    let query = LogQuery {
        key: page.param("logKey").map(str::to_owned),
        user_id: page.param("userId").map(str::to_owned),
        application_id: page.param("applicationId").map(str::to_owned),
        start_time,
        end_time,
        page: page.page,
        page_size: page.page_size,
    };
    let (logs, total) = audit::list(&state.store, &query).await.map_err(|e| {
        tracing::error!(error = %e, "listing logs failed");
        ApiError::internal()
    })?;
    Ok((page.headers(&uri, total), Json(logs)))
}
