//! SQL for the one `sign_in_experiences` row.

use sqlx::{AnyConnection, Row};

use crate::store::{Backend, Store};

const ID: &str = "default";

/// The stored document and its version (0 before the first save).
pub(super) async fn find(conn: &mut AnyConnection) -> Result<Option<(String, i64)>, sqlx::Error> {
    let row = sqlx::query("SELECT config, version FROM sign_in_experiences WHERE id = $1").bind(ID).fetch_optional(conn).await?;
    row.map(|row| Ok((row.try_get("config")?, row.try_get("version")?))).transpose()
}

/// The version alone: what a node checks before trusting its cached copy.
pub(super) async fn version(store: &Store) -> Result<i64, sqlx::Error> {
    let version: Option<i64> = sqlx::query_scalar("SELECT version FROM sign_in_experiences WHERE id = $1").bind(ID).fetch_optional(store.pool()).await?;
    Ok(version.unwrap_or(0))
}

/// Makes sure the row exists and, on PostgreSQL, holds it until the transaction ends, so
/// that a concurrent change waits and then reads this one's result (a row that does not
/// exist yet could not be locked).
pub(super) async fn lock(conn: &mut AnyConnection, backend: Backend, now: i64) -> Result<(), sqlx::Error> {
    let defaults = serde_json::to_string(&super::SignInExperience::default()).expect("configuration serializes");
    sqlx::query("INSERT INTO sign_in_experiences (id, config, updated_at, version) VALUES ($1, $2, $3, 0) ON CONFLICT (id) DO NOTHING")
        .bind(ID)
        .bind(defaults)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM sign_in_experiences WHERE id = $1 FOR UPDATE").bind(ID).execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn save(conn: &mut AnyConnection, config: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sign_in_experiences (id, config, updated_at, version) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at, \
         version = sign_in_experiences.version + 1",
    )
    .bind(ID)
    .bind(config)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
