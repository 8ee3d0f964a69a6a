use sqlx::any::AnyRow;
use sqlx::Row;

use super::{AppType, Application, ApplicationError};
use crate::store::{get_flag, unique_violation, Store};

const COLUMNS: &str = "id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris, cors_allowed_origins, \
    is_third_party, id_token_signed_response_alg, created_at, description, rotate_refresh_token, refresh_token_ttl_days, \
    backchannel_logout_uri, backchannel_logout_session_required, credentials_rotated_at";

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

pub(super) async fn update(conn: &mut sqlx::AnyConnection, app: &Application) -> Result<(), ApplicationError> {
    sqlx::query(
        "UPDATE applications SET name = $2, type = $3, secret_hash = $4, redirect_uris = $5, post_logout_redirect_uris = $6, \
         cors_allowed_origins = $7, is_third_party = $8, id_token_signed_response_alg = $9, description = $10, \
         rotate_refresh_token = $11, refresh_token_ttl_days = $12, backchannel_logout_uri = $13, \
         backchannel_logout_session_required = $14 WHERE id = $1",
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
    .bind(&app.description)
    .bind(app.rotate_refresh_token)
    .bind(app.refresh_token_ttl_days)
    .bind(&app.backchannel_logout_uri)
    .bind(app.backchannel_logout_session_required)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn list(store: &Store) -> Result<Vec<Application>, ApplicationError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM applications ORDER BY created_at, id")).fetch_all(store.pool()).await?;
    rows.iter().map(from_row).collect()
}

pub(super) async fn delete(store: &Store, id: &str) -> Result<bool, ApplicationError> {
    Ok(sqlx::query("DELETE FROM applications WHERE id = $1").bind(id).execute(store.pool()).await?.rows_affected() > 0)
}

pub(super) async fn insert_secret(store: &Store, id: &str, name: &str, hash: &str, now: i64, expires_at: Option<i64>) -> Result<(), ApplicationError> {
    sqlx::query("INSERT INTO application_secrets (application_id, name, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(name)
        .bind(hash)
        .bind(now)
        .bind(expires_at)
        .execute(store.pool())
        .await
        .map_err(|err| match unique_violation(&err) {
            Some(_) => ApplicationError::SecretNameInUse,
            None => ApplicationError::Storage(err),
        })?;
    Ok(())
}

pub(super) async fn secrets(store: &Store, id: &str) -> Result<Vec<super::SecretInfo>, ApplicationError> {
    let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as("SELECT name, created_at, expires_at FROM application_secrets WHERE application_id = $1 ORDER BY created_at, name")
        .bind(id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(|(name, created_at, expires_at)| super::SecretInfo { application_id: id.to_owned(), name, created_at, expires_at }).collect())
}

pub(super) async fn delete_secret(conn: &mut sqlx::AnyConnection, id: &str, name: &str) -> Result<bool, ApplicationError> {
    Ok(sqlx::query("DELETE FROM application_secrets WHERE application_id = $1 AND name = $2").bind(id).bind(name).execute(conn).await?.rows_affected() > 0)
}

/// Marks the application's credentials as changed at `now` and ends the opaque access
/// tokens issued to it (JWTs are refused by their `iat`; refresh tokens need the new
/// credentials anyway).
pub(super) async fn credentials_rotated(conn: &mut sqlx::AnyConnection, id: &str, now: i64) -> Result<(), ApplicationError> {
    sqlx::query("UPDATE applications SET credentials_rotated_at = $2 WHERE id = $1").bind(id).bind(now).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM oidc_tokens WHERE client_id = $1 AND kind = 'access_token'").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// The application and its secrets' hashes (`[[hash, expires_at], …]` as JSON) in one
/// statement: every authorization request reads its client twice, and always fresh.
pub(super) async fn find_with_secrets(store: &Store, id: &str) -> Result<Option<Application>, ApplicationError> {
    let secrets = match store.backend() {
        crate::store::Backend::Postgres => "SELECT CAST(COALESCE(json_agg(json_build_array(secret_hash, expires_at)), '[]') AS TEXT)",
        crate::store::Backend::Sqlite => "SELECT json_group_array(json_array(secret_hash, expires_at))",
    };
    let sql = format!("SELECT {COLUMNS}, ({secrets} FROM application_secrets WHERE application_id = applications.id) AS secrets FROM applications WHERE id = $1");
    let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(store.pool()).await? else { return Ok(None) };
    let mut app = from_row(&row)?;
    let secrets: String = row.try_get("secrets")?;
    app.extra_secrets = serde_json::from_str(&secrets).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some(app))
}

/// Applications whose stored URI lists mention `origin`; the caller matches exactly (LIKE
/// only narrows the search, its `_` wildcard must not decide anything).
pub(super) async fn with_origin_candidates(store: &Store, origin: &str) -> Result<Vec<Application>, ApplicationError> {
    let pattern = format!("%{}%", origin.replace('%', ""));
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM applications WHERE cors_allowed_origins LIKE $1 OR redirect_uris LIKE $1"))
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
        description: row.try_get("description")?,
        extra_secrets: vec![],
        rotate_refresh_token: get_flag(row, "rotate_refresh_token")?,
        refresh_token_ttl_days: row.try_get("refresh_token_ttl_days")?,
        backchannel_logout_uri: row.try_get("backchannel_logout_uri")?,
        backchannel_logout_session_required: get_flag(row, "backchannel_logout_session_required")?,
        credentials_rotated_at: row.try_get("credentials_rotated_at")?,
    })
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).expect("string lists serialize")
}
