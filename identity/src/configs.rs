//! Small settings documents stored as JSON by key in `configs` (`idToken`, `accountCenter`):
//! shared by every node, read through the provider's caches where hot.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::Clock;
use crate::store::Store;

/// The stored document, or the default when none was saved (or it no longer parses).
pub async fn load<T: DeserializeOwned + Default>(store: &Store, key: &str) -> Result<T, sqlx::Error> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM configs WHERE key = $1").bind(key).fetch_optional(store.pool()).await?;
    Ok(value.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default())
}

pub async fn save<T: Serialize>(store: &Store, clock: &dyn Clock, key: &str, document: &T) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO configs (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
        .bind(key)
        .bind(serde_json::to_string(document).expect("settings serialize"))
        .bind(clock.now_ms())
        .execute(store.pool())
        .await?;
    Ok(())
}
