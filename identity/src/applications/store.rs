use sqlx::any::AnyRow;
use sqlx::Row;

use super::{AppType, Application, ApplicationError};
use crate::store::{get_flag, unique_violation, Store};

pub(super) async fn insert(store: &Store, app: &Application) -> Result<(), ApplicationError> {
    sqlx::query(
        "INSERT INTO applications (id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris, \
         cors_allowed_origins, is_third_party, id_token_signed_response_alg, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&app.id)
    .bind(&app.name)
    .bind(app.app_type.as_str())
    .bind(&app.secret_hash)
    .bind(json(&app.redirect_uris))
    .bind(json(&app.post_logout_redirect_uris))
    .bind(json(&app.cors_allowed_origins))
    .bind(app.is_third_party)
    .bind(&app.id_token_alg)
    .bind(app.created_at)
    .execute(store.pool())
    .await
    .map_err(|err| match unique_violation(&err) {
        Some(_) => ApplicationError::AlreadyExists,
        None => ApplicationError::Storage(err),
    })?;
    Ok(())
}

pub(super) async fn update(store: &Store, app: &Application) -> Result<(), ApplicationError> {
    sqlx::query(
        "UPDATE applications SET name = $2, type = $3, secret_hash = $4, redirect_uris = $5, post_logout_redirect_uris = $6, \
         cors_allowed_origins = $7, is_third_party = $8, id_token_signed_response_alg = $9 WHERE id = $1",
    )
    .bind(&app.id)
    .bind(&app.name)
    .bind(app.app_type.as_str())
    .bind(&app.secret_hash)
    .bind(json(&app.redirect_uris))
    .bind(json(&app.post_logout_redirect_uris))
    .bind(json(&app.cors_allowed_origins))
    .bind(app.is_third_party)
    .bind(&app.id_token_alg)
    .execute(store.pool())
    .await?;
    Ok(())
}

pub(super) async fn find(store: &Store, id: &str) -> Result<Option<Application>, ApplicationError> {
    let row = sqlx::query(
        "SELECT id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris, cors_allowed_origins, \
         is_third_party, id_token_signed_response_alg, created_at FROM applications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| from_row(&row)).transpose()
}

/// Applications whose stored URI lists mention `origin`; the caller matches exactly (LIKE
/// only narrows the search, its `_` wildcard must not decide anything).
pub(super) async fn with_origin_candidates(store: &Store, origin: &str) -> Result<Vec<Application>, ApplicationError> {
    let pattern = format!("%{}%", origin.replace('%', ""));
    let rows = sqlx::query(
        "SELECT id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris, cors_allowed_origins, \
         is_third_party, id_token_signed_response_alg, created_at FROM applications \
         WHERE cors_allowed_origins LIKE $1 OR redirect_uris LIKE $1",
    )
    .bind(pattern)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &AnyRow) -> Result<Application, ApplicationError> {
    let app_type: String = row.try_get("type")?;
    let list = |column: &str| -> Result<Vec<String>, sqlx::Error> {
        let text: String = row.try_get(column)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    Ok(Application {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        app_type: AppType::parse(&app_type).unwrap_or(AppType::Traditional),
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: list("redirect_uris")?,
        post_logout_redirect_uris: list("post_logout_redirect_uris")?,
        cors_allowed_origins: list("cors_allowed_origins")?,
        is_third_party: get_flag(row, "is_third_party")?,
        id_token_alg: row.try_get("id_token_signed_response_alg")?,
        created_at: row.try_get("created_at")?,
    })
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).expect("string lists serialize")
}
