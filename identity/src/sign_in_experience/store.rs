//! SQL for the one `sign_in_experiences` row.

use crate::store::Store;

const ID: &str = "default";

pub(super) async fn find(store: &Store) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT config FROM sign_in_experiences WHERE id = $1").bind(ID).fetch_optional(store.pool()).await
}

pub(super) async fn save(store: &Store, config: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sign_in_experiences (id, config, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at",
    )
    .bind(ID)
    .bind(config)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}
